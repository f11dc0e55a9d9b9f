"""Writes about accounts, roles and organisational units. Each runs in one transaction and audits.

Organisational units come from the catalog's office directory (``org_units_sync``): the 14
district offices, the city centres and the bureau divisions. Street windows are not named by
the document and are created by ``org_unit_ensure`` (the demo seeds two). Every unit has a
short ``code`` used in 办件编号; it is assigned when the unit is created and never changed by a
later sync, so numbers already issued stay meaningful. The scheme is in docs/accounts.md.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group
from django.db import transaction

from shebao.catalog.models import Office
from shebao.core.audit import audit_record
from shebao.core.errors import Conflict, ValidationFailed
from shebao.core.identifiers import validate_credit_code, validate_id_number

from .models import (
    APPLICANT_ROLES,
    ApplicantKindChoice,
    ApplicantProfile,
    OrgLevel,
    OrgUnit,
    Role,
    StaffProfile,
)
from .selectors import user_cache_clear

# 办件编号 codes of the district units, by the district name the directory uses. Pinyin initials
# of the district, unique; 东西湖 takes DX, 经济技术开发区（汉南）JK (经开). See docs/accounts.md.
DISTRICT_CODES: dict[str, str] = {
    "江岸": "JA",
    "江汉": "JH",
    "硚口": "QK",
    "汉阳": "HY",
    "武昌": "WC",
    "青山": "QS",
    "洪山": "HS",
    "东湖高新区": "DH",
    "武汉经济技术开发区（汉南）": "JK",
    "江夏": "JX",
    "东西湖": "DX",
    "新洲": "XZ",
    "黄陂": "HP",
    "蔡甸": "CD",
}


@dataclass(frozen=True)
class _DirectoryUnit:
    code: str
    parent: str | None = None  # key of the parent unit


# City centres and bureau divisions of the directory, by office key.
DIRECTORY_UNITS: dict[str, _DirectoryUnit] = {
    "city-insurance": _DirectoryUnit("SBZX"),
    "city-insurance-finance": _DirectoryUnit("SBCW", parent="city-insurance"),
    "city-medical": _DirectoryUnit("YBZX"),
    "city-injury": _DirectoryUnit("GSZX"),
    "city-unemployment": _DirectoryUnit("SYB"),
    "city-info": _DirectoryUnit("XXZX"),
    "city-card": _DirectoryUnit("SBKT"),
    "bureau-pension": _DirectoryUnit("YLC"),
    "bureau-injury": _DirectoryUnit("GSC"),
    "bureau-policy": _DirectoryUnit("ZCFG"),
    "bureau-discipline": _DirectoryUnit("JGJW"),
}

# Directory office kinds that become units, and their level. The other kinds (residents'
# insurance bureaus, district medical/injury/card offices and district HR bureaus of the five
# outer districts) stay directory entries: cases of those districts are handled by the
# district unit for now (docs/accounts.md, "What is not a unit").
_SYNCED_KINDS = {
    Office.Kind.DISTRICT: OrgLevel.DISTRICT,
    Office.Kind.CITY_CENTRE: OrgLevel.CITY,
    Office.Kind.BUREAU_DIVISION: OrgLevel.BUREAU,
}

_UNIT_FIELDS = ("name", "level", "parent", "district", "directory_office")


# --------------------------------------------------------------------------- roles


@transaction.atomic
def role_groups_ensure(*, actor: str) -> int:
    """Create the group of every ``Role`` that has none (the migration seeds them; a test-database
    flush does not). Returns the number created."""
    created = 0
    for role in Role:
        _, was_created = Group.objects.get_or_create(name=role.value)
        if was_created:
            created += 1
            audit_record(actor=actor, action="role_group.created", object_type="group", object_id=role.value)
    return created


def _role_values(roles: Iterable[str]) -> list[str]:
    values = [str(r) for r in roles]
    unknown = sorted(set(values) - set(Role.values))
    if unknown:
        raise ValidationFailed(f"未知角色：{'、'.join(unknown)}。", field="roles")
    return values


@transaction.atomic
def user_roles_grant(*, actor: str, user: AbstractBaseUser, roles: Iterable[str]) -> list[str]:
    """Add the user to the groups of ``roles``; returns the roles newly granted."""
    values = _role_values(roles)
    held = set(user.groups.filter(name__in=values).values_list("name", flat=True))  # type: ignore[attr-defined]
    granted = [r for r in dict.fromkeys(values) if r not in held]
    if granted:
        for role in granted:
            group, _ = Group.objects.get_or_create(name=role)
            user.groups.add(group)  # type: ignore[attr-defined]
        audit_record(
            actor=actor, action="user.roles_granted", object_type="user", object_id=user.get_username(),
            payload={"roles": granted},
        )
    user_cache_clear(user)
    return granted


@transaction.atomic
def user_roles_revoke(*, actor: str, user: AbstractBaseUser, roles: Iterable[str]) -> list[str]:
    """Remove the user from the groups of ``roles``; returns the roles actually revoked."""
    values = _role_values(roles)
    groups = list(user.groups.filter(name__in=values))  # type: ignore[attr-defined]
    if groups:
        user.groups.remove(*groups)  # type: ignore[attr-defined]
        audit_record(
            actor=actor, action="user.roles_revoked", object_type="user", object_id=user.get_username(),
            payload={"roles": sorted(g.name for g in groups)},
        )
    user_cache_clear(user)
    return sorted(g.name for g in groups)


# --------------------------------------------------------------------------- units


def _unit_snapshot(unit: OrgUnit) -> dict[str, Any]:
    return {
        "name": unit.name,
        "level": unit.level,
        "code": unit.code,
        "district": unit.district,
        "parent": unit.parent.key if unit.parent_id and unit.parent else None,
        "directory_office": unit.directory_office.key if unit.directory_office_id and unit.directory_office else None,
    }


def _audit_value(field: str, value: Any) -> Any:
    if field in {"parent", "directory_office"}:
        return getattr(value, "key", None)
    return value


def _comparable(field: str, value: Any) -> Any:
    if field in {"parent", "directory_office"}:
        return value.pk if value is not None else None
    return value


def _fallback_code(prefix: str, key: str) -> str:
    """A stable code for an office the code tables do not know (a later edition's new office)."""
    digest = hashlib.sha1(key.encode()).hexdigest().upper()
    for start in range(0, len(digest) - 4):
        candidate = f"{prefix}{digest[start:start + 4]}"
        if not OrgUnit.objects.filter(code=candidate).exists():
            return candidate
    raise Conflict(f"无法为机构 {key} 分配代码。", field="code")


@transaction.atomic
def org_unit_ensure(
    *,
    actor: str,
    key: str,
    name: str,
    level: str,
    code: str,
    parent: OrgUnit | None = None,
    district: str = "",
    directory_office: Office | None = None,
) -> tuple[OrgUnit, bool]:
    """Create the unit ``key``, or bring its name, level, parent, district and directory link up
    to date. ``code`` is used only on creation. Returns the unit and whether anything changed."""
    if level not in OrgLevel.values:
        raise ValidationFailed(f"未知机构层级：{level}。", field="level")
    wanted: dict[str, Any] = {
        "name": name, "level": level, "parent": parent, "district": district, "directory_office": directory_office,
    }
    unit = OrgUnit.objects.select_for_update(of=("self",)).select_related("parent", "directory_office").filter(key=key).first()
    if unit is None:
        code = code.strip().upper()
        if not (2 <= len(code) <= 6 and code.isascii() and code.isalnum()):
            raise ValidationFailed(f"机构代码“{code}”应为2至6位字母或数字。", field="code")
        clash = OrgUnit.objects.filter(code=code).first()
        if clash is not None:
            raise Conflict(f"机构代码“{code}”已被“{clash.name}”使用。", field="code")
        unit = OrgUnit.objects.create(key=key, code=code, **wanted)
        audit_record(
            actor=actor, action="org_unit.created", object_type="org_unit", object_id=key,
            payload=_unit_snapshot(unit),
        )
        return unit, True
    changes: dict[str, dict[str, Any]] = {}
    for field in _UNIT_FIELDS:
        current = getattr(unit, field)
        new = wanted[field]
        if _comparable(field, current) != _comparable(field, new):
            changes[field] = {"from": _audit_value(field, current), "to": _audit_value(field, new)}
            setattr(unit, field, new)
    if not changes:
        return unit, False
    unit.save(update_fields=list(changes))
    audit_record(
        actor=actor, action="org_unit.updated", object_type="org_unit", object_id=key, payload={"changes": changes},
    )
    return unit, True


def _district_unit_key(office: Office) -> str:
    return f"district-{office.district_order:02d}"


@transaction.atomic
def org_units_sync(*, actor: str) -> int:
    """Create or update the units of the catalog's office directory; returns how many changed.

    District offices (kind ``district``) become district units keyed ``district-NN`` by their
    order in the document; city centres and bureau divisions become city / bureau units keyed
    by the office key. Idempotent: a second run changes nothing and audits nothing.
    """
    offices = [o for o in Office.objects.order_by("position", "district_order", "key") if o.kind in _SYNCED_KINDS]
    # Parents first, so a child (市社保中心财务科) can link to its parent (市社保中心).
    offices.sort(key=lambda o: DIRECTORY_UNITS.get(o.key, _DirectoryUnit("")).parent is not None)
    changed = 0
    for office in offices:
        level = _SYNCED_KINDS[office.kind]  # type: ignore[index]
        parent: OrgUnit | None = None
        if level == OrgLevel.DISTRICT:
            key = _district_unit_key(office)
            code = DISTRICT_CODES.get(office.district) or f"D{office.district_order:02d}"
            district = office.district
        else:
            key = office.key
            spec = DIRECTORY_UNITS.get(office.key)
            if spec is not None:
                code = spec.code
                if spec.parent:
                    parent = OrgUnit.objects.filter(key=spec.parent).first()
            else:
                existing = OrgUnit.objects.filter(key=key).values_list("code", flat=True).first()
                code = existing or _fallback_code("C" if level == OrgLevel.CITY else "B", key)
            district = ""
        _, was_changed = org_unit_ensure(
            actor=actor, key=key, name=office.name, level=level, code=code, parent=parent,
            district=district, directory_office=office,
        )
        changed += int(was_changed)
    return changed


# --------------------------------------------------------------------------- accounts


def _user_model() -> Any:
    return get_user_model()


@transaction.atomic
def staff_account_ensure(
    *,
    actor: str,
    username: str,
    password: str,
    display_name: str,
    org_unit: OrgUnit,
    roles: Iterable[str],
    superuser: bool = False,
) -> tuple[Any, bool]:
    """Create a staff account, or complete an existing one (missing roles, profile, unit).

    The password is set only when the account is created. Returns the user and whether
    anything changed.
    """
    values = _role_values(roles)
    if not values or set(values) & {str(r) for r in APPLICANT_ROLES}:
        raise ValidationFailed("工作人员账户须有至少一个工作人员角色，且不能兼有办事人角色。", field="roles")
    user_model = _user_model()
    user = user_model.objects.filter(username=username).first()
    changed = False
    if user is None:
        if superuser:
            user = user_model.objects.create_superuser(username=username, password=password, email="")
        else:
            user = user_model.objects.create_user(username=username, password=password)
        audit_record(
            actor=actor, action="account.created", object_type="user", object_id=username,
            payload={"kind": "staff", "superuser": superuser},
        )
        changed = True
    profile = StaffProfile.objects.filter(user=user).select_related("org_unit").first()
    if profile is None:
        StaffProfile.objects.create(user=user, org_unit=org_unit, display_name=display_name)
        audit_record(
            actor=actor, action="staff_profile.created", object_type="user", object_id=username,
            payload={"org_unit": org_unit.key, "display_name": display_name},
        )
        changed = True
    elif profile.org_unit_id != org_unit.pk or profile.display_name != display_name:
        payload = {"org_unit": {"from": profile.org_unit.key, "to": org_unit.key},
                   "display_name": {"from": profile.display_name, "to": display_name}}
        profile.org_unit = org_unit
        profile.display_name = display_name
        profile.save(update_fields=["org_unit", "display_name"])
        audit_record(
            actor=actor, action="staff_profile.updated", object_type="user", object_id=username, payload=payload,
        )
        changed = True
    if user_roles_grant(actor=actor, user=user, roles=values):
        changed = True
    user_cache_clear(user)
    return user, changed


@transaction.atomic
def applicant_account_ensure(
    *,
    actor: str,
    username: str,
    password: str,
    role: str,
    kind: str,
    name: str,
    id_number: str = "",
    credit_code: str = "",
    phone: str = "",
) -> tuple[Any, bool]:
    """Create an online-hall account (person, unit or agent) with its profile, or complete one.

    Identifiers are validated and stored in canonical form (15-digit IDs become 18). The
    password is set only when the account is created. Returns the user and whether anything
    changed.
    """
    if role not in {str(r) for r in APPLICANT_ROLES}:
        raise ValidationFailed(f"“{role}”不是办事人角色。", field="role")
    if kind not in ApplicantKindChoice.values:
        raise ValidationFailed(f"未知办事人类型：{kind}。", field="kind")
    id_number = validate_id_number(id_number) if id_number else ""
    credit_code = validate_credit_code(credit_code) if credit_code else ""
    if kind == ApplicantKindChoice.PERSON and not id_number:
        raise ValidationFailed("个人账户须填写身份证号。", field="id_number")
    user_model = _user_model()
    user = user_model.objects.filter(username=username).first()
    changed = False
    if user is None:
        user = user_model.objects.create_user(username=username, password=password)
        audit_record(
            actor=actor, action="account.created", object_type="user", object_id=username,
            payload={"kind": "applicant", "applicant_kind": kind},
        )
        changed = True
    if not ApplicantProfile.objects.filter(user=user).exists():
        ApplicantProfile.objects.create(
            user=user, kind=kind, name=name, id_number=id_number, credit_code=credit_code, phone=phone,
        )
        # Identifiers are personal data: the audit payload names the account, not the number.
        audit_record(
            actor=actor, action="applicant_profile.created", object_type="user", object_id=username,
            payload={"kind": kind, "name": name},
        )
        changed = True
    if user_roles_grant(actor=actor, user=user, roles=[role]):
        changed = True
    user_cache_clear(user)
    return user, changed
