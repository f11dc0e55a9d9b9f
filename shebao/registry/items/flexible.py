"""Flexible workers (灵活就业窗口): enrolment, pause, arrears write-off, arrears bill with next-day
automatic confirmation and its cancellation, grade change, gap back-payment, personal data,
lump-sum back-payment and medical retirement (SBZX00029–00039)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field, model_validator

from shebao.cases.models import CaseStatus

from .. import services
from ..errors import RegistryRefused
from ..framework import Ctx, Data, Money, Month, find_person, item
from ..models import (
    FLEXIBLE_TYPES,
    Bill,
    BillKind,
    BillStatus,
    FlexibleAccount,
    Person,
    Relationship,
    RelationshipStatus,
)
from ..rules import (
    Finding,
    age_on,
    block,
    flexible_enrolment,
    lump_sum_backpay,
    retirement_age,
)
from .common import PERSON_GENERAL, PERSON_KEY, PersonIn, info_change, pension_months

GRADES = (60, 100, 150, 200, 300)
FLEX_RULE = "SBZX00029办事条件：男年满16周岁未满60周岁、女年满16周岁未满55周岁，未在用人单位参加社会保险"


def account_of(ctx: Ctx, *, active: bool | None = None) -> FlexibleAccount:
    person = ctx.person()
    account = FlexibleAccount.objects.filter(person=person).first()
    if account is None:
        raise RegistryRefused(f"{person.name}没有灵活就业窗口参保记录", rule="须先办理SBZX00029灵活就业人员参保",
                              field="applicant_id_number")
    if active is True and account.status != FlexibleAccount.Status.ACTIVE:
        raise RegistryRefused(f"{person.name}的灵活就业窗口缴费已暂停（{account.paused_on}）",
                              rule="暂停缴费的须先办理SBZX00029续保", field="applicant_id_number")
    return account


# --------------------------------------------------------------------------- enrolment


FlexibleType = Literal["pension", "medical"]


def _flexible_types() -> list[FlexibleType]:
    return ["pension", "medical"]


class FlexibleEnrolment(Data):
    person: PersonIn | None = None
    grade: Literal[60, 100, 150, 200, 300] = 60
    start_month: Month | None = None
    types: list[FlexibleType] = Field(default_factory=_flexible_types, min_length=1)


enrol = item("SBZX00029", schema=FlexibleEnrolment,
             effect="灵活就业人员新参保或续保：首次参保的创建参保人员登记；开立（或恢复）灵活就业窗口账户、设定缴费档次，"
                    "建立基本养老、职工医保参保关系",
             precondition="年龄：男年满16未满60周岁、女年满16未满55周岁；未在用人单位参保缴费；窗口账户未在缴费中")


def _enrol_person(ctx: Ctx) -> Person | None:
    return find_person(id_number=ctx.case.applicant_id_number)


@enrol.check
def _enrol_check(ctx: Ctx) -> list[Finding]:
    person = _enrol_person(ctx)
    data: FlexibleEnrolment = ctx.data
    if person is None:
        if data.person is None:
            return [block("首次参保须登记个人信息", "该身份证号尚无参保登记，请在业务数据中填写个人信息（person）", "person")]
        if data.person.id_number and data.person.id_number != ctx.case.applicant_id_number:
            return [block("申请人本人参保", "个人信息中的身份证号与申请人不一致", "person.id_number")]
        sex: str = data.person.sex or "M"
        birth = data.person.birth_date or ctx.today
    else:
        sex, birth = person.sex, person.birth_date
    findings = flexible_enrolment(sex=sex, birth=birth, on=ctx.today)
    if person is not None:
        employer_rel = Relationship.objects.filter(person=person, kind="employer", status=RelationshipStatus.ACTIVE,
                                                   insurance_type__in=data.types).select_related("employer").first()
        if employer_rel is not None:
            findings.append(block(FLEX_RULE, f"{person.name}正在{employer_rel.employer.name if employer_rel.employer else ''}"
                                             "参保缴费，不能以灵活就业身份参保", "applicant_id_number"))
        account = FlexibleAccount.objects.filter(person=person).first()
        if account is not None and account.status == FlexibleAccount.Status.ACTIVE:
            findings.append(block(FLEX_RULE, f"{person.name}已在灵活就业窗口缴费中（自{account.enrolled_on}）",
                                  "applicant_id_number"))
    return findings


@enrol.apply
def _enrol_apply(ctx: Ctx) -> None:
    data: FlexibleEnrolment = ctx.data
    person = _enrol_person(ctx)
    if person is None:
        assert data.person is not None
        person = services.person_register(actor=ctx.actor, case=ctx.case, fields=data.person.fields())
    start = data.start_month or ctx.today.replace(day=1)
    services.flexible_enrol(actor=ctx.actor, case=ctx.case, person=person, start_on=start, grade=data.grade,
                            types=data.types)


# --------------------------------------------------------------------------- pause


class Pause(Data):
    reason: Literal["到用人单位就业", "自愿停止缴纳"]
    paused_on: date


pause = item("SBZX00030", schema=Pause,
             effect="灵活就业窗口暂停缴费：账户“暂停缴费”，停止窗口养老、医保参保关系",
             precondition="窗口账户正在缴费中；原因为到用人单位就业或自愿停止缴纳")


@pause.check
def _pause_check(ctx: Ctx) -> list[Finding]:
    account_of(ctx, active=True)
    return []


@pause.apply
def _pause_apply(ctx: Ctx) -> None:
    account = account_of(ctx, active=True)
    services.record_update(account, {"status": FlexibleAccount.Status.PAUSED, "paused_on": ctx.data.paused_on,
                                     "pause_reason": ctx.data.reason}, actor=ctx.actor, case=ctx.case,
                           action="flexible_paused")
    for rel in Relationship.objects.filter(person=account.person, kind="flexible", status=RelationshipStatus.ACTIVE):
        services.relationship_stop(actor=ctx.actor, case=ctx.case, relationship=rel,
                                   stop_on=max(ctx.data.paused_on, rel.start_on), reason=ctx.data.reason)


# --------------------------------------------------------------------------- 欠费注销


WRITE_OFF_RULE = "SBZX00031办事条件：自愿申请注销已在灵活就业窗口产生的基本养老保险和职工基本医疗保险欠费"
write_off = item("SBZX00031", effect="注销本人灵活就业窗口已产生的养老、医保月度欠费（单据“已注销”）",
                 precondition="有灵活就业窗口账户；有已产生未缴的月度欠费")


def _monthly_arrears(ctx: Ctx) -> list[Bill]:
    return list(Bill.objects.filter(person=ctx.person(), kind=BillKind.FLEX_MONTH, status=BillStatus.ASSESSED))


@write_off.check
def _write_off_check(ctx: Ctx) -> list[Finding]:
    account_of(ctx)
    if not _monthly_arrears(ctx):
        return [block(WRITE_OFF_RULE, "灵活就业窗口没有未缴的欠费，无需注销", "applicant_id_number")]
    return []


@write_off.apply
def _write_off_apply(ctx: Ctx) -> None:
    for bill in _monthly_arrears(ctx):
        services.bill_write_off(actor=ctx.actor, case=ctx.case, bill=bill)


# --------------------------------------------------------------------------- 欠费实时征收 (auto confirmation)


class ArrearsBill(Data):
    period_from: Month
    period_to: Month
    amount: Money

    @model_validator(mode="after")
    def _period(self) -> ArrearsBill:
        if self.period_to < self.period_from:
            raise ValueError("欠费所属期止不能早于起")
        return self


COLLECT_RULE = "SBZX00032：开具《灵活就业人员社会保险费（补、退）单》，20日前到银行缴费，次日系统自动到账确认"
collect = item("SBZX00032", schema=ArrearsBill, data_at="close",
               effect="开具《灵活就业人员社会保险费（补、退）单》（办理环节登记数据时即开单）；缴费后次日系统自动到账确认：单据"
                      "“已缴费”→“已到账确认”，并记入缴费月数",
               precondition="有灵活就业窗口账户；单据未被取消（SBZX00033）")


def flex_bill_of(case_id: int) -> Bill | None:
    return Bill.objects.filter(case_id=case_id, kind=BillKind.FLEX_ARREARS).first()


def issue_flex_bill(ctx: Ctx) -> Bill:
    data: ArrearsBill = ctx.data
    return services.bill_issue(
        actor=ctx.actor, case=ctx.case, kind=BillKind.FLEX_ARREARS, office=ctx.office, amount=data.amount,
        person=ctx.person(), insurance_types=list(FLEXIBLE_TYPES), period_from=data.period_from,
        period_to=data.period_to, months=services.months_between(data.period_from, data.period_to),
        pay_by=ctx.today.replace(day=20) if ctx.today.day <= 20 else services.add_months(ctx.today, 1).replace(day=20),
    )


@collect.check
def _collect_check(ctx: Ctx) -> list[Finding]:
    account_of(ctx)
    bill = flex_bill_of(ctx.case.pk)
    if bill is not None and bill.status == BillStatus.CANCELLED:
        return [block(COLLECT_RULE, f"单据{bill.number}已取消（SBZX00033），不能到账确认", "bill")]
    return []


@collect.apply
def _collect_apply(ctx: Ctx) -> None:
    bill = flex_bill_of(ctx.case.pk) or issue_flex_bill(ctx)
    paid = (ctx.case.event_dates or {}).get("payment_made")
    if bill.status == BillStatus.ASSESSED:
        services.bill_pay(actor=ctx.actor, case=ctx.case, bill=bill,
                          paid_on=date.fromisoformat(paid) if paid else ctx.today)
    services.bill_confirm(actor=ctx.actor, case=ctx.case, bill=bill, auto=True)


def collect_on_data(ctx: Ctx) -> None:
    """开具缴费单 happens when the window (or the online hall) enters the bill during handling."""
    if ctx.case.status == CaseStatus.ACCEPTED and flex_bill_of(ctx.case.pk) is None:
        account_of(ctx)
        issue_flex_bill(ctx)


collect.on_data = collect_on_data


class CancelBill(Data):
    bill_number: str | None = Field(None, max_length=20)


CANCEL_RULE = ("SBZX00033办事条件：已办理欠费实时征收的灵活就业人员，未能缴费需取消的，到原办理欠费实时征收业务的"
               "街道（社区）窗口或社保经办机构办理")
cancel = item("SBZX00033", schema=CancelBill,
              effect="取消未缴费的《灵活就业人员社会保险费（补、退）单》（单据“已取消”），对应的SBZX00032办件随之撤回",
              precondition="本人有SBZX00032开具且未缴费的单据；只能在开具该单据的同一窗口（机构）办理")


def _cancel_bill(ctx: Ctx) -> Bill:
    person = ctx.person()
    bills = Bill.objects.filter(person=person, kind=BillKind.FLEX_ARREARS).select_related("office")
    if ctx.data.bill_number:
        bills = bills.filter(number=ctx.data.bill_number)
    bill = bills.filter(status=BillStatus.ASSESSED).order_by("-issued_at").first()
    if bill is None:
        other = bills.order_by("-issued_at").first()
        status = f"（最近的单据{other.number}为“{other.get_status_display()}”）" if other else ""
        raise RegistryRefused(f"{person.name}没有未缴费的欠费实时征收单据{status}", rule=CANCEL_RULE, field="bill_number")
    if bill.office_id != ctx.office.pk:
        raise RegistryRefused(f"单据{bill.number}由{bill.office.name}开具，须到该窗口办理取消", rule=CANCEL_RULE,
                              field="org_unit", extra={"office": bill.office.key})
    return bill


@cancel.check
def _cancel_check(ctx: Ctx) -> list[Finding]:
    _cancel_bill(ctx)
    return []


@cancel.apply
def _cancel_apply(ctx: Ctx) -> None:
    bill = _cancel_bill(ctx)
    services.bill_cancel(actor=ctx.actor, case=ctx.case, bill=bill)
    original = bill.case
    if original is not None and original.status in {CaseStatus.ACCEPTED, CaseStatus.SUSPENDED}:
        from django.contrib.auth import get_user_model

        from shebao.cases.services import case_withdraw

        user = get_user_model().objects.filter(username=ctx.actor).first()
        if user is not None:
            original.refresh_from_db()
            case_withdraw(case=original, actor=user, reason=f"单据{bill.number}已由办件{ctx.case.reference}取消")


# --------------------------------------------------------------------------- 缴费档次调整


class GradeChange(Data):
    grade: Literal[60, 100, 150, 200, 300]


grade = item("SBZX00034", schema=GradeChange,
             effect="调整灵活就业人员基本养老保险缴费档次，自次月起生效（档次历史记录生效月份）",
             precondition="窗口账户正在缴费中；新档次与次月档次不同")


@grade.check
def _grade_check(ctx: Ctx) -> list[Finding]:
    account = account_of(ctx, active=True)
    next_month = services.add_months(ctx.today, 1)
    if services.flexible_grade_on(account, next_month) == ctx.data.grade:
        return [block("SBZX00034办事条件：申请调整次月缴费档次", f"次月缴费档次已是{ctx.data.grade}%", "grade")]
    return []


@grade.apply
def _grade_apply(ctx: Ctx) -> None:
    from ..models import FlexibleGrade

    account = account_of(ctx, active=True)
    effective = services.add_months(ctx.today, 1)
    old = services.flexible_grade_on(account, effective)
    row = FlexibleGrade.objects.create(account=account, grade=ctx.data.grade, effective_from=effective, case=ctx.case)
    services._record(row, fields={"grade": (str(old or ""), str(ctx.data.grade)),
                                  "effective_from": ("", str(effective))},
                     actor=ctx.actor, case=ctx.case, action="flexible_grade_changed")


# --------------------------------------------------------------------------- 中断期补缴


class GapBackpay(Data):
    period_from: Month
    period_to: Month
    amount: Money


GAP_RULE = "SBZX00035办事条件：在本市灵活就业窗口缴纳基本养老保险费后，因各种原因存在中断缴费的参保人"
gap = item("SBZX00035", schema=GapBackpay, data_at="close",
           effect="核定灵活就业窗口养老保险中断期补缴（缴费单据“已核定”，记载补缴月数）",
           precondition="有灵活就业窗口账户；补缴期在首次窗口参保之后，且与已有养老保险参保期不重叠")


@gap.check
def _gap_check(ctx: Ctx) -> list[Finding]:
    account = account_of(ctx)
    if ctx.data is None:
        return []
    findings: list[Finding] = []
    if ctx.data.period_from < account.enrolled_on.replace(day=1):
        findings.append(block(GAP_RULE, f"补缴期早于首次窗口参保（{account.enrolled_on:%Y-%m}）", "period_from"))
    overlap = Relationship.objects.filter(person=account.person, insurance_type="pension", region="武汉市",
                                          start_on__lte=ctx.data.period_to) \
        .exclude(stop_on__lt=ctx.data.period_from).exclude(status__in=["cleared", "transferred_out"])
    if overlap.exists():
        findings.append(block(GAP_RULE, "补缴期与已有养老保险参保期重叠，不属于中断期", "period_from"))
    return findings


@gap.apply
def _gap_apply(ctx: Ctx) -> None:
    person = ctx.person()
    services.bill_issue(actor=ctx.actor, case=ctx.case, kind=BillKind.PENSION_BACKPAY, subtype="flex_gap",
                        office=ctx.office, amount=ctx.data.amount, person=person, insurance_types=["pension"],
                        period_from=ctx.data.period_from, period_to=ctx.data.period_to,
                        months=services.months_between(ctx.data.period_from, ctx.data.period_to))


# --------------------------------------------------------------------------- personal information (self)


def _has_flexible(ctx: Ctx, person: Person) -> list[Finding]:
    if FlexibleAccount.objects.filter(person=person).exists():
        return []
    return [block("SBZX00036/00037：灵活就业人员", f"{person.name}没有灵活就业窗口参保记录；单位职工由单位办理SBZX00017/00018",
                  "applicant_id_number")]


info_change("SBZX00036", subject="person", allowed=PERSON_GENERAL, elsewhere=PERSON_KEY,
            pointer="SBZX00037个人重点信息变更", requires=_has_flexible,
            rule="SBZX00036办事条件：灵活就业人员一般信息变更",
            effect="变更灵活就业人员本人一般信息（文化程度、婚姻状况、民族、联系电话、户口所在地、居住地地址）",
            precondition="有灵活就业窗口参保记录；只能变更一般信息；至少一项不同")
info_change("SBZX00037", subject="person", allowed=PERSON_KEY, elsewhere=PERSON_GENERAL,
            pointer="SBZX00036个人一般信息变更", requires=_has_flexible,
            rule="SBZX00037办事条件：灵活就业人员重点信息变更",
            effect="变更灵活就业人员本人重点信息（姓名、性别、身份证号、档案出生日期、户籍性质、参加工作时间），逐字段留痕",
            precondition="有灵活就业窗口参保记录；新身份证号校验通过且未被他人登记；至少一项不同")


# --------------------------------------------------------------------------- 一次性补缴


class LumpSum(Data):
    amount: Money
    months: int = Field(..., ge=1, le=180)
    post_type: Literal["cadre", "worker"] | None = None
    flexible: bool = False


lump = item("SBZX00038", schema=LumpSum, data_at="close",
            effect="核定基本养老保险一次性补缴（补足至15年的月数），缴费单据“已核定”",
            precondition="达到法定退休年龄、累计缴费不足15年；已延长缴费满5年（2011-07-01后参保的须实际缴费满10年）；"
                         "补缴后不超过15年")


def _lump_findings(ctx: Ctx, person: Person) -> list[Finding]:
    data: LumpSum | None = ctx.data
    total = pension_months(person, ctx.today) + person.deemed_months
    findings = lump_sum_backpay(
        sex=person.sex, birth=person.birth_date, on=ctx.today, post_type=(data.post_type if data else None)
        or person.post_type, flexible=bool(data and data.flexible), first_insured_on=person.pension_first_insured_on,
        actual_months=pension_months(person, ctx.today), total_months=total,
        extension_months=person.extension_months)
    if data is not None and total + data.months > 180:
        findings.append(block("SBZX00038：延长缴费至满十五年", f"补缴{data.months}个月后超过15年（现{total}个月）", "months"))
    return findings


@lump.check
def _lump_check(ctx: Ctx) -> list[Finding]:
    return _lump_findings(ctx, ctx.person())


@lump.apply
def _lump_apply(ctx: Ctx) -> None:
    person = ctx.person()
    services.bill_issue(actor=ctx.actor, case=ctx.case, kind=BillKind.PENSION_BACKPAY, subtype="lump_sum",
                        office=ctx.office, amount=ctx.data.amount, person=person, insurance_types=["pension"],
                        months=ctx.data.months)


# --------------------------------------------------------------------------- 灵活就业医保非统筹转退休


class FlexMedicalRetirement(Data):
    situation: Literal["non_pool", "topup"]
    retired_on: date
    topup_amount: Money | None = None
    deemed_medical_months: int = Field(0, ge=0, le=600)


FLEX_MED_RULE = ("SBZX00039办事条件：在统筹地区外领取养老金的灵活就业人员；或达到退休年龄不能享受养老保险待遇的，"
                 "一次性补足应缴纳的基本医疗保险费")
flex_med = item("SBZX00039", schema=FlexMedicalRetirement,
                effect="灵活就业人员职工医保转为退休人员医保（关系“退休（不再缴费）”、职工医保退休人员标记）；需补足的开具医保一次性补足单",
                precondition="在灵活就业窗口参加职工医保；“补足”情形须达到法定退休年龄且填写补足金额")


@flex_med.check
def _flex_med_check(ctx: Ctx) -> list[Finding]:
    person = ctx.person()
    findings: list[Finding] = []
    if not Relationship.objects.filter(person=person, kind="flexible", insurance_type="medical",
                                       status=RelationshipStatus.ACTIVE).exists():
        findings.append(block(FLEX_MED_RULE, f"{person.name}不在灵活就业窗口参加职工医保", "applicant_id_number"))
    if ctx.data.situation == "topup":
        needed = retirement_age(sex=person.sex, birth=person.birth_date, on=ctx.today, post_type=person.post_type,
                                flexible=True)
        if age_on(person.birth_date, ctx.today) < needed:
            findings.append(block(FLEX_MED_RULE, f"须达到法定退休年龄（{needed}周岁）", "situation"))
        if not ctx.data.topup_amount:
            findings.append(block(FLEX_MED_RULE, "请填写一次性补足的医疗保险费金额", "topup_amount"))
    return findings


@flex_med.apply
def _flex_med_apply(ctx: Ctx) -> None:
    from .employee import medical_retirement_apply

    person = ctx.person()
    medical_retirement_apply(ctx, person, Relationship.objects.filter(person=person, kind="flexible",
                                                                      status=RelationshipStatus.ACTIVE))
    if ctx.data.topup_amount:
        services.bill_issue(actor=ctx.actor, case=ctx.case, kind=BillKind.MEDICAL_TOPUP, office=ctx.office,
                            amount=ctx.data.topup_amount, person=person, insurance_types=["medical"])
    account = FlexibleAccount.objects.filter(person=person).first()
    if account is not None and account.status == FlexibleAccount.Status.ACTIVE and not Relationship.objects.filter(
            person=person, kind="flexible", status=RelationshipStatus.ACTIVE).exists():
        services.record_update(account, {"status": FlexibleAccount.Status.PAUSED, "paused_on": ctx.data.retired_on,
                                         "pause_reason": "退休"}, actor=ctx.actor, case=ctx.case,
                               action="flexible_paused")


__all__ = ["GRADES"]
