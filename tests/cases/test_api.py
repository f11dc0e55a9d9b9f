"""``/api/v1/cases`` over HTTP: token and session auth, the lifecycle, errors, and who may do what."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from shebao.cases.models import Case, CaseStatus
from shebao.core.tokens import token_create

from . import personas
from .conftest import World

pytestmark = pytest.mark.django_db


def _client(user: User) -> Client:
    key = token_create(user=user, name="test", actor="test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {key}")


def _post(client: Client, url: str, body: dict[str, Any] | None = None, **headers: str) -> Any:
    return client.post(url, data=json.dumps(body or {}), content_type="application/json", **headers)


def _new_case(client: Client, world: World, **extra: Any) -> Any:
    body = {"item_code": "SBZX00001", "channel": "counter", "org_unit": world.offices.district_ja.key,
            "applicant_type": "unit", "applicant_name": "武汉某某科技有限公司",
            "applicant_credit_code": personas.credit_code()}
    body.update(extra)
    return _post(client, "/api/v1/cases", body)


def test_window_lifecycle_over_the_api(world: World) -> None:
    clerk, reviewer = _client(world.clerk), _client(world.reviewer)
    created = _new_case(clerk, world)
    assert created.status_code == 201, created.content
    case = created.json()
    assert case["status"] == "submitted" and len(case["materials"]) == 4
    assert set(case["actions"]) >= {"check_materials", "notify_incomplete", "accept", "refuse"}
    url = f"/api/v1/cases/{case['id']}"

    first_two = [{"material_id": m["material_id"], "original": True, "copy": True} for m in case["materials"][:2]]
    assert _post(clerk, f"{url}/materials", {"materials": first_two}).status_code == 200
    refused = _post(clerk, f"{url}/accept")
    assert refused.status_code == 422 and refused.json()["field"] == "materials"
    notified = _post(clerk, f"{url}/notify-incomplete", {"note": "请补齐"}).json()
    assert notified["status"] == "incomplete"
    assert [n["kind"] for n in notified["notices"]] == ["incomplete"]
    assert len(notified["notices"][0]["content"]["missing"]) == 2

    rest = [{"material_id": m["material_id"], "original": True, "copy": True} for m in case["materials"][2:]]
    assert _post(clerk, f"{url}/supplement", {"materials": rest}).json()["status"] == "submitted"
    # 受理 needs the registry data of the item (strict): refused citing the rule, then entered over the API.
    no_data = _post(clerk, f"{url}/accept")
    assert no_data.status_code == 409 and no_data.json()["error"] == "registry_refused"
    registration = {"name": "武汉某某科技有限公司", "founded_on": "2026-10-20"}
    assert _post(clerk, f"{url}/registry-data", {"data": registration}).status_code == 200
    accepted = _post(clerk, f"{url}/accept").json()
    assert accepted["status"] == "accepted" and accepted["number"].startswith("TJA")
    assert accepted["actions"] == ["withdraw"]  # the clerk may not review
    reviewed = _post(reviewer, f"{url}/complete-step", {"outcome": "pass", "note": "审核通过"}).json()
    assert reviewed["status"] == "accepted" and "complete_step" not in reviewed["actions"]  # next: the clerk
    done = _post(clerk, f"{url}/complete-step", {"outcome": "pass", "note": "已登记"}).json()
    assert done["status"] == "completed" and done["result"] == "granted"
    assert [e["action"] for e in done["events"]][-1] == "completed"


def test_errors_are_clear_and_change_nothing(world: World) -> None:
    clerk = _client(world.clerk)
    assert Client().get("/api/v1/cases").status_code == 401
    assert Client().get("/api/v1/cases").json()["error"] == "unauthorized"
    bad_id = _new_case(clerk, world, applicant_type="person", applicant_credit_code="",
                       applicant_id_number="420102199003071230", item_code="SBZX00023")
    assert bad_id.status_code == 422 and "校验" in bad_id.json()["message"]
    missing_field = _post(clerk, "/api/v1/cases", {"item_code": "SBZX00001"})
    assert missing_field.status_code == 422 and {d["field"] for d in missing_field.json()["detail"]} >= {
        "org_unit", "applicant_type", "applicant_name"}
    unknown_item = _new_case(clerk, world, item_code="SBZX99999")
    assert unknown_item.status_code == 404
    assert _client(world.clerk_jh).get("/api/v1/cases/00000000-0000-0000-0000-000000000000").status_code == 404
    assert Case.objects.count() == 0


def test_who_may_do_what(world: World) -> None:
    case = _new_case(_client(world.clerk), world).json()
    url = f"/api/v1/cases/{case['id']}"
    # Another district neither sees nor acts on it.
    assert _client(world.clerk_jh).get(url).status_code == 404
    assert _post(_client(world.clerk_jh), f"{url}/accept").status_code == 404
    # The supervisor reads everything and changes nothing.
    supervisor = _client(world.supervisor)
    assert supervisor.get(url).status_code == 200 and supervisor.get(url).json()["actions"] == []
    assert _post(supervisor, f"{url}/refuse", {"reasons": "x"}).status_code == 403
    # An applicant cannot act as a clerk at a window.
    assert _new_case(_client(world.person), world).status_code == 403
    assert Case.objects.get(public_id=case["id"]).status == CaseStatus.SUBMITTED


def test_idempotency_key_header_creates_one_case(world: World) -> None:
    clerk = _client(world.clerk)
    body = {"item_code": "SBZX00001", "channel": "counter", "org_unit": world.offices.district_ja.key,
            "applicant_type": "unit", "applicant_name": "武汉某某科技有限公司",
            "applicant_credit_code": personas.credit_code()}
    first = _post(clerk, "/api/v1/cases", body, HTTP_IDEMPOTENCY_KEY="retry-123").json()
    second = _post(clerk, "/api/v1/cases", body, HTTP_IDEMPOTENCY_KEY="retry-123").json()
    assert first["id"] == second["id"] and Case.objects.count() == 1


def test_public_progress_lookup(world: World) -> None:
    clerk = _client(world.clerk)
    case = _new_case(clerk, world).json()
    url = f"/api/v1/cases/{case['id']}"
    _post(clerk, f"{url}/materials", {"materials": [
        {"material_id": m["material_id"], "original": True, "copy": True} for m in case["materials"]]})
    _post(clerk, f"{url}/registry-data", {"data": {"name": "武汉某某科技有限公司", "founded_on": "2026-10-20"}})
    number = _post(clerk, f"{url}/accept").json()["number"]
    tail = Case.objects.get(public_id=case["id"]).applicant_credit_code[-6:]
    found = Client().get("/api/v1/cases/track", {"number": number, "id_tail": tail})
    assert found.status_code == 200 and found.json()["number"] == number
    assert found.json()["applicant_name"].startswith("武") and "*" in found.json()["applicant_name"]
    assert Client().get("/api/v1/cases/track", {"number": number, "id_tail": "000000"}).status_code == 404
    assert Client().get("/api/v1/cases/track", {"number": number, "id_tail": "12"}).status_code == 422
