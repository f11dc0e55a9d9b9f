"""Day-of-month cut-offs: monthly batches (每月20日前) and 年审 resumption months.

The guides never say whether "每月20日前" admits the 20th itself, nor which month "在第三个月"
means. Both are parameters here, defaulting to Django settings when those are configured:

``SHEBAO_CUTOFF_DAY_COUNTS`` (bool, default ``True``)
    A receipt *on* the cut-off day still makes this month's batch, and a 补审 on the 20th/22nd
    counts as "before the 20th/22nd". Chinese administrative usage reads "20日前" as "by the
    20th"; set ``False`` for the strict reading.
``SHEBAO_THIRD_MONTH_OFFSET`` (int, default ``2``)
    "在第三个月恢复" after a late 补审: ``2`` counts the 补审 month as the first month (March →
    May), ``3`` counts from the month after it (March → June).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from .calendar import day_of_month

DEFAULT_CUTOFF_DAY = 20


def _setting(name: str, default: object) -> object:
    from django.conf import settings

    if not settings.configured:
        return default
    return getattr(settings, name, default)


def cutoff_day_counts_setting() -> bool:
    return bool(_setting("SHEBAO_CUTOFF_DAY_COUNTS", True))


def third_month_offset_setting() -> int:
    value = int(str(_setting("SHEBAO_THIRD_MONTH_OFFSET", 2)))
    if value not in (2, 3):
        raise ValueError("SHEBAO_THIRD_MONTH_OFFSET must be 2 or 3")
    return value


def _before_cutoff(day: date, cutoff_day: int, counts: bool) -> bool:
    return day.day < cutoff_day or (counts and day.day == cutoff_day)


@dataclass(frozen=True)
class Batch:
    """The monthly batch a receipt falls into, and the cut-off date that closes it."""

    year: int
    month: int
    cutoff: date

    @property
    def label(self) -> str:
        return f"{self.year}年{self.month}月批次"


def batch_for(received: date, *, cutoff_day: int = DEFAULT_CUTOFF_DAY, cutoff_day_counts: bool | None = None) -> Batch:
    """The batch of a case received on ``received`` under "每月{cutoff_day}日前".

    Before the cut-off day (or on it, when it counts) → this month; after → next month.
    A cut-off day the month does not have (31) is the month's last day.
    """
    if not 1 <= cutoff_day <= 31:
        raise ValueError("cutoff_day must be 1..31")
    counts = cutoff_day_counts_setting() if cutoff_day_counts is None else cutoff_day_counts
    this_month = day_of_month(received.year, received.month, cutoff_day)
    if _before_cutoff(received, this_month.day, counts):
        cutoff = this_month
    else:
        cutoff = day_of_month(received.year, received.month + 1, cutoff_day)
    return Batch(year=cutoff.year, month=cutoff.month, cutoff=cutoff)


MonthRule = Literal["same", "next", "third"]


@dataclass(frozen=True)
class ResumptionRule:
    """When a benefit suspended for a missed 年审 resumes after a late 补审."""

    cutoff_day: int
    before: MonthRule
    after: MonthRule
    source: str = ""


# SBZX00071 城乡居民养老: 每月20日前补审 → 当月恢复并补发; 20日以后 → 次月.
RESIDENT_PENSION = ResumptionRule(cutoff_day=20, before="same", after="next", source="SBZX00071")
# SBZX00072 离退休养老金, SBZX00074 遗属生活困难补助费: 每月22日前 → 次月; 22日以后 → 在第三个月.
RETIREE_PENSION = ResumptionRule(cutoff_day=22, before="next", after="third", source="SBZX00072")
SURVIVOR_ALLOWANCE = ResumptionRule(cutoff_day=22, before="next", after="third", source="SBZX00074")


def resumption_month(
    reviewed_on: date,
    *,
    rule: ResumptionRule,
    third_month_offset: int | None = None,
    cutoff_day_counts: bool | None = None,
) -> date:
    """The first day of the month in which payment resumes (and arrears are paid)."""
    counts = cutoff_day_counts_setting() if cutoff_day_counts is None else cutoff_day_counts
    third = third_month_offset_setting() if third_month_offset is None else third_month_offset
    if third not in (2, 3):
        raise ValueError("third_month_offset must be 2 or 3")
    which = rule.before if _before_cutoff(reviewed_on, rule.cutoff_day, counts) else rule.after
    offset = {"same": 0, "next": 1, "third": third}[which]
    return day_of_month(reviewed_on.year, reviewed_on.month + offset, 1)
