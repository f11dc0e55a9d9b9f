"""Due dates of rules, with the clock controls a case needs.

* :func:`deadline` — the due date of a rule from an anchor date, stage by stage, with
  suspensions (中止, :class:`Pause`) that do not count, extensions (延期, :class:`Extension`)
  that need a reason, and dates of later anchor events (收到资金, 决定作出, …) when known.
* :func:`countdown` — "how many working days are left / overdue by" for warnings.
* :func:`compile_due` — a rule compiled into a plain ``date -> date`` function for bulk work.

Cut-off stages (每月20日前, 次月10日前, 月底前, 当年12月20日以前) name a calendar date and are not
moved by suspensions or by the holiday extension: they schedule batches, they are not periods.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Literal

from .calendar import SHANGHAI, WorkCalendar, day_of_month, due_moment, month_end
from .cutoffs import batch_for, cutoff_day_counts_setting
from .errors import RuleNotUnderstood
from .rules import DeadlineRule, Stage, parse_rule

ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Pause:
    """A suspension (中止): the days ``start``..``end`` (both included) do not count.

    ``end=None`` means the case is still suspended: periods that run into it have no due date
    until it ends.
    """

    start: date
    end: date | None = None
    reason: str = ""

    def __post_init__(self) -> None:
        if self.end is not None and self.end < self.start:
            raise ValueError(f"pause ends ({self.end}) before it starts ({self.start})")


@dataclass(frozen=True)
class Extension:
    """An extension (延期) of the final due date, granted for a recorded reason."""

    count: int
    reason: str
    unit: Literal["working_days", "days"] = "working_days"

    def __post_init__(self) -> None:
        if self.count < 1:
            raise ValueError("an extension adds at least one day")
        if not self.reason.strip():
            raise ValueError("an extension needs a reason (延期须说明理由)")

    def as_dict(self) -> dict[str, object]:
        return {"count": self.count, "unit": self.unit, "reason": self.reason}


_Span = tuple[date, date | None]


def _merge(pauses: Iterable[Pause]) -> list[_Span]:
    """Sorted, non-overlapping, non-adjacent spans; an open pause swallows everything after."""
    spans: list[_Span] = []
    for pause in sorted(pauses, key=lambda p: p.start):
        if spans:
            last_start, last_end = spans[-1]
            if last_end is None:
                break
            if pause.start <= last_end + ONE_DAY:
                new_end = None if pause.end is None else max(last_end, pause.end)
                spans[-1] = (last_start, new_end)
                continue
        spans.append((pause.start, pause.end))
    return spans


# --------------------------------------------------------------------------- one stage


def _first_open_working_day(cal: WorkCalendar, day: date, spans: Sequence[_Span]) -> date | None:
    """The first working day on or after ``day`` that is not suspended; None if blocked."""
    current = cal.next_working_day(day, inclusive=True)
    for start, end in spans:
        if end is not None and end < current:
            continue
        if start > current:
            break
        if end is None:
            return None
        current = cal.next_working_day(end)
    return current


def _add_working_days(cal: WorkCalendar, anchor: date, count: int, spans: Sequence[_Span]) -> date | None:
    if count == 0:
        return _first_open_working_day(cal, anchor, spans)
    position, remaining = anchor, count
    for start, end in spans:
        if end is not None and end <= position:
            continue
        if start <= position:
            if end is None:
                return None
            position = end
            continue
        available = cal.working_days_between(position, start - ONE_DAY)
        if remaining <= available:
            return cal.add_working_days(position, remaining)
        remaining -= available
        if end is None:
            return None
        position = end
    return cal.add_working_days(position, remaining)


def _add_days(cal: WorkCalendar, anchor: date, count: int, spans: Sequence[_Span]) -> date | None:
    position, remaining = anchor, count
    target: date | None = None
    for start, end in spans:
        if end is not None and end <= position:
            continue
        if start <= position:
            if end is None:
                return None
            position = end
            continue
        available = (start - position).days - 1
        if remaining <= available:
            target = cal.add_days(position, remaining, extend=False)
            break
        remaining -= available
        if end is None:
            return None
        position = end
    if target is None:
        target = cal.add_days(position, remaining, extend=False)
    # 第二百零三条: a last day that is a day off (or suspended) moves to the next open working day.
    return _first_open_working_day(cal, target, spans)


def _add_months(cal: WorkCalendar, anchor: date, count: int, spans: Sequence[_Span]) -> date | None:
    raw = cal.add_months(anchor, count, extend=False)
    paused = 0
    for start, end in spans:
        if start > raw:
            break
        if end is None:
            return None
        low, high = max(start, anchor + ONE_DAY), min(end, raw)
        if high >= low:
            paused += (high - low).days + 1
    if paused == 0:
        return _first_open_working_day(cal, raw, spans)
    # Suspended days inside the months are made up afterwards, day for day.
    return _add_days(cal, raw, paused, spans)


def stage_due(
    stage: Stage,
    anchor: date,
    *,
    calendar: WorkCalendar,
    pauses: Iterable[Pause] = (),
    cutoff_day_counts: bool | None = None,
) -> date | None:
    """The due date of one stage from its anchor date; None while an open pause blocks it."""
    spans = _merge(pauses)
    return _stage_due(stage, anchor, calendar, spans, cutoff_day_counts)


def _stage_due(
    stage: Stage, anchor: date, cal: WorkCalendar, spans: Sequence[_Span], counts: bool | None
) -> date | None:
    cal.ensure_in_range(anchor)
    unit = stage.unit
    if unit == "immediate":
        return _first_open_working_day(cal, anchor, spans)
    if unit == "working_days":
        return _add_working_days(cal, anchor, stage.count or 0, spans)
    if unit == "days":
        return _add_days(cal, anchor, stage.count or 0, spans)
    if unit == "months":
        return _add_months(cal, anchor, stage.count or 0, spans)
    if unit == "day_of_month":
        day = stage.day or 1
        if stage.month_offset:
            due = day_of_month(anchor.year, anchor.month + stage.month_offset, day)
        else:
            due = batch_for(anchor, cutoff_day=day, cutoff_day_counts=counts).cutoff
    elif unit == "month_end":
        due = month_end(anchor)
    else:  # fixed_date
        due = day_of_month(anchor.year, stage.month or 12, stage.day or 31)
    return cal.ensure_in_range(due)


# --------------------------------------------------------------------------- a whole rule


@dataclass(frozen=True)
class StageDue:
    index: int
    stage: Stage
    anchor_date: date | None
    due: date | None
    projected: bool = False
    awaiting: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "index": self.index,
            **self.stage.as_dict(),
            "anchor_date": self.anchor_date.isoformat() if self.anchor_date else None,
            "due": self.due.isoformat() if self.due else None,
            "due_moment": due_moment(self.due).isoformat() if self.due else None,
            "projected": self.projected,
            "awaiting": self.awaiting,
        }


@dataclass(frozen=True)
class Deadline:
    """The due date of a rule from ``start``, and how it was reached.

    ``date`` is the due date of the furthest stage that can be computed now (with extensions
    applied once every stage is known). ``provisional`` is true when any day counted lies in a
    year without official holiday data; show it wherever the date is shown.
    """

    # ``_dt.date``: inside this class body the field ``date`` shadows the type.
    rule: DeadlineRule
    start: _dt.date
    date: _dt.date | None
    stages: tuple[StageDue, ...]
    provisional: bool
    provisional_years: tuple[int, ...]
    complete: bool
    suspended: bool = False
    base_date: _dt.date | None = None
    extensions: tuple[Extension, ...] = field(default_factory=tuple)
    calendar_label: str = ""

    @property
    def due_moment(self) -> datetime | None:
        return due_moment(self.date) if self.date else None

    @property
    def has_limit(self) -> bool:
        return bool(self.rule.stages)

    @property
    def provisional_note(self) -> str:
        if not self.provisional:
            return ""
        years = "、".join(str(y) for y in self.provisional_years)
        return f"临时：{years}年未载入官方节假日安排，暂按周末计算"

    @property
    def awaiting(self) -> str | None:
        for stage in self.stages:
            if stage.awaiting:
                return stage.awaiting
        return None

    def __str__(self) -> str:
        if self.date is None:
            return "无时限" if not self.has_limit else "待定"
        text = self.date.isoformat()
        return f"{text}（{self.provisional_note}）" if self.provisional else text

    def as_dict(self) -> dict[str, object]:
        moment = self.due_moment
        return {
            "rule": self.rule.text,
            "kind": self.rule.kind,
            "count": self.rule.count,
            "from": self.start.isoformat(),
            "date": self.date.isoformat() if self.date else None,
            "due_moment": moment.isoformat() if moment else None,
            "provisional": self.provisional,
            "provisional_years": list(self.provisional_years),
            "provisional_note": self.provisional_note,
            "complete": self.complete,
            "suspended": self.suspended,
            "awaiting": self.awaiting,
            "base_date": self.base_date.isoformat() if self.base_date else None,
            "extensions": [e.as_dict() for e in self.extensions],
            "stages": [s.as_dict() for s in self.stages],
            "reason": self.rule.reason,
            "calendar": self.calendar_label,
        }


def _calendar_or_default(calendar: WorkCalendar | None) -> WorkCalendar:
    if calendar is not None:
        return calendar
    from .sources import get_calendar

    return get_calendar()


def _as_rule(rule: str | DeadlineRule) -> DeadlineRule:
    parsed = parse_rule(rule) if isinstance(rule, str) else rule
    if parsed.kind == "text":
        raise RuleNotUnderstood(parsed.text, parsed.reason)
    return parsed


def deadline(
    rule: str | DeadlineRule,
    start: date,
    *,
    calendar: WorkCalendar | None = None,
    pauses: Iterable[Pause] = (),
    extensions: Iterable[Extension] = (),
    events: Mapping[str, date] | None = None,
    cutoff_day_counts: bool | None = None,
) -> Deadline:
    """The due date of ``rule`` when its first anchor event happened on ``start``.

    Later stages anchored to another event (收到资金, 决定作出, …) use ``events[key]`` when
    given. Without it, an event the previous stage produces is projected from that stage's
    due date; an outside event (the other office's transfer) leaves the stage ``awaiting``.
    Raises :class:`RuleNotUnderstood` for free text and :class:`DateOutOfRange` outside the
    calendar.
    """
    parsed = _as_rule(rule)
    cal = _calendar_or_default(calendar)
    cal.ensure_in_range(start)
    spans = _merge(pauses) if pauses else []
    counts = cutoff_day_counts_setting() if cutoff_day_counts is None else cutoff_day_counts
    known = events or {}
    extension_list = tuple(extensions)

    results: list[StageDue] = []
    previous_due: date | None = start
    suspended = False
    for index, stage in enumerate(parsed.stages):
        awaiting: str | None = None
        projected = False
        anchor: date | None
        if index == 0:
            anchor = start
        elif stage.anchor in known and stage.anchor != "previous":
            anchor = known[stage.anchor]
        elif stage.anchor == "previous" or stage.follows_previous:
            anchor = previous_due
            projected = True
            if anchor is None:
                awaiting = results[-1].awaiting if results else stage.anchor
        else:
            anchor = None
            awaiting = stage.anchor
        due: date | None = None
        if anchor is not None:
            due = _stage_due(stage, anchor, cal, spans, counts)
            if due is None:
                awaiting, suspended = "resume", True
        results.append(StageDue(index, stage, anchor, due, projected, awaiting))
        previous_due = due

    # One pass: the furthest date reached (for the provisional flag), the last due date of the
    # unbroken chain from ``start``, and whether every stage is known.
    furthest = start
    last_known: date | None = None
    complete = True
    for r in results:
        if r.due is None:
            complete = False
            continue
        if r.due > furthest:
            furthest = r.due
        if complete:
            last_known = r.due
    final = last_known
    if complete and final is not None:
        for ext in extension_list:
            if ext.unit == "working_days":
                final = _add_working_days(cal, final, ext.count, spans)
            else:
                final = _add_days(cal, final, ext.count, spans)
            if final is None:
                suspended = True
                break
            furthest = max(furthest, final)
    years = cal.provisional_years(start, furthest) if cal.is_provisional(start, furthest) else ()
    return Deadline(
        rule=parsed,
        start=start,
        date=final,
        stages=tuple(results),
        provisional=bool(years),
        provisional_years=years,
        complete=(complete and final is not None) if results else True,
        suspended=suspended,
        base_date=last_known,
        extensions=extension_list,
        calendar_label=cal.source_label,
    )


def due_date(rule: str | DeadlineRule, start: date, *, calendar: WorkCalendar | None = None) -> date | None:
    """Shorthand for ``deadline(rule, start).date``."""
    return deadline(rule, start, calendar=calendar).date


def compile_due(
    rule: str | DeadlineRule, *, calendar: WorkCalendar, cutoff_day_counts: bool = True
) -> Callable[[date], date]:
    """``rule`` as a fast ``start -> due date`` function (no pauses, events or extensions).

    Gives the same date as :func:`deadline` for the same inputs: the furthest stage reachable
    from ``start`` alone. Raises :class:`RuleNotUnderstood` for free text and ``ValueError``
    for ``none`` (no due date to compute).
    """
    parsed = _as_rule(rule)
    if not parsed.stages:
        raise ValueError(f"“{parsed.text}” sets no time limit")
    steps: list[Callable[[date], date]] = []
    for index, stage in enumerate(parsed.stages):
        if index > 0 and not (stage.anchor == "previous" or stage.follows_previous):
            break
        steps.append(_compile_stage(stage, calendar, cutoff_day_counts))
    if len(steps) == 1:
        return steps[0]

    def chained(day: date) -> date:
        for step in steps:
            day = step(day)
        return day

    return chained


def _compile_stage(stage: Stage, cal: WorkCalendar, counts: bool) -> Callable[[date], date]:
    if stage.unit == "immediate":
        return cal.working_days_fn(0)
    if stage.unit == "working_days":
        return cal.working_days_fn(stage.count or 0)
    if stage.unit == "days":
        return cal.days_fn(stage.count or 0)
    if stage.unit == "months":
        return cal.months_fn(stage.count or 0)

    def cutoff(day: date) -> date:
        due = _stage_due(stage, day, cal, (), counts)
        assert due is not None  # cut-offs are never suspended
        return due

    return cutoff


# --------------------------------------------------------------------------- warnings


@dataclass(frozen=True)
class Countdown:
    """Where a case stands against its due date on a given day.

    ``working_days_left`` counts the working days after ``on`` up to and including the due day
    (0: due today). ``overdue_working_days`` counts working days after the due day up to and
    including ``on``; a case due on Friday is overdue on Saturday by 0 working days and on
    Monday by 1.
    """

    due: date
    on: date
    overdue: bool
    working_days_left: int
    overdue_working_days: int
    calendar_days_left: int
    suspended: bool = False

    def level(self, *, yellow_within: int = 2) -> Literal["green", "yellow", "red"]:
        """red: overdue; yellow: at most ``yellow_within`` working days left; green otherwise."""
        if self.overdue:
            return "red"
        return "yellow" if self.working_days_left <= yellow_within else "green"

    def as_dict(self) -> dict[str, object]:
        return {
            "due": self.due.isoformat(),
            "on": self.on.isoformat(),
            "overdue": self.overdue,
            "working_days_left": self.working_days_left,
            "overdue_working_days": self.overdue_working_days,
            "calendar_days_left": self.calendar_days_left,
            "suspended": self.suspended,
        }


def countdown(
    *,
    due: date,
    on: date | datetime,
    calendar: WorkCalendar | None = None,
    suspended_since: date | None = None,
) -> Countdown:
    """Working days left until ``due`` (or overdue by) as of ``on``.

    While a case is suspended (``suspended_since``), the clock stands still at the day before
    the suspension began: the answer does not change until it resumes, when the caller
    recomputes ``due`` with the closed :class:`Pause`.
    """
    cal = _calendar_or_default(calendar)
    today = on.astimezone(SHANGHAI).date() if isinstance(on, datetime) else on
    counted = today
    suspended = False
    if suspended_since is not None and suspended_since <= today:
        counted = suspended_since - ONE_DAY
        suspended = True
    overdue = counted > due
    return Countdown(
        due=due,
        on=today,
        overdue=overdue,
        working_days_left=0 if overdue else cal.working_days_between(counted, due),
        overdue_working_days=cal.working_days_between(due, counted) if overdue else 0,
        calendar_days_left=(due - counted).days,
        suspended=suspended,
    )
