"""The effects table covers all 123 guide tables, docs/registry.md lists each of them with the same
state, and the items the family tests do not walk are walked here."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from django.test import Client

from shebao.catalog.flows import all_flows
from shebao.registry.framework import ITEMS
from shebao.registry.models import Bill, Employer, EmployerStatus, Filing

from .conftest import Reg, done, new_org_code

pytestmark = pytest.mark.django_db
DOCS = Path(__file__).resolve().parents[2] / "docs" / "registry.md"
STATE_WORDS = {"tested": "implemented+tested", "implemented": "implemented", "none": "not yet"}


def test_every_guide_table_has_an_effect_definition() -> None:
    assert set(ITEMS) == set(all_flows())
    for code, defn in ITEMS.items():
        assert defn.effect and defn.precondition, code
        assert defn.apply_fn is not None or "无登记簿变化" in defn.effect, code


def test_docs_table_lists_every_item_with_its_state() -> None:
    text = DOCS.read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| `([A-Z]+\d+(?:-\d)?)` \|.*\| ([a-z+ ]+) \|$", text, flags=re.M))
    assert set(rows) == set(ITEMS)
    assert {code: rows[code].strip() for code in ITEMS} == {code: STATE_WORDS[d.state] for code, d in ITEMS.items()}


def test_items_api(reg: Reg) -> None:
    client = Client()
    listed = client.get("/api/v1/registry/items").json()
    assert len(listed) == 123
    one = client.get("/api/v1/registry/items/SBZX000062").json()  # the list's misprint is accepted
    assert one["code"] == "SBZX00062" and one["data_schema"]["properties"]["reason"]


def test_non_credit_code_employer_items(reg: Reg) -> None:
    org = new_org_code()
    reg.run("SBZX00002", {"name": "武汉老店", "founded_on": "2026-10-20", "org_code": org, "licence_number": "L-1"},
            name="武汉老店")
    assert done(reg.run("SBZX00004", {"org_code": org, "industry_class": 4}, name="武汉老店"))
    assert done(reg.run("SBZX00006", {"org_code": org, "changes": {"economic_type": "集体"}}, name="武汉老店"))
    assert done(reg.run("SBZX00008", {"org_code": org, "terminated_on": "2026-10-30"}, name="武汉老店"))
    employer = Employer.objects.get(org_code=org)
    assert employer.industry_class == 4 and employer.economic_type == "集体"
    assert employer.status == EmployerStatus.CANCELLED


def test_uninsured_and_court_back_payments(reg: Reg) -> None:
    employer = reg.employer()
    person = reg.person(name="补缴")
    reg.employ(person, employer, start=date(2020, 1, 1))
    base = {"person": {"id_number": person.id_number}, "period_from": "2012-01", "period_to": "2013-12",
            "amount": "9000"}
    uninsured = reg.run("SBZX00025", {**base, "condition": "since_1996"}, employer=employer)
    court = reg.run("SBZX00026", {**base, "judgment_number": "（2026）鄂0102民初100号"}, employer=employer)
    assert Bill.objects.get(case=uninsured).subtype == "uninsured" and Bill.objects.get(case=court).months == 24


def test_employee_severe_outpatient(reg: Reg) -> None:
    employer = reg.employer()
    person = reg.person(name="重症")
    reg.employ(person, employer, types=["medical"])
    case = reg.run("YBZX00006", close_data={"disease": "慢性肾功能衰竭", "hospital": "武汉同济医院",
                                            "pharmacy": "某药房"}, person=person)
    assert done(case) and Filing.objects.get(case=case).detail["disease"] == "慢性肾功能衰竭"


def test_close_rechecks_and_a_refusal_leaves_case_and_registry_unchanged(reg: Reg) -> None:
    from shebao.cases.models import CaseStatus
    from shebao.registry import services
    from shebao.registry.errors import RegistryRefused
    from shebao.registry.models import BillStatus, Person

    from .conftest import new_id, snapshot

    number = new_id("19700101", sex="F")
    reg.run("SBZX00055", {"hukou_district": "江岸", "person": {"id_number": number, "name": "回退"}},
            id_number=number, unit=reg.street)
    person = Person.objects.get(id_number=number)
    assess = reg.run("SBZX00056-1", {"year": 2026, "grade": 200, "amount": "200"}, person=person, unit=reg.street)
    rollback = reg.submit("SBZX00059", person=person, unit=reg.street)
    reg.accept(rollback)  # unpaid at 受理 …
    bill = Bill.objects.get(case=assess)
    services.bill_pay(actor="bank", case=None, bill=bill, paid_on=date(2026, 11, 2))  # … paid before 办结
    before = snapshot()
    with pytest.raises(RegistryRefused, match="没有已核定未缴费"):
        reg.walk(rollback)
    rollback.refresh_from_db()
    assert rollback.status == CaseStatus.ACCEPTED and snapshot() == before
    bill.refresh_from_db()
    assert bill.status == BillStatus.PAID


def test_effects_can_be_switched_off_for_other_suites(reg: Reg, settings: object) -> None:
    from .conftest import snapshot

    settings.SHEBAO_REGISTRY_EFFECTS = False  # type: ignore[attr-defined]
    before = snapshot()
    from .conftest import new_credit_code

    case = reg.run("SBZX00003", credit_code=new_credit_code(), name="无登记单位")  # unregistered, no data
    assert done(case) and snapshot() == before
