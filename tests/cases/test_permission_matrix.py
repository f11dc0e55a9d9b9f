"""Every case endpoint against every role: allowed roles get past the permission checks, the others
get 403 (they may see the case but not do this) or 404 (they may not see it at all).

An endpoint missing from ENDPOINTS fails ``test_every_case_endpoint_has_a_declared_policy``."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import get_resolver

from shebao.cases import services
from shebao.cases.models import Case
from shebao.cases.services import MaterialCheck
from shebao.core.tokens import token_create

from . import personas, registry_data
from .conftest import World

pytestmark = pytest.mark.django_db
PERSONAS = ["clerk", "reviewer", "clerk_jh", "street_clerk", "city_reviewer", "finance", "approver", "supervisor",
            "person", "unit"]
SEE_ONLY = {"supervisor"}  # reads everything, changes nothing


def _submitted(world: World) -> Case:
    case = services.case_submit(item_code="SBZX00024", channel="counter", org_unit=world.offices.district_ja,
                                submitted_by=world.clerk, applicant_type="unit", applicant_name="武汉某某科技有限公司",
                                applicant_credit_code=personas.credit_code())
    services.case_check_materials(case=case, actor=world.clerk, checks={
        row.material_id: MaterialCheck(original=True, copy=True) for row in case.materials.all()})
    registry_data.prepare(case, world.clerk)
    return case


def _accepted(world: World) -> Case:
    case = _submitted(world)
    services.case_accept(case=case, actor=world.clerk)
    case.refresh_from_db()
    return case


def _suspended(world: World) -> Case:
    case = _accepted(world)
    services.case_suspend(case=case, actor=world.reviewer, reason="等待结论")
    case.refresh_from_db()
    return case


def _online_completed(world: World) -> Case:
    case = services.case_submit(item_code="SBZX00010", channel="online", org_unit=world.offices.district_ja,
                                submitted_by=world.unit, applicant_type="unit", applicant_name="武汉某某科技有限公司",
                                applicant_credit_code=personas.credit_code())
    registry_data.prepare(case, world.unit)
    services.case_check_materials(case=case, actor=world.clerk, checks={
        row.material_id: MaterialCheck(original=True, copy=True) for row in case.materials.all()})
    case.refresh_from_db()
    services.case_accept(case=case, actor=world.clerk)
    for _ in range(5):
        case.refresh_from_db()
        step = case.steps.filter(status="active").first()
        if step is None:
            break
        services.case_step_complete(case=case, actor=world.by_role(step.role or "window_clerk"), outcome="pass",
                                    note="完成")
    case.refresh_from_db()
    return case


# endpoint suffix → (method, case factory, body, personas allowed to act)
ENDPOINTS: dict[str, tuple[str, Callable[[World], Case], dict[str, Any], set[str]]] = {
    "": ("GET", _submitted, {}, {"clerk", "reviewer", "supervisor"}),
    "/materials": ("POST", _submitted, {"materials": []}, {"clerk", "reviewer"}),
    "/notify-incomplete": ("POST", _submitted, {}, {"clerk", "reviewer"}),
    "/supplement": ("POST", _submitted, {"materials": []}, {"clerk", "reviewer"}),
    "/accept": ("POST", _submitted, {}, {"clerk", "reviewer"}),
    "/refuse": ("POST", _submitted, {"reasons": "不符合条件"}, {"clerk", "reviewer"}),
    "/complete-step": ("POST", _accepted, {"outcome": "pass", "note": "同意"}, {"reviewer"}),
    "/record-event": ("POST", _accepted, {"event": "x"}, {"reviewer"}),
    "/suspend": ("POST", _accepted, {"reason": "等待"}, {"reviewer"}),
    "/resume": ("POST", _suspended, {"reason": "恢复"}, {"reviewer"}),
    "/withdraw": ("POST", _submitted, {"reason": "申请人撤回"}, {"clerk", "reviewer"}),
    "/rate": ("POST", _online_completed, {"score": 5}, {"unit"}),
    "/registry-data": ("POST", _submitted, {"data": {}}, {"clerk", "reviewer"}),
}


def _client(user: User) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {token_create(user=user, name='matrix', actor='test')}")


def test_every_case_endpoint_has_a_declared_policy() -> None:
    from shebao.api import api

    paths = {
        path for path in api.get_openapi_schema()["paths"]
        if path.startswith("/api/v1/cases/{case_id}")
    }
    declared = {f"/api/v1/cases/{{case_id}}{suffix}" for suffix in ENDPOINTS}
    assert paths - declared == set(), f"endpoints without a policy: {sorted(paths - declared)}"
    assert get_resolver() is not None


@pytest.mark.parametrize("suffix", list(ENDPOINTS))
def test_endpoint_against_every_role(world: World, suffix: str) -> None:
    method, factory, body, allowed = ENDPOINTS[suffix]
    for name in PERSONAS:
        case = factory(world)
        client = _client(getattr(world, name))
        url = f"/api/v1/cases/{case.public_id}{suffix}"
        if method == "GET":
            response = client.get(url)
        else:
            response = client.post(url, data=json.dumps(body), content_type="application/json")
        if name in allowed:
            assert response.status_code not in {401, 403, 404}, (suffix, name, response.content[:200])
        else:
            # The applicant who owns a case sees it; so does the supervisor; anyone else does not.
            sees = name in SEE_ONLY or (name == "unit" and case.applicant_user_id == world.unit.pk) or (
                name in {"clerk", "reviewer"})
            expected = 403 if sees else 404
            assert response.status_code == expected, (suffix, name, response.status_code, response.content[:200])
