"""Figures the security tests report at the end of the run (requests fuzzed, kills survived, …).

Tests add to ``FIGURES``; ``conftest.pytest_terminal_summary`` prints whatever was recorded, so
the counts appear in CI's log whether or not output capture is on."""

from __future__ import annotations

FIGURES: dict[str, str] = {}


def record(key: str, value: object) -> None:
    FIGURES[key] = str(value)


def add(key: str, amount: int) -> None:
    FIGURES[key] = str(int(FIGURES.get(key, "0")) + amount)
