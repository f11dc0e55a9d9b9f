"""Contribution bills: employer arrears (SBZX00020-1/-2), refunds (00021), pension back-payments
(00024–00028), residents' pension contributions and back-payments with their confirmation and
roll-back (00056-1 … 00059)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field, model_validator

from .. import services
from ..errors import RegistryRefused
from ..framework import Ctx, Data, Money, Month, PersonRef, item
from ..models import (
    BenefitKind,
    Bill,
    BillKind,
    BillStatus,
    Relationship,
    RelationshipStatus,
    WageDeclaration,
)
from ..rules import Finding, block, cutoff_day, warn
from .common import require_employee
from .employer import EmployerType, all_employer_types

# --------------------------------------------------------------------------- 单位欠费实时征收


class Assessment(Data):
    period_from: Month
    period_to: Month
    amount: Money
    insurance_types: list[EmployerType] = Field(default_factory=all_employer_types, min_length=1)

    @model_validator(mode="after")
    def _period(self) -> Assessment:
        if self.period_to < self.period_from:
            raise ValueError("欠费所属期止不能早于起")
        return self


def _pay_by_20th(today: date) -> date:
    """当月20日前 (or the next month's 20th once this month's has passed)."""
    if today.day <= 20:
        return today.replace(day=20)
    return services.add_months(today, 1).replace(day=20)


assess = item("SBZX00020-1", schema=Assessment, data_at="close",
              effect="核定单位欠费，开具《单位社会保险费核定表》《社会保险费补缴明细表》（缴费单据“已核定，待缴费”，缴费期限当月20日）",
              precondition="单位已登记未注销；欠费所属期、险种、金额（办理时录入）")


@assess.check
def _assess_check(ctx: Ctx) -> list[Finding]:
    employer = ctx.employer()
    if ctx.data is None:
        return []
    absent = [t for t in ctx.data.insurance_types if t not in employer.insurance_types]
    if absent:
        return [block("SBZX00020-1：核定单位已参加险种的欠费", f"单位未参加{','.join(absent)}", "insurance_types")]
    return []


@assess.apply
def _assess_apply(ctx: Ctx) -> None:
    employer = ctx.employer()
    bill = services.bill_issue(
        actor=ctx.actor, case=ctx.case, kind=BillKind.EMPLOYER_ARREARS, office=ctx.office, amount=ctx.data.amount,
        employer=employer, insurance_types=ctx.data.insurance_types, period_from=ctx.data.period_from,
        period_to=ctx.data.period_to, pay_by=_pay_by_20th(ctx.today),
    )
    from .common import result_notice_add

    result_notice_add(ctx, "bill", {"number": bill.number, "amount": str(bill.amount), "pay_by": str(bill.pay_by)})


class ArrivalConfirmation(Data):
    paid_on: date
    receipt_number: str = Field(..., min_length=1, max_length=40)


ARRIVAL_RULE = "SBZX00020-2办事条件：办理欠费实时征收（核定）并到地税部门缴费后，当月20日前到辖区社保经办机构办理到账确认"


def _paired_bill(ctx: Ctx, kinds: list[str], rule: str) -> Bill:
    first = ctx.case.related_case
    bill = Bill.objects.filter(case=first, kind__in=kinds).first() if first is not None else None
    if bill is None:
        raise RegistryRefused("没有找到对应的核定单据，须先办结核定业务", rule=rule, field="related_case")
    return bill


def _unpaid(bill: Bill, rule: str) -> list[Finding]:
    if bill.status in {BillStatus.ASSESSED, BillStatus.PAID}:
        return []
    return [block(rule, f"核定单据{bill.number}当前为“{bill.get_status_display()}”，不能到账确认", "bill")]


arrival = item("SBZX00020-2", schema=ArrivalConfirmation,
               effect="登记税票并到账确认对应核定单（已核定 → 已缴费 → 已到账确认），欠费结清",
               precondition="须先办结SBZX00020-1（核定）；该核定单未被确认、取消；缴费日期不晚于今天；当月20日前（逾期警示）")


@arrival.check
def _arrival_check(ctx: Ctx) -> list[Finding]:
    bill = _paired_bill(ctx, [BillKind.EMPLOYER_ARREARS], ARRIVAL_RULE)
    findings = _unpaid(bill, ARRIVAL_RULE)
    if ctx.data.paid_on > ctx.today:
        findings.append(block(ARRIVAL_RULE, "缴费日期晚于今天", "paid_on"))
    findings += cutoff_day(on=ctx.today, day=20, rule=ARRIVAL_RULE, what="到账确认")
    return findings


@arrival.apply
def _arrival_apply(ctx: Ctx) -> None:
    bill = _paired_bill(ctx, [BillKind.EMPLOYER_ARREARS], ARRIVAL_RULE)
    if bill.status == BillStatus.ASSESSED:
        services.bill_pay(actor=ctx.actor, case=ctx.case, bill=bill, paid_on=ctx.data.paid_on,
                          receipt_number=ctx.data.receipt_number)
    services.bill_confirm(actor=ctx.actor, case=ctx.case, bill=bill)


# --------------------------------------------------------------------------- 退款


class Refund(Data):
    reason: Literal["late_stop", "error"]
    amount: Money
    period_from: Month
    period_to: Month
    persons: list[PersonRef] = Field(default_factory=list)


REFUND_RULE = "SBZX00021办事条件：因参保单位迟办停保业务、错办业务原因导致多收社会保险费"
refund = item("SBZX00021", schema=Refund, data_at="close",
              effect="核定单位多缴的社会保险费退款：待遇核定（退款）并生成应付帐，支付给单位",
              precondition="单位已登记；迟办停保的，所列职工须已在本单位停保")


@refund.check
def _refund_check(ctx: Ctx) -> list[Finding]:
    employer = ctx.employer(registered=False)
    findings: list[Finding] = []
    if ctx.data is None:
        return findings
    if ctx.data.reason == "late_stop":
        if not ctx.data.persons:
            findings.append(block(REFUND_RULE, "迟办停保退款须列明停保职工", "persons"))
        for index, ref in enumerate(ctx.data.persons):
            person = ctx.find(ref, field_name=f"persons.{index}", alive=False)
            if not Relationship.objects.filter(employer=employer, person=person,
                                               status=RelationshipStatus.STOPPED).exists():
                findings.append(block(REFUND_RULE, f"{person.name}未在本单位办理停保", f"persons.{index}"))
    return findings


@refund.apply
def _refund_apply(ctx: Ctx) -> None:
    services.decision_create(actor=ctx.actor, case=ctx.case, kind=BenefitKind.REFUND,
                             employer=ctx.employer(registered=False), lump_sum=ctx.data.amount,
                             detail={"reason": ctx.data.reason, "period": [str(ctx.data.period_from),
                                                                            str(ctx.data.period_to)]})


# --------------------------------------------------------------------------- 养老保险补缴 (单位)


class Backpay(Data):
    person: PersonRef
    period_from: Month
    period_to: Month
    amount: Money
    hired_on: date | None = None
    condition: Literal["soe_history", "since_1996"] | None = None
    judgment_number: str = Field("", max_length=60)
    approval_number: str = Field("", max_length=60)
    wages: list[dict[str, float]] = Field(default_factory=list, description="00028: [{year, monthly_wage}]")

    @model_validator(mode="after")
    def _period(self) -> Backpay:
        if self.period_to < self.period_from:
            raise ValueError("补缴期止不能早于起")
        return self


ACCUMULATION_RULE = ("SBZX00024办事条件：1996年1月1日前招录的劳动合同制工人，补缴从被批准招收之日起至1995年12月31日的基本养老保险积累额")
UNINSURED_RULE = "SBZX00025办事条件：原国有集体企业应保未保职工，或自1996年1月1日以来建立劳动关系而应保未保的职工"
COURT_RULE = "SBZX00026办事条件：经劳动人事争议仲裁机构或人民法院依法判定存在劳动关系"
INSTITUTION_RULE = "SBZX00027办事条件：报经市人社局职工养老处审核同意（《原机关事业单位工作人员基本养老保险补缴审批表》）"
WAGE_FIX_RULE = "SBZX00028办事条件：参保单位申报职工社会保险缴费工资与实际不符或有误"
BACKPAY_SUBTYPES = {"SBZX00024": "accumulation", "SBZX00025": "uninsured", "SBZX00026": "court",
                    "SBZX00027": "former_institution", "SBZX00028": "wage_correction"}

backpay = item("SBZX00024", "SBZX00025", "SBZX00026", "SBZX00027", "SBZX00028", schema=Backpay,
               effect="核定职工基本养老保险补缴（缴费单据“已核定，待缴费”，记载补缴月数；00028同时更正各年度缴费工资）",
               precondition="00024：1996-01-01前招录、补缴期止不晚于1995-12；00025：自1996年以来的情形补缴期不早于1996-01；"
                            "00026：仲裁或判决文书号；00027：养老处审批表编号；00028：须为本单位职工；职工须为本单位职工")


@backpay.check
def _backpay_check(ctx: Ctx) -> list[Finding]:
    employer = ctx.employer()
    data: Backpay = ctx.data
    person = ctx.find(data.person, field_name="person", alive=False)
    findings: list[Finding] = []
    if ctx.code == "SBZX00024":
        if data.hired_on is None or data.hired_on >= date(1996, 1, 1):
            findings.append(block(ACCUMULATION_RULE, "须为1996年1月1日前招录的劳动合同制工人（请填写招录日期 hired_on）",
                                  "hired_on"))
        if data.period_to > date(1995, 12, 1):
            findings.append(block(ACCUMULATION_RULE, "积累额补缴期止不能晚于1995年12月", "period_to"))
    elif ctx.code == "SBZX00025":
        if data.condition is None:
            findings.append(block(UNINSURED_RULE, "请选择补缴情形（condition）", "condition"))
        elif data.condition == "since_1996" and data.period_from < date(1996, 1, 1):
            findings.append(block(UNINSURED_RULE, "自1996年以来建立劳动关系的，补缴期不能早于1996年1月", "period_from"))
    elif ctx.code == "SBZX00026" and not data.judgment_number:
        findings.append(block(COURT_RULE, "请填写仲裁裁决书或判决书文号", "judgment_number"))
    elif ctx.code == "SBZX00027" and not data.approval_number:
        findings.append(block(INSTITUTION_RULE, "请填写市人社局职工养老处审批表编号", "approval_number"))
    elif ctx.code == "SBZX00028":
        findings += [f.__class__(f.level, WAGE_FIX_RULE, f.message, "person") for f in require_employee(employer, person)]
    if ctx.code in {"SBZX00025", "SBZX00026"} and Relationship.objects.filter(
            person=person, insurance_type="pension", region="武汉市",
            status__in=[RelationshipStatus.ACTIVE, RelationshipStatus.STOPPED],
            start_on__lte=data.period_to).exclude(stop_on__lt=data.period_from).exists():
        findings.append(warn(UNINSURED_RULE, f"{person.name}在补缴期内已有养老保险参保记录，请核对补缴期", "period_from"))
    return findings


@backpay.apply
def _backpay_apply(ctx: Ctx) -> None:
    data: Backpay = ctx.data
    employer = ctx.employer()
    person = ctx.find(data.person, alive=False)
    if ctx.code == "SBZX00028":
        for row in data.wages:
            year, wage = int(row.get("year", 0)), row.get("monthly_wage")
            if not year or wage is None:
                continue
            from decimal import Decimal

            existing = WageDeclaration.objects.filter(person=person, employer=employer, year=year,
                                                      kind=WageDeclaration.Kind.WAGE).first()
            if existing is None:
                created = WageDeclaration.objects.create(person=person, employer=employer, year=year,
                                                         monthly_amount=Decimal(str(wage)), case=ctx.case)
                services.record_created(created, actor=ctx.actor, case=ctx.case, action="wage_corrected")
            else:
                services.record_update(existing, {"monthly_amount": Decimal(str(wage))}, actor=ctx.actor,
                                       case=ctx.case, action="wage_corrected")
    months = 0 if ctx.code == "SBZX00028" else services.months_between(data.period_from, data.period_to)
    services.bill_issue(actor=ctx.actor, case=ctx.case, kind=BillKind.PENSION_BACKPAY,
                        subtype=BACKPAY_SUBTYPES[ctx.code], office=ctx.office, amount=data.amount, employer=employer,
                        person=person, insurance_types=["pension"], period_from=data.period_from,
                        period_to=data.period_to, months=months)


# --------------------------------------------------------------------------- 城乡居民养老保险缴费


RESIDENT_REGISTERED_RULE = "SBZX00056-1/00057-1/00058办事条件：已办理了城乡居民基本养老保险参保登记（SBZX00055）"


def resident_pension_relationship(ctx: Ctx) -> Relationship:
    person = ctx.person()
    rel = Relationship.objects.filter(person=person, insurance_type="resident_pension").order_by("-start_on").first()
    if rel is None:
        raise RegistryRefused(f"{person.name}尚未办理城乡居民基本养老保险参保登记", rule=RESIDENT_REGISTERED_RULE,
                              field="applicant_id_number")
    return rel


class YearDeclaration(Data):
    year: int = Field(..., ge=2010, le=2100)
    grade: int = Field(..., ge=100, le=5000, description="个人缴费档次（元/年）")
    amount: Money


ANNUAL_RULE = "SBZX00056-1办事条件：已参保的居民须每年申报一次当年的个人缴费档次"
annual = item("SBZX00056-1", schema=YearDeclaration,
              effect="核定本年度城乡居民养老保险个人缴费档次和应缴金额，开具《缴费单》（缴费期限当年12月20日）",
              precondition="须先办理SBZX00055参保登记且在保；每年只申报一次（已有未取消的当年缴费单则拒绝）")


@annual.check
def _annual_check(ctx: Ctx) -> list[Finding]:
    rel = resident_pension_relationship(ctx)
    findings: list[Finding] = []
    if rel.status != RelationshipStatus.ACTIVE:
        findings.append(block(RESIDENT_REGISTERED_RULE, f"城乡居民养老保险关系为“{rel.get_status_display()}”", "applicant"))
    existing = Bill.objects.filter(person=rel.person, kind=BillKind.RESIDENT_PENSION, year=ctx.data.year).exclude(
        status=BillStatus.CANCELLED).first()
    if existing is not None:
        findings.append(block(ANNUAL_RULE, f"{ctx.data.year}年已申报（缴费单{existing.number}，"
                                           f"{existing.get_status_display()}）；如需改档请先办理SBZX00059回退", "year"))
    if ctx.data.year != ctx.today.year:
        findings.append(block(ANNUAL_RULE, "只能申报当年的缴费档次；以前年度请办理SBZX00057-1补缴", "year"))
    return findings


@annual.apply
def _annual_apply(ctx: Ctx) -> None:
    person = ctx.person()
    services.bill_issue(actor=ctx.actor, case=ctx.case, kind=BillKind.RESIDENT_PENSION, office=ctx.office,
                        amount=ctx.data.amount, person=person, insurance_types=["resident_pension"],
                        year=ctx.data.year, grade=ctx.data.grade, pay_by=date(ctx.data.year, 12, 20))


class BackYears(Data):
    years: list[int] = Field(..., min_length=1)
    amount: Money


BACK_RULE = "SBZX00057-1办事条件：已参保登记的居民补缴以前年度城乡居民基本养老保险费"
back = item("SBZX00057-1", schema=BackYears,
            effect="核定以前年度城乡居民养老保险补缴金额，开具《补缴单》（缴费期限当年12月20日）",
            precondition="须先办理SBZX00055参保登记；补缴年度早于当年且未缴过")


@back.check
def _back_check(ctx: Ctx) -> list[Finding]:
    rel = resident_pension_relationship(ctx)
    findings: list[Finding] = []
    if any(year >= ctx.today.year for year in ctx.data.years):
        findings.append(block(BACK_RULE, "补缴只能是以前年度；当年请办理SBZX00056-1", "years"))
    paid = Bill.objects.filter(person=rel.person, kind__in=[BillKind.RESIDENT_PENSION, BillKind.RESIDENT_BACKPAY],
                               status__in=[BillStatus.CONFIRMED, BillStatus.PAID, BillStatus.ASSESSED])
    covered = {b.year for b in paid if b.year} | {y for b in paid.filter(kind=BillKind.RESIDENT_BACKPAY)
                                                  for y in range((b.period_from or date.min).year,
                                                                 (b.period_to or date.min).year + 1)}
    again = sorted(set(ctx.data.years) & covered)
    if again:
        findings.append(block(BACK_RULE, f"{'、'.join(map(str, again))}年已缴或已核定", "years"))
    return findings


@back.apply
def _back_apply(ctx: Ctx) -> None:
    years = sorted(set(ctx.data.years))
    services.bill_issue(actor=ctx.actor, case=ctx.case, kind=BillKind.RESIDENT_BACKPAY, office=ctx.office,
                        amount=ctx.data.amount, person=ctx.person(), insurance_types=["resident_pension"],
                        period_from=date(years[0], 1, 1), period_to=date(years[-1], 12, 1),
                        pay_by=date(ctx.today.year, 12, 20))


class ResidentArrival(Data):
    paid_on: date
    receipt_number: str = Field("", max_length=40)


RESIDENT_ARRIVAL_RULE = ("SBZX00056-2/00057-2办事条件：办理核定业务后，于当年12月20日以前到地税部门委托的金融机构缴费，"
                         "再到参保地窗口办理到账确认")
resident_arrival = item("SBZX00056-2", "SBZX00057-2", schema=ResidentArrival,
                        effect="到账确认城乡居民养老保险缴费单/补缴单（已核定 → 已缴费 → 已到账确认），记入缴费年度",
                        precondition="须先办结对应的核定（SBZX00056-1/00057-1）；该单据未被回退、未确认；"
                                     "缴费日期不晚于当年12月20日（逾期警示）")


@resident_arrival.check
def _resident_arrival_check(ctx: Ctx) -> list[Finding]:
    bill = _paired_bill(ctx, [BillKind.RESIDENT_PENSION, BillKind.RESIDENT_BACKPAY], RESIDENT_ARRIVAL_RULE)
    findings = _unpaid(bill, RESIDENT_ARRIVAL_RULE)
    if ctx.data.paid_on > ctx.today:
        findings.append(block(RESIDENT_ARRIVAL_RULE, "缴费日期晚于今天", "paid_on"))
    if bill.pay_by and ctx.data.paid_on > bill.pay_by:
        findings.append(warn(RESIDENT_ARRIVAL_RULE, f"缴费日期{ctx.data.paid_on}晚于缴费期限{bill.pay_by}", "paid_on"))
    return findings


@resident_arrival.apply
def _resident_arrival_apply(ctx: Ctx) -> None:
    bill = _paired_bill(ctx, [BillKind.RESIDENT_PENSION, BillKind.RESIDENT_BACKPAY], RESIDENT_ARRIVAL_RULE)
    if bill.status == BillStatus.ASSESSED:
        services.bill_pay(actor=ctx.actor, case=ctx.case, bill=bill, paid_on=ctx.data.paid_on,
                          receipt_number=ctx.data.receipt_number)
    services.bill_confirm(actor=ctx.actor, case=ctx.case, bill=bill)


class Rollback(Data):
    bill_number: str | None = Field(None, max_length=20)


ROLLBACK_RULE = "SBZX00059办事条件：已办理了城乡居民基本养老保险缴费申报或补缴申报但未缴费"
rollback = item("SBZX00059", schema=Rollback,
                effect="回退（作废）未缴费的城乡居民养老保险缴费单或补缴单（单据“已取消（回退）”），原单据由窗口收回",
                precondition="本人有已核定未缴费的SBZX00056-1/00057-1单据（已缴费或已确认的不能回退）；有多张时须指明单据号")


def _rollback_bill(ctx: Ctx) -> Bill:
    person = ctx.person()
    bills = Bill.objects.filter(person=person, kind__in=[BillKind.RESIDENT_PENSION, BillKind.RESIDENT_BACKPAY])
    if ctx.data.bill_number:
        bill = bills.filter(number=ctx.data.bill_number).first()
        if bill is None:
            raise RegistryRefused(f"本人没有单据{ctx.data.bill_number}", rule=ROLLBACK_RULE, field="bill_number")
        if bill.status != BillStatus.ASSESSED:
            raise RegistryRefused(f"单据{bill.number}当前为“{bill.get_status_display()}”，只有未缴费的单据才能回退",
                                  rule=ROLLBACK_RULE, field="bill_number")
        return bill
    unpaid = list(bills.filter(status=BillStatus.ASSESSED))
    if not unpaid:
        raise RegistryRefused(f"{person.name}没有已核定未缴费的缴费单或补缴单", rule=ROLLBACK_RULE, field="bill_number")
    if len(unpaid) > 1:
        raise RegistryRefused(f"有{len(unpaid)}张未缴费单据（{'、'.join(b.number for b in unpaid)}），请指明要回退的单据号",
                              rule=ROLLBACK_RULE, field="bill_number")
    return unpaid[0]


@rollback.check
def _rollback_check(ctx: Ctx) -> list[Finding]:
    _rollback_bill(ctx)
    return []


@rollback.apply
def _rollback_apply(ctx: Ctx) -> None:
    services.bill_cancel(actor=ctx.actor, case=ctx.case, bill=_rollback_bill(ctx))
