"""Locks that hold across processes and hosts, for scheduled work (``shebao tick``).

PostgreSQL: a session-level advisory lock (``pg_advisory_lock``) on a key derived from the name;
every app server on the same database sees it, and it is released when the session ends, so a
killed process cannot leave it held. SQLite: the database is one file on one host, so an
``flock`` on a file beside it does the same for every process on that host (released by the
kernel when the process exits).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.db import connection


class LockTimeout(Exception):
    """The lock stayed held by someone else for longer than we were prepared to wait."""


def _key(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def _lock_path(name: str) -> Path:
    database = str(connection.settings_dict.get("NAME") or "")
    digest = hashlib.sha256(f"{database}\0{name}".encode()).hexdigest()[:16]
    if database and not database.startswith(("file:", ":memory:")) and Path(database).parent.is_dir():
        return Path(database).parent / f".{Path(database).name}.{digest}.lock"
    # An in-memory database (tests) is private to its process: any per-name file will do.
    return Path(tempfile.gettempdir()) / f"shebao-{digest}.lock"


@contextmanager
def exclusive(name: str, *, timeout: float = 600.0, poll: float = 0.1) -> Iterator[float]:
    """Hold the lock ``name`` for the block; wait up to ``timeout`` seconds for it. Yields the
    seconds spent waiting (so callers can report that another holder went first)."""
    started = time.monotonic()
    if connection.vendor == "postgresql":
        key = _key(name)
        with connection.cursor() as cursor:
            while True:
                cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
                if cursor.fetchone()[0]:
                    break
                if time.monotonic() - started > timeout:
                    raise LockTimeout(name)
                time.sleep(poll)
        try:
            yield time.monotonic() - started
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
        return
    fd = os.open(_lock_path(name), os.O_CREAT | os.O_RDWR, 0o600)
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() - started > timeout:
                    raise LockTimeout(name) from None
                time.sleep(poll)
        try:
            yield time.monotonic() - started
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
