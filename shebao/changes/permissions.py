"""Who may do what in guide change control (武人社发〔2017〕58号: a responsible unit proposes,
局政策法规处 reviews, 市社保中心 with 市劳动和社会保障信息中心 publish and maintain).

| Action | Who |
|---|---|
| propose, revise, submit, rebase, merge, withdraw | ``catalog_editor`` (or ``admin``) |
| return, approve | ``policy_office`` (or ``admin``), never on a proposal they proposed themselves |
| publish | ``catalog_editor`` whose unit is 市社保中心 (``city-insurance``) or 市劳动和社会保障信息中心 (``city-info``), or ``admin`` |
| read proposals | the above, and ``supervisor`` |
"""

from __future__ import annotations

from typing import Any

from shebao.accounts.models import Role
from shebao.accounts.selectors import user_org_unit, user_roles
from shebao.core import access

PUBLISHING_UNITS = frozenset({"city-insurance", "city-info"})
PUBLISHING_UNIT_NAMES = "市社保中心、市劳动和社会保障信息中心"


def can_propose(user: Any) -> bool:
    return access.CHANGE_PROPOSERS.allows(user)


def can_review(user: Any) -> bool:
    return bool(user_roles(user) & {Role.POLICY_OFFICE, Role.ADMIN})


def can_publish(user: Any) -> bool:
    roles = user_roles(user)
    if Role.ADMIN in roles:
        return True
    if Role.CATALOG_EDITOR not in roles:
        return False
    unit = user_org_unit(user)
    return unit is not None and unit.key in PUBLISHING_UNITS


def can_view(user: Any) -> bool:
    return access.CHANGE_READERS.allows(user)
