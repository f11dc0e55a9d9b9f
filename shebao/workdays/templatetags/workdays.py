"""Template helpers so every screen shows a due date the same way, provisional flag included.

    {% load workdays %}
    {% due_date case.deadline %}                       {# a Deadline #}
    {% due_date case.due provisional=case.provisional %} {# a date and a flag #}
    {% if case.deadline|is_provisional %}…{% endif %}
"""

from __future__ import annotations

from datetime import date

from django import template

from ..deadlines import Deadline

register = template.Library()

_NOTE = "临时：该年未载入官方节假日安排，暂按周末计算，载入后可能变化"


@register.filter
def is_provisional(value: object) -> bool:
    return bool(getattr(value, "provisional", False))


@register.inclusion_tag("workdays/_due_date.html")
def due_date(value: Deadline | date | None, provisional: bool | None = None) -> dict[str, object]:
    if isinstance(value, Deadline):
        return {
            "date": value.date,
            "provisional": value.provisional if provisional is None else provisional,
            "note": value.provisional_note or _NOTE,
            "awaiting": None if value.complete else value.awaiting,
            "has_limit": value.has_limit,
        }
    return {
        "date": value,
        "provisional": bool(provisional),
        "note": _NOTE,
        "awaiting": None,
        "has_limit": value is not None,
    }
