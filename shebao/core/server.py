"""``shebao serve``: Waitress, in one process or in several sharing one listening socket.

One Python process runs Python code on one core at a time (the GIL), whatever its thread count.
With ``workers > 1`` the parent binds the socket, closes its database connections and forks the
workers; each runs Waitress on the inherited socket and the kernel hands each new connection to
one of them. No dependency beyond Waitress (why Waitress: docs/decisions/0002; why not gunicorn:
docs/decisions/0007). A worker that dies is started again; SIGTERM or SIGINT stops them all.
Unix only for ``workers > 1`` (``os.fork``).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sys
import time
from typing import Any


def _listen(host: str, port: int) -> socket.socket:
    info = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(info[0], socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(info[4])
    sock.listen(1024)
    return sock


def serve(app: Any, *, host: str, port: int, workers: int = 1, threads: int = 8, **options: Any) -> None:
    """``options``: further Waitress settings (the trusted proxy's, for one)."""
    from waitress import serve as waitress_serve

    if workers <= 1 or not hasattr(os, "fork"):
        waitress_serve(app, host=host, port=port, threads=threads, ident="shebao", **options)
        return
    from django.db import connections

    sock = _listen(host, port)
    connections.close_all()  # a connection must never be shared by two processes
    children: dict[int, int] = {}
    stopping = False

    def start(slot: int) -> None:
        pid = os.fork()
        if pid == 0:  # the worker
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            try:
                waitress_serve(app, sockets=[sock], threads=threads, ident="shebao", **options)
            finally:
                os._exit(0)
        children[pid] = slot

    def stop(signum: int, frame: Any) -> None:
        nonlocal stopping
        stopping = True
        for pid in list(children):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for slot in range(workers):
        start(slot)
    while children:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            break
        slot = children.pop(pid, -1)
        if slot >= 0 and not stopping:
            print(f"shebao: worker {pid} exited ({status}); starting another", file=sys.stderr, flush=True)
            time.sleep(0.5)  # no tight loop if workers die at start-up
            start(slot)
    sock.close()
