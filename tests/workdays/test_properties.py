"""Hypothesis properties of the index and of due dates, with a day-by-day oracle."""

from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar
from hypothesis import given, settings
from hypothesis import strategies as st

from shebao.workdays.deadlines import Pause, compile_due, countdown, deadline
from shebao.workdays.rules import parse_rule
from shebao.workdays.sources import official_calendar

from .catalog_limits import catalog_limits

CAL = official_calendar()
MODERATE = settings(max_examples=200, deadline=None)

# 2003–2028: official years plus provisional ones on both sides.
days = st.dates(min_value=date(2003, 1, 1), max_value=date(2028, 12, 31))
counts = st.integers(min_value=0, max_value=250)
positive = st.integers(min_value=1, max_value=250)


def oracle_is_workday(day: date) -> bool:
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:  # a year chinesecalendar does not know: weekends only
        return day.weekday() < 5


def oracle_add_working_days(day: date, n: int) -> date:
    while n > 0:
        day += timedelta(days=1)
        if oracle_is_workday(day):
            n -= 1
    return day


@MODERATE
@given(days)
def test_is_working_day_matches_chinesecalendar(day: date) -> None:
    assert CAL.is_working_day(day) == oracle_is_workday(day)


@MODERATE
@given(days, st.integers(min_value=1, max_value=60))
def test_add_working_days_matches_the_day_by_day_loop(day: date, n: int) -> None:
    assert CAL.add_working_days(day, n) == oracle_add_working_days(day, n)


@MODERATE
@given(days, counts)
def test_result_is_a_working_day_and_never_earlier(day: date, n: int) -> None:
    due = CAL.add_working_days(day, n)
    assert CAL.is_working_day(due)
    assert due >= day
    if n > 0:
        assert due > day


@MODERATE
@given(days, positive)
def test_add_then_count_round_trips(day: date, n: int) -> None:
    assert CAL.working_days_between(day, CAL.add_working_days(day, n)) == n
    back = CAL.add_working_days(day, -n)
    assert back < day and CAL.is_working_day(back)
    # counting back is the mirror image: (back, day] holds the n-1 working days between them,
    # plus ``day`` itself when it is a working day
    assert CAL.working_days_between(back, day) == n - 1 + int(CAL.is_working_day(day))


@MODERATE
@given(days, days, counts)
def test_monotone_in_start_and_count(a: date, b: date, n: int) -> None:
    early, late = min(a, b), max(a, b)
    assert CAL.add_working_days(early, n) <= CAL.add_working_days(late, n)
    if n == 0:  # "at once" on a day off is the next working day, the same as 1 working day
        assert CAL.add_working_days(early, 0) <= CAL.add_working_days(early, 1)
    else:
        assert CAL.add_working_days(early, n) < CAL.add_working_days(early, n + 1)


@MODERATE
@given(days, st.integers(min_value=1, max_value=400))
def test_natural_days_end_on_a_working_day_no_earlier_than_n(day: date, n: int) -> None:
    due = CAL.add_days(day, n)
    plain = day + timedelta(days=n)
    assert due >= plain
    assert CAL.is_working_day(due)
    assert (due == plain) == CAL.is_working_day(plain)
    # nothing between the plain end and the due date is a working day
    assert CAL.working_days_between(plain, due) == (1 if due > plain else 0)


@MODERATE
@given(days, st.integers(min_value=1, max_value=24))
def test_months_never_go_backwards(day: date, n: int) -> None:
    due = CAL.add_months(day, n)
    assert due > day
    assert CAL.is_working_day(due)
    assert CAL.add_months(day, n, extend=False) <= due


pauses = st.lists(
    st.tuples(days, st.integers(min_value=0, max_value=40)).map(
        lambda t: Pause(t[0], t[0] + timedelta(days=t[1]))
    ),
    max_size=4,
)
RULES = ["即时办结", "5个工作日", "15个工作日", "60日", "20日", "3个月内", "1个月内"]


@MODERATE
@given(st.sampled_from(RULES), days, pauses)
def test_a_pause_only_ever_delays(rule: str, day: date, spans: list[Pause]) -> None:
    plain = deadline(rule, day, calendar=CAL).date
    paused = deadline(rule, day, calendar=CAL, pauses=spans).date
    assert plain is not None and paused is not None
    assert paused >= plain
    # and the result is a working day outside every pause
    assert CAL.is_working_day(paused)
    assert not any(p.start <= paused <= p.end for p in spans if p.end is not None)


@MODERATE
@given(st.sampled_from(["5个工作日", "15个工作日", "40个工作日"]), days, pauses)
def test_paused_working_days_are_exactly_made_up(rule: str, day: date, spans: list[Pause]) -> None:
    """The working days counted, minus those inside pauses, are exactly N."""
    n = parse_rule(rule).count
    assert n is not None
    due = deadline(rule, day, calendar=CAL, pauses=spans).date
    assert due is not None
    counted = 0
    current = day
    while current < due:
        current += timedelta(days=1)
        if CAL.is_working_day(current) and not any(
            p.start <= current <= p.end for p in spans if p.end is not None
        ):
            counted += 1
    assert counted == n


@MODERATE
@given(days, positive, st.integers(min_value=0, max_value=30))
def test_countdown_agrees_with_the_index(day: date, n: int, k: int) -> None:
    due = CAL.add_working_days(day, n)
    ahead = countdown(due=due, on=day, calendar=CAL)
    assert ahead.working_days_left == n and not ahead.overdue
    if k:
        late = countdown(due=due, on=CAL.add_working_days(due, k), calendar=CAL)
        assert late.overdue and late.overdue_working_days == k


CATALOG_RULES = sorted(
    {text for _, _, text in catalog_limits() if parse_rule(text).kind not in ("none", "text")}
)


@MODERATE
@given(st.sampled_from(CATALOG_RULES), st.dates(min_value=date(2017, 1, 1), max_value=date(2026, 12, 31)))
def test_compiled_rules_agree_with_deadline(text: str, day: date) -> None:
    fast = compile_due(text, calendar=CAL, cutoff_day_counts=True)(day)
    full = deadline(text, day, calendar=CAL, cutoff_day_counts=True)
    assert fast == full.date
    assert fast >= day
