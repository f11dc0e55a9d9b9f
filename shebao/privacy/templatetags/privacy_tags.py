"""``{% shown_id value %}``: a 身份证号 as the signed-in user may see it on a single record;
``|mask_id``: always masked (lists)."""

from __future__ import annotations

from typing import Any

from django import template

from ..masking import ID_FIELDS, id_for, mask_id_number

register = template.Library()


@register.simple_tag(takes_context=True)
def shown_id(context: dict[str, Any], value: str | None) -> str:
    request = context.get("request")
    return id_for(getattr(request, "user", None), value)


@register.simple_tag(takes_context=True)
def shown_field_value(context: dict[str, Any], field: str, value: str | None) -> str:
    """A field-history value: ID-number fields as ``shown_id``, everything else unchanged."""
    if field in ID_FIELDS:
        return shown_id(context, value)
    return str(value or "")


@register.filter
def mask_id(value: str | None) -> str:
    return mask_id_number(value)
