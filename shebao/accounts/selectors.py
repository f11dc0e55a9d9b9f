"""Reads about who a user is: roles, organisational unit, and the unit tree.

A user's roles are the names of their groups that are ``Role`` values; a superuser also has
``admin``. Roles and the unit are cached on the user object, which Django creates afresh for
every request, so a request pays for them once. ``user.groups.add/remove/clear`` on the same
object clears the cache (see ``signals.py``); call :func:`user_cache_clear` after changing a
user's groups or profile by other means within the same request or test.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import QuerySet

from .models import APPLICANT_ROLES, OrgLevel, OrgUnit, Role, StaffProfile

_ROLES_ATTR = "_shebao_roles"
_UNIT_ATTR = "_shebao_org_unit"
_SERVED_ATTR = "_shebao_served_units"
_ROLE_VALUES = frozenset(Role.values)
_APPLICANT_VALUES = frozenset(str(r) for r in APPLICANT_ROLES)


def _authenticated(user: Any) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and getattr(user, "is_active", True))


def user_roles(user: Any) -> frozenset[str]:
    """The ``Role`` values the user holds (empty for anonymous or inactive users)."""
    if not _authenticated(user):
        return frozenset()
    cached = getattr(user, _ROLES_ATTR, None)
    if cached is not None:
        return cached
    roles = _roles_of(user, user.groups.filter(name__in=_ROLE_VALUES).values_list("name", flat=True))
    setattr(user, _ROLES_ATTR, roles)
    return roles


def _roles_of(user: Any, group_names: Iterable[str]) -> frozenset[str]:
    names = {name for name in group_names if name in _ROLE_VALUES}
    if user.is_superuser:
        names.add(Role.ADMIN.value)
    return frozenset(names)


def user_has_role(user: Any, *roles: str) -> bool:
    """True when the user holds at least one of ``roles``."""
    held = user_roles(user)
    return any(str(role) in held for role in roles)


def user_org_unit(user: Any) -> OrgUnit | None:
    """The unit the user works in (their ``StaffProfile``), or None."""
    if not _authenticated(user):
        return None
    if hasattr(user, _UNIT_ATTR):
        unit: OrgUnit | None = getattr(user, _UNIT_ATTR)
        return unit
    profile = StaffProfile.objects.select_related("org_unit", "org_unit__parent").filter(user_id=user.pk).first()
    unit = profile.org_unit if profile is not None else None
    setattr(user, _UNIT_ATTR, unit)
    return unit


def user_served_unit_ids(user: Any) -> tuple[int, ...]:
    """Ids of the user's unit and of the units directly under it (a district office serves its
    street windows), or () without a unit. Cached on the user object like the roles."""
    cached: tuple[int, ...] | None = getattr(user, _SERVED_ATTR, None)
    if cached is not None:
        return cached
    unit = user_org_unit(user)
    served = () if unit is None else (unit.pk, *OrgUnit.objects.filter(parent=unit).values_list("pk", flat=True))
    setattr(user, _SERVED_ATTR, served)
    return served


def user_cache_prime(user: Any, *, group_names: Iterable[str], org_unit: OrgUnit | None,
                     child_unit_ids: Iterable[int]) -> None:
    """Set what ``user_roles``, ``user_org_unit`` and ``user_served_unit_ids`` would read, from a
    principal loaded in one statement (``core.tokens.token_user``)."""
    setattr(user, _ROLES_ATTR, _roles_of(user, group_names) if _authenticated(user) else frozenset())
    setattr(user, _UNIT_ATTR, org_unit)
    setattr(user, _SERVED_ATTR, () if org_unit is None else (org_unit.pk, *child_unit_ids))


def user_cache_clear(user: Any) -> None:
    """Forget the cached roles and unit of this user object."""
    for attr in (_ROLES_ATTR, _UNIT_ATTR, _SERVED_ATTR):
        if hasattr(user, attr):
            delattr(user, attr)


def is_staff_user(user: Any) -> bool:
    """Bureau staff: holds a role that is not an applicant role (superusers included)."""
    return bool(user_roles(user) - _APPLICANT_VALUES)


def is_applicant(user: Any) -> bool:
    """An online-hall user: holds an applicant role (办事单位, 办事个人 or 代办人)."""
    return bool(user_roles(user) & _APPLICANT_VALUES)


def user_display_name(user: Any) -> str:
    """The name to show for a user: staff name, applicant name, full name or username."""
    if not _authenticated(user):
        return ""
    for attr, field in (("staff_profile", "display_name"), ("applicant_profile", "name")):
        try:
            profile = getattr(user, attr)
        except ObjectDoesNotExist:
            continue
        if profile is not None and getattr(profile, field):
            return str(getattr(profile, field))
    return str(user.get_full_name() or user.get_username())


# --------------------------------------------------------------------------- units


def org_unit_list(*, level: str | None = None) -> QuerySet[OrgUnit]:
    units = OrgUnit.objects.select_related("parent", "directory_office")
    if level is not None:
        units = units.filter(level=level)
    return units


def org_unit_by_key(key: str) -> OrgUnit | None:
    return OrgUnit.objects.filter(key=key).first()


def org_unit_by_code(code: str) -> OrgUnit | None:
    return OrgUnit.objects.filter(code=code).first()


def district_org_unit(district: str) -> OrgUnit | None:
    """The district-level unit serving ``district`` (e.g. "江岸")."""
    return OrgUnit.objects.filter(level=OrgLevel.DISTRICT, district=district).order_by("key").first()


def org_unit_subtree_ids(unit: OrgUnit) -> frozenset[int]:
    """Ids of ``unit`` and every unit below it (a district and its street windows)."""
    ids = {unit.pk}
    frontier = [unit.pk]
    while frontier:
        frontier = list(OrgUnit.objects.filter(parent_id__in=frontier).exclude(pk__in=ids).values_list("pk", flat=True))
        ids.update(frontier)
    return frozenset(ids)
