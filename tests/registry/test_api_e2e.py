"""End to end over HTTP: an employer is registered at the window; its online-hall account logs in,
changes the initial password, enrols two employees online and stops one; the employer and the
persons show the right relationships. Then a card is reported lost, emergency-replaced, and the old
card is refused."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client, override_settings

from shebao.accounts.models import OrgLevel, OrgUnit, Role
from shebao.cases import services as case_services
from shebao.cases.models import Case, CaseStatus, StepStatus
from shebao.cases.scheduler import tick
from shebao.core.tokens import token_create
from shebao.registry.models import Card, CardStatus, Person

from ..cases import personas
from .conftest import Reg, new_credit_code, new_id

pytestmark = pytest.mark.django_db
MIDDLEWARE = [*settings.MIDDLEWARE, "shebao.registry.middleware.ForcePasswordChangeMiddleware"]


def _token(user: User) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {token_create(user=user, name='t', actor='test')}")


def _post(client: Client, url: str, body: dict[str, Any] | None = None) -> Any:
    return client.post(url, data=json.dumps(body or {}), content_type="application/json")


class Window:
    """A district's clerk and reviewer driving a case through its steps over the API."""

    def __init__(self, clerk: Client, reviewer: Client) -> None:
        self.clerk, self.reviewer = clerk, reviewer

    def open(self, body: dict[str, Any]) -> str:
        created = _post(self.clerk, "/api/v1/cases", {"channel": "counter", **body})
        assert created.status_code == 201, created.content
        case = created.json()
        materials = [{"material_id": m["material_id"], "original": True, "copy": True} for m in case["materials"]]
        assert _post(self.clerk, f"/api/v1/cases/{case['id']}/materials", {"materials": materials}).status_code == 200
        return str(case["id"])

    def check_all(self, case_id: str) -> None:
        case = self.clerk.get(f"/api/v1/cases/{case_id}").json()
        materials = [{"material_id": m["material_id"], "original": True, "copy": True} for m in case["materials"]]
        assert _post(self.clerk, f"/api/v1/cases/{case_id}/materials", {"materials": materials}).status_code == 200

    def accept_and_finish(self, case_id: str) -> dict[str, Any]:
        accepted = _post(self.clerk, f"/api/v1/cases/{case_id}/accept")
        assert accepted.status_code == 200, accepted.content
        detail = accepted.json()
        for _ in range(8):
            if detail["status"] != "accepted":
                break
            step = next(s for s in detail["steps"] if s["status"] == "active")
            who = self.reviewer if step["role"] == "reviewer" else self.clerk
            response = _post(who, f"/api/v1/cases/{case_id}/complete-step", {"outcome": "pass", "note": "同意"})
            assert response.status_code == 200, response.content
            detail = response.json()
        return detail


def _finish_online(case_id: str) -> None:
    """The scheduler finishes the online self-service step; `shebao tick` only completes automatic
    steps that have a due date, and the online 网上办事大厅 steps have none, so the test finishes the
    step as the scheduler would (reported to the case engine)."""
    tick()
    case = Case.objects.get(public_id=case_id)
    step = case.steps.filter(status=StepStatus.ACTIVE, auto=True).first()
    if step is not None:
        case_services.system_step_complete(case=case, step_id=step.pk, note="网上办事大厅自助办理")


@override_settings(MIDDLEWARE=MIDDLEWARE)
def test_employer_online_account_enrols_and_stops_then_card_lost_and_replaced(reg: Reg) -> None:
    offices = reg.offices
    clerk = personas.staff("clerk.e2e", Role.WINDOW_CLERK, offices.district_ja)
    reviewer = personas.staff("reviewer.e2e", Role.REVIEWER, offices.district_ja)
    window = Window(_token(clerk), _token(reviewer))
    district = offices.district_ja.key

    # 1. The employer registers at the window (SBZX00001); the 办结通知书 carries the credentials.
    credit = new_credit_code()
    case_id = window.open({"item_code": "SBZX00001", "org_unit": district, "applicant_type": "unit",
                           "applicant_name": "武汉长江智造有限公司", "applicant_credit_code": credit})
    data = _post(window.clerk, f"/api/v1/cases/{case_id}/registry-data", {"data": {
        "name": "武汉长江智造有限公司", "founded_on": "2026-10-26", "industry_class": 3, "online_credit": True}})
    assert data.status_code == 200 and data.json()["findings"] == []
    closed = window.accept_and_finish(case_id)
    assert closed["status"] == "completed" and closed["result"] == "granted"
    notice = next(n for n in closed["notices"] if n["kind"] == "result")
    account = notice["content"]["online_account"]
    assert account["username"] == credit and account["initial_password"]

    # 2. The account logs in; until the initial password is changed, everything else is refused.
    web = Client()
    login = web.post("/accounts/login/", {"username": account["username"], "password": account["initial_password"]})
    assert login.status_code == 302
    blocked = web.get("/api/v1/cases")
    assert blocked.status_code == 403 and blocked.json()["error"] == "password_change_required"
    assert web.get("/my/").status_code == 302
    changed = _post(web, "/api/v1/registry/account/password",
                    {"old_password": account["initial_password"], "new_password": "Changjiang#2026"})
    assert changed.status_code == 200, changed.content
    assert web.get("/api/v1/cases").status_code == 200

    # 3. It enrols two employees online (SBZX00013): data set by the applicant, accepted by the window.
    first, second = new_id("19900315"), new_id("19920720", sex="F")
    created = _post(web, "/api/v1/cases", {"item_code": "SBZX00013", "channel": "online", "org_unit": district,
                                           "applicant_type": "unit", "applicant_name": "武汉长江智造有限公司",
                                           "applicant_credit_code": credit})
    assert created.status_code == 201, created.content
    enrol_id = created.json()["id"]
    data = _post(web, f"/api/v1/cases/{enrol_id}/registry-data", {"data": {"persons": [
        {"id_number": first, "name": "高远", "hired_on": "2026-10-28", "monthly_wage": "7000"},
        {"id_number": second, "name": "林夕", "hired_on": "2026-10-28", "monthly_wage": "6500"}]}})
    assert data.status_code == 200 and data.json()["findings"] == [], data.content
    window.check_all(enrol_id)  # the uploaded materials, checked at the window
    assert _post(window.clerk, f"/api/v1/cases/{enrol_id}/accept").status_code == 200
    _finish_online(enrol_id)
    assert Case.objects.get(public_id=enrol_id).status == CaseStatus.COMPLETED

    # 4. … and stops one (SBZX00014).
    created = _post(web, "/api/v1/cases", {"item_code": "SBZX00014", "channel": "online", "org_unit": district,
                                           "applicant_type": "unit", "applicant_name": "武汉长江智造有限公司",
                                           "applicant_credit_code": credit})
    stop_id = created.json()["id"]
    _post(web, f"/api/v1/cases/{stop_id}/registry-data", {"data": {"persons": [
        {"id_number": second, "stopped_on": "2026-10-31", "reason": "辞职（退）"}]}})
    window.check_all(stop_id)
    assert _post(window.clerk, f"/api/v1/cases/{stop_id}/accept").status_code == 200
    _finish_online(stop_id)

    # 5. The employer (its own account) and the persons (the window) show the right relationships.
    employer = web.get(f"/api/v1/registry/employers/{credit}").json()
    assert employer["active_employees"] == 1 and employer["online_credit"] is True
    by_person: dict[str, set[str]] = {}
    for rel in employer["relationships"]:
        by_person.setdefault(rel["person_name"], set()).add(rel["status"])
    assert by_person == {"高远": {"active"}, "林夕": {"stopped"}}
    gao = window.clerk.get(f"/api/v1/registry/persons/{first}").json()
    assert len(gao["relationships"]) == 5 and {r["status"] for r in gao["relationships"]} == {"active"}
    lin = window.clerk.get(f"/api/v1/registry/persons/{second}").json()
    assert {r["stop_reason"] for r in lin["relationships"]} == {"辞职（退）"}
    assert web.get(f"/api/v1/registry/persons/{gao['ssn']}").status_code == 200  # its employee
    assert web.get("/api/v1/registry/employers").status_code == 403  # staff only

    # 6. 高远 gets a card (XXZX00001), reports it lost by phone (12333), has one made in an emergency
    #    (XXZX00003, at the city card hall), and the old card is refused.
    card_id = window.open({"item_code": "XXZX00001", "org_unit": district, "applicant_type": "person",
                           "applicant_name": "高远", "applicant_id_number": first})
    assert window.accept_and_finish(card_id)["status"] == "completed"
    old = Card.objects.get(person__id_number=first)
    assert old.status == CardStatus.ISSUED
    lost = _post(window.clerk, f"/api/v1/registry/cards/{old.number}/report-lost", {"id_number": first})
    assert lost.status_code == 200 and lost.json()["status"] == "lost"
    hall, _ = OrgUnit.objects.get_or_create(key="t-city-card", defaults={
        "name": "武汉市社会保障卡服务大厅", "level": OrgLevel.CITY, "code": "TSBK"})
    hall_window = Window(_token(personas.staff("clerk.card", Role.WINDOW_CLERK, hall)),
                         _token(personas.staff("reviewer.card", Role.REVIEWER, hall)))
    urgent_id = hall_window.open({"item_code": "XXZX00003", "org_unit": hall.key, "applicant_type": "person",
                                  "applicant_name": "高远", "applicant_id_number": first})
    assert _post(hall_window.clerk, f"/api/v1/cases/{urgent_id}/registry-data",
                 {"data": {"group": "inpatient", "proof": "住院押金条"}}).status_code == 200
    done = hall_window.accept_and_finish(urgent_id)
    assert done["status"] == "completed"
    new_number = next(n for n in done["notices"] if n["kind"] == "result")["content"]["card_number"]
    refused = _post(window.clerk, f"/api/v1/registry/cards/{old.number}/verify")
    assert refused.status_code == 409 and "已补换作废" in refused.json()["message"]
    person = window.clerk.get(f"/api/v1/registry/persons/{first}").json()
    assert {(c["number"], c["status"]) for c in person["cards"]} == {(old.number, "replaced"), (new_number, "issued")}
    assert Person.objects.get(id_number=first).cards.count() == 2


def test_emergency_card_needs_the_loss_report_first(reg: Reg) -> None:
    from shebao.registry.errors import RegistryRefused

    from .conftest import snapshot

    employer = reg.employer()
    person = reg.person(name="急制")
    reg.employ(person, employer)
    reg.run("XXZX00001", {}, person=person)
    hall, _ = OrgUnit.objects.get_or_create(key="t-city-card", defaults={
        "name": "武汉市社会保障卡服务大厅", "level": OrgLevel.CITY, "code": "TSBK"})
    before = snapshot()
    with pytest.raises(RegistryRefused, match="须先办理挂失"):
        reg.run("XXZX00003", {"group": "inpatient", "proof": "押金条"}, person=person, unit=hall)
    assert snapshot() == before
    assert isinstance(reg, Reg) and User.objects.exists()


def test_an_employer_with_many_relationships_is_read_in_pages(reg: Reg) -> None:
    """The detail carries the first 200 relationships and the count of all; the paged list gives
    every one of them, in the detail's order; another employer's account is refused (the same rule
    as the detail, ``selectors.employer_get``)."""
    employer = reg.employer(types=["pension", "medical", "unemployment"])
    names = [f"职工{n:03d}" for n in range(70)]
    for name in reversed(names):
        reg.employ(reg.person(name=name), employer)
    relationships = 70 * 3
    clerk = _token(personas.staff("clerk.pages", Role.WINDOW_CLERK, reg.district))
    detail = clerk.get(f"/api/v1/registry/employers/{employer.code}").json()
    assert len(detail["relationships"]) == 200 and detail["relationships_count"] == relationships
    seen: list[int] = []
    for offset in range(0, relationships, 70):
        page = clerk.get(f"/api/v1/registry/employers/{employer.code}/relationships?limit=70&offset={offset}").json()
        assert page["count"] == relationships and len(page["items"]) == 70
        seen += [rel["id"] for rel in page["items"]]
    assert len(set(seen)) == relationships
    assert seen[:200] == [rel["id"] for rel in detail["relationships"]]
    everything = clerk.get(f"/api/v1/registry/employers/{employer.code}/relationships?limit=1000").json()["items"]
    assert [rel["person_name"] for rel in everything] == [name for name in names for _ in range(3)]
    # Another employer's account may not read them; an unknown employer is not found.
    outsider = _token(personas.applicant("other.unit", kind="unit"))
    assert outsider.get(f"/api/v1/registry/employers/{employer.code}/relationships").status_code == 403
    assert clerk.get("/api/v1/registry/employers/NOSUCH/relationships").status_code == 404
