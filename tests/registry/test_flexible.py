"""Flexible workers SBZX00029–00039."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from shebao.cases import services as case_services
from shebao.cases.models import CaseStatus, StepStatus
from shebao.cases.scheduler import tick
from shebao.registry import services
from shebao.registry.errors import RegistryRefused
from shebao.registry.models import (
    Bill,
    BillKind,
    BillStatus,
    FlexibleAccount,
    Person,
    Relationship,
    RelationshipStatus,
)

from .conftest import Clock, Reg, done, new_id, snapshot

pytestmark = pytest.mark.django_db


def _flexible(reg: Reg, name: str = "林一", born: str = "19850505", sex: str = "M") -> Person:
    number = new_id(born, sex=sex)
    case = reg.run("SBZX00029", {"person": {"id_number": number, "name": name}, "grade": 100},
                   id_number=number, unit=reg.street, name=name)
    assert done(case)
    return Person.objects.get(id_number=number)


def test_enrolment_age_rules(reg: Reg) -> None:
    person = _flexible(reg)
    account = FlexibleAccount.objects.get(person=person)
    assert account.status == "active" and services.flexible_grade_on(account, date(2026, 11, 1)) == 100
    assert set(Relationship.objects.filter(person=person, kind="flexible").values_list("insurance_type", flat=True)) \
        == {"pension", "medical"}
    # A woman of 55 is outside the range; a man of 59 is inside.
    woman = new_id("19710101", sex="F")
    before = snapshot()
    with pytest.raises(RegistryRefused, match="女年满16周岁未满55周岁"):
        reg.run("SBZX00029", {"person": {"id_number": woman, "name": "何二"}}, id_number=woman, unit=reg.street)
    assert snapshot() == before
    man = new_id("19670601", sex="M")
    assert done(reg.run("SBZX00029", {"person": {"id_number": man, "name": "何三"}}, id_number=man, unit=reg.street))
    teen = new_id("20110101", sex="M")
    with pytest.raises(RegistryRefused, match="15周岁"):
        reg.run("SBZX00029", {"person": {"id_number": teen, "name": "何四"}}, id_number=teen, unit=reg.street)


def test_employed_person_cannot_enrol_as_flexible_and_pause_resume(reg: Reg) -> None:
    employer = reg.employer()
    worker = reg.person(name="邱五", born="19880808")
    reg.employ(worker, employer)
    with pytest.raises(RegistryRefused, match="不能以灵活就业身份参保"):
        reg.run("SBZX00029", {}, person=worker, unit=reg.street)
    person = _flexible(reg)
    assert done(reg.run("SBZX00030", {"reason": "到用人单位就业", "paused_on": "2026-10-31"}, person=person,
                        unit=reg.street))
    assert FlexibleAccount.objects.get(person=person).status == "paused"
    assert not Relationship.objects.filter(person=person, status=RelationshipStatus.ACTIVE).exists()
    with pytest.raises(RegistryRefused, match="已暂停"):
        reg.run("SBZX00034", {"grade": 150}, person=person, unit=reg.street)
    assert done(reg.run("SBZX00029", {"grade": 60}, person=person, unit=reg.street))  # 续保
    assert FlexibleAccount.objects.get(person=person).status == "active"


def test_grade_change_applies_from_next_month(reg: Reg) -> None:
    person = _flexible(reg)
    assert done(reg.run("SBZX00034", {"grade": 200}, person=person, unit=reg.street))
    account = FlexibleAccount.objects.get(person=person)
    assert services.flexible_grade_on(account, date(2026, 11, 30)) == 100
    assert services.flexible_grade_on(account, date(2026, 12, 1)) == 200
    with pytest.raises(RegistryRefused, match="次月缴费档次已是200%"):
        reg.run("SBZX00034", {"grade": 200}, person=person, unit=reg.street)


def test_arrears_bill_auto_confirmed_the_next_day(reg: Reg, clock: Clock) -> None:
    person = _flexible(reg)
    clock.set(2026, 11, 16)
    case = reg.submit("SBZX00032", person=person, unit=reg.street)
    reg.accept(case)
    reg.data(case, {"period_from": "2026-06", "period_to": "2026-08", "amount": "2400"})  # 开具缴费单
    bill = Bill.objects.get(case=case)
    assert bill.status == BillStatus.ASSESSED and bill.office == reg.street and bill.pay_by == date(2026, 11, 20)
    case.refresh_from_db()
    case_services.case_step_complete(case=case, actor=reg.admin, outcome="pass", note="已开具补、退单")
    clock.set(2026, 11, 18, 15)
    case.refresh_from_db()
    case_services.case_record_event(case=case, actor=None, event="payment_made")
    tick(now=clock.set(2026, 11, 19, 1))
    assert done(case)
    bill.refresh_from_db()
    person.refresh_from_db()
    assert bill.status == BillStatus.CONFIRMED and bill.auto_confirmed and bill.paid_on == date(2026, 11, 18)
    assert person.recorded_months == 3


def test_cancellation_only_at_the_issuing_office_and_only_unpaid(reg: Reg, clock: Clock) -> None:
    person = _flexible(reg)
    collect = reg.submit("SBZX00032", person=person, unit=reg.street)
    reg.accept(collect)
    reg.data(collect, {"period_from": "2026-06", "period_to": "2026-06", "amount": "800"})
    bill = Bill.objects.get(case=collect)
    before = snapshot()
    with pytest.raises(RegistryRefused, match="须到该窗口办理取消") as refused:
        reg.run("SBZX00033", {}, person=person, unit=reg.district)
    assert refused.value.extra["office"] == reg.street.key  # type: ignore[index]
    assert snapshot() == before
    assert done(reg.run("SBZX00033", {}, person=person, unit=reg.street))
    bill.refresh_from_db()
    collect.refresh_from_db()
    assert bill.status == BillStatus.CANCELLED and collect.status == CaseStatus.WITHDRAWN
    with pytest.raises(RegistryRefused, match="没有未缴费"):
        reg.run("SBZX00033", {}, person=person, unit=reg.street)


def test_write_off_gap_backpay_and_personal_data(reg: Reg) -> None:
    person = _flexible(reg)
    with pytest.raises(RegistryRefused, match="没有未缴的欠费"):
        reg.run("SBZX00031", person=person, unit=reg.street)
    for month in (9, 10):
        services.bill_issue(actor="test", case=None, kind=BillKind.FLEX_MONTH, office=reg.street, person=person,
                            amount=Decimal("700"), period_from=date(2026, month, 1), period_to=date(2026, month, 1))
    assert done(reg.run("SBZX00031", person=person, unit=reg.street))
    assert set(Bill.objects.filter(person=person, kind=BillKind.FLEX_MONTH).values_list("status", flat=True)) == \
        {BillStatus.WRITTEN_OFF}
    with pytest.raises(RegistryRefused, match="重叠"):
        reg.run("SBZX00035", close_data={"period_from": "2026-11", "period_to": "2026-11", "amount": "700"},
                person=person, unit=reg.street)
    account = FlexibleAccount.objects.get(person=person)
    FlexibleAccount.objects.filter(pk=account.pk).update(enrolled_on=date(2024, 1, 1))
    case = reg.run("SBZX00035", close_data={"period_from": "2024-01", "period_to": "2024-06", "amount": "4200"},
                   person=person, unit=reg.street)
    assert Bill.objects.get(case=case).months == 6
    reg.run("SBZX00036", {"changes": {"phone": "13900001111", "marital_status": "已婚"}}, person=person,
            unit=reg.street)
    reg.run("SBZX00037", {"changes": {"hukou_type": "城镇"}}, person=person)
    person.refresh_from_db()
    assert person.phone == "13900001111" and person.hukou_type == "城镇"
    employee = reg.person(name="非灵活")
    with pytest.raises(RegistryRefused, match="SBZX00017"):
        reg.run("SBZX00036", {"changes": {"phone": "1"}}, person=employee, unit=reg.street)


def test_lump_sum_backpay_extension_rules(reg: Reg) -> None:
    # A man of 62, insured since 2005 (before the law), 8 years paid, extended 5 years: may pay the rest.
    person = reg.person(name="老陈", born="19640101", recorded_months=96, extension_months=60,
                        pension_first_insured_on=date(2005, 1, 1))
    case = reg.run("SBZX00038", close_data={"amount": "30000", "months": 24}, person=person)
    assert done(case) and Bill.objects.get(case=case).subtype == "lump_sum"
    # Insured after 2011-07-01 with under 10 actual years after 5 years of extension: keep paying.
    late = reg.person(name="老王", born="19640101", recorded_months=96, extension_months=60,
                      pension_first_insured_on=date(2012, 1, 1))
    with pytest.raises(RegistryRefused, match="实际缴费年限满十年"):
        reg.run("SBZX00038", close_data={"amount": "1", "months": 1}, person=late)
    short = reg.person(name="老李", born="19640101", recorded_months=96, extension_months=12,
                       pension_first_insured_on=date(2005, 1, 1))
    with pytest.raises(RegistryRefused, match="须先延长缴费满五年"):
        reg.run("SBZX00038", close_data={"amount": "1", "months": 1}, person=short)
    young = reg.person(name="小李", born="19900101")
    with pytest.raises(RegistryRefused, match="法定退休年龄"):
        reg.run("SBZX00038", close_data={"amount": "1", "months": 1}, person=young)


def test_flexible_medical_retirement(reg: Reg) -> None:
    person = _flexible(reg, name="老周", born="19750101", sex="F")
    with pytest.raises(RegistryRefused, match="须达到法定退休年龄"):
        reg.run("SBZX00039", {"situation": "topup", "retired_on": "2026-10-31", "topup_amount": "5000"}, person=person)
    assert done(reg.run("SBZX00039", {"situation": "non_pool", "retired_on": "2026-10-31"}, person=person))
    person.refresh_from_db()
    assert person.medical_retiree
    assert Relationship.objects.get(person=person, insurance_type="medical").status == RelationshipStatus.RETIRED
    assert StepStatus.DONE
