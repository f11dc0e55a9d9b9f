"""Login lockout (django-axes): the Chinese lockout page, and an audit event per lockout."""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.conf import settings
from django.db import transaction
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from shebao.core.audit import audit_record


def lockout_minutes() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)


def lockout_response(request: HttpRequest, original_response: Any = None, credentials: Any = None) -> HttpResponse:
    """429 with a page that says what happened and what to do (AXES_LOCKOUT_CALLABLE)."""
    return render(request, "accounts/locked_out.html", {
        "failure_limit": settings.AXES_FAILURE_LIMIT, "minutes": lockout_minutes(),
    }, status=429)


@receiver(user_locked_out, dispatch_uid="shebao_audit_lockout")
def _audit_lockout(sender: Any, request: HttpRequest, username: str | None, ip_address: str | None,
                   **kwargs: Any) -> None:
    from axes.models import AccessAttempt

    # axes signals every refused attempt while the lock lasts; the first is the lockout itself.
    attempt = AccessAttempt.objects.filter(username=username, ip_address=ip_address).first()
    failures = attempt.failures_since_start if attempt else settings.AXES_FAILURE_LIMIT
    action = "account.locked_out" if failures <= settings.AXES_FAILURE_LIMIT else "account.login_refused_while_locked"
    with transaction.atomic():
        audit_record(actor=f"anonymous@{ip_address or '?'}", action=action, object_type="user",
                     object_id=(username or "")[:80],
                     payload={"ip": ip_address, "failures": failures, "minutes": lockout_minutes()})
