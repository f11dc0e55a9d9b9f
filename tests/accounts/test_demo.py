"""``demo_seed``: units, one account per role with the documented password, idempotent, audited."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from stdnum.cn import ric, uscc

from shebao.accounts import selectors
from shebao.accounts.models import ApplicantProfile, OrgLevel, OrgUnit, Role
from shebao.catalog.models import CatalogVersion
from shebao.core.audit import audit_verify
from shebao.core.demo import DEMO_ACTOR, DEMO_APPLICANTS, DEMO_PASSWORD, DEMO_STAFF, demo_seed
from shebao.core.identifiers import validate_credit_code, validate_id_number
from shebao.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_demo_seed_creates_units_and_an_account_per_role(catalog: CatalogVersion) -> None:
    demo_seed()
    users = list(get_user_model().objects.all())
    assert len(users) == len(DEMO_STAFF) + len(DEMO_APPLICANTS)
    held: set[str] = set()
    for user in users:
        assert user.check_password(DEMO_PASSWORD), user.username
        roles = selectors.user_roles(user)
        assert roles, user.username
        held |= roles
        if selectors.is_staff_user(user):
            assert selectors.user_org_unit(user) is not None, user.username
    assert held == set(Role.values)

    assert OrgUnit.objects.filter(level=OrgLevel.DISTRICT).count() == 14
    streets = OrgUnit.objects.filter(level=OrgLevel.STREET)
    assert streets.count() == 2 and all(s.parent and s.parent.level == OrgLevel.DISTRICT for s in streets)

    def unit_of(username: str) -> str:
        return selectors.user_org_unit(get_user_model().objects.get(username=username)).name  # type: ignore[union-attr]

    assert unit_of("clerk.jiangan") == unit_of("reviewer.jiangan") == "江岸社保处"
    assert unit_of("clerk.dazhi") == "江岸区大智街道政务服务中心"
    assert unit_of("city.injury") == "武汉市工伤生育保险中心"
    assert unit_of("finance.city") == "武汉市社会保险中心财务科"
    assert unit_of("approver.pension") == "市人社局职工养老保险处"
    assert unit_of("policy.office") == "市人社局政策法规处"
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff and admin.check_password("shebao-demo-2017")
    assert AuditEvent.objects.filter(actor=DEMO_ACTOR).exists()
    assert audit_verify()[1] == []


def test_demo_seed_is_idempotent(catalog: CatalogVersion) -> None:
    demo_seed()
    counts = (get_user_model().objects.count(), OrgUnit.objects.count(), AuditEvent.objects.count())
    demo_seed()
    assert (get_user_model().objects.count(), OrgUnit.objects.count(), AuditEvent.objects.count()) == counts


def test_demo_completes_an_admin_created_by_the_first_demo(catalog: CatalogVersion) -> None:
    get_user_model().objects.create_superuser(username="admin", password="kept-password", email="")
    demo_seed()
    admin = get_user_model().objects.get(username="admin")
    assert admin.check_password("kept-password")  # existing passwords are never reset
    assert selectors.user_org_unit(admin) is not None and "admin" in selectors.user_roles(admin)


def test_demo_identifiers_are_valid_for_us_and_for_stdnum(catalog: CatalogVersion) -> None:
    demo_seed()
    for profile in ApplicantProfile.objects.all():
        if profile.id_number:
            assert validate_id_number(profile.id_number) == profile.id_number
            assert ric.is_valid(profile.id_number)
        if profile.credit_code:
            assert validate_credit_code(profile.credit_code) == profile.credit_code
            assert uscc.is_valid(profile.credit_code)
    assert {p.kind for p in ApplicantProfile.objects.all()} == {"person", "unit"}


def test_readme_lists_every_demo_account_and_the_password() -> None:
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Demo accounts", 1)[1].split("\n## ", 1)[0]
    listed = {line.split("`")[1] for line in section.splitlines() if line.startswith("| `")}
    assert listed == {s.username for s in DEMO_STAFF} | {a.username for a in DEMO_APPLICANTS}
    assert DEMO_PASSWORD in section
    for applicant in DEMO_APPLICANTS:
        assert (applicant.id_number or applicant.credit_code) in section
