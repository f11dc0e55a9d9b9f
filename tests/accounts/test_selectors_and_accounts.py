"""Selectors (roles, unit, kind of user) and the account services."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser, Group
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from shebao.accounts import selectors, services
from shebao.accounts.models import ApplicantKindChoice, ApplicantProfile, OrgUnit, Role
from shebao.core.errors import ValidationFailed
from shebao.core.models import AuditEvent

from .conftest import ACTOR, PASSWORD

pytestmark = pytest.mark.django_db


def test_anonymous_and_inactive_users_have_nothing() -> None:
    anonymous = AnonymousUser()
    assert selectors.user_roles(anonymous) == frozenset()
    assert selectors.user_org_unit(anonymous) is None
    assert not selectors.is_staff_user(anonymous) and not selectors.is_applicant(anonymous)
    assert selectors.user_roles(None) == frozenset()


def test_staff_roles_unit_and_kind(clerk: Any, org_units: dict[str, OrgUnit]) -> None:
    assert selectors.user_roles(clerk) == {"window_clerk"}
    assert selectors.user_has_role(clerk, Role.WINDOW_CLERK)
    assert selectors.user_has_role(clerk, "reviewer", "window_clerk")
    assert not selectors.user_has_role(clerk, Role.REVIEWER)
    assert not selectors.user_has_role(clerk)
    assert selectors.user_org_unit(clerk) == org_units["district-01"]
    assert selectors.is_staff_user(clerk) and not selectors.is_applicant(clerk)
    assert selectors.user_display_name(clerk) == "测试受理员"


def test_roles_and_unit_are_cached_per_user_object(clerk: Any) -> None:
    user = get_user_model().objects.get(pk=clerk.pk)
    selectors.user_roles(user)
    selectors.user_org_unit(user)
    with CaptureQueriesContext(connection) as queries:
        for _ in range(5):
            selectors.user_roles(user)
            selectors.user_has_role(user, "reviewer")
            selectors.user_org_unit(user)
            selectors.is_staff_user(user)
    assert len(queries) == 0


def test_group_changes_on_the_same_object_clear_the_cache(clerk: Any) -> None:
    assert selectors.user_roles(clerk) == {"window_clerk"}
    clerk.groups.add(Group.objects.get(name="reviewer"))
    assert selectors.user_roles(clerk) == {"window_clerk", "reviewer"}
    clerk.groups.clear()
    assert selectors.user_roles(clerk) == frozenset()
    assert not selectors.is_staff_user(clerk)


def test_superuser_is_admin_and_non_role_groups_are_ignored(db: None) -> None:
    root = get_user_model().objects.create_superuser(username="root", password=PASSWORD, email="")
    other = Group.objects.create(name="some-other-group")
    root.groups.add(other)
    assert selectors.user_roles(root) == {"admin"}
    assert selectors.is_staff_user(root)
    assert selectors.user_org_unit(root) is None


def test_applicant(person: Any) -> None:
    assert selectors.user_roles(person) == {"applicant_person"}
    assert selectors.is_applicant(person) and not selectors.is_staff_user(person)
    assert selectors.user_org_unit(person) is None
    assert selectors.user_display_name(person) == "测试个人"


def test_unit_tree_and_lookups(org_units: dict[str, OrgUnit]) -> None:
    jiangan = org_units["district-01"]
    assert selectors.district_org_unit("江岸") == jiangan
    assert selectors.district_org_unit("不存在") is None
    assert selectors.org_unit_by_code("JA") == jiangan
    assert selectors.org_unit_by_key("street-ja-test") == org_units["street-ja-test"]
    assert selectors.org_unit_subtree_ids(jiangan) == {jiangan.pk, org_units["street-ja-test"].pk}
    finance = org_units["city-insurance-finance"]
    assert selectors.org_unit_subtree_ids(org_units["city-insurance"]) == {org_units["city-insurance"].pk, finance.pk}
    assert selectors.org_unit_list(level="district").count() == 14


def test_staff_account_ensure_completes_and_audits(make_staff: Callable[..., Any], org_units: dict[str, OrgUnit]) -> None:
    user = make_staff("rev.test", "district-01", ["reviewer"])
    assert user.check_password(PASSWORD) and not user.is_staff
    events = AuditEvent.objects.count()
    same, changed = services.staff_account_ensure(
        actor=ACTOR, username="rev.test", password="other", display_name="rev.test",
        org_unit=org_units["district-01"], roles=["reviewer"],
    )
    assert same.pk == user.pk and changed is False and AuditEvent.objects.count() == events
    assert same.check_password(PASSWORD)  # the password is set only on creation
    moved, changed = services.staff_account_ensure(
        actor=ACTOR, username="rev.test", password="other", display_name="rev.test",
        org_unit=org_units["district-05"], roles=["reviewer", "window_clerk"],
    )
    assert changed and selectors.user_org_unit(moved) == org_units["district-05"]
    assert selectors.user_roles(moved) == {"reviewer", "window_clerk"}
    actions = list(AuditEvent.objects.filter(seq__gt=events).values_list("action", flat=True))
    assert actions == ["staff_profile.updated", "user.roles_granted"]


def test_staff_accounts_refuse_applicant_or_unknown_roles(make_staff: Callable[..., Any]) -> None:
    with pytest.raises(ValidationFailed):
        make_staff("bad.one", "district-01", ["window_clerk", "agent"])
    with pytest.raises(ValidationFailed, match="未知角色"):
        make_staff("bad.two", "district-01", ["mayor"])
    with pytest.raises(ValidationFailed):
        make_staff("bad.three", "district-01", [])


def test_grant_and_revoke_roles(clerk: Any) -> None:
    assert services.user_roles_grant(actor=ACTOR, user=clerk, roles=["reviewer", "window_clerk"]) == ["reviewer"]
    assert selectors.user_roles(clerk) == {"reviewer", "window_clerk"}
    assert services.user_roles_revoke(actor=ACTOR, user=clerk, roles=["reviewer", "finance"]) == ["reviewer"]
    assert selectors.user_roles(clerk) == {"window_clerk"}
    assert services.user_roles_revoke(actor=ACTOR, user=clerk, roles=["reviewer"]) == []
    assert list(AuditEvent.objects.filter(object_id="clerk.test", action__startswith="user.roles").values_list(
        "action", "payload")) == [
        ("user.roles_granted", {"roles": ["window_clerk"]}),
        ("user.roles_granted", {"roles": ["reviewer"]}),
        ("user.roles_revoked", {"roles": ["reviewer"]}),
    ]


def test_applicant_accounts_validate_and_canonicalise_identifiers(db: None) -> None:
    user, _ = services.applicant_account_ensure(
        actor=ACTOR, username="legacy", password=PASSWORD, role="applicant_person", kind="person", name="旧号码",
        id_number="420102850315123",
    )
    assert user.applicant_profile.id_number == "420102198503151234"
    event = AuditEvent.objects.get(action="applicant_profile.created", object_id="legacy")
    assert "420102" not in str(event.payload)  # identifiers stay out of the audit chain
    with pytest.raises(ValidationFailed) as info:
        services.applicant_account_ensure(
            actor=ACTOR, username="bad", password=PASSWORD, role="applicant_person", kind="person", name="坏号码",
            id_number="420102198503151235",
        )
    assert info.value.field == "id_number"
    with pytest.raises(ValidationFailed) as info:
        services.applicant_account_ensure(
            actor=ACTOR, username="bad", password=PASSWORD, role="applicant_unit", kind="unit", name="坏单位",
            credit_code="91420102MA4K00010X",
        )
    assert info.value.field == "credit_code"
    with pytest.raises(ValidationFailed, match="办事人角色"):
        services.applicant_account_ensure(
            actor=ACTOR, username="bad", password=PASSWORD, role="window_clerk", kind="person", name="x",
            id_number="420102198503151234",
        )
    with pytest.raises(ValidationFailed, match="身份证号"):
        services.applicant_account_ensure(
            actor=ACTOR, username="bad", password=PASSWORD, role="agent", kind="person", name="x",
        )
    assert not get_user_model().objects.filter(username="bad").exists()


def test_applicant_profile_clean_for_the_admin(person: Any) -> None:
    profile = ApplicantProfile(user=person, kind=ApplicantKindChoice.PERSON, name="x", id_number="420102850315123")
    profile.clean()
    assert profile.id_number == "420102198503151234"
    profile = ApplicantProfile(user=person, kind=ApplicantKindChoice.UNIT, name="x", credit_code="123")
    with pytest.raises(ValidationError) as info:
        profile.clean()
    assert "长度" in info.value.message_dict["credit_code"][0]
    with pytest.raises(ValidationError) as info:
        ApplicantProfile(user=person, kind=ApplicantKindChoice.PERSON, name="x").clean()
    assert "id_number" in info.value.message_dict
