"""Reads of the personal-data access log: supervisors and administrators only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from shebao.accounts.models import Role
from shebao.accounts.selectors import user_roles
from shebao.core.errors import PermissionDenied, ValidationFailed

from .models import PersonalDataAccess

READER_ROLES = frozenset({Role.SUPERVISOR, Role.ADMIN})


def can_read_access_log(user: Any) -> bool:
    return bool(user_roles(user) & READER_ROLES)


@dataclass(frozen=True)
class AccessFilters:
    who: str = ""
    subject: str = ""
    since: date | None = None
    until: date | None = None


def _date(value: str, field: str, label: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(f"{label}“{value[:20]}”不是日期，请按 2026-11-28 的格式填写", field=field) from None


def parse_access_filters(params: Any) -> AccessFilters:
    since = _date(str(params.get("since", "")).strip(), "since", "起始日期")
    until = _date(str(params.get("until", "")).strip(), "until", "截止日期")
    if since and until and since > until:
        raise ValidationFailed("起始日期晚于截止日期", field="since")
    return AccessFilters(who=str(params.get("who", "")).strip()[:150],
                         subject=str(params.get("subject", "")).strip()[:60], since=since, until=until)


def access_list(*, user: Any, filters: AccessFilters) -> QuerySet[PersonalDataAccess]:
    if not can_read_access_log(user):
        raise PermissionDenied("个人信息查阅记录仅供督办人员和系统管理员查看")
    rows = PersonalDataAccess.objects.all()
    if filters.who:
        rows = rows.filter(username=filters.who)
    if filters.subject:
        rows = rows.filter(Q(subject_key=filters.subject.upper()) | Q(subject_name=filters.subject))
    zone = timezone.get_current_timezone()
    if filters.since:
        rows = rows.filter(at__gte=datetime.combine(filters.since, time.min, tzinfo=zone))
    if filters.until:
        rows = rows.filter(at__lt=datetime.combine(filters.until + timedelta(days=1), time.min, tzinfo=zone))
    return rows.order_by("-at", "-id")
