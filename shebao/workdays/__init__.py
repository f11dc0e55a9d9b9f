"""Working days and deadline rules on the official calendar (国务院节假日安排, 调休 included).

Public API (pure unless noted; see docs/workdays.md):

* :class:`WorkCalendar` — the O(1) working-day index: ``is_working_day``, ``add_working_days``,
  ``working_days_between``, ``add_days`` (民法典第二百零三条), ``add_months``, ``next_working_day``.
* ``official_calendar()`` (chinesecalendar only) and ``get_calendar()`` (plus the database
  table; cached, needs Django), ``invalidate_calendar()``.
* ``parse_rule(text) -> DeadlineRule`` — guide phrases as structured rules.
* ``deadline(rule, start, …) -> Deadline`` with :class:`Pause` (中止) and :class:`Extension`
  (延期); ``countdown(…)`` for warnings; ``compile_due(rule, calendar=…)`` for bulk work.
* ``batch_for(received)`` and ``resumption_month(reviewed_on, rule=…)`` for month cut-offs.

None of these modules imports Django models at import time.
"""

from __future__ import annotations

from .calendar import WorkCalendar, due_moment, shift_months
from .cutoffs import RESIDENT_PENSION, RETIREE_PENSION, SURVIVOR_ALLOWANCE, Batch, batch_for, resumption_month
from .deadlines import Countdown, Deadline, Extension, Pause, compile_due, countdown, deadline, due_date
from .errors import DateOutOfRange, RuleNotUnderstood, WorkdaysError
from .rules import DeadlineRule, Stage, normalize_limit_text, parse_rule
from .sources import build_calendar, get_calendar, invalidate_calendar, official_calendar

__all__ = [
    "RESIDENT_PENSION",
    "RETIREE_PENSION",
    "SURVIVOR_ALLOWANCE",
    "Batch",
    "Countdown",
    "DateOutOfRange",
    "Deadline",
    "DeadlineRule",
    "Extension",
    "Pause",
    "RuleNotUnderstood",
    "Stage",
    "WorkCalendar",
    "WorkdaysError",
    "batch_for",
    "build_calendar",
    "compile_due",
    "countdown",
    "deadline",
    "due_date",
    "due_moment",
    "get_calendar",
    "invalidate_calendar",
    "normalize_limit_text",
    "official_calendar",
    "parse_rule",
    "resumption_month",
    "shift_months",
]
