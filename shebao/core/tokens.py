"""API tokens: create (key shown once), authenticate, revoke."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.contrib.auth.models import User
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer

from .audit import audit_record
from .models import ApiToken

# ``last_used_at`` tells an administrator whether a token is still in use, not when exactly.
LAST_USED_PRECISION = timedelta(minutes=1)


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def token_create(*, user: User, name: str, actor: str) -> str:
    key = "sb_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name, prefix=key[:8], key_hash=_digest(key))
    audit_record(actor=actor, action="api_token.created", object_type="api_token", object_id=token.pk,
                 payload={"user": user.username, "name": name, "prefix": token.prefix})
    return key


def token_user(request: HttpRequest, token: str) -> User | None:
    """The active user an unrevoked token belongs to (and set ``request.user``), or None."""
    found = ApiToken.objects.select_related("user").filter(key_hash=_digest(token), revoked=False).first()
    if found is None or not found.user.is_active:
        return None
    now = timezone.now()
    if found.last_used_at is None or now - found.last_used_at >= LAST_USED_PRECISION:
        # At most one write a minute per token: a read must not take the database's write
        # lock (and an fsync) every time, which serialises concurrent API reads on SQLite.
        ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
    request.user = found.user
    return found.user


class TokenAuth(HttpBearer):
    """``Authorization: Bearer sb_…`` for API clients; sets ``request.user``."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        return token_user(request, token)
