"""Writes of the personal-data access log."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from .masking import mask_id_number, may_see_full_id
from .models import Channel, PersonalDataAccess, SubjectKind


def _client_ip(request: HttpRequest) -> str | None:
    # REMOTE_ADDR only: behind the bureau's proxy, waitress is told the client address by the
    # proxy (trusted_proxy settings); a client-supplied X-Forwarded-For is not evidence.
    value = request.META.get("REMOTE_ADDR") or None
    return value[:45] if value else None


def personal_data_read(
    *, request: HttpRequest, subject_kind: SubjectKind, subject_key: str, subject_name: str, id_number: str,
) -> PersonalDataAccess:
    """Record that ``request.user`` opened one person's full record (a registry person page, the
    person API, a case page with the applicant's identity, an online account in the admin)."""
    user: Any = request.user
    channel = (Channel.API if request.path.startswith("/api/")
               else Channel.ADMIN if request.path.startswith("/admin/") else Channel.WEB)
    return PersonalDataAccess.objects.create(
        at=timezone.now(), user=user if getattr(user, "pk", None) else None,
        username=str(user.get_username() if getattr(user, "pk", None) else "anonymous")[:150],
        subject_kind=subject_kind, subject_key=subject_key[:60], subject_name=subject_name[:120],
        id_number_masked=mask_id_number(id_number)[:20],
        # The admin's form shows the number in full to whoever may open it (系统管理员).
        full_id_shown=bool(id_number) and (channel == Channel.ADMIN or may_see_full_id(user)),
        channel=channel, path=request.path[:200], ip_address=_client_ip(request),
    )
