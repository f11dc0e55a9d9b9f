"""Employees (SBZX00013–00019, 00022, 00023) and employer bills (00020-1/-2, 00021, 00024–00028)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from shebao.cases.models import CaseStatus
from shebao.core.errors import ValidationFailed
from shebao.core.identifiers import id_number_from_15
from shebao.registry import services
from shebao.registry.errors import RegistryRefused
from shebao.registry.models import (
    Bill,
    BillKind,
    BillStatus,
    FieldChange,
    Payable,
    Person,
    PersonStatus,
    Relationship,
    RelationshipStatus,
    WageDeclaration,
)

from .conftest import Reg, done, new_id, snapshot

pytestmark = pytest.mark.django_db


def enrolee(name: str, number: str, hired: str = "2026-10-20", **extra: object) -> dict[str, object]:
    return {"id_number": number, "name": name, "hired_on": hired, "monthly_wage": "6500", **extra}


def test_enrolment_creates_persons_and_relationships_per_insurance_type(reg: Reg) -> None:
    employer = reg.employer(types=["pension", "medical", "unemployment", "injury", "maternity"])
    legacy = "420102800101123"  # a 15-digit number: converted to 18
    case = reg.run("SBZX00013", {"persons": [enrolee("王五", new_id("19900202")), enrolee("赵六", legacy)]},
                   employer=employer)
    assert done(case)
    converted = Person.objects.get(name="赵六")
    assert converted.id_number == id_number_from_15(legacy) and len(converted.id_number) == 18
    assert converted.birth_date == date(1980, 1, 1) and converted.sex == "M"  # 15th digit 3: odd
    rels = Relationship.objects.filter(employer=employer, status=RelationshipStatus.ACTIVE)
    assert rels.count() == 10 and {r.monthly_wage for r in rels} == {Decimal("6500")}
    assert FieldChange.objects.filter(model="person", object_id=converted.ssn, field="*", case=case).exists()


def test_enrolment_refusals_leave_the_registry_untouched(reg: Reg) -> None:
    first, second = reg.employer(name="甲公司"), reg.employer(name="乙公司")
    person = reg.person(name="孙七")
    reg.employ(person, first)
    before = snapshot()
    case = reg.submit("SBZX00013", employer=second)
    findings = reg.data(case, {"persons": [enrolee("孙七", person.id_number)]})
    assert findings[0].level == "block" and "甲公司" in findings[0].message
    with pytest.raises(RegistryRefused, match="须由原单位先办理停保"):
        reg.accept(case)
    # The name on file must match: a change of name is SBZX00018.
    with pytest.raises(RegistryRefused, match="SBZX00018"):
        reg.run("SBZX00013", {"persons": [enrolee("孙八", person.id_number)]}, employer=second)
    assert snapshot() == before


def test_late_enrolment_is_warned_not_refused(reg: Reg) -> None:
    employer = reg.employer()
    case = reg.submit("SBZX00013", employer=employer)
    findings = reg.data(case, {"persons": [enrolee("周九", new_id(), hired="2026-08-01")]})
    assert [f.level for f in findings] == ["warn"] and "SBZX00013" in findings[0].rule
    reg.accept(case)
    assert done(reg.walk(case))


def test_stop_then_month_write_off_needs_the_stop_first(reg: Reg) -> None:
    employer = reg.employer()
    person = reg.person(name="吴十")
    reg.employ(person, employer)
    month_bill = services.bill_issue(actor="test", case=None, kind=BillKind.EMPLOYER_MONTH, office=reg.district,
                                     amount=Decimal("1800"), employer=employer, person=person,
                                     period_from=date(2026, 10, 1), period_to=date(2026, 10, 1))
    write_off = {"person": {"id_number": person.id_number}, "month": "2026-10", "employment_ended_on": "2026-10-15"}
    before = snapshot()
    with pytest.raises(RegistryRefused, match="须先办理SBZX00014停保"):
        reg.run("SBZX00019", write_off, employer=employer)
    assert snapshot() == before
    assert done(reg.run("SBZX00014", {"persons": [{"id_number": person.id_number, "stopped_on": "2026-10-15",
                                                   "reason": "辞职（退）"}]}, employer=employer))
    assert not Relationship.objects.filter(person=person, status=RelationshipStatus.ACTIVE).exists()
    assert set(Relationship.objects.filter(person=person).values_list("stop_reason", flat=True)) == {"辞职（退）"}
    assert done(reg.run("SBZX00019", write_off, employer=employer))
    month_bill.refresh_from_db()
    assert month_bill.status == BillStatus.WRITTEN_OFF
    with pytest.raises(RegistryRefused, match="没有已核定未缴的欠费"):
        reg.run("SBZX00019", write_off, employer=employer)


def test_batch_layoff_threshold(reg: Reg) -> None:
    employer = reg.employer()
    staff = [reg.person(name=f"职工{i}") for i in range(12)]
    for person in staff:
        reg.employ(person, employer, types=["pension"])
    leavers = [{"id_number": p.id_number, "stopped_on": "2026-10-31"} for p in staff[:2]]
    with pytest.raises(RegistryRefused, match="不足10%"):
        reg.run("SBZX00015", {"persons": leavers, "total_employees": 120, "filed_with_labour_department": True},
                employer=employer)
    with pytest.raises(RegistryRefused, match="登记备案"):
        reg.run("SBZX00015", {"persons": leavers, "filed_with_labour_department": False}, employer=employer)
    # 2 of 12 is 16.7%: a batch layoff under 第四十一条.
    assert done(reg.run("SBZX00015", {"persons": leavers, "filed_with_labour_department": True}, employer=employer))
    assert Relationship.objects.filter(employer=employer, status="stopped", stop_reason="批量裁减").count() == 2


def test_online_enrolment_of_a_non_credit_employer_needs_the_counter_check(reg: Reg) -> None:
    from shebao.registry.effects import case_route

    credit = reg.employer(name="信用单位", online_credit=True)
    other = reg.employer(name="非信用单位", online_credit=False)
    case = reg.submit("SBZX00013", employer=other)
    case.channel = "online"
    assert case_route(case=case) == "online_non_credit"
    case.applicant_credit_code = credit.credit_code
    assert case_route(case=case) == "online"


def test_wages_personal_data_and_merge(reg: Reg) -> None:
    employer = reg.employer()
    person = reg.person(name="郑一")
    reg.employ(person, employer)
    reg.run("SBZX00016", {"year": 2026, "wages": [{"id_number": person.id_number, "monthly_wage": "8000"}]},
            employer=employer)
    assert WageDeclaration.objects.get(person=person, year=2026).monthly_amount == Decimal("8000")
    assert set(Relationship.objects.filter(person=person).values_list("monthly_wage", flat=True)) == {Decimal("8000")}
    reg.run("SBZX00017", {"person": {"id_number": person.id_number}, "changes": {"education": "本科"}},
            employer=employer)
    new_number = new_id("19800101")
    reg.run("SBZX00018", {"person": {"id_number": person.id_number}, "changes": {"id_number": new_number,
                                                                                "name": "郑壹"}},
            employer=employer)
    person.refresh_from_db()
    assert person.education == "本科" and person.id_number == new_number and person.name == "郑壹"
    # A number already on another record is refused, pointing to it.
    other = reg.person(name="钱二")
    with pytest.raises(RegistryRefused) as refused:
        reg.run("SBZX00018", {"person": {"id_number": person.id_number}, "changes": {"id_number": other.id_number}},
                employer=employer)
    assert refused.value.extra["existing"]["ssn"] == other.ssn  # type: ignore[index]
    with pytest.raises(ValidationFailed, match="校验位"):
        reg.data(reg.submit("SBZX00018", employer=employer),
                 {"person": {"id_number": person.id_number}, "changes": {"id_number": new_number[:-1] + "0"
                                                                        if new_number[-1] != "0" else new_number[:-1]
                                                                        + "1"}})
    # Merging a legacy duplicate 社保编号 (same person, from older data).
    duplicate = services.person_register(actor="test", case=None, primary=False, fields={
        "id_number": person.id_number, "name": person.name, "sex": person.sex, "birth_date": person.birth_date,
        "recorded_months": 36})
    services.relationship_start(actor="test", case=None, person=duplicate, insurance_type="pension", kind="employer",
                                employer=employer, start_on=date(2001, 1, 1), status="stopped",
                                stop_on=date(2003, 12, 31))
    case = reg.run("SBZX00023", {"keep_ssn": person.ssn, "merge_ssns": [duplicate.ssn]}, person=person)
    assert done(case)
    duplicate.refresh_from_db()
    person.refresh_from_db()
    assert duplicate.status == PersonStatus.MERGED and duplicate.merged_into == person
    assert person.recorded_months == 36 and Relationship.objects.filter(person=duplicate).count() == 0
    stranger = reg.person(name="陌生人", born="19700101")
    with pytest.raises(RegistryRefused, match="不是同一人"):
        reg.run("SBZX00023", {"keep_ssn": person.ssn, "merge_ssns": [stranger.ssn]}, person=person)


def test_arrears_assessment_then_arrival_confirmation(reg: Reg, clock: object) -> None:
    employer = reg.employer()
    assess = reg.run("SBZX00020-1", close_data={"period_from": "2026-08", "period_to": "2026-09",
                                                "amount": "12000.50"}, employer=employer)
    assert done(assess)
    bill = Bill.objects.get(case=assess)
    assert bill.status == BillStatus.ASSESSED and bill.pay_by == date(2026, 11, 20) and bill.office == reg.district
    confirm = reg.run("SBZX00020-2", {"paid_on": "2026-11-01", "receipt_number": "SP2026110100001"},
                      employer=employer)
    assert done(confirm)
    bill.refresh_from_db()
    assert bill.status == BillStatus.CONFIRMED and bill.receipt_number == "SP2026110100001"
    assert confirm.related_case == assess


def test_confirmation_of_a_bill_already_confirmed_is_refused(reg: Reg) -> None:
    employer = reg.employer()
    assess = reg.run("SBZX00020-1", close_data={"period_from": "2026-08", "period_to": "2026-09", "amount": "100"},
                     employer=employer)
    bill = Bill.objects.get(case=assess)
    case = reg.submit("SBZX00020-2", employer=employer)
    reg.data(case, {"paid_on": "2026-11-01", "receipt_number": "X1"})
    services.bill_pay(actor="test", case=None, bill=bill, paid_on=date(2026, 11, 1))
    services.bill_confirm(actor="test", case=None, bill=bill)
    with pytest.raises(RegistryRefused, match="已到账确认"):
        reg.accept(case)


def test_refund_and_back_payments(reg: Reg) -> None:
    employer = reg.employer()
    person = reg.person(name="冯三")
    reg.employ(person, employer)
    with pytest.raises(RegistryRefused, match="未在本单位办理停保"):
        reg.run("SBZX00021", close_data={"reason": "late_stop", "amount": "900", "period_from": "2026-09",
                                         "period_to": "2026-09", "persons": [{"id_number": person.id_number}]},
                employer=employer)
    case = reg.run("SBZX00021", close_data={"reason": "error", "amount": "900", "period_from": "2026-09",
                                            "period_to": "2026-09"}, employer=employer)
    assert Payable.objects.get(case=case).employer == employer
    backpay = {"person": {"id_number": person.id_number}, "period_from": "1994-01", "period_to": "1995-12",
               "amount": "5000", "hired_on": "1993-06-01"}
    case = reg.run("SBZX00024", backpay, employer=employer)
    assert Bill.objects.get(case=case).months == 24
    with pytest.raises(RegistryRefused, match="1996年1月1日前"):
        reg.run("SBZX00024", {**backpay, "hired_on": "1997-01-01"}, employer=employer)
    with pytest.raises(RegistryRefused, match="不能早于1996年1月"):
        reg.run("SBZX00025", {**backpay, "condition": "since_1996", "hired_on": None}, employer=employer)
    with pytest.raises(RegistryRefused, match="文号"):
        reg.run("SBZX00026", {**backpay, "period_from": "2010-01", "period_to": "2010-12"}, employer=employer)
    reg.run("SBZX00027", {**backpay, "approval_number": "武人社养老审〔2026〕12号"}, employer=employer)
    reg.run("SBZX00028", {**backpay, "period_from": "2020-01", "period_to": "2020-12",
                          "wages": [{"year": 2020, "monthly_wage": 7200}]}, employer=employer)
    assert WageDeclaration.objects.get(person=person, year=2020).monthly_amount == Decimal("7200")


def test_medical_retirement_of_an_employee(reg: Reg) -> None:
    employer = reg.employer()
    person = reg.person(name="褚四", born="19600101")
    reg.employ(person, employer)
    case = reg.run("SBZX00022", {"person": {"id_number": person.id_number}, "retired_on": "2026-10-31",
                                 "situation": "non_pool"}, employer=employer)
    assert done(case)
    person.refresh_from_db()
    assert person.medical_retiree
    medical = Relationship.objects.get(person=person, insurance_type="medical")
    assert medical.status == RelationshipStatus.RETIRED
    assert not Relationship.objects.filter(person=person, status=RelationshipStatus.ACTIVE).exists()
    assert case.status == CaseStatus.COMPLETED


def test_foreigner_enrolled_by_passport_and_not_twice(reg: Reg) -> None:
    employer = reg.employer()
    case = reg.run("SBZX00013", {"persons": [{"passport_number": "E12345678", "nationality": "法国", "name": "马克",
                                              "sex": "M", "birth_date": "1988-04-02", "permit_type": "外国人工作许可证",
                                              "permit_number": "WP2026001", "hired_on": "2026-10-26"}]},
                   employer=employer)
    assert done(case)
    person = Person.objects.get(passport_number="E12345678")
    assert person.id_number == "" and person.nationality == "法国" and person.permit_type == "外国人工作许可证"
    with pytest.raises(RegistryRefused) as refused:
        services.person_register(actor="test", case=None, fields={
            "passport_number": "E12345678", "nationality": "法国", "name": "马克", "sex": "M",
            "birth_date": date(1988, 4, 2)})
    assert refused.value.extra["existing"]["ssn"] == person.ssn  # type: ignore[index]
    with pytest.raises(ValidationFailed, match="护照号码、国籍、性别和出生日期"):
        reg.data(reg.submit("SBZX00013", employer=employer),
                 {"persons": [{"passport_number": "X1", "name": "某", "hired_on": "2026-10-26"}]})
