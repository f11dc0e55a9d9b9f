"""The working-day index on real dates: Spring Festival, National Day, 调休 weekends, year ends."""

from __future__ import annotations

from datetime import date, timedelta

import holidays
import pytest

from shebao.workdays.calendar import WorkCalendar, due_moment, shift_months
from shebao.workdays.errors import DateOutOfRange
from shebao.workdays.sources import build_calendar, chinesecalendar_years

D = date


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (D(2024, 2, 4), True),  # Sunday, 春节调休上班
        (D(2024, 2, 9), True),  # Friday before the Spring Festival break (除夕 worked in 2024)
        (D(2024, 2, 12), False),  # Monday inside 春节
        (D(2024, 2, 18), True),  # Sunday, 春节调休上班
        (D(2024, 9, 29), True),  # Sunday, 国庆调休上班
        (D(2024, 10, 7), False),  # Monday inside 国庆
        (D(2024, 10, 12), True),  # Saturday, 国庆调休上班
        (D(2024, 10, 13), False),  # plain Sunday
        (D(2025, 1, 26), True),  # Sunday, 春节调休上班
        (D(2025, 2, 4), False),  # Tuesday, last day of 春节 2025
        (D(2025, 10, 8), False),  # 国庆中秋 2025 runs to the 8th
        (D(2025, 10, 11), True),  # Saturday, 调休上班
        (D(2026, 1, 2), False),  # Friday, 元旦 2026 is three days
        (D(2026, 1, 4), True),  # Sunday, 元旦调休上班
        (D(2026, 2, 14), True),  # Saturday, 春节调休上班
        (D(2026, 2, 23), False),  # Monday, last day of 春节 2026
        (D(2026, 2, 28), True),  # Saturday, 春节调休上班
        (D(2027, 1, 1), True),  # unknown year: weekends only, so a Friday works
        (D(2027, 1, 2), False),
    ],
)
def test_is_working_day_on_official_calendar(cal: WorkCalendar, day: date, working: bool) -> None:
    assert cal.is_working_day(day) is working


@pytest.mark.parametrize(
    ("start", "count", "due"),
    [
        # Accepted on the last working day before Spring Festival 2024: the make-up Sunday
        # 2-18 is working day 1.
        (D(2024, 2, 9), 5, D(2024, 2, 22)),
        (D(2024, 2, 9), 1, D(2024, 2, 18)),
        # Accepted on the Monday before National Day 2024: the 5th day is the make-up Saturday.
        (D(2024, 9, 30), 5, D(2024, 10, 12)),
        # Accepted on a make-up Sunday itself: that day is the anchor, not counted.
        (D(2024, 9, 29), 1, D(2024, 9, 30)),
        # Accepted inside a holiday: counting starts with the first working day after it.
        (D(2024, 10, 3), 1, D(2024, 10, 8)),
        # National Day 2025 (with 中秋, to the 8th); the make-up Saturday 10-11 counts.
        (D(2025, 9, 30), 5, D(2025, 10, 14)),
        # Spring Festival 2026: the make-up Saturdays 2-14 and 2-28 both count.
        (D(2026, 2, 13), 5, D(2026, 2, 27)),
        (D(2026, 2, 13), 7, D(2026, 3, 2)),
        # Year ends: 2025 starts with a one-day 元旦; 2026 with three days then a make-up Sunday.
        (D(2024, 12, 31), 5, D(2025, 1, 8)),
        (D(2025, 12, 31), 5, D(2026, 1, 8)),
        (D(2025, 12, 31), 1, D(2026, 1, 4)),
        # 20 working days across 春节 2025.
        (D(2025, 1, 20), 20, D(2025, 2, 21)),
    ],
)
def test_add_working_days(cal: WorkCalendar, start: date, count: int, due: date) -> None:
    assert cal.add_working_days(start, count) == due
    assert cal.working_days_between(start, due) == count


def test_zero_and_negative_working_days(cal: WorkCalendar) -> None:
    assert cal.add_working_days(D(2024, 10, 1), 0) == D(2024, 10, 8)  # "at once" on a day off
    assert cal.add_working_days(D(2024, 9, 30), 0) == D(2024, 9, 30)
    assert cal.add_working_days(D(2024, 10, 8), -1) == D(2024, 9, 30)
    assert cal.add_working_days(D(2024, 10, 8), -2) == D(2024, 9, 29)  # make-up Sunday
    assert cal.working_days_between(D(2024, 10, 12), D(2024, 9, 30)) == -5


def test_next_and_previous_working_day(cal: WorkCalendar) -> None:
    assert cal.next_working_day(D(2024, 9, 30)) == D(2024, 10, 8)
    assert cal.next_working_day(D(2024, 9, 30), inclusive=True) == D(2024, 9, 30)
    assert cal.next_working_day(D(2024, 10, 11)) == D(2024, 10, 12)  # a Saturday
    assert cal.previous_working_day(D(2024, 10, 8)) == D(2024, 9, 30)
    assert cal.previous_working_day(D(2024, 10, 5), inclusive=True) == D(2024, 9, 30)


@pytest.mark.parametrize(
    ("start", "count", "due"),
    [
        # 60 natural days end on 10-01, inside National Day: moved to the first working day.
        (D(2024, 8, 2), 60, D(2024, 10, 8)),
        # 30 days end on 2025-01-31, inside Spring Festival (to 02-04).
        (D(2025, 1, 1), 30, D(2025, 2, 5)),
        # Ends on a make-up Saturday, which is a working day: not moved.
        (D(2024, 9, 12), 30, D(2024, 10, 12)),
        # Ends on an ordinary Saturday: Monday.
        (D(2024, 3, 1), 15, D(2024, 3, 18)),
        # Ends on a working day: exactly N days.
        (D(2024, 3, 1), 20, D(2024, 3, 21)),
    ],
)
def test_add_days_with_holiday_extension(cal: WorkCalendar, start: date, count: int, due: date) -> None:
    assert cal.add_days(start, count) == due
    assert cal.add_days(start, count, extend=False) == start + timedelta(days=count)


def test_add_months(cal: WorkCalendar) -> None:
    assert shift_months(D(2024, 1, 31), 1) == D(2024, 2, 29)  # no 31st: the month's last day
    assert shift_months(D(2023, 1, 31), 1) == D(2023, 2, 28)
    assert shift_months(D(2024, 11, 15), 3) == D(2025, 2, 15)
    assert cal.add_months(D(2024, 1, 31), 1) == D(2024, 2, 29)
    assert cal.add_months(D(2024, 7, 7), 3) == D(2024, 10, 8)  # 10-07 is in National Day
    assert cal.add_months(D(2024, 7, 7), 3, extend=False) == D(2024, 10, 7)


def test_due_moment_is_end_of_day_in_shanghai() -> None:
    moment = due_moment(D(2024, 10, 12))
    assert moment.isoformat() == "2024-10-12T23:59:59.999999+08:00"


def test_provisional_years(cal: WorkCalendar) -> None:
    assert list(chinesecalendar_years()) == list(range(2004, 2027))
    assert not cal.is_provisional_year(2026)
    assert cal.is_provisional_year(2027)
    assert cal.is_provisional_year(2003)
    assert cal.provisional_years(D(2026, 12, 25), D(2027, 1, 4)) == (2027,)
    assert not cal.is_provisional(D(2024, 1, 1), D(2026, 12, 31))
    assert cal.is_provisional(D(2026, 12, 1), D(2028, 1, 1))


def test_dates_outside_the_range_say_so(cal: WorkCalendar) -> None:
    with pytest.raises(DateOutOfRange, match=r"2100-01-01 is outside the supported range 2000-01-01\.\.2099-12-31"):
        cal.is_working_day(D(2100, 1, 1))
    with pytest.raises(DateOutOfRange, match="ends after 2099-12-31"):
        cal.add_working_days(D(2099, 12, 28), 10)
    with pytest.raises(DateOutOfRange, match="ends after 2099-12-31"):
        cal.add_days(D(2099, 12, 28), 10)
    with pytest.raises(DateOutOfRange, match="goes before 2000-01-01"):
        cal.add_working_days(D(2000, 1, 4), -5)
    with pytest.raises(DateOutOfRange):
        cal.working_days_fn(3)(D(1999, 12, 31))


def test_explicit_calendar_without_any_library() -> None:
    """A calendar from explicit sets: a made-up year with one holiday and one make-up Saturday."""
    custom = WorkCalendar(
        holidays={D(2030, 5, 1), D(2030, 5, 2)},
        workdays={D(2030, 5, 4)},
        official_years={2030},
        first_year=2030,
        last_year=2030,
    )
    assert custom.add_working_days(D(2030, 4, 30), 1) == D(2030, 5, 3)
    assert custom.add_working_days(D(2030, 4, 30), 2) == D(2030, 5, 4)  # the make-up Saturday
    assert custom.working_days_in_year(2030) == 261 - 2 + 1
    assert custom.weekend_working_days(2030) == [D(2030, 5, 4)]
    with pytest.raises(ValueError, match="both as a holiday and as a working day"):
        WorkCalendar(holidays={D(2030, 5, 4)}, workdays={D(2030, 5, 4)}, first_year=2030, last_year=2030)


def test_overrides_apply_on_top_of_chinesecalendar() -> None:
    from shebao.workdays.sources import Override

    fixed = build_calendar(
        overrides=[Override(D(2024, 10, 7), is_workday=True), Override(D(2027, 2, 8), is_workday=False)],
        complete_years=[2027],
    )
    assert fixed.is_working_day(D(2024, 10, 7))
    assert not fixed.is_working_day(D(2027, 2, 8))
    assert not fixed.is_provisional_year(2027)


@pytest.mark.parametrize("year", [2024, 2025, 2026])
def test_cross_check_with_holidays_package(cal: WorkCalendar, year: int) -> None:
    """Every day of 2024–2026 agrees with python-holidays' independent China calendar."""
    china = holidays.China(years=year)
    day = D(year, 1, 1)
    disagreements = []
    while day.year == year:
        if cal.is_working_day(day) != china.is_working_day(day):
            disagreements.append(day)
        day += timedelta(days=1)
    assert disagreements == []
    # and the year is not trivially "weekdays only": it has 调休 Saturdays/Sundays
    assert len(cal.weekend_working_days(year)) >= 3
    assert len(cal.non_working_weekdays(year)) >= 10
