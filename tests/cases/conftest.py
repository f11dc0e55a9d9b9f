from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.contrib.auth.models import User

from shebao.accounts.models import Role
from shebao.catalog.models import CatalogVersion

from . import personas


@dataclass
class World:
    offices: personas.Office
    clerk: User          # window clerk, 江岸
    reviewer: User       # reviewer, 江岸
    clerk_jh: User       # window clerk, 江汉 (another district)
    street_clerk: User   # window clerk at a 江岸 street window
    city_reviewer: User  # 市工伤生育保险中心
    finance: User
    approver: User       # 职工养老保险处
    supervisor: User
    person: User         # an online applicant
    unit: User           # an employer's online-hall account

    def by_role(self, role: str) -> User:
        return {
            Role.WINDOW_CLERK: self.clerk, Role.REVIEWER: self.reviewer, Role.CITY_REVIEWER: self.city_reviewer,
            Role.FINANCE: self.finance, Role.BUREAU_APPROVER: self.approver,
        }[role]  # type: ignore[index]


@pytest.fixture
def world(catalog: CatalogVersion) -> World:
    o = personas.offices()
    return World(
        offices=o,
        clerk=personas.staff("clerk.ja", Role.WINDOW_CLERK, o.district_ja),
        reviewer=personas.staff("reviewer.ja", Role.REVIEWER, o.district_ja),
        clerk_jh=personas.staff("clerk.jh", Role.WINDOW_CLERK, o.district_jh),
        street_clerk=personas.staff("clerk.street", Role.WINDOW_CLERK, o.street_ja),
        city_reviewer=personas.staff("city.injury", Role.CITY_REVIEWER, o.city_injury),
        finance=personas.staff("finance.city", Role.FINANCE, o.city_injury),
        approver=personas.staff("approver.pension", Role.BUREAU_APPROVER, o.bureau_pension),
        supervisor=personas.staff("supervisor", Role.SUPERVISOR, o.bureau_pension),
        person=personas.applicant("zhang.san", kind="person"),
        unit=personas.applicant("unit.demo", kind="unit"),
    )
