"""``{% web_links %}``: the header's entries into case handling (progress lookup, my start page)."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import NoReverseMatch, reverse

from shebao.accounts.selectors import is_applicant, is_staff_user

register = template.Library()


@register.inclusion_tag("web/_header_links.html", takes_context=True)
def web_links(context: template.Context) -> dict[str, Any]:
    """Renders nothing where the web URLs are not installed, so the portal never breaks on it."""
    request = context.get("request")
    try:
        track_url = reverse("web:track")
        home_url = reverse("web:home")
    except NoReverseMatch:
        return {"enabled": False}
    user = getattr(request, "user", None)
    label = ""
    if user is not None and user.is_authenticated:
        if is_staff_user(user):
            label = "经办工作台"
        elif is_applicant(user):
            label = "我的办事"
    match = getattr(request, "resolver_match", None)
    return {"enabled": True, "track_url": track_url, "home_url": home_url, "home_label": label,
            "on_track": getattr(match, "view_name", "") == "web:track"}
