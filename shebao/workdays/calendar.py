"""The working-day index: pure, precomputed arithmetic over one calendar.

A :class:`WorkCalendar` is built once from explicit sets of holidays and make-up working days
(调休上班) and answers every query in O(1) by table look-up:

* ``_work[i]``    whether day ``base + i`` is a working day;
* ``_before[i]``  how many working days lie in ``[base, base + i)`` (a prefix count);
* ``_wd[k]``      the ordinal of the k-th working day (0-based) in the range.

"The N-th working day after d" is then ``_wd[_before[d + 1] + N - 1]`` and "working days in
(a, b]" is ``_before[b + 1] - _before[a + 1]``: no loops, no database, no allocation beyond
the result. Building the tables for a century takes a few tens of milliseconds.

Periods follow 《民法典》: the anchoring day is not counted (第二百零一条); a period counted in
calendar days or months whose last day is not a working day ends on the next working day
(第二百零三条); a month period ends on the corresponding day, or the month's last day when the
month is shorter (第二百零二条).

Years without official data are computed on weekends only and reported as *provisional*.
"""

from __future__ import annotations

import calendar as _stdlib_calendar
from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .errors import DateOutOfRange

# The bureau works on Beijing time; a due day ends at 24:00 there (民法典第二百零三条第二款).
SHANGHAI = ZoneInfo("Asia/Shanghai")
END_OF_DAY = time(23, 59, 59, 999999)

# Wide enough for any case a bureau can hold today, small enough to build in milliseconds.
DEFAULT_FIRST_YEAR = 2000
DEFAULT_LAST_YEAR = 2099


def due_moment(day: date) -> datetime:
    """The end of ``day`` in Asia/Shanghai: the last instant at which the duty is still on time."""
    return datetime.combine(day, END_OF_DAY, tzinfo=SHANGHAI)


def shift_months(day: date, months: int) -> date:
    """The corresponding day ``months`` later; the month's last day if it has no such day."""
    index = day.year * 12 + (day.month - 1) + months
    year, month0 = divmod(index, 12)
    last = _stdlib_calendar.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(day.day, last))


def month_end(day: date) -> date:
    return date(day.year, day.month, _stdlib_calendar.monthrange(day.year, day.month)[1])


def day_of_month(year: int, month: int, day: int) -> date:
    """``date(year, month, day)`` with the month normalised and the day clamped to the month's end."""
    year, month0 = divmod(year * 12 + month - 1, 12)
    last = _stdlib_calendar.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(day, last))


class WorkCalendar:
    """Working-day arithmetic over ``[first_year-01-01, last_year-12-31]``.

    ``holidays`` are days off even if they fall on a weekday; ``workdays`` are working days even
    if they fall on a weekend (调休). Every other day is a working day exactly when it is
    Monday to Friday. ``official_years`` are the years whose holidays are known; any other year
    is computed on weekends only and every result touching it is provisional.
    """

    __slots__ = (
        "_base",
        "_before",
        "_first",
        "_last",
        "_last_ord",
        "_prov_year",
        "_size",
        "_wd",
        "_work",
        "first_year",
        "last_year",
        "official_years",
        "source_label",
    )

    def __init__(
        self,
        *,
        holidays: Iterable[date] = (),
        workdays: Iterable[date] = (),
        official_years: Iterable[int] = (),
        first_year: int = DEFAULT_FIRST_YEAR,
        last_year: int = DEFAULT_LAST_YEAR,
        source_label: str = "explicit",
    ) -> None:
        if first_year > last_year:
            raise ValueError("first_year must not be after last_year")
        self.first_year = first_year
        self.last_year = last_year
        self.source_label = source_label
        self._first = date(first_year, 1, 1)
        self._last = date(last_year, 12, 31)
        self._base = self._first.toordinal()
        self._last_ord = self._last.toordinal()
        self._size = self._last_ord - self._base + 1

        holiday_ords = {d.toordinal() for d in holidays}
        workday_ords = {d.toordinal() for d in workdays}
        clash = holiday_ords & workday_ords
        if clash:
            first_clash = date.fromordinal(min(clash))
            raise ValueError(f"{first_clash.isoformat()} is listed both as a holiday and as a working day")

        work: list[bool] = []
        before: list[int] = [0]
        wd: list[int] = []
        # date(1, 1, 1) is a Monday, so (ordinal - 1) % 7 is the weekday with Monday = 0.
        for ordinal in range(self._base, self._last_ord + 1):
            if ordinal in workday_ords:
                is_work = True
            elif ordinal in holiday_ords:
                is_work = False
            else:
                is_work = (ordinal - 1) % 7 < 5
            work.append(is_work)
            if is_work:
                wd.append(ordinal)
            before.append(len(wd))
        self._work = work
        self._before = before
        self._wd = wd
        self.official_years = frozenset(y for y in official_years if first_year <= y <= last_year)
        self._prov_year = [y not in self.official_years for y in range(first_year, last_year + 1)]

    # ------------------------------------------------------------------ range and provenance

    @property
    def first_day(self) -> date:
        return self._first

    @property
    def last_day(self) -> date:
        return self._last

    def _offset(self, day: date) -> int:
        offset = day.toordinal() - self._base
        if offset < 0 or offset >= self._size:
            raise self._out_of_range(day)
        return offset

    def _out_of_range(self, day: date) -> DateOutOfRange:
        return DateOutOfRange(
            f"date {day.isoformat()} is outside the supported range "
            f"{self._first.isoformat()}..{self._last.isoformat()}",
            first=self._first,
            last=self._last,
        )

    def _beyond(self, day: date) -> DateOutOfRange:
        return DateOutOfRange(
            f"the period from {day.isoformat()} ends after {self._last.isoformat()}, "
            f"the last day of the supported range {self._first.isoformat()}..{self._last.isoformat()}",
            first=self._first,
            last=self._last,
        )

    def _before_start(self, day: date) -> DateOutOfRange:
        return DateOutOfRange(
            f"counting back from {day.isoformat()} goes before {self._first.isoformat()}, "
            f"the first day of the supported range {self._first.isoformat()}..{self._last.isoformat()}",
            first=self._first,
            last=self._last,
        )

    def is_provisional_year(self, year: int) -> bool:
        """True when ``year`` has no official holiday data (weekends only)."""
        if year < self.first_year or year > self.last_year:
            return True
        return self._prov_year[year - self.first_year]

    def provisional_years(self, start: date, end: date) -> tuple[int, ...]:
        """The years in ``[start, end]`` (either order) that are computed on weekends only."""
        low, high = (start, end) if start <= end else (end, start)
        return tuple(y for y in range(low.year, high.year + 1) if self.is_provisional_year(y))

    def is_provisional(self, start: date, end: date) -> bool:
        low, high = (start.year, end.year) if start <= end else (end.year, start.year)
        prov = self._prov_year
        y0 = self.first_year
        if prov[low - y0] or prov[high - y0]:
            return True
        return any(prov[y - y0] for y in range(low + 1, high))

    # ------------------------------------------------------------------ queries, all O(1)

    def is_working_day(self, day: date) -> bool:
        return self._work[self._offset(day)]

    def next_working_day(self, day: date, *, inclusive: bool = False) -> date:
        """The first working day after ``day`` (or on it, when ``inclusive``)."""
        offset = self._offset(day)
        k = self._before[offset] if inclusive else self._before[offset + 1]
        if k >= len(self._wd):
            raise self._beyond(day)
        return date.fromordinal(self._wd[k])

    def previous_working_day(self, day: date, *, inclusive: bool = False) -> date:
        """The last working day before ``day`` (or on it, when ``inclusive``)."""
        offset = self._offset(day)
        k = (self._before[offset + 1] if inclusive else self._before[offset]) - 1
        if k < 0:
            raise self._before_start(day)
        return date.fromordinal(self._wd[k])

    def add_working_days(self, day: date, count: int) -> date:
        """The ``count``-th working day after ``day``; ``day`` itself is not counted.

        ``count == 0`` gives ``day`` if it is a working day, else the next one (a case that
        must be handled "at once" on a day off is handled on the next working day).
        A negative ``count`` goes back: -1 is the last working day before ``day``.
        """
        offset = self._offset(day)
        if count > 0:
            k = self._before[offset + 1] + count - 1
        elif count == 0:
            k = self._before[offset]
        else:
            k = self._before[offset] + count
        if k >= len(self._wd):
            raise self._beyond(day)
        if k < 0:
            raise self._before_start(day)
        return date.fromordinal(self._wd[k])

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in ``(start, end]``; negative when ``end`` is before ``start``.

        The inverse of :meth:`add_working_days`: ``working_days_between(d, add_working_days(d, n))
        == n`` for every ``n >= 1``.
        """
        before = self._before
        return before[self._offset(end) + 1] - before[self._offset(start) + 1]

    def add_days(self, day: date, count: int, *, extend: bool = True) -> date:
        """``count`` calendar days after ``day``; with ``extend`` (民法典第二百零三条) a last day
        that is not a working day moves to the next working day."""
        self._offset(day)
        offset = day.toordinal() + count - self._base
        if offset < 0 or offset >= self._size:
            raise self._beyond(day)
        target = day + timedelta(days=count)
        if extend and not self._work[offset]:
            k = self._before[offset]
            if k >= len(self._wd):
                raise self._beyond(day)
            return date.fromordinal(self._wd[k])
        return target

    def add_months(self, day: date, count: int, *, extend: bool = True) -> date:
        """``count`` months after ``day`` (民法典第二百零二条), extended like :meth:`add_days`."""
        self._offset(day)
        try:
            target = shift_months(day, count)
        except ValueError as exc:  # year 0 or 10000
            raise self._beyond(day) from exc
        if target > self._last or target < self._first:
            raise self._beyond(day)
        if extend:
            return self.next_working_day(target, inclusive=True)
        return target

    def working_days_in_year(self, year: int) -> int:
        start = date(year, 1, 1)
        end = date(year, 12, 31)
        return self._before[self._offset(end) + 1] - self._before[self._offset(start)]

    def non_working_weekdays(self, year: int) -> list[date]:
        """Monday-to-Friday days off in ``year`` (the holidays a reader would list)."""
        return [
            d
            for d in (date(year, 1, 1) + timedelta(days=i) for i in range(366))
            if d.year == year and d.weekday() < 5 and not self.is_working_day(d)
        ]

    def weekend_working_days(self, year: int) -> list[date]:
        """Saturdays and Sundays that are working days in ``year`` (调休上班)."""
        return [
            d
            for d in (date(year, 1, 1) + timedelta(days=i) for i in range(366))
            if d.year == year and d.weekday() >= 5 and self.is_working_day(d)
        ]

    def ensure_in_range(self, day: date) -> date:
        """``day`` itself, or :class:`DateOutOfRange` naming the supported range."""
        self._offset(day)
        return day

    # ------------------------------------------------------------------ compiled fast paths
    #
    # The methods above validate and branch on every call. A caller computing many due dates
    # for one rule (re-planning every open case, the benchmark) compiles the rule once into a
    # closure that is a bounds check, two list look-ups and a date construction.

    def working_days_fn(self, count: int) -> Callable[[date], date]:
        """``lambda d: self.add_working_days(d, count)`` for ``count >= 0``, without the branching."""
        if count < 0:
            raise ValueError("count must be >= 0")
        base, size, before, wd = self._base, self._size, self._before, self._wd
        fromordinal = date.fromordinal
        shift = 1 if count > 0 else 0
        k0 = count - 1 if count > 0 else 0

        def add(day: date) -> date:
            offset = day.toordinal() - base
            if offset < 0 or offset >= size:
                raise self._out_of_range(day)
            try:
                return fromordinal(wd[before[offset + shift] + k0])
            except IndexError:
                raise self._beyond(day) from None

        return add

    def days_fn(self, count: int) -> Callable[[date], date]:
        """``lambda d: self.add_days(d, count)`` (with the 第二百零三条 extension)."""
        base, size, before, wd, work = self._base, self._size, self._before, self._wd, self._work
        fromordinal = date.fromordinal

        def add(day: date) -> date:
            ordinal = day.toordinal()
            offset = ordinal - base
            if offset < 0 or offset >= size:
                raise self._out_of_range(day)
            target = offset + count
            try:
                if work[target]:
                    return fromordinal(ordinal + count)
                return fromordinal(wd[before[target]])
            except IndexError:
                raise self._beyond(day) from None

        return add

    def months_fn(self, count: int) -> Callable[[date], date]:
        """``lambda d: self.add_months(d, count)``."""

        def add(day: date) -> date:
            return self.add_months(day, count)

        return add
