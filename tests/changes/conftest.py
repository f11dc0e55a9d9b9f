"""Personas of guide change control, and the case-engine world for the version tests."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.contrib.auth.models import User

from shebao.accounts.models import OrgLevel, OrgUnit, Role
from shebao.catalog.models import CatalogVersion
from tests.cases import personas
from tests.cases.conftest import world  # noqa: F401  (re-exported fixture)


@dataclass
class People:
    editor: User        # 清单编辑 at 市社保中心: proposes, and may publish
    editor2: User       # another 清单编辑 at 市社保中心
    district_editor: User  # 清单编辑 at a district office: proposes, may not publish
    policy: User        # 政策法规处: reviews
    info_admin: User    # 系统管理员 at 信息中心
    clerk: User         # a window clerk: none of this


def _unit(key: str, name: str, level: str, code: str) -> OrgUnit:
    unit, _ = OrgUnit.objects.get_or_create(key=key, defaults={"name": name, "level": level, "code": code})
    return unit


@pytest.fixture
def people(catalog: CatalogVersion) -> People:
    insurance = _unit("city-insurance", "武汉市社会保险中心", OrgLevel.CITY, "SBZX")
    info = _unit("city-info", "武汉市劳动和社会保障信息中心", OrgLevel.CITY, "XXZX")
    policy = _unit("bureau-policy", "市人社局政策法规处", OrgLevel.BUREAU, "ZCFG")
    district = _unit("t-district-ja", "江岸社保处", OrgLevel.DISTRICT, "TJA")
    return People(
        editor=personas.staff("editor.catalog", Role.CATALOG_EDITOR, insurance),
        editor2=personas.staff("editor.two", Role.CATALOG_EDITOR, insurance),
        district_editor=personas.staff("editor.district", Role.CATALOG_EDITOR, district),
        policy=personas.staff("policy.office", Role.POLICY_OFFICE, policy),
        info_admin=personas.staff("admin.info", Role.ADMIN, info),
        clerk=personas.staff("clerk.x", Role.WINDOW_CLERK, district),
    )
