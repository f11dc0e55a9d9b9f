"""API tokens: create (key shown once), authenticate, revoke."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from functools import lru_cache

from django.contrib.auth.models import Group, User
from django.db import connection, transaction
from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer

from shebao.accounts.models import OrgUnit, StaffProfile
from shebao.accounts.selectors import user_cache_prime

from .audit import audit_record
from .models import ApiToken
from .reads import Projection, all_fields, fetch, prep, split

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


@lru_cache(maxsize=4)
def _principal_sql(vendor: str) -> str:
    q = connection.ops.quote_name
    user_groups = User.groups.through._meta.db_table
    unit_table = OrgUnit._meta.db_table
    # Group names and child unit ids folded into one text column each, so the whole principal is
    # one row: SQLite's group_concat and PostgreSQL's string_agg are the same aggregate.
    agg = "string_agg({}, ',')" if vendor == "postgresql" else "group_concat({}, ',')"
    roles = (f"(SELECT {agg.format('g.name')} FROM {q(Group._meta.db_table)} g "
             f"JOIN {q(user_groups)} ug ON ug.group_id = g.id WHERE ug.user_id = u.id)")
    children = f"(SELECT {agg.format('CAST(c.id AS TEXT)')} FROM {q(unit_table)} c WHERE c.parent_id = ou.id)"
    return (f"SELECT t.id, t.last_used_at, {_USER.columns()}, {_UNIT.columns()}, {_PARENT.columns()}, "
            f"{roles}, {children} "
            f"FROM {q(ApiToken._meta.db_table)} t JOIN {q(User._meta.db_table)} u ON u.id = t.user_id "
            f"LEFT JOIN {q(StaffProfile._meta.db_table)} sp ON sp.user_id = u.id "
            f"LEFT JOIN {q(unit_table)} ou ON ou.id = sp.org_unit_id "
            f"LEFT JOIN {q(unit_table)} pu ON pu.id = ou.parent_id "
            f"WHERE t.key_hash = %s AND t.revoked = %s")


_USER = all_fields(User, "u")
_UNIT = all_fields(OrgUnit, "ou")
_PARENT = all_fields(OrgUnit, "pu")
_LAST_USED = Projection(ApiToken, "t", ("last_used_at",))


def token_user(request: HttpRequest, token: str) -> User | None:
    """The active user an unrevoked token belongs to (and set ``request.user``), or None.

    Every API request pays for this, so the principal — token, user, roles, staff unit, its parent
    and the units under it (what the role gates and the case selectors ask) — is one statement,
    read afresh on every request: a revoked token, a removed role or a moved clerk takes effect
    with the next request in every process (no cache to invalidate)."""
    rows = fetch(_principal_sql(connection.vendor), [_digest(token), prep(ApiToken, "revoked", False)])
    if not rows:
        return None
    token_id, last_used, *rest = rows[0]
    user_values, unit_values, parent_values = split(rest, _USER, _UNIT, _PARENT)
    group_names, child_ids = rest[-2:]
    user = _USER.instance(user_values)
    assert isinstance(user, User)
    if not user.is_active:
        return None
    unit = _UNIT.instance(unit_values)
    if isinstance(unit, OrgUnit) and unit.parent_id is not None:
        unit.parent = _PARENT.instance(parent_values)  # type: ignore[assignment]
    user_cache_prime(user, group_names=(group_names or "").split(","),
                     org_unit=unit if isinstance(unit, OrgUnit) else None,
                     child_unit_ids=[int(i) for i in (child_ids or "").split(",") if i])
    now = timezone.now()
    last_used_at = _LAST_USED.convert([last_used])[0]
    if last_used_at is None or now - last_used_at >= LAST_USED_PRECISION:
        # At most one write a minute per token: a read must not take the database's write
        # lock (and an fsync) every time, which serialises concurrent API reads on SQLite.
        ApiToken.objects.filter(pk=token_id).update(last_used_at=now)
    request.user = user
    return user


class TokenAuth(HttpBearer):
    """``Authorization: Bearer sb_…`` for API clients; sets ``request.user``."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        return token_user(request, token)
