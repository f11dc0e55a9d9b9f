"""``{% account_link %}``: the login / account entry of the header's utility bar."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import NoReverseMatch, reverse

from ..selectors import user_display_name

register = template.Library()


@register.inclusion_tag("accounts/_account_link.html", takes_context=True)
def account_link(context: template.Context) -> dict[str, Any]:
    """Renders nothing while the accounts URLs are not installed, so pages never break on it."""
    request = context.get("request")
    try:
        login_url = reverse("accounts:login")
        profile_url = reverse("accounts:profile")
    except NoReverseMatch:
        return {"enabled": False}
    user = getattr(request, "user", None)
    authenticated = bool(user is not None and user.is_authenticated)
    next_path = request.get_full_path() if request is not None else ""
    return {
        "enabled": True,
        "authenticated": authenticated,
        "name": user_display_name(user) if authenticated else "",
        "login_url": login_url,
        "profile_url": profile_url,
        "next": "" if next_path.startswith(login_url) else next_path,
        "current": getattr(getattr(request, "resolver_match", None), "namespace", "") == "accounts",
    }


@register.filter
def mask_id_number(value: str) -> str:
    """``4201**********1234``: enough to recognise one's own number, not to copy it."""
    from shebao.privacy.masking import mask_id_number as mask

    return mask(value)
