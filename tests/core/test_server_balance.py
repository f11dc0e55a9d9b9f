"""``shebao serve --workers N``: a worker takes new connections only while it holds no more than
the least busy other worker, so a burst of keep-alive clients is spread evenly."""

from __future__ import annotations

import os
from typing import Any

import pytest

from shebao.core.server import _GONE, _balance, _SharedCounts


class _Listener:
    def __init__(self) -> None:
        self.active_channels: dict[int, Any] = {}
        self.accepting = True

    def readable(self) -> bool:  # Waitress: False at its own connection limit
        return self.accepting


def _hold(listener: _Listener, n: int) -> None:
    listener.active_channels = {i: object() for i in range(n)}


def _round(workers: list[_Listener]) -> list[bool]:
    """Each worker's loop runs: the first pass publishes every count, the second decides."""
    for w in workers:
        w.readable()
    return [w.readable() for w in workers]


def test_the_worker_holding_more_leaves_new_connections_to_the_others() -> None:
    held = _SharedCounts(3)
    workers = [_Listener() for _ in range(3)]
    for slot, listener in enumerate(workers):
        _balance(listener, slot, held)
    for listener, n in zip(workers, (5, 3, 3), strict=True):
        _hold(listener, n)
    assert _round(workers) == [False, True, True]
    _hold(workers[1], 6)
    assert _round(workers) == [False, False, True]
    _hold(workers[2], 5)
    assert _round(workers) == [True, False, True]  # ties accept: never all waiting
    workers[2].accepting = False  # Waitress's own limit still applies
    assert workers[2].readable() is False


def test_a_dead_worker_counts_as_full_and_a_single_worker_always_accepts() -> None:
    held = _SharedCounts(2)
    alive = _Listener()
    _balance(alive, 0, held)
    _hold(alive, 40)
    held.set(1, _GONE)
    assert alive.readable() is True
    lone = _Listener()
    _balance(lone, 0, _SharedCounts(1))
    _hold(lone, 1000)
    assert lone.readable() is True


@pytest.mark.skipif(not hasattr(os, "fork"), reason="workers need fork")
def test_counts_are_shared_across_fork() -> None:
    held = _SharedCounts(2)
    pid = os.fork()
    if pid == 0:
        held.set(1, 7)
        os._exit(0)
    os.waitpid(pid, 0)
    assert held.least_of_others(0) == 7


def test_serve_takes_start_up_objects_out_of_the_collectors_sight() -> None:
    """docs/performance.md (HTTP reads): full collections over start-up objects were p99 pauses."""
    import gc

    from shebao.core.server import _settle_garbage_collector

    before = gc.get_threshold()
    try:
        _settle_garbage_collector()
        assert gc.get_freeze_count() > 10_000
        assert gc.get_threshold() == (5_000, before[1], before[2])
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
