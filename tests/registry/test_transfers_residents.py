"""Transfers (SBZX00040–00050), account items (00042–00044) and residents (00051–00059)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from shebao.accounts.models import OrgUnit
from shebao.cases import services as case_services
from shebao.cases.models import CaseStatus, StepStatus
from shebao.registry import services
from shebao.registry.errors import RegistryRefused
from shebao.registry.models import (
    Bill,
    BillStatus,
    Payable,
    Person,
    PersonStatus,
    Relationship,
    RelationshipStatus,
    Transfer,
)

from .conftest import Reg, done, new_id, snapshot

pytestmark = pytest.mark.django_db


def test_pension_transfer_out_waits_for_the_letter_and_closes_the_record(reg: Reg) -> None:
    employer = reg.employer()
    person = reg.person(name="甲", recorded_months=12, pension_account_balance=Decimal("8000"))
    services.relationship_start(actor="test", case=None, person=person, insurance_type="pension", kind="employer",
                                employer=employer, start_on=date(2020, 1, 1), status="stopped",
                                stop_on=date(2025, 12, 31))
    case = reg.submit("SBZX00040", person=person)
    reg.accept(case)
    case_services.case_step_complete(case=case, actor=reg.admin, outcome="pass", note="已出具凭证")
    case.refresh_from_db()
    assert case.steps.get(status=StepStatus.ACTIVE).event == "letter_received"
    case_services.case_record_event(case=case, actor=None, event="letter_received")
    case.refresh_from_db()
    reg.data(case, {"counterpart": "深圳市社会保险基金管理局", "funds": "8000"})
    assert done(reg.walk(case))
    transfer = Transfer.objects.get(person=person)
    assert transfer.direction == "out" and transfer.months == 84 and transfer.letter_on == date(2026, 11, 2)
    person.refresh_from_db()
    assert person.recorded_months == 0 and person.pension_account_balance == 0
    assert Relationship.objects.get(person=person).status == RelationshipStatus.TRANSFERRED_OUT


def test_pension_transfer_in_conditions(reg: Reg) -> None:
    older = reg.person(name="乙", born="19700101")
    with pytest.raises(RegistryRefused, match="超过年龄"):
        reg.run("SBZX00041", close_data={"from_region": "长沙市", "months": 60, "funds": "9000", "condition": 1},
                person=older)
    young = reg.person(name="丙", born="19900101")
    case = reg.run("SBZX00041", close_data={"from_region": "长沙市", "months": 60, "funds": "9000", "condition": 1},
                   person=young)
    assert done(case)
    young.refresh_from_db()
    assert young.recorded_months == 60 and young.pension_account_balance == Decimal("9000")
    assert Transfer.objects.get(person=young).counterpart == "长沙市"


def test_military_spouse_veteran_medical_and_unemployment_transfers(reg: Reg) -> None:
    employer = reg.employer()
    spouse = reg.person(name="丁", born="19880101", sex="F")
    with pytest.raises(RegistryRefused, match="情形2"):
        reg.run("SBZX00045", close_data={"from_region": "部队", "months": 36, "condition": 2}, person=spouse)
    reg.employ(spouse, employer)
    assert done(reg.run("SBZX00045", close_data={"from_region": "部队", "months": 36, "funds": "3000",
                                                 "condition": 1}, person=spouse))
    assert Transfer.objects.get(person=spouse).counterpart == "军队后勤（联勤）机关财务部门"
    veteran = reg.person(name="戊", born="19950101")
    reg.employ(veteran, employer)
    with pytest.raises(RegistryRefused, match="接收安置单位"):
        reg.run("SBZX00046", close_data={"from_region": "部队", "months": 48, "condition": 1}, person=veteran)
    assert done(reg.run("SBZX00046", close_data={"from_region": "部队", "months": 48, "condition": 3},
                        person=veteran))
    reg.run("SBZX00048", close_data={"from_region": "北京市", "months": 0, "funds": "1200"}, person=veteran)
    veteran.refresh_from_db()
    assert veteran.medical_account_balance == Decimal("1200")
    reg.run("SBZX00050", close_data={"from_region": "北京市", "months": 30, "condition": 1}, person=veteran)
    veteran.refresh_from_db()
    assert veteran.unemployment_months == 30
    # Medical and unemployment transfers out.
    reg.run("SBZX00047", close_data={"counterpart": "北京市医保局", "funds": "1200"}, person=veteran)
    assert Relationship.objects.get(person=veteran, insurance_type="medical").status == "transferred_out"
    internal = reg.submit("SBZX00049", name="市失业办")
    reg.data(internal, {"counterpart": "北京市", "person": {"id_number": veteran.id_number}})
    reg.accept(internal)
    assert done(reg.walk(internal))
    veteran.refresh_from_db()
    assert veteran.unemployment_months == 0


def test_subsidy_multiple_relationships_and_refund_after_retirement(reg: Reg) -> None:
    employer = reg.employer()
    person = reg.person(name="己")
    with pytest.raises(RegistryRefused, match="未在本市参加"):
        reg.run("SBZX00042", close_data={"amount": "20000", "years_in_office": 8}, person=person)
    reg.employ(person, employer, types=["pension"])
    reg.run("SBZX00042", close_data={"amount": "20000", "years_in_office": 8}, person=person)
    person.refresh_from_db()
    assert person.pension_account_balance == Decimal("20000")
    with pytest.raises(RegistryRefused, match="没有同一时间段内"):
        reg.run("SBZX00043", close_data={"refund_amount": "100", "bank_name": "工商银行", "bank_account": "6222001"},
                person=person)
    services.relationship_start(actor="test", case=None, person=person, insurance_type="resident_pension",
                                kind="resident", start_on=date(2018, 1, 1))
    case = reg.run("SBZX00043", close_data={"refund_amount": "1500", "bank_name": "工商银行",
                                            "bank_account": "6222001"}, person=person)
    assert done(case)
    assert Relationship.objects.get(person=person, insurance_type="resident_pension").status == "cleared"
    assert Payable.objects.get(case=case).amount == Decimal("1500")
    retiree = reg.person(name="庚", born="19600101", status=PersonStatus.RETIRED, retired_on=date(2020, 1, 31))
    reg.employ(retiree, employer, types=["pension"], start=date(2010, 1, 1))
    case = reg.run("SBZX00044", close_data={"refund_amount": "30000", "bank_name": "建设银行",
                                            "bank_account": "6217001"}, person=retiree)
    assert done(case)
    rel = Relationship.objects.get(person=retiree)
    assert rel.stop_on == date(2020, 1, 31) and rel.status == "stopped"


def test_resident_medical_enrolment_stop_and_changes(reg: Reg) -> None:
    newborn = new_id("20260901", sex="F")
    case = reg.run("SBZX00051", {"category": "newborn", "year": 2026, "person": {"id_number": newborn, "name": "小宝"}},
                   id_number=newborn, unit=reg.street)
    assert done(case)
    baby = Person.objects.get(id_number=newborn)
    rel = Relationship.objects.get(person=baby)
    assert rel.insurance_type == "resident_medical" and rel.category == "新生儿"
    with pytest.raises(RegistryRefused, match="已参加城乡居民医保"):
        reg.run("SBZX00051", {"category": "ordinary", "year": 2026}, person=baby, unit=reg.street)
    employer = reg.employer()
    worker = reg.person(name="辛")
    reg.employ(worker, employer, types=["medical"])
    with pytest.raises(RegistryRefused, match="职工基本医疗保险"):
        reg.run("SBZX00051", {"category": "ordinary", "year": 2026}, person=worker, unit=reg.street)
    reg.run("SBZX00053", {"changes": {"residence_address": "江岸区某路1号"}}, person=baby, unit=reg.street)
    reg.run("SBZX00054", {"changes": {"name": "王小宝"}}, person=baby, unit=reg.street)
    baby.refresh_from_db()
    assert baby.name == "王小宝" and baby.residence_address == "江岸区某路1号"
    with pytest.raises(RegistryRefused, match="死亡证明"):
        reg.run("SBZX00052", {"reason": "death", "stopped_on": "2026-10-30"}, person=baby, unit=reg.street)
    reg.run("SBZX00052", {"reason": "emigrated", "stopped_on": "2026-10-30"}, person=baby, unit=reg.street)
    assert Relationship.objects.get(person=baby).stop_reason == "出国定居"


def test_resident_pension_contributions_confirmation_and_rollback(reg: Reg) -> None:
    hukou_other = new_id("19700101", sex="F")
    with pytest.raises(RegistryRefused, match="户籍地为武昌"):
        reg.run("SBZX00055", {"hukou_district": "武昌", "person": {"id_number": hukou_other, "name": "壬"}},
                id_number=hukou_other, unit=reg.street)
    number = new_id("19700101", sex="F")
    assert done(reg.run("SBZX00055", {"hukou_district": "江岸", "person": {"id_number": number, "name": "癸"}},
                        id_number=number, unit=reg.street))
    person = Person.objects.get(id_number=number)
    with pytest.raises(RegistryRefused, match="SBZX00055"):
        reg.run("SBZX00056-1", {"year": 2026, "grade": 300, "amount": "300"}, person=reg.person(name="未参保"),
                unit=reg.street)
    assess = reg.run("SBZX00056-1", {"year": 2026, "grade": 500, "amount": "500"}, person=person, unit=reg.street)
    bill = Bill.objects.get(case=assess)
    assert bill.pay_by == date(2026, 12, 20) and bill.status == BillStatus.ASSESSED
    with pytest.raises(RegistryRefused, match="2026年已申报"):
        reg.run("SBZX00056-1", {"year": 2026, "grade": 300, "amount": "300"}, person=person, unit=reg.street)
    # 回退 the unpaid bill; the confirmation of a rolled-back bill is then refused.
    assert done(reg.run("SBZX00059", {}, person=person, unit=reg.street))
    bill.refresh_from_db()
    assert bill.status == BillStatus.CANCELLED
    before = snapshot()
    with pytest.raises(RegistryRefused, match="不能到账确认"):
        reg.run("SBZX00056-2", {"paid_on": "2026-11-01"}, person=person, unit=reg.street)
    assert snapshot() == before
    # Declare again, pay, confirm; then 回退 is refused (paid).
    again = reg.run("SBZX00056-1", {"year": 2026, "grade": 300, "amount": "300"}, person=person, unit=reg.street)
    assert done(reg.run("SBZX00056-2", {"paid_on": "2026-11-01", "receipt_number": "B1"}, person=person,
                        unit=reg.street))
    assert Bill.objects.get(case=again).status == BillStatus.CONFIRMED
    with pytest.raises(RegistryRefused, match="没有已核定未缴费"):
        reg.run("SBZX00059", {}, person=person, unit=reg.street)
    back = reg.run("SBZX00057-1", {"years": [2024, 2025], "amount": "600"}, person=person, unit=reg.street)
    assert Bill.objects.get(case=back).period_from == date(2024, 1, 1)
    with pytest.raises(RegistryRefused, match="已缴或已核定"):
        reg.run("SBZX00057-1", {"years": [2025], "amount": "300"}, person=person, unit=reg.street)
    assert done(reg.run("SBZX00057-2", {"paid_on": "2026-11-02"}, person=person, unit=reg.street))
    reg.run("SBZX00058", {"changes": {"health_status": "良好", "email": "a@example.com"}}, person=person,
            unit=reg.street)
    person.refresh_from_db()
    assert person.health_status == "良好"
    assert CaseStatus.COMPLETED
    assert OrgUnit.objects.exists()
