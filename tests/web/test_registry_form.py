"""The business-data form of the workbench (shebao/registry/dataform.py, shebao/web/registry.py):
generated from the item's schema with Chinese labels and input types, prefilled, validated by
the same service as the API (nothing saved on error), audited, with the findings shown before
受理 and the registry changes after 办结."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from shebao.cases import services as case_services
from shebao.cases.models import Case, CaseEvent, CaseStatus
from shebao.core.models import AuditEvent
from shebao.registry import dataform, services
from shebao.registry.errors import RegistryRefused
from shebao.registry.framework import ITEMS
from shebao.registry.labels import FIELD_LABELS
from shebao.registry.models import CaseData, Employer, Person, Relationship
from tests.cases import personas
from tests.cases.conftest import World

from .conftest import counter_case, receive_all

pytestmark = pytest.mark.django_db


def _login(client: Client, user: Any) -> Client:
    # force_login: signing in with a password goes through django-axes, which tests of its own cover.
    client.force_login(user)
    return client


def _page(client: Client, case: Case) -> str:
    return client.get(reverse("web:work_case", kwargs={"case_id": case.public_id})).content.decode()


def _save(client: Client, case: Case, data: dict[str, Any]) -> Any:
    case.refresh_from_db()
    return client.post(reverse("web:work_registry_data", kwargs={"case_id": case.public_id}),
                       {"version": str(case.lock_version), **data})


def _employer(code: str) -> Employer:
    return services.employer_register(actor="test", case=None, credit_code=code, fields={
        "name": "武汉某某科技有限公司", "unit_type": "企业", "economic_type": "有限责任公司",
        "legal_rep_name": "王五", "insurance_types": ["pension", "medical", "unemployment", "injury", "maternity"],
        "industry_class": 1, "district": "江岸区"})


def test_every_schema_field_has_a_chinese_label() -> None:
    missing: set[str] = set()

    def walk(model: Any) -> None:
        for name, info in model.model_fields.items():
            if name not in FIELD_LABELS:
                missing.add(name)
            for t in _types(info.annotation):
                if isinstance(t, type) and hasattr(t, "model_fields"):
                    walk(t)

    for defn in {id(d): d for d in ITEMS.values()}.values():
        if defn.schema is not None:
            walk(defn.schema)
    assert not missing, f"fields without a Chinese label: {sorted(missing)}"


def _types(annotation: Any) -> list[Any]:
    import typing

    out = [annotation]
    for arg in typing.get_args(annotation):
        out += _types(arg)
    return out


def test_enrolment_form_fill_errors_save_and_accept(client: Client, world: World) -> None:
    credit = personas.credit_code()
    employer = _employer(credit)
    case = counter_case(world, "SBZX00013", data=False, applicant_credit_code=credit)
    _login(client, world.clerk)
    html = _page(client, case)
    # The effect, the form with Chinese labels and typed inputs, and no data yet.
    assert "办结后登记簿变化" in html and "为职工新参保或续保" in html
    assert 'name="rd.persons.0.hired_on"' in html and 'type="date" id="rd-persons-0-hired_on"' in html
    assert "用工之日" in html and "公民身份号码" in html and "尚未登记" in html
    assert re.search(r'<select id="rd-persons-0-sex" name="rd.persons.0.sex">', html)

    # A bad ID number and a missing date: 422, errors name the field in Chinese, nothing stored.
    events, audits = CaseEvent.objects.count(), AuditEvent.objects.count()
    bad = _save(client, case, {"rd.persons.0.name": "李四", "rd.persons.0.id_number": "420102199003071230"})
    assert bad.status_code == 422
    body = bad.content.decode()
    assert "业务数据未保存" in body and "人员名单第1项 · 公民身份号码" in body
    assert 'value="李四"' in body  # what was typed is shown again
    assert not CaseData.objects.filter(case=case).exists()
    assert (CaseEvent.objects.count(), AuditEvent.objects.count()) == (events, audits)

    # Accepting without the data is refused (strict), and nothing changes.
    receive_all(world, case)
    case.refresh_from_db()
    assert "本事项须先" in _page(client, case)  # the note by the 受理 button
    with pytest.raises(RegistryRefused, match="业务数据"):
        case_services.case_accept(case=case, actor=world.clerk)

    ok = _save(client, case, {"rd.persons.0.name": "李四", "rd.persons.0.id_number": personas.id_number(),
                              "rd.persons.0.hired_on": date.today().isoformat(), "rd.persons.0.monthly_wage": "4500"})
    assert ok.status_code == 302 and ok["Location"].endswith("#registry")
    stored = CaseData.objects.get(case=case).data
    assert stored["persons"][0]["name"] == "李四" and stored["persons"][0]["monthly_wage"] == "4500"
    assert CaseEvent.objects.filter(case=case, action="registry_data_set").count() == 1
    assert AuditEvent.objects.filter(action="registry.case_data_set", object_id=str(case.public_id)).exists()
    html = _page(client, case)
    assert "受理前核验结果" in html and "符合办理条件" in html and "登记业务数据" in html  # timeline too

    case.refresh_from_db()
    case_services.case_accept(case=case, actor=world.clerk)
    case.refresh_from_db()
    while case.status == CaseStatus.ACCEPTED:
        case_services.case_step_complete(case=case, actor=world.clerk if case.steps.filter(
            status="active", role="window_clerk").exists() else world.reviewer, outcome="pass", note="")
        case.refresh_from_db()
    assert case.status == CaseStatus.COMPLETED
    person = Person.objects.get(name="李四")
    assert Relationship.objects.filter(person=person, employer=employer).count() == 5
    html = _page(client, case)
    assert "本办件办结后的登记簿变更" in html and person.ssn in html and "参保关系" in html


def test_findings_block_is_shown_with_the_rule_before_acceptance(client: Client, world: World) -> None:
    credit = personas.credit_code()
    _employer(credit)
    case = counter_case(world, "SBZX00014", data=False, applicant_credit_code=credit)  # stop someone never enrolled
    _login(client, world.clerk)
    response = _save(client, case, {"rd.persons.0.id_number": personas.id_number(),
                                    "rd.persons.0.stopped_on": "2026-11-01"})
    assert response.status_code == 302
    html = _page(client, case)
    assert "不符合" in html and "依据：" in html and "受理将被拒绝" in html


def test_prefill_from_the_applicant(world: World) -> None:
    ident = personas.id_number()
    case = case_services.case_submit(item_code="SBZX00051", channel="counter", org_unit=world.offices.district_ja,
                                     submitted_by=world.clerk, applicant_type="person", applicant_name="陈明",
                                     applicant_id_number=ident)
    assert dataform.prefill(case) == {"person": {"id_number": ident}}
    form = dataform.build("SBZX00051", case=case)
    assert form is not None
    shown = {i.path: i.value for g in form.groups for i in g.inputs}
    assert shown["person.id_number"] == ident
    unit = counter_case(world, "SBZX00001", data=False, applicant_credit_code=personas.credit_code())
    assert dataform.prefill(unit) == {"name": "武汉某某科技有限公司"}
    form = dataform.build("SBZX00001", case=unit)
    assert form is not None
    inputs = {i.path: i for i in form.inputs}
    assert inputs["name"].value == "武汉某某科技有限公司" and inputs["founded_on"].kind == "date"
    # Defaults are shown: all five 险种 ticked, 工伤行业类别 1.
    assert inputs["insurance_types"].kind == "multi" and len(inputs["insurance_types"].value) == 5
    assert inputs["industry_class"].value == "1" and inputs["org_code"].kind == "orgcode"


def test_parse_rows_lists_and_choices() -> None:
    from django.http import QueryDict

    schema = dataform.schema_for("SBZX00001")
    assert schema is not None
    post = QueryDict(mutable=True)
    post.setlist("rd.insurance_types", ["pension", "medical"])
    post["rd.name"] = " 某单位 "
    post["rd.industry_class"] = ""
    assert dataform.parse(post, schema) == {"insurance_types": ["pension", "medical"], "name": "某单位"}
    enrol = dataform.schema_for("SBZX00013")
    assert enrol is not None
    post = QueryDict(mutable=True)
    post["rd.persons.0.name"] = "甲"
    post["rd.persons.1.name"] = ""
    post["rd.persons.2.name"] = "乙"
    assert dataform.parse(post, enrol) == {"persons": [{"name": "甲"}, {"name": "乙"}]}


def test_intake_with_business_data_in_one_transaction(client: Client, world: World) -> None:
    credit = personas.credit_code()
    _login(client, world.clerk)
    url = reverse("web:work_intake")
    loaded = client.post(url, {"item_code": "SBZX00001", "load": "1", "applicant_type": "unit"})
    assert loaded.status_code == 200
    html = loaded.content.decode()
    assert 'name="rd.founded_on"' in html and "成立日期" in html and "办结后登记簿变化" in html
    assert Case.objects.count() == 0
    base = {"item_code": "SBZX00001", "applicant_type": "unit", "applicant_name": "武汉新单位有限公司",
            "applicant_credit_code": credit}
    bad = client.post(url, {**base, "rd.name": "武汉新单位有限公司", "rd.founded_on": "2026-13-01"})
    assert bad.status_code == 422
    assert "成立日期" in bad.content.decode() and "应为日期" in bad.content.decode()
    assert Case.objects.count() == 0 and CaseData.objects.count() == 0  # nothing saved, not even the case
    ok = client.post(url, {**base, "rd.name": "武汉新单位有限公司", "rd.founded_on": "2026-10-20",
                           "rd.insurance_types": ["pension", "medical", "unemployment", "injury", "maternity"]})
    assert ok.status_code == 302
    case = Case.objects.get()
    assert CaseData.objects.get(case=case).data["founded_on"] == "2026-10-20"


@pytest.mark.parametrize(("who", "shown", "hidden"), [
    ("clerk", ["登记簿查询", "督办单"], ["指南变更", "督办统计"]),
    ("supervisor", ["指南变更", "督办统计"], ["督办单"]),
])
def test_workbench_nav_links_by_role(client: Client, world: World, who: str, shown: list[str],
                                     hidden: list[str]) -> None:
    _login(client, getattr(world, who))
    nav = client.get(reverse("web:work_cases")).content.decode().split('aria-label="工作台导航"')[1].split("</nav>")[0]
    for label in shown:
        assert label in nav
    for label in hidden:
        assert label not in nav


def test_information_change_form_offers_the_fields_the_item_may_change(world: World) -> None:
    case = counter_case(world, "SBZX00005", data=False)
    form = dataform.build("SBZX00005", case=case)
    assert form is not None
    changes = next(g for g in form.groups if g.path == "changes")
    assert [i.label for i in changes.inputs] == ["单位名称", "单位类型", "经济类型", "法定代表人姓名", "法定代表人身份证号"]
    assert changes.inputs[-1].kind == "idnumber"
    assert not any(g.path == "person" for g in form.groups)  # an employer's change names no person
    from django.http import QueryDict

    post = QueryDict(mutable=True)
    post["rd.changes.legal_rep_name"] = "张建国"
    post["rd.changes.name"] = ""
    assert dataform.parse(post, dataform.schema_for("SBZX00005")) == {"changes": {"legal_rep_name": "张建国"}}  # type: ignore[arg-type]
