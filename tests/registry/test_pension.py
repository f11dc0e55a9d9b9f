"""Pension benefits SBZX00060–00074: approval, start, recalculation, uprating, one-off payments,
termination on death, residents' pension, annual certification with suspension and resumption."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from shebao.registry import runs, services
from shebao.registry.errors import RegistryRefused
from shebao.registry.models import (
    BenefitDecision,
    BenefitKind,
    Certification,
    DecisionStatus,
    Filing,
    Payable,
    Person,
    PersonStatus,
    Relationship,
)
from shebao.registry.rules import resumption_month

from .conftest import Clock, Reg, done, snapshot

pytestmark = pytest.mark.django_db


def _retiree(reg: Reg, *, born: str = "19660101", sex: str = "M", months: int = 240, post: str = "") -> Person:
    person = reg.person(name="退休人", born=born, sex=sex, recorded_months=months, post_type=post)
    return person


def test_retirement_age_sex_and_post_rules(reg: Reg) -> None:
    man = _retiree(reg, born="19660101")  # 60 on 2026-01-01
    assert done(reg.run("SBZX00060", {"retire_on": "2026-11-01"}, person=man))
    woman_worker = _retiree(reg, born="19760101", sex="F")  # 50
    with pytest.raises(RegistryRefused, match="须注明岗位"):
        reg.run("SBZX00060", {"retire_on": "2026-11-01"}, person=woman_worker)
    assert done(reg.run("SBZX00060", {"retire_on": "2026-11-01", "post_type": "worker"}, person=woman_worker))
    woman_cadre = _retiree(reg, born="19760101", sex="F")
    with pytest.raises(RegistryRefused, match="应年满55周岁"):
        reg.run("SBZX00060", {"retire_on": "2026-11-01", "post_type": "cadre"}, person=woman_cadre)
    flexible_woman = _retiree(reg, born="19760101", sex="F")
    with pytest.raises(RegistryRefused, match="应年满55周岁"):
        reg.run("SBZX00060", {"retire_on": "2026-11-01", "flexible": True}, person=flexible_woman)
    assert done(reg.run("SBZX00060", {"retire_on": "2026-11-01", "flexible": True, "former_soe_worker": True},
                        person=flexible_woman))
    short = _retiree(reg, months=150)
    with pytest.raises(RegistryRefused, match="不满15年"):
        reg.run("SBZX00060", {"retire_on": "2026-11-01"}, person=short)
    # Deemed years count toward the 15.
    deemed = reg.person(name="视同", born="19600101", recorded_months=100, deemed_months=80)
    assert done(reg.run("SBZX00060", {"retire_on": "2026-11-01"}, person=deemed))


def test_start_needs_approval_then_recalculation_uprating_and_death(reg: Reg) -> None:
    employer = reg.employer()
    person = _retiree(reg, months=180)
    reg.employ(person, employer, start=date(2020, 1, 1))
    before = snapshot()
    with pytest.raises(RegistryRefused, match="尚无退休审批"):
        reg.run("SBZX00067", close_data={"monthly_amount": "3500", "start_month": "2026-12", "bank_name": "工行",
                                         "bank_account": "62220001"}, person=person)
    assert snapshot() == before
    reg.run("SBZX00060", {"retire_on": "2026-11-01"}, person=person)
    start = reg.run("SBZX00067", close_data={"monthly_amount": "3500", "start_month": "2026-12",
                                             "bank_name": "工行", "bank_account": "62220001"}, person=person)
    assert done(start)
    person.refresh_from_db()
    pension = BenefitDecision.objects.get(person=person, kind=BenefitKind.PENSION)
    assert person.status == PersonStatus.RETIRED and person.retired_on == date(2026, 11, 1)
    assert pension.monthly_amount == Decimal("3500") and pension.start_month == date(2026, 12, 1)
    assert not Relationship.objects.filter(person=person, status="active").exists()
    reg.run("SBZX00065", close_data={"monthly_amount": "3600", "reason": "视同缴费年限漏记"}, person=person)
    reg.run("SBZX00068", close_data={"year": 2026, "increase": "80", "backpay_months": 10}, person=person)
    pension.refresh_from_db()
    assert pension.monthly_amount == Decimal("3680")
    assert Payable.objects.get(decision=pension, kind=BenefitKind.BACKPAY).amount == Decimal("800")
    with pytest.raises(RegistryRefused, match="2026年度已调整"):
        reg.run("SBZX00068", close_data={"year": 2026, "increase": "80"}, person=person)
    reg.run("SBZX00066", {"retirement_category": "退职", "work_start_date": "1985-07-01"}, person=person)
    person.refresh_from_db()
    assert person.work_start_date == date(1985, 7, 1)
    done_case = reg.run("SBZX00063", close_data={"died_on": "2026-11-01", "funeral_amount": "20000"}, person=person)
    assert done(done_case)
    pension.refresh_from_db()
    person.refresh_from_db()
    assert pension.status == DecisionStatus.TERMINATED and pension.end_month == date(2026, 11, 1)
    assert person.status == PersonStatus.DECEASED
    assert Payable.objects.get(case=done_case).amount == Decimal("20000")


def test_one_off_pension_and_recalculation(reg: Reg) -> None:
    short = reg.person(name="短缴", born="19600101", recorded_months=100, pension_account_balance=Decimal("15000"))
    case = reg.run("SBZX00062", close_data={"reason": "short_contribution", "amount": "15000"}, person=short)
    assert done(case)
    short.refresh_from_db()
    assert short.pension_account_balance == 0 and Payable.objects.get(case=case).amount == Decimal("15000")
    recalc = reg.run("SBZX00064", close_data={"new_amount": "15800", "reason": "缴费基数录入有误"}, person=short)
    assert Payable.objects.get(case=recalc).amount == Decimal("800")
    full = reg.person(name="满缴", born="19600101", recorded_months=200)
    with pytest.raises(RegistryRefused, match="应按月领取"):
        reg.run("SBZX00062", close_data={"reason": "short_contribution", "amount": "1"}, person=full)
    with pytest.raises(RegistryRefused, match="没有一次性养老待遇"):
        reg.run("SBZX00064", close_data={"new_amount": "1", "reason": "x"}, person=full)
    young = reg.person(name="在职死亡", born="19800101")
    reg.run("SBZX00062", close_data={"reason": "death", "amount": "9000", "died_on": "2026-10-01"}, person=young)
    young.refresh_from_db()
    assert young.status == PersonStatus.DECEASED


def test_identity_flags(reg: Reg) -> None:
    person = reg.person(name="五七工")
    reg.run("SBZX00061", {"identity": "五七工"}, person=person)
    person.refresh_from_db()
    assert person.special_identities == ["五七工"]
    with pytest.raises(RegistryRefused, match="已标识"):
        reg.run("SBZX00061", {"identity": "五七工"}, person=person)


@pytest.mark.parametrize(("day", "cutoff", "before", "after", "expected"), [
    (date(2026, 11, 19), 20, 0, 1, date(2026, 11, 1)),   # SBZX00071 before the 20th: this month
    (date(2026, 11, 20), 20, 0, 1, date(2026, 12, 1)),   # on/after the 20th: next month
    (date(2026, 11, 21), 22, 1, 2, date(2026, 12, 1)),   # SBZX00072 before the 22nd: next month
    (date(2026, 11, 23), 22, 1, 2, date(2027, 1, 1)),    # after the 22nd: the third month
])
def test_resumption_rules(day: date, cutoff: int, before: int, after: int, expected: date) -> None:
    assert resumption_month(certified_on=day, cutoff=cutoff, before=before, after=after) == expected


def test_missed_certification_suspends_and_late_certification_resumes_with_backpay(reg: Reg, clock: Clock) -> None:
    person = _retiree(reg)
    pension = services.decision_create(actor="test", case=None, kind=BenefitKind.PENSION, person=person,
                                       monthly_amount=Decimal("3000"), start_month=date(2020, 1, 1))
    Person.objects.filter(pk=person.pk).update(status=PersonStatus.RETIRED, retired_on=date(2020, 1, 1))
    suspended = services.benefits_suspend_uncertified(actor="system:test", year=2026, on=date(2026, 6, 30))
    assert suspended == 1
    pension.refresh_from_db()
    assert pension.status == DecisionStatus.SUSPENDED and pension.suspended_from == date(2026, 7, 1)
    assert services.payables_generate_monthly(actor="test", month=date(2026, 8, 1)) == []  # suspended: nothing
    clock.set(2026, 11, 23)  # after the 22nd: resumes in the third month (January 2027)
    case = reg.run("SBZX00072", {"year": 2026, "channel": "window"}, person=person)
    assert done(case)
    pension.refresh_from_db()
    # Still suspended until January: December is neither paid monthly nor back-paid twice.
    assert pension.status == DecisionStatus.SUSPENDED and pension.resume_month == date(2027, 1, 1)
    cert = Certification.objects.get(person=person, year=2026)
    assert cert.resumed_from == date(2027, 1, 1)
    assert runs.run_certification_resume(month=date(2026, 12, 1)).changed == 0
    assert runs.run_monthly_payables(month=date(2026, 12, 1)).changed == 0
    assert runs.run_certification_resume(month=date(2027, 1, 1)).changed == 1
    pension.refresh_from_db()
    assert pension.status == DecisionStatus.ACTIVE and pension.resume_month is None
    backpay = Payable.objects.get(decision=pension, kind=BenefitKind.BACKPAY)
    assert backpay.amount == Decimal("3000") * 6 and backpay.period == date(2027, 1, 1)  # July–December 2026
    assert runs.run_certification_resume(month=date(2027, 1, 1)).changed == 0
    with pytest.raises(RegistryRefused, match="已完成认证"):
        reg.run("SBZX00072", {"year": 2026}, person=person)
    # A medical-only retiree certifies too; a person with no benefit cannot.
    medical = reg.person(name="医保退休", medical_retiree=True)
    assert done(reg.run("SBZX00072", {"year": 2026, "channel": "app"}, person=medical))
    with pytest.raises(RegistryRefused, match="没有正在领取"):
        reg.run("SBZX00074", {"year": 2026}, person=reg.person(name="无待遇"))
    assert services.benefits_suspend_uncertified(actor="system:test", year=2026, on=date(2026, 6, 30)) == 0


def test_residents_pension_receipt_certification_and_termination(reg: Reg, clock: Clock) -> None:
    person = reg.person(name="居民老人", born="19600101", hukou_district="江岸")
    with pytest.raises(RegistryRefused, match="未参加城乡居民基本养老保险"):
        reg.run("SBZX00069", close_data={"monthly_amount": "300", "bank_account": "6228001"}, person=person,
                unit=reg.street)
    services.relationship_start(actor="test", case=None, person=person, insurance_type="resident_pension",
                                kind="resident", start_on=date(2012, 1, 1))
    case = reg.run("SBZX00069", close_data={"monthly_amount": "300", "bank_account": "6228001"}, person=person,
                   unit=reg.street)
    assert done(case)
    decision = BenefitDecision.objects.get(person=person, kind=BenefitKind.RESIDENT_PENSION)
    assert decision.start_month == date(2026, 12, 1)
    services.decision_update(actor="test", case=None, decision=decision,
                             changes={"status": DecisionStatus.SUSPENDED, "suspended_from": date(2027, 1, 1)})
    clock.set(2027, 2, 10)  # before the 20th: resumes this month, January back-paid
    cert = reg.run("SBZX00071", {"year": 2027}, person=person)
    assert Certification.objects.get(case=cert).resumed_from == date(2027, 2, 1)
    assert Payable.objects.get(case=cert).amount == Decimal("300")
    reg.run("SBZX00070", {"died_on": "2027-02-01"}, person=person, unit=reg.street)
    decision.refresh_from_db()
    assert decision.status == DecisionStatus.TERMINATED
    young = reg.person(name="年轻居民", born="19800101")
    services.relationship_start(actor="test", case=None, person=young, insurance_type="resident_pension",
                                kind="resident", start_on=date(2012, 1, 1))
    with pytest.raises(RegistryRefused, match="须年满60周岁"):
        reg.run("SBZX00069", close_data={"monthly_amount": "300", "bank_account": "6228001"}, person=young,
                unit=reg.street)
    assert Filing.objects.count() == 0


def test_out_of_town_and_survivor_certification(reg: Reg) -> None:
    person = _retiree(reg)
    services.decision_create(actor="test", case=None, kind=BenefitKind.PENSION, person=person,
                             monthly_amount=Decimal("2800"), start_month=date(2019, 1, 1))
    case = reg.submit("SBZX00073", person=person)
    findings = reg.data(case, {"year": 2026, "channel": "mail", "mailed_on": "2027-01-05"})
    assert findings[0].level == "warn" and "12月31日" in findings[0].message
    reg.accept(case)
    assert done(reg.walk(case))
    survivor = reg.person(name="遗属")
    services.decision_create(actor="test", case=None, kind=BenefitKind.SURVIVOR_ALLOWANCE, person=survivor,
                             monthly_amount=Decimal("500"), start_month=date(2019, 1, 1))
    assert done(reg.run("SBZX00074", {"year": 2026}, person=survivor))
