"""Due dates of whole rules: stages, suspension (中止), extension (延期), countdowns, cut-offs."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from shebao.workdays.calendar import WorkCalendar
from shebao.workdays.cutoffs import (
    RESIDENT_PENSION,
    RETIREE_PENSION,
    SURVIVOR_ALLOWANCE,
    batch_for,
    resumption_month,
)
from shebao.workdays.deadlines import Extension, Pause, compile_due, countdown, deadline

from .test_rules import APPRAISAL, INJURY, MATERNITY_LEGAL, MATERNITY_PROMISE, TRANSFER_IN, TRANSFER_OUT

D = date


@pytest.mark.parametrize(
    ("rule", "start", "due"),
    [
        ("即时办结", D(2024, 9, 30), D(2024, 9, 30)),
        ("即时办结", D(2024, 10, 3), D(2024, 10, 8)),  # online on a holiday → first working day
        ("5个工作日", D(2024, 9, 30), D(2024, 10, 12)),
        ("60日", D(2024, 8, 2), D(2024, 10, 8)),
        ("3个月内", D(2024, 7, 7), D(2024, 10, 8)),
        ("月结后3个工作日", D(2024, 9, 30), D(2024, 10, 10)),
        (TRANSFER_OUT, D(2024, 9, 20), D(2024, 10, 16)),  # letter received Friday 9-20
        (APPRAISAL, D(2024, 2, 7), D(2024, 3, 6)),  # appraisal just before 春节 2024
    ],
)
def test_table(cal: WorkCalendar, rule: str, start: date, due: date) -> None:
    result = deadline(rule, start, calendar=cal)
    assert result.date == due
    assert result.complete
    assert not result.provisional
    assert compile_due(rule, calendar=cal)(start) == due


def test_due_moment_and_serialisation(cal: WorkCalendar) -> None:
    result = deadline("5个工作日", D(2024, 9, 30), calendar=cal)
    assert result.due_moment == datetime(2024, 10, 12, 23, 59, 59, 999999, tzinfo=ZoneInfo("Asia/Shanghai"))
    data = result.as_dict()
    assert data["date"] == "2024-10-12"
    assert data["due_moment"] == "2024-10-12T23:59:59.999999+08:00"
    assert (data["kind"], data["count"], data["provisional"]) == ("working_days", 5, False)
    assert str(result) == "2024-10-12"


def test_transfer_in_waits_for_the_funds(cal: WorkCalendar) -> None:
    waiting = deadline(TRANSFER_IN, D(2024, 9, 20), calendar=cal)
    assert waiting.date == D(2024, 10, 16)  # stage 1: review and send the letter
    assert not waiting.complete
    assert waiting.awaiting == "funds_received"
    assert [s.due for s in waiting.stages] == [D(2024, 10, 16), None]
    done = deadline(TRANSFER_IN, D(2024, 9, 20), calendar=cal, events={"funds_received": D(2024, 12, 31)})
    assert done.complete
    assert done.stages[1].anchor_date == D(2024, 12, 31)
    assert done.date == D(2025, 1, 22)  # 15 working days across 元旦 2025
    assert not done.stages[1].projected


def test_injury_decision_then_delivery(cal: WorkCalendar) -> None:
    projected = deadline(INJURY, D(2024, 8, 2), calendar=cal)
    assert [s.due for s in projected.stages] == [D(2024, 10, 8), D(2024, 10, 28)]
    assert projected.stages[1].projected
    actual = deadline(INJURY, D(2024, 8, 2), calendar=cal, events={"decision": D(2024, 9, 20)})
    assert actual.stages[1].due == D(2024, 10, 10)  # 20 days → 10-10, a working day
    assert not actual.stages[1].projected


def test_injury_suspension_does_not_count(cal: WorkCalendar) -> None:
    # 中止 for 10 days while awaiting a court's conclusion: the 60 days end 10 days later.
    paused = deadline(INJURY, D(2024, 8, 2), calendar=cal, pauses=[Pause(D(2024, 8, 10), D(2024, 8, 19))])
    assert paused.stages[0].due == D(2024, 10, 11)
    # Still suspended: no decision date yet, and it says why.
    open_pause = deadline(INJURY, D(2024, 8, 2), calendar=cal, pauses=[Pause(D(2024, 8, 10))])
    assert open_pause.date is None
    assert open_pause.suspended
    assert open_pause.awaiting == "resume"


def test_pause_on_working_days(cal: WorkCalendar) -> None:
    # 9-30 + 5 wd = 10-12; paused 10-08..10-09 (two working days) → two more: 10-14, 10-15.
    result = deadline("5个工作日", D(2024, 9, 30), calendar=cal, pauses=[Pause(D(2024, 10, 8), D(2024, 10, 9))])
    assert result.date == D(2024, 10, 15)
    # A pause entirely inside the holiday costs nothing.
    holiday = deadline("5个工作日", D(2024, 9, 30), calendar=cal, pauses=[Pause(D(2024, 10, 2), D(2024, 10, 5))])
    assert holiday.date == D(2024, 10, 12)
    # Overlapping and adjacent pauses merge.
    merged = deadline(
        "5个工作日",
        D(2024, 9, 30),
        calendar=cal,
        pauses=[Pause(D(2024, 10, 9), D(2024, 10, 9)), Pause(D(2024, 10, 8), D(2024, 10, 8))],
    )
    assert merged.date == D(2024, 10, 15)


def test_extension_needs_a_reason_and_adds_working_days(cal: WorkCalendar) -> None:
    with pytest.raises(ValueError, match="reason"):
        Extension(count=10, reason="  ")
    extended = deadline(
        "20个工作日",
        D(2024, 9, 2),
        calendar=cal,
        extensions=[Extension(count=10, reason="情况复杂，经负责人批准延长")],
    )
    # 20 working days from 9-02 take in the make-up Saturday 9-14 and Sunday 9-29.
    assert extended.base_date == D(2024, 9, 30)
    assert extended.date == D(2024, 10, 18)  # 10 more, across National Day and the Saturday 10-12
    assert extended.as_dict()["extensions"] == [
        {"count": 10, "unit": "working_days", "reason": "情况复杂，经负责人批准延长"}
    ]


def test_provisional_flag(cal: WorkCalendar) -> None:
    crossing = deadline("5个工作日", D(2026, 12, 25), calendar=cal)
    assert crossing.date == D(2027, 1, 1)  # weekends only: 2027-01-01 counts as a working day
    assert crossing.provisional
    assert crossing.provisional_years == (2027,)
    assert "临时" in str(crossing)
    assert crossing.as_dict()["provisional"] is True
    inside = deadline("5个工作日", D(2026, 12, 18), calendar=cal)
    assert not inside.provisional


def test_monthly_cutoffs_in_rules(cal: WorkCalendar) -> None:
    # District receives on 6-21: misses June's 20th → July batch (7-20), city by 8-10.
    late = deadline(MATERNITY_LEGAL, D(2024, 6, 21), calendar=cal)
    assert [s.due for s in late.stages] == [D(2024, 7, 20), D(2024, 8, 10)]
    on_time = deadline(MATERNITY_LEGAL, D(2024, 6, 20), calendar=cal, cutoff_day_counts=True)
    assert on_time.stages[0].due == D(2024, 6, 20)
    strict = deadline(MATERNITY_LEGAL, D(2024, 6, 20), calendar=cal, cutoff_day_counts=False)
    assert strict.stages[0].due == D(2024, 7, 20)
    # Promise: batch by the 20th, then 15 working days at the city centre.
    promise = deadline(MATERNITY_PROMISE, D(2024, 9, 3), calendar=cal)
    assert [s.due for s in promise.stages] == [D(2024, 9, 20), D(2024, 10, 16)]
    assert deadline("次月10日前", D(2024, 12, 15), calendar=cal).date == D(2025, 1, 10)
    assert deadline("每月月底前出账", D(2024, 2, 3), calendar=cal).date == D(2024, 2, 29)
    assert deadline("当年12月20日以前", D(2024, 3, 1), calendar=cal).date == D(2024, 12, 20)


@pytest.mark.parametrize(
    ("received", "counts", "batch"),
    [
        (D(2024, 3, 19), True, (2024, 3)),
        (D(2024, 3, 20), True, (2024, 3)),
        (D(2024, 3, 20), False, (2024, 4)),
        (D(2024, 3, 21), True, (2024, 4)),
        (D(2024, 12, 25), True, (2025, 1)),
    ],
)
def test_batch_for(received: date, counts: bool, batch: tuple[int, int]) -> None:
    result = batch_for(received, cutoff_day_counts=counts)
    assert (result.year, result.month) == batch
    assert result.cutoff == D(batch[0], batch[1], 20)


def test_batch_cutoff_day_counts_setting(settings) -> None:  # type: ignore[no-untyped-def]
    settings.SHEBAO_CUTOFF_DAY_COUNTS = False
    assert batch_for(D(2024, 3, 20)).month == 4
    settings.SHEBAO_CUTOFF_DAY_COUNTS = True
    assert batch_for(D(2024, 3, 20)).month == 3


@pytest.mark.parametrize(
    ("rule", "reviewed", "third", "resumes"),
    [
        (RESIDENT_PENSION, D(2024, 3, 19), 2, D(2024, 3, 1)),  # before the 20th: this month
        (RESIDENT_PENSION, D(2024, 3, 21), 2, D(2024, 4, 1)),  # after: next month
        (RESIDENT_PENSION, D(2024, 12, 28), 2, D(2025, 1, 1)),
        (RETIREE_PENSION, D(2024, 3, 21), 2, D(2024, 4, 1)),  # before the 22nd: next month
        (RETIREE_PENSION, D(2024, 3, 23), 2, D(2024, 5, 1)),  # 第三个月, 补审 month = first
        (RETIREE_PENSION, D(2024, 3, 23), 3, D(2024, 6, 1)),  # 第三个月 counted from April
        (SURVIVOR_ALLOWANCE, D(2024, 11, 25), 2, D(2025, 1, 1)),
    ],
)
def test_resumption_month(rule, reviewed: date, third: int, resumes: date) -> None:  # type: ignore[no-untyped-def]
    assert resumption_month(reviewed, rule=rule, third_month_offset=third, cutoff_day_counts=True) == resumes


def test_resumption_on_the_cutoff_day_is_a_setting(settings) -> None:  # type: ignore[no-untyped-def]
    assert resumption_month(D(2024, 3, 22), rule=RETIREE_PENSION, cutoff_day_counts=True) == D(2024, 4, 1)
    assert resumption_month(D(2024, 3, 22), rule=RETIREE_PENSION, cutoff_day_counts=False) == D(2024, 5, 1)
    settings.SHEBAO_THIRD_MONTH_OFFSET = 3
    assert resumption_month(D(2024, 3, 25), rule=RETIREE_PENSION) == D(2024, 6, 1)


def test_countdown(cal: WorkCalendar) -> None:
    due = D(2024, 10, 12)  # a make-up Saturday
    before = countdown(due=due, on=D(2024, 9, 30), calendar=cal)
    assert (before.working_days_left, before.overdue, before.calendar_days_left) == (5, False, 12)
    assert before.level(yellow_within=2) == "green"
    today = countdown(due=due, on=due, calendar=cal)
    assert (today.working_days_left, today.overdue, today.level()) == (0, False, "yellow")
    after = countdown(due=D(2024, 10, 11), on=D(2024, 10, 14), calendar=cal)
    # overdue by Saturday 10-12 (make-up working day) and Monday 10-14
    assert (after.overdue, after.overdue_working_days, after.level()) == (True, 2, "red")
    # An aware datetime is read in Asia/Shanghai: 16:30 UTC on 10-12 is already 10-13 there.
    late_evening = countdown(
        due=due, on=datetime(2024, 10, 12, 16, 30, tzinfo=ZoneInfo("UTC")), calendar=cal
    )
    assert late_evening.on == D(2024, 10, 13)
    assert late_evening.overdue


def test_countdown_stands_still_while_suspended(cal: WorkCalendar) -> None:
    frozen = countdown(due=D(2024, 10, 12), on=D(2024, 11, 20), calendar=cal, suspended_since=D(2024, 10, 8))
    assert frozen.suspended
    assert not frozen.overdue
    assert frozen.working_days_left == 5
