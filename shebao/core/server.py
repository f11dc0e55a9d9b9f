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
import gc
import mmap
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


def _settle_garbage_collector() -> None:
    """Keep the cyclic garbage collector's pauses out of the requests' latency.

    Everything loaded at start-up (Django, the URL map, the catalog's modules: a few hundred
    thousand objects) lives as long as the process, yet every full collection walked all of it
    again, a pause of tens of milliseconds in the middle of some request. ``gc.freeze()`` moves
    it out of the collector's sight (and, forked, keeps the workers' copies of those pages
    shared); collecting the youngest generation less often (every 5,000 net allocations
    instead of 700) makes the remaining collections rarer, each still short. Memory is still
    reclaimed: reference counting frees almost everything, the collector only finds cycles.
    """
    gc.collect()
    gc.freeze()
    _, second, third = gc.get_threshold()
    gc.set_threshold(5_000, second, third)


def serve(app: Any, *, host: str, port: int, workers: int = 1, threads: int = 4, **options: Any) -> None:
    """``options``: further Waitress settings (the trusted proxy's, for one)."""
    from waitress import serve as waitress_serve

    _settle_garbage_collector()
    if workers <= 1 or not hasattr(os, "fork"):
        waitress_serve(app, host=host, port=port, threads=threads, ident="shebao", **options)
        return
    from django.db import connections

    sock = _listen(host, port)
    connections.close_all()  # a connection must never be shared by two processes
    children: dict[int, int] = {}
    stopping = False
    held = _SharedCounts(workers)

    def start(slot: int) -> None:
        pid = os.fork()
        if pid == 0:  # the worker
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            try:
                _serve_balanced(app, sock, slot, held, threads=threads, **options)
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
        if slot >= 0:
            held.set(slot, _GONE)  # nobody leaves connections to a worker that is not there
        if slot >= 0 and not stopping:
            print(f"shebao: worker {pid} exited ({status}); starting another", file=sys.stderr, flush=True)
            time.sleep(0.5)  # no tight loop if workers die at start-up
            start(slot)
    sock.close()


_GONE = 1 << 62


class _SharedCounts:
    """One integer per worker in memory shared across ``fork``: the connections each holds."""

    def __init__(self, n: int) -> None:
        self._map = mmap.mmap(-1, 8 * n)
        self.values = memoryview(self._map).cast("q")

    def set(self, slot: int, value: int) -> None:
        self.values[slot] = value

    def least_of_others(self, slot: int) -> int:
        return min((v for i, v in enumerate(self.values) if i != slot), default=_GONE)


def _serve_balanced(app: Any, sock: socket.socket, slot: int, held: _SharedCounts, *, threads: int,
                    **options: Any) -> None:
    """Waitress on the shared socket, taking new connections only while holding no more than the
    other workers.

    Every worker waits on the one listening socket and the first to call ``accept()`` wins, so a
    burst of keep-alive connections lands unevenly: 8 and 24 of 32 in bench/http_reads.py, and
    the worker with 24 answers three times as slowly while the other idles. Here each worker
    publishes how many connections it holds (before each wait of its event loop) and leaves the
    listening socket out of the wait while another holds fewer; the kernel then gives the
    connection to that one. Nothing else changes: a worker alone, or all equal, accepts as Waitress
    does, and a worker that dies counts as full until its replacement starts."""
    import logging

    from waitress.server import create_server

    logging.basicConfig()
    server = create_server(app, sockets=[sock], threads=threads, ident="shebao", **options)
    # One socket: create_server returns the listening dispatcher itself (several: a wrapper
    # whose map holds them, beside the trigger, which has no channels).
    candidates = [server] if hasattr(server, "readable") else list(getattr(server, "map", {}).values())
    for listener in (c for c in candidates if hasattr(c, "active_channels")):
        _balance(listener, slot, held)
    held.set(slot, 0)
    server.print_listen("Serving on http://{}:{}")
    server.run()


def _balance(listener: Any, slot: int, held: _SharedCounts) -> None:
    """Make a Waitress listening dispatcher wait for new connections only while this worker holds
    no more of them than the least busy other worker (``readable`` runs before each wait)."""
    base = listener.readable

    def readable() -> bool:
        mine = len(listener.active_channels)
        held.set(slot, mine)
        return bool(base()) and mine <= held.least_of_others(slot)

    listener.readable = readable
