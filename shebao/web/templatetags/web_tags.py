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


@register.simple_tag(takes_context=True)
def work_nav_links(context: template.Context) -> list[dict[str, str]]:
    """The workbench nav's entries into the other staff areas, only for the roles those areas let
    in (each area still checks for itself): 登记簿 for staff, 指南变更 for editors, the policy office,
    supervisors and admins, 督办 for supervisors and admins (督办单 for the offices they address)."""
    from shebao.changes.permissions import can_view as can_view_changes
    from shebao.supervision.services import can_read_supervision

    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    path = getattr(request, "path", "")
    links: list[tuple[str, str]] = []
    if is_staff_user(user):
        links.append((reverse("registry:search"), "登记簿查询"))
    if can_view_changes(user):
        links.append((reverse("changes:list"), "指南变更"))
    if can_read_supervision(user):
        links.append((reverse("supervision:dashboard"), "督办统计"))
    elif is_staff_user(user):
        links.append((reverse("supervision:orders"), "督办单"))
    return [{"url": url, "label": label, "current": "1" if path.startswith(url) else ""} for url, label in links]
