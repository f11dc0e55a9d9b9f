"""Where the calendar comes from: chinesecalendar's official years plus the database table.

``official_calendar()`` needs no database (tests, the benchmark, pure callers).
``get_calendar()`` adds the ``CalendarDay``/``CalendarYear`` rows and is what the platform uses.
It is built lazily once per process and cached; saving rows in this process invalidates it at
once (signals), and other processes notice within ``SHEBAO_CALENDAR_RECHECK_SECONDS`` through
a cheap fingerprint query, so queries themselves never touch the database.
"""

from __future__ import annotations

import threading
import time as _time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import chinese_calendar

from .calendar import WorkCalendar

DEFAULT_RECHECK_SECONDS = 60.0


@dataclass(frozen=True)
class Override:
    """One database row, detached from the ORM so the index can be built without Django."""

    day: date
    is_workday: bool


def chinesecalendar_years() -> range:
    """The years chinesecalendar publishes (2004–2026 in 1.11)."""
    years = [d.year for d in chinese_calendar.holidays]
    return range(min(years), max(years) + 1)


def build_calendar(
    *,
    overrides: Iterable[Override] = (),
    complete_years: Iterable[int] = (),
    label: str = "chinesecalendar",
) -> WorkCalendar:
    """chinesecalendar's holidays and 调休 days, with ``overrides`` applied on top.

    Official years are chinesecalendar's plus ``complete_years`` (years entered in full).
    """
    holidays = set(chinese_calendar.holidays)
    workdays = set(chinese_calendar.workdays)
    for row in overrides:
        if row.is_workday:
            holidays.discard(row.day)
            workdays.add(row.day)
        else:
            workdays.discard(row.day)
            holidays.add(row.day)
    official = set(chinesecalendar_years()) | set(complete_years)
    return WorkCalendar(holidays=holidays, workdays=workdays, official_years=official, source_label=label)


@lru_cache(maxsize=1)
def official_calendar() -> WorkCalendar:
    """chinesecalendar alone: 2004–2026 official, every other year weekends only."""
    return build_calendar()


# --------------------------------------------------------------------------- database-backed

_lock = threading.Lock()
_cached: WorkCalendar | None = None
_cached_fingerprint: tuple[object, ...] | None = None
_checked_at = 0.0


def _recheck_seconds() -> float:
    from django.conf import settings

    return float(getattr(settings, "SHEBAO_CALENDAR_RECHECK_SECONDS", DEFAULT_RECHECK_SECONDS))


def _fingerprint() -> tuple[object, ...]:
    """Changes whenever a row is added, edited or deleted (count and newest ``updated_at``)."""
    from django.db.models import Count, Max

    from .models import CalendarDay, CalendarYear

    days = CalendarDay.objects.aggregate(n=Count("id"), t=Max("updated_at"))
    years = CalendarYear.objects.aggregate(n=Count("id"), t=Max("updated_at"))
    return (days["n"], days["t"], years["n"], years["t"])


def _load_from_database() -> WorkCalendar:
    from .models import CalendarDay, CalendarYear, DayKind

    rows = [
        Override(day=d, is_workday=(kind == DayKind.WORKDAY))
        for d, kind in CalendarDay.objects.values_list("date", "kind")
    ]
    complete = list(CalendarYear.objects.filter(complete=True).values_list("year", flat=True))
    label = "chinesecalendar+database" if rows or complete else "chinesecalendar"
    return build_calendar(overrides=rows, complete_years=complete, label=label)


def get_calendar() -> WorkCalendar:
    """The platform's calendar (chinesecalendar + database rows), built once and cached."""
    global _cached, _cached_fingerprint, _checked_at
    now = _time.monotonic()
    cached = _cached
    if cached is not None and now - _checked_at < _recheck_seconds():
        return cached
    with _lock:
        fingerprint = _fingerprint()
        if _cached is None or fingerprint != _cached_fingerprint:
            _cached = _load_from_database()
            _cached_fingerprint = fingerprint
        _checked_at = _time.monotonic()
        return _cached


def invalidate_calendar() -> None:
    """Forget the cached index; the next ``get_calendar()`` rebuilds it from the database."""
    global _cached, _cached_fingerprint, _checked_at
    with _lock:
        _cached = None
        _cached_fingerprint = None
        _checked_at = 0.0
