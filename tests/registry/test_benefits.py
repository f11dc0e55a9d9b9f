"""Medical, work-injury, maternity (YBZX), unemployment (SYB) and bureau (GSC, YLC) items: decisions,
payables, payment runs (a payable is never paid twice), filings and approvals."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from shebao.registry import services
from shebao.registry.errors import RegistryRefused
from shebao.registry.models import (
    BenefitDecision,
    BenefitKind,
    DecisionStatus,
    Filing,
    FilingKind,
    Payable,
    PayableStatus,
    PaymentRun,
    Person,
    PersonStatus,
)

from .conftest import Clock, Reg, done, new_credit_code, snapshot

pytestmark = pytest.mark.django_db


def test_medical_claim_needs_the_referral_filing_and_payables_are_paid_once(reg: Reg) -> None:
    employer = reg.employer()
    person = reg.person(name="病人")
    reg.employ(person, employer, types=["medical"])
    claim = {"amount": "3200.00", "discharged_on": "2026-10-20", "hospital": "北京协和医院", "reason": "emergency"}
    before = snapshot()
    with pytest.raises(RegistryRefused, match="YBZX00005"):
        reg.run("YBZX00004", close_data=claim, person=person)
    assert snapshot() == before
    reg.run("YBZX00005", {"reason": "emergency", "hospital": "北京协和医院", "admitted_on": "2026-10-28"}, person=person)
    first = reg.run("YBZX00004", close_data=claim, person=person)
    second = reg.run("YBZX00004", close_data={**claim, "amount": "800"}, person=person)
    payables = [Payable.objects.get(case=first), Payable.objects.get(case=second)]
    pay = reg.run("YBZX00007", close_data={"payables": [p.number for p in payables]}, employer=employer)
    assert done(pay)
    run = PaymentRun.objects.get(case=pay)
    assert run.count == 2 and run.total == Decimal("4000.00")
    assert set(Payable.objects.filter(run=run).values_list("status", flat=True)) == {PayableStatus.PAID}
    before = snapshot()
    with pytest.raises(RegistryRefused, match="不能重复支付"):
        reg.run("YBZX00007", close_data={"payables": [payables[0].number]}, employer=employer)
    with pytest.raises(RegistryRefused, match="不能重复支付"):
        services.payment_run_execute(actor="test", payables=[Payable.objects.get(pk=payables[1].pk)], title="again")
    assert snapshot() == before


def test_resident_claims_severe_outpatient_and_veteran_items(reg: Reg) -> None:
    resident = reg.person(name="居民")
    services.relationship_start(actor="test", case=None, person=resident, insurance_type="resident_medical",
                                kind="resident", start_on=date(2026, 1, 1))
    reg.run("YBZX00002", {"reason": "referral", "hospital": "北京301医院", "admitted_on": "2026-10-01"},
            person=resident)
    case = reg.submit("YBZX00001", person=resident)
    reg.accept(case)
    late = reg.data(case, {"amount": "1000", "discharged_on": "2026-09-20"})
    assert late[0].level == "warn" and "出院后一个月内" in late[0].rule
    assert done(reg.walk(case))
    # 门诊重症: intake on Monday–Wednesday only (the clock is a Monday).
    severe = reg.run("YBZX00003", close_data={"disease": "糖尿病", "hospital": "武汉协和医院", "pharmacy": "某大药房"},
                     person=resident)
    assert done(severe)
    assert Filing.objects.get(case=severe).detail["pharmacy"] == "某大药房"
    with pytest.raises(RegistryRefused, match="已确定糖尿病"):
        reg.run("YBZX00003", close_data={"disease": "糖尿病", "hospital": "x", "pharmacy": "y"}, person=resident)
    veteran = reg.person(name="老兵", special_identities=["残疾军人"])
    reg.run("YBZX00020", {"count": 3}, person=veteran)
    with pytest.raises(RegistryRefused, match="最多还能领取1张"):
        reg.run("YBZX00020", {"count": 2}, person=veteran)
    reg.run("YBZX00021", person=veteran)
    reg.run("YBZX00023", {"hospital": "武汉市第一医院"}, person=veteran)
    veteran.refresh_from_db()
    assert veteran.designated_hospital == "武汉市第一医院"
    claim = reg.run("YBZX00022", close_data={"amount": "500", "discharged_on": "2026-10-25"}, person=veteran)
    assert Payable.objects.get(case=claim).amount == Decimal("500")
    with pytest.raises(RegistryRefused, match="离休干部或伤残军人"):
        reg.run("YBZX00020", {"count": 1}, person=resident)
    reg.run("YBZX00024", {"insured_region": "孝感市", "hospital": "武汉市第三医院"}, person=resident)
    assert done(reg.run("YBZX00025", person=resident))


def test_maternity_needs_six_months_and_the_registration(reg: Reg) -> None:
    employer = reg.employer()
    mother = reg.person(name="妈妈", sex="F", born="19920101")
    reg.employ(mother, employer, start=date(2026, 7, 1))
    with pytest.raises(RegistryRefused, match="不满6个月"):
        reg.run("YBZX00014", {"person": {"id_number": mother.id_number}, "kind": "delivery"}, employer=employer)
    older = reg.person(name="老员工", sex="F", born="19900101")
    reg.employ(older, employer, start=date(2024, 1, 1))
    with pytest.raises(RegistryRefused, match="YBZX00014"):
        reg.run("YBZX00017", close_data={"person": {"id_number": older.id_number}, "amount": "3000",
                                         "treatment_ended_on": "2026-10-25"}, employer=employer)
    reg.run("YBZX00014", {"person": {"id_number": older.id_number}, "kind": "delivery"}, employer=employer)
    cash = reg.run("YBZX00017", close_data={"person": {"id_number": older.id_number}, "amount": "3000",
                                            "treatment_ended_on": "2026-10-25"}, employer=employer)
    assert done(cash) and Payable.objects.get(case=cash).amount == Decimal("3000")
    complication = reg.run("YBZX00018", close_data={"person": {"id_number": older.id_number}, "amount": "1000",
                                                    "discharged_on": "2026-10-25"}, person=older)
    assert Payable.objects.get(case=complication).person == older
    allowance = reg.run("YBZX00019", close_data={"person": {"id_number": older.id_number}, "kind": "maternity",
                                                 "amount": "18000", "leave_ended_on": "2026-10-01"}, employer=employer)
    assert Payable.objects.get(case=allowance).employer == employer
    father = reg.person(name="爸爸", sex="M", born="19900101")
    reg.employ(father, employer, start=date(2024, 1, 1))
    with pytest.raises(RegistryRefused, match="生育服务证"):
        reg.run("YBZX00013", {"person": {"id_number": father.id_number}, "kind": "delivery", "child_order": 2},
                employer=employer)
    reg.run("YBZX00013", {"person": {"id_number": father.id_number}, "kind": "delivery"}, employer=employer)
    reg.run("YBZX00015", close_data={"person": {"id_number": father.id_number}, "amount": "2000",
                                     "treatment_ended_on": "2026-10-25"}, employer=employer)
    reg.run("YBZX00016", close_data={"person": {"id_number": father.id_number}, "amount": "2500",
                                     "discharged_on": "2026-10-25"}, person=father)
    assert Payable.objects.filter(person=father).count() == 2


def test_injury_determination_then_benefits_and_monthly_payables(reg: Reg) -> None:
    employer = reg.employer()
    worker = reg.person(name="工伤职工")
    reg.employ(worker, employer)
    with pytest.raises(RegistryRefused, match="GSC00001"):
        reg.run("YBZX00008", close_data={"person": {"id_number": worker.id_number}, "amount": "5000"},
                employer=employer)
    case = reg.submit("GSC00001", employer=employer)
    reg.data(case, {"person": {"id_number": worker.id_number}, "employer_credit_code": employer.credit_code,
                    "injury_date": "2026-09-01", "category": "在工作时间和工作场所内因工作原因受到事故伤害"})
    reg.accept(case)
    with pytest.raises(RegistryRefused, match="决定书文号"):
        reg.walk(case)
    reg.data(case, {"person": {"id_number": worker.id_number}, "employer_credit_code": employer.credit_code,
                    "injury_date": "2026-09-01", "category": "事故伤害", "decision": "injury",
                    "decision_number": "武人社工伤认字〔2026〕100号"})
    assert done(reg.walk(case))
    assert Filing.objects.get(kind=FilingKind.INJURY_DETERMINATION).outcome == "认定工伤"
    reg.run("YBZX00008", close_data={"person": {"id_number": worker.id_number}, "amount": "5000"}, employer=employer)
    with pytest.raises(RegistryRefused, match="限1—4级"):
        reg.run("YBZX00009", close_data={"person": {"id_number": worker.id_number}, "disability_level": 6},
                employer=employer)
    reg.run("YBZX00009", close_data={"person": {"id_number": worker.id_number}, "disability_level": 3,
                                     "amount": "100000", "monthly_allowance": "3000", "nursing_monthly": "1200"},
            employer=employer)
    allowance = BenefitDecision.objects.get(person=worker, kind=BenefitKind.INJURY_DISABILITY_ALLOWANCE)
    assert allowance.start_month == date(2026, 12, 1)
    created = services.payables_generate_monthly(actor="test", month=date(2026, 12, 1))
    assert {p.kind for p in created} == {BenefitKind.INJURY_DISABILITY_ALLOWANCE, BenefitKind.INJURY_NURSING}
    assert services.payables_generate_monthly(actor="test", month=date(2026, 12, 1)) == []  # idempotent
    with pytest.raises(RegistryRefused, match="解除劳动合同"):
        reg.run("YBZX00010", close_data={"person": {"id_number": worker.id_number}, "disability_level": 7,
                                         "amount": "20000"}, employer=employer)
    with pytest.raises(RegistryRefused, match="不是工亡"):
        reg.run("YBZX00011", close_data={"person": {"id_number": worker.id_number}, "death_grant": "900000"},
                employer=employer)
    # A fatal determination: death grants and a dependant's monthly pension.
    dead = reg.person(name="工亡职工")
    reg.employ(dead, employer)
    reg.run("GSC00001", {"person": {"id_number": dead.id_number}, "injury_date": "2026-10-01",
                                    "category": "事故伤害", "decision": "injury", "fatal": True,
                                    "decision_number": "武人社工伤认字〔2026〕101号"}, employer=employer)
    dead.refresh_from_db()
    assert dead.status == PersonStatus.DECEASED
    reg.run("YBZX00011", close_data={"person": {"id_number": dead.id_number}, "death_grant": "900000",
                                     "funeral_grant": "40000"}, employer=employer)
    reg.run("YBZX00012", close_data={"person": {"id_number": dead.id_number},
                                     "dependants": [{"name": "子女", "relation": "子", "monthly": "1500"}]},
            employer=employer)
    assert BenefitDecision.objects.filter(person=dead).count() == 3
    # 5–10 级 after the contract ended.
    hurt = reg.person(name="轻伤职工")
    rels = reg.employ(hurt, employer)
    reg.run("GSC00001", {"person": {"id_number": hurt.id_number}, "injury_date": "2026-08-01",
                                    "category": "事故伤害", "decision": "deemed", "decision_number": "X102"},
            employer=employer)
    for rel in rels:
        services.relationship_stop(actor="test", case=None, relationship=rel, stop_on=date(2026, 10, 31), reason="解除")
    assert done(reg.run("YBZX00010", close_data={"person": {"id_number": hurt.id_number}, "disability_level": 7,
                                                 "amount": "20000", "contract_ended_on": "2026-10-31"},
                        employer=employer))


def test_unemployment_claim_monthly_run_lump_sum_and_death(reg: Reg, clock: Clock) -> None:
    employer = reg.employer()
    person = reg.person(name="失业人员")
    rels = reg.employ(person, employer, start=date(2019, 1, 1))
    with pytest.raises(RegistryRefused, match="不属于失业人员"):
        reg.run("SYB00002", close_data={"monthly_amount": "1800", "registered_unemployed": True,
                                        "bank_account": "6228480001"}, person=person)
    for rel in rels:
        services.relationship_stop(actor="test", case=None, relationship=rel, stop_on=date(2026, 9, 30),
                                   reason="终止解除劳动合同（劳动关系）")
    reg.run("SYB00001", {"persons": [{"id_number": person.id_number, "separated_on": "2026-09-30"}]},
            employer=employer)
    claim = reg.run("SYB00002", close_data={"monthly_amount": "1800", "registered_unemployed": True,
                                            "bank_account": "6228480001"}, person=person)
    decision = BenefitDecision.objects.get(case=claim)
    assert decision.months_total == 18  # 7 years and 9 months of contributions
    assert decision.start_month == date(2026, 12, 1)
    with pytest.raises(RegistryRefused, match="没有应发"):
        reg.run("SYB00005", {"month": "2026-11"})  # the benefit starts in December
    clock.set(2026, 12, 7)
    run_case = reg.run("SYB00005", {"month": "2026-12"})
    assert done(run_case)
    run = PaymentRun.objects.get(case=run_case)
    assert run.count == 1 and run.total == Decimal("1800")
    with pytest.raises(RegistryRefused, match="已发放"):
        reg.run("SYB00005", {"month": "2026-12"})  # never paid twice
    lump = reg.run("SYB00004", {"business_credit_code": new_credit_code(), "started_on": "2026-12-01"}, person=person)
    assert done(lump)
    decision.refresh_from_db()
    assert decision.status == DecisionStatus.SETTLED
    assert Payable.objects.get(case=lump).amount == Decimal("1800") * 17
    second = reg.person(name="失业人员二")
    for rel in reg.employ(second, employer, start=date(2010, 1, 1)):
        services.relationship_stop(actor="test", case=None, relationship=rel, stop_on=date(2026, 9, 30), reason="x")
    reg.run("SYB00002", close_data={"monthly_amount": "1900", "registered_unemployed": True,
                                    "bank_account": "6228480002"}, person=second)
    assert reg.run("SYB00003", close_data={"died_on": "2026-11-01", "funeral_amount": "5000"}, person=second)
    second.refresh_from_db()
    assert second.status == PersonStatus.DECEASED
    with pytest.raises(RegistryRefused, match="不在领取失业保险金期间"):
        reg.run("SYB00004", {"business_credit_code": new_credit_code(), "started_on": "2026-11-01"}, person=person)


def test_job_retention_subsidy_applied_then_paid_once(reg: Reg) -> None:
    employer = reg.employer()
    with pytest.raises(RegistryRefused, match="裁员率"):
        reg.run("SYB00009", {"year": 2026, "employees": 100, "layoffs_last_year": 5, "city_unemployment_rate": "2.5"},
                employer=employer)
    applied = reg.run("SYB00009", {"year": 2026, "employees": 100, "layoffs_last_year": 1,
                                   "city_unemployment_rate": "2.5"}, employer=employer)
    filing = Filing.objects.get(case=applied)
    rows = {"year": 2026, "approval_number": "武政函〔2026〕1号", "rows": [{"filing": filing.number, "amount": "50000"}]}
    paid = reg.run("SYB00008", close_data=rows)
    assert done(paid)
    assert Payable.objects.get(employer=employer).status == PayableStatus.PAID
    with pytest.raises(RegistryRefused, match="不能重复发放"):
        reg.run("SYB00008", close_data=rows)
    moved = reg.person(name="转入")
    reg.run("SYB00006", close_data={"from_region": "孝感市", "monthly_amount": "1500", "months_remaining": 6,
                                    "hukou_in_wuhan": True}, person=moved)
    assert BenefitDecision.objects.get(person=moved, kind=BenefitKind.UNEMPLOYMENT).months_total == 6
    archive = reg.run("SYB00007", {"action": "withdraw", "agreement_number": "TG2026001"},
                      person=reg.person(name="档案"))
    assert Filing.objects.get(case=archive).outcome == "档案已提取"


def test_early_retirement_approvals_annuity_and_extension(reg: Reg) -> None:
    employer = reg.employer()
    worker = reg.person(name="井下工", born="19700101", recorded_months=200)
    reg.employ(worker, employer)
    with pytest.raises(RegistryRefused, match="不满9年"):
        reg.run("YLC00001", {"person": {"id_number": worker.id_number}, "job": "underground", "job_years": 8,
                             "soe_formal_worker": True}, employer=employer)
    approved = reg.run("YLC00001", {"person": {"id_number": worker.id_number}, "job": "underground", "job_years": 9.5,
                                    "soe_formal_worker": True}, employer=employer)
    assert done(approved)
    # The approval lets SBZX00067 start the pension.
    assert done(reg.run("SBZX00067", close_data={"monthly_amount": "4000", "start_month": "2026-12",
                                                 "bank_name": "工行", "bank_account": "62220009"}, person=worker))
    ill = reg.person(name="病退", born="19740101", sex="F", recorded_months=190)
    with pytest.raises(RegistryRefused, match="完全丧失劳动能力"):
        reg.run("YLC00002", {"person": {"id_number": ill.id_number}, "fully_incapacitated": False,
                             "soe_worker": True}, employer=employer)
    assert done(reg.run("YLC00002", {"person": {"id_number": ill.id_number}, "fully_incapacitated": True,
                                     "soe_worker": True}, employer=employer))
    assert done(reg.run("YLC00003", {"plan_name": "企业年金计划", "collective_bargaining": True}, employer=employer))
    expert = reg.person(name="专家", born="19660601")
    reg.employ(expert, employer)
    case = reg.run("YLC00004", {"person": {"id_number": expert.id_number}, "title": "associate_senior_or_above",
                                "ground": 1, "extend_to": "2031-06-01", "consent": True}, employer=employer)
    assert Filing.objects.get(case=case).valid_to == date(2031, 6, 1)
    assert Person.objects.filter(name="专家").exists()
