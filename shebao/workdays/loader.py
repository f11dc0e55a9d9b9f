"""Calendar files: the State Council's holiday arrangement for a year, as text.

Format (UTF-8, one entry per line; see docs/workdays.md)::

    # 国务院办公厅关于2027年部分节假日安排的通知
    date,kind,name
    2027-01-01,holiday,元旦
    2027-02-06..2027-02-12,holiday,春节
    2027-02-14,workday,春节调休上班

* ``date`` is ``YYYY-MM-DD`` or an inclusive range ``YYYY-MM-DD..YYYY-MM-DD``;
* ``kind`` is ``holiday`` (also ``休``) or ``workday`` (also ``班``);
* ``name`` is optional; blank lines, ``#`` comments and the header line are ignored.

Loading replaces, for every year that appears in the file, all database rows of that year
and marks the year complete (no longer provisional). It is all-or-nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from .calendar import DEFAULT_FIRST_YEAR, DEFAULT_LAST_YEAR
from .errors import CalendarFileError

_KINDS = {"holiday": "holiday", "休": "holiday", "假": "holiday", "workday": "workday", "班": "workday"}
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_MAX_RANGE_DAYS = 31


@dataclass(frozen=True)
class CalendarEntry:
    day: date
    kind: str  # "holiday" | "workday"
    name: str
    line: int


def _parse_date(text: str, line: int) -> date:
    if not _DATE.fullmatch(text):
        raise CalendarFileError(f"“{text}” is not a date (expected YYYY-MM-DD)", line=line)
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CalendarFileError(f"“{text}” is not a real date", line=line) from None


def parse_calendar_file(text: str) -> list[CalendarEntry]:
    """The entries of a calendar file, or :class:`CalendarFileError` naming the bad line."""
    entries: list[CalendarEntry] = []
    seen: dict[date, CalendarEntry] = {}
    for number, raw in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        fields = [f.strip() for f in line.split(",")]
        if [f.lower() for f in fields[:2]] == ["date", "kind"]:
            continue  # the header line
        if len(fields) < 2:
            raise CalendarFileError(f"expected “date,kind[,name]”, got “{raw.strip()}”", line=number)
        when, kind_text = fields[0], fields[1]
        name = ",".join(fields[2:]).strip()
        kind = _KINDS.get(kind_text.lower())
        if kind is None:
            raise CalendarFileError(f"kind “{kind_text}” must be holiday/休 or workday/班", line=number)
        if ".." in when:
            first_text, last_text = (p.strip() for p in when.split("..", 1))
            first, last = _parse_date(first_text, number), _parse_date(last_text, number)
            if last < first:
                raise CalendarFileError(f"range “{when}” ends before it starts", line=number)
            if (last - first).days >= _MAX_RANGE_DAYS:
                raise CalendarFileError(f"range “{when}” is longer than {_MAX_RANGE_DAYS} days", line=number)
        else:
            first = last = _parse_date(when, number)
        day = first
        while day <= last:
            if not DEFAULT_FIRST_YEAR <= day.year <= DEFAULT_LAST_YEAR:
                raise CalendarFileError(
                    f"{day.isoformat()} is outside the supported years {DEFAULT_FIRST_YEAR}–{DEFAULT_LAST_YEAR}",
                    line=number,
                )
            if day in seen:
                raise CalendarFileError(
                    f"{day.isoformat()} is listed twice (first on line {seen[day].line})", line=number
                )
            entry = CalendarEntry(day=day, kind=kind, name=name, line=number)
            seen[day] = entry
            entries.append(entry)
            day += timedelta(days=1)
    if not entries:
        raise CalendarFileError("the file lists no dates")
    return entries


@dataclass(frozen=True)
class LoadSummary:
    year: int
    holidays: int
    workdays: int
    replaced: int


def load_calendar_entries(entries: Iterable[CalendarEntry], *, source: str) -> list[LoadSummary]:
    """Replace the database rows of every year in ``entries`` and mark those years complete."""
    from django.db import transaction

    from .models import CalendarDay, CalendarYear
    from .sources import invalidate_calendar

    by_year: dict[int, list[CalendarEntry]] = {}
    for entry in entries:
        by_year.setdefault(entry.day.year, []).append(entry)
    summaries: list[LoadSummary] = []
    with transaction.atomic():
        for year in sorted(by_year):
            rows = by_year[year]
            replaced, _ = CalendarDay.objects.filter(date__year=year).delete()
            CalendarDay.objects.bulk_create(
                CalendarDay(date=e.day, kind=e.kind, name=e.name[:100]) for e in rows
            )
            CalendarYear.objects.update_or_create(
                year=year, defaults={"complete": True, "source": source[:200]}
            )
            summaries.append(
                LoadSummary(
                    year=year,
                    holidays=sum(1 for e in rows if e.kind == "holiday"),
                    workdays=sum(1 for e in rows if e.kind == "workday"),
                    replaced=replaced,
                )
            )
        # bulk_create and queryset.delete() skip per-row signals: invalidate explicitly.
        transaction.on_commit(invalidate_calendar)
    invalidate_calendar()
    return summaries
