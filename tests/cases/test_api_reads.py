"""The API's lean read path: the one-statement principal, the written-out case detail and the
column-only list pages must answer exactly what the ORM path answered — same visibility, same
content, credentials and roles effective at the next request — in a fixed number of statements."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser, Group, User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from shebao.accounts.models import Role, StaffProfile
from shebao.cases import services
from shebao.cases.models import Case, CaseStatus
from shebao.cases.selectors import CaseSummaries, case_list, case_read, visible_cases
from shebao.cases.services import MaterialCheck
from shebao.core.errors import NotFound, ValidationFailed
from shebao.core.models import ApiToken
from shebao.core.tokens import token_create

from . import personas, registry_data
from .conftest import World

pytestmark = pytest.mark.django_db


def _client(user: User) -> tuple[Client, str]:
    key = token_create(user=user, name="test", actor="test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {key}"), key


def _accepted(world: World, code: str, unit: Any, clerk: User, **fields: Any) -> Case:
    values: dict[str, Any] = {"applicant_type": "unit", "applicant_name": "武汉某某科技有限公司",
                              "applicant_credit_code": personas.credit_code()}
    values.update(fields)
    case = services.case_submit(item_code=code, channel="counter", org_unit=unit, submitted_by=clerk, **values)
    services.case_check_materials(case=case, actor=clerk, checks={
        row.material_id: MaterialCheck(original=True, copy=True) for row in case.materials.all()})
    registry_data.prepare(case, clerk)
    services.case_accept(case=case, actor=clerk)
    case.refresh_from_db()
    return case


@pytest.fixture
def cases(world: World) -> list[Case]:
    """Cases each persona sees differently: two districts, a street window, an online application,
    and one whose active step is at the city level (routed by level and role, not to a unit)."""
    out = [
        services.case_submit(item_code="SBZX00001", channel="counter", org_unit=world.offices.district_ja,
                             submitted_by=world.clerk, applicant_type="unit", applicant_name="江岸公司",
                             applicant_credit_code=personas.credit_code()),
        services.case_submit(item_code="SBZX00001", channel="counter", org_unit=world.offices.district_jh,
                             submitted_by=world.clerk_jh, applicant_type="unit", applicant_name="江汉公司",
                             applicant_credit_code=personas.credit_code()),
        services.case_submit(item_code="SBZX00001", channel="counter", org_unit=world.offices.street_ja,
                             submitted_by=world.street_clerk, applicant_type="unit", applicant_name="街道公司",
                             applicant_credit_code=personas.credit_code()),
        services.case_submit(item_code="SBZX00010", channel="online", org_unit=world.offices.district_ja,
                             submitted_by=world.unit, applicant_type="unit", applicant_name="武汉某某科技有限公司",
                             applicant_credit_code=personas.credit_code()),
    ]
    city = _accepted(world, "YBZX00008", world.offices.district_ja, world.clerk, applicant_id_number="")
    services.case_step_complete(case=city, actor=world.reviewer, outcome="pass", note="初审通过")
    out.append(city)
    return out


def _people(world: World) -> list[User]:
    return [world.clerk, world.reviewer, world.clerk_jh, world.street_clerk, world.city_reviewer, world.finance,
            world.approver, world.supervisor, world.person, world.unit]


def test_the_detail_sees_exactly_what_visible_cases_sees(world: World, cases: list[Case]) -> None:
    seen_any = set()
    for user in _people(world):
        client, _ = _client(user)
        for case in cases:
            expected = visible_cases(user).filter(pk=case.pk).exists()
            try:
                case_read(user=user, public_id=str(case.public_id))
                found = True
            except NotFound:
                found = False
            assert found == expected, (user.username, case.applicant_name)
            response = client.get(f"/api/v1/cases/{case.public_id}")
            assert response.status_code == (200 if expected else 404), (user.username, case.applicant_name)
            if expected:
                seen_any.add(user.username)
    # The fixture is not vacuous: window staff, the city reviewer, supervisors and the applicant see some.
    assert {world.clerk.username, world.street_clerk.username, world.city_reviewer.username,
            world.supervisor.username, world.unit.username} <= seen_any
    assert world.clerk_jh.username in seen_any and world.person.username not in seen_any


def test_the_detail_is_the_case_as_the_orm_reads_it(world: World, cases: list[Case]) -> None:
    case = Case.objects.get(pk=cases[-1].pk)  # accepted, a step done, notices and a timeline
    client, _ = _client(world.clerk)
    body = client.get(f"/api/v1/cases/{case.public_id}").json()
    assert body["id"] == str(case.public_id) and body["number"] == case.number == body["reference"]
    assert body["item_code"] == case.item.code and body["catalog_version"] == case.item.version.number
    assert body["org_unit"] == case.org_unit.key and body["status_label"] == case.get_status_display()
    assert body["submitted_at"] == case.submitted_at.isoformat()
    assert [m["material_id"] for m in body["materials"]] == [m.material_id for m in case.materials.all()]
    assert [m["received"] for m in body["materials"]] == [m.received for m in case.materials.all()]
    assert [(s["key"], s["status"], s["due"]) for s in body["steps"]] == [
        (s.key, s.status, s.due.isoformat() if s.due else None) for s in case.steps.all()]
    assert [(n["number"], n["content"]) for n in body["notices"]] == [(n.number, n.content) for n in case.notices.all()]
    assert [(e["at"], e["action"], e["detail"]) for e in body["events"]] == [
        (e.at.isoformat(), e.action, e.detail) for e in case.events.all()]
    assert body["actions"] == services.available_actions(case=case, user=world.clerk)
    # The reviewer whose turn it was has passed; the same answer whether steps are given or read.
    reviewer, _ = _client(world.reviewer)
    assert reviewer.get(f"/api/v1/cases/{case.public_id}").json()["actions"] == services.available_actions(
        case=case, user=world.reviewer)


def test_list_pages_summarise_the_same_cases(world: World, cases: list[Case]) -> None:
    client, _ = _client(world.clerk)
    page = client.get("/api/v1/cases?open=true").json()
    expected = list(visible_cases(world.clerk).filter(status__in=[
        CaseStatus.SUBMITTED, CaseStatus.INCOMPLETE, CaseStatus.ACCEPTED, CaseStatus.SUSPENDED]))
    assert [c["id"] for c in page["items"]] == [str(c.public_id) for c in expected]
    assert page["count"] == len(expected)
    first = page["items"][-1]
    case = expected[-1]
    assert (first["reference"], first["item_name"], first["status_label"], first["org_unit"]) == (
        case.reference, case.item.name, case.get_status_display(), case.org_unit.key)


_ORM_SUMMARY = ("public_id", "number", "item__code", "item__name", "status", "channel", "org_unit__key",
                "applicant_name", "submitted_at", "promised_due", "legal_due", "due_provisional")


def test_the_lean_list_is_case_list(world: World, cases: list[Case]) -> None:
    """``CaseSummaries`` (the API list, written out) gives what ``case_list`` (the ORM) gives, for
    every persona and filter: same cases, same values, newest first, same count, same pages."""
    accepted = Case.objects.get(pk=cases[-1].pk)
    assert accepted.number
    filters: list[dict[str, Any]] = [
        {}, {"status": "submitted"}, {"status": "accepted"}, {"open_only": True}, {"item_code": "SBZX00001"},
        {"item_code": " sbzx00010 "}, {"q": "江岸"}, {"q": "武汉 某某"}, {"q": accepted.number[:6].lower()},
        {"q": accepted.number}, {"q": cases[0].applicant_credit_code}, {"q": "没有这个单位"}, {"q": "   "},
        {"q": "!!!"}, {"open_only": True, "q": "江"}, {"status": "accepted", "item_code": "YBZX00008"},
    ]
    compared = 0
    for user in [*_people(world), AnonymousUser()]:
        for kwargs in filters:
            expected = list(case_list(user=user, **kwargs).order_by("-submitted_at", "-pk").values_list(*_ORM_SUMMARY))
            lean = CaseSummaries(user=user, **kwargs)
            assert lean.page(0, 100) == expected, (getattr(user, "username", "anonymous"), kwargs)
            assert lean.count() == len(expected), (getattr(user, "username", "anonymous"), kwargs)
            assert lean.page(1, 2) == expected[1:3]
            compared += len(expected)
    assert compared > 50  # not vacuous: most personas see some cases under most filters
    for reader in (case_list, CaseSummaries):
        with pytest.raises(ValidationFailed) as bad:
            reader(user=world.clerk, status="nonsense")
        assert bad.value.field == "status"


def test_statements_per_read(world: World, cases: list[Case]) -> None:
    """Machine-independent cost: the principal is one statement, a detail five more, a list page
    one more, and a COUNT only when the page is full (a short page is the end of the list)."""
    client, _ = _client(world.clerk)
    case = cases[-1]
    client.get(f"/api/v1/cases/{case.public_id}")  # last_used_at written now; not again within a minute
    for url, budget in ((f"/api/v1/cases/{case.public_id}", 6), ("/api/v1/cases?q=江岸", 2),
                        ("/api/v1/cases?open=true", 2), ("/api/v1/cases?open=true&limit=1", 3)):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        assert len(queries) == budget, (url, [q["sql"][:80] for q in queries.captured_queries])


def test_list_counts_are_right_on_every_page(world: World, cases: list[Case]) -> None:
    """The count comes from the page when the page is short, from COUNT otherwise: the same number
    either way, for a full first page, a page ending exactly at the last case, a short last page
    and a page past the end."""
    client, _ = _client(world.clerk)
    total = visible_cases(world.clerk).count()
    assert total >= 3
    for limit, offset in ((1, 0), (total, 0), (total + 5, 0), (2, total - 1), (1, total), (3, total + 4)):
        page = client.get(f"/api/v1/cases?limit={limit}&offset={offset}").json()
        assert page["count"] == total, (limit, offset)
        assert len(page["items"]) == max(0, min(limit, total - offset)), (limit, offset)
    assert client.get("/api/v1/cases?q=没有这个单位").json() == {"items": [], "count": 0}


def test_revocation_roles_and_offices_take_effect_at_the_next_request(world: World, cases: list[Case]) -> None:
    client, key = _client(world.clerk)
    url = f"/api/v1/cases/{cases[0].public_id}"
    assert client.get(url).status_code == 200
    # Moved to 江汉: the 江岸 case is out of sight at once, with the same token.
    StaffProfile.objects.filter(user=world.clerk).update(org_unit=world.offices.district_jh)
    assert client.get(url).status_code == 404
    assert client.get(f"/api/v1/cases/{cases[1].public_id}").status_code == 200
    StaffProfile.objects.filter(user=world.clerk).update(org_unit=world.offices.district_ja)
    assert client.get(url).status_code == 200
    # A role removed: the staff gate refuses at once (no cached principal).
    world.clerk.groups.remove(Group.objects.get(name=Role.WINDOW_CLERK))
    assert client.get(url).status_code == 404  # no staff role left: only own applications
    # Deactivated, then revoked: 401.
    User.objects.filter(pk=world.clerk.pk).update(is_active=False)
    assert client.get(url).status_code == 401
    User.objects.filter(pk=world.clerk.pk).update(is_active=True)
    ApiToken.objects.filter(prefix=key[:8]).update(revoked=True)
    assert client.get(url).status_code == 401


def test_a_malformed_or_unknown_id_is_not_found(world: World) -> None:
    client, _ = _client(world.supervisor)
    for bad in ("not-a-uuid", "00000000-0000-0000-0000-000000000000", "1"):
        response = client.get(f"/api/v1/cases/{bad}")
        assert response.status_code == 404 and response.json()["error"] == "not_found"
