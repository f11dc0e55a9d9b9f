"""Unemployment insurance (SYB00001–00009): layoff notices, benefit claims and their monthly
payment run, funeral grant, lump sum, transfer in, archives, job-retention subsidy."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import Field

from .. import services
from ..errors import RegistryRefused
from ..framework import CreditCode, Ctx, Data, Money, Month, PersonRef, item
from ..models import (
    BenefitDecision,
    BenefitKind,
    DecisionStatus,
    Filing,
    FilingKind,
    Payable,
    PayableStatus,
    Person,
    PersonStatus,
    Relationship,
    RelationshipStatus,
)
from ..rules import UNEMPLOYMENT_MONTHS_RULE, UNEMPLOYMENT_RULE, Finding, block, unemployment_entitlement
from .common import unemployment_months


def active_claim(person: Person, rule: str) -> BenefitDecision:
    claim = BenefitDecision.objects.filter(person=person, kind=BenefitKind.UNEMPLOYMENT,
                                           status=DecisionStatus.ACTIVE).order_by("-id").first()
    if claim is None:
        raise RegistryRefused(f"{person.name}不在领取失业保险金期间", rule=rule, field="applicant_id_number")
    return claim


# --------------------------------------------------------------------------- SYB00001


class Separated(PersonRef):
    separated_on: date
    involuntary: bool = True


class Notice(Data):
    persons: list[Separated] = Field(..., min_length=1)


notice = item("SYB00001", schema=Notice,
              effect="登记用人单位申报的失业保险金告知名册：每名离职职工一条登记（离职日期、非本人意愿）",
              precondition="职工为本单位职工且已停保（失业保险）；单位和本人已缴纳失业保险费满一年；非因本人意愿中断就业")


@notice.check
def _notice_check(ctx: Ctx) -> list[Finding]:
    employer = ctx.employer(registered=False)
    findings: list[Finding] = []
    for index, row in enumerate(ctx.data.persons):
        person = ctx.find(row, field_name=f"persons.{index}")
        rels = Relationship.objects.filter(person=person, employer=employer, insurance_type="unemployment")
        if not rels.exists():
            findings.append(block(UNEMPLOYMENT_RULE, f"{person.name}没有在本单位参加失业保险", f"persons.{index}"))
        elif rels.filter(status=RelationshipStatus.ACTIVE).exists():
            findings.append(block(UNEMPLOYMENT_RULE, f"{person.name}在本单位仍在保，须先办理停保（SBZX00014）",
                                  f"persons.{index}"))
        months = unemployment_months(person, row.separated_on)
        if months < 12:
            findings.append(block(UNEMPLOYMENT_RULE, f"{person.name}失业保险缴费{months}个月，不满一年", f"persons.{index}"))
        if not row.involuntary:
            findings.append(block(UNEMPLOYMENT_RULE, f"{person.name}系本人意愿中断就业", f"persons.{index}"))
    return findings


@notice.apply
def _notice_apply(ctx: Ctx) -> None:
    employer = ctx.employer(registered=False)
    for row in ctx.data.persons:
        services.filing_create(actor=ctx.actor, case=ctx.case, kind=FilingKind.LAYOFF_NOTICE,
                               person=ctx.find(row), employer=employer, outcome="已告知", valid_from=row.separated_on,
                               detail={"involuntary": row.involuntary})


# --------------------------------------------------------------------------- SYB00002


class ClaimRegistration(Data):
    monthly_amount: Money
    registered_unemployed: bool
    bank_account: str = Field(..., min_length=4, max_length=30)
    start_month: Month | None = None


CLAIM_RULE = "SYB00002办事条件：已经进行失业登记，并有求职要求；" + UNEMPLOYMENT_RULE
claim = item("SYB00002", schema=ClaimRegistration, data_at="close",
             effect="失业保险金申领登记：按累计缴费年限核定领取期限（12/18/24个月）和月金额，开始按月发放（SYB00005逐月支付）",
             precondition="已失业登记；无在保的单位参保关系；失业保险累计缴费满1年；不在领取期间")


@claim.check
def _claim_check(ctx: Ctx) -> list[Finding]:
    person = ctx.person()
    findings: list[Finding] = []
    if ctx.data is not None and not ctx.data.registered_unemployed:
        findings.append(block(CLAIM_RULE, "须先进行失业登记", "registered_unemployed"))
    if Relationship.objects.filter(person=person, kind="employer", status=RelationshipStatus.ACTIVE).exists():
        findings.append(block(CLAIM_RULE, f"{person.name}正在用人单位参保缴费，不属于失业人员", "applicant_id_number"))
    months = unemployment_months(person, ctx.today)
    if unemployment_entitlement(months) == 0:
        findings.append(block(UNEMPLOYMENT_MONTHS_RULE, f"失业保险累计缴费{months}个月，不满1年", "applicant_id_number"))
    if BenefitDecision.objects.filter(person=person, kind=BenefitKind.UNEMPLOYMENT,
                                      status=DecisionStatus.ACTIVE).exists():
        findings.append(block(CLAIM_RULE, f"{person.name}正在领取失业保险金", "applicant_id_number"))
    return findings


@claim.apply
def _claim_apply(ctx: Ctx) -> None:
    person = ctx.person()
    months = unemployment_months(person, ctx.today)
    services.decision_create(actor=ctx.actor, case=ctx.case, kind=BenefitKind.UNEMPLOYMENT, person=person,
                             monthly_amount=ctx.data.monthly_amount,
                             start_month=ctx.data.start_month or services.add_months(ctx.today, 1),
                             months_total=unemployment_entitlement(months),
                             detail={"contribution_months": months, "bank_account": ctx.data.bank_account[-4:]})
    services.person_update(actor=ctx.actor, case=ctx.case, person=person,
                           changes={"bank_account": ctx.data.bank_account}, action="bank_account_changed")


# --------------------------------------------------------------------------- SYB00003 / 00004


class UnemploymentDeath(Data):
    died_on: date
    funeral_amount: Money
    dependants_amount: Money = Decimal("0")


DEATH_RULE = "SYB00003办事条件：失业人员在领取失业保险金期间死亡"
death = item("SYB00003", schema=UnemploymentDeath, data_at="close",
             effect="失业人员丧葬补助金和抚恤金：待遇核定并生成应付帐；失业保险金终止；参保人员状态“已死亡”",
             precondition="死者在领取失业保险金期间（有正在发放的失业保险金）")


@death.check
def _death_check(ctx: Ctx) -> list[Finding]:
    active_claim(ctx.person(), DEATH_RULE)
    return []


@death.apply
def _death_apply(ctx: Ctx) -> None:
    person = ctx.person()
    decision = active_claim(person, DEATH_RULE)
    services.decision_update(actor=ctx.actor, case=ctx.case, decision=decision,
                             changes={"status": DecisionStatus.TERMINATED,
                                      "end_month": services.month_start(ctx.data.died_on)}, action="benefit_terminated")
    services.decision_create(actor=ctx.actor, case=ctx.case, kind=BenefitKind.UNEMPLOYMENT_FUNERAL, person=person,
                             lump_sum=ctx.data.funeral_amount + ctx.data.dependants_amount,
                             status=DecisionStatus.SETTLED, previous=decision,
                             detail={"funeral": str(ctx.data.funeral_amount),
                                     "dependants": str(ctx.data.dependants_amount)})
    services.person_update(actor=ctx.actor, case=ctx.case, person=person,
                           changes={"status": PersonStatus.DECEASED, "died_on": ctx.data.died_on},
                           action="person_deceased")


class LumpSum(Data):
    business_credit_code: CreditCode
    started_on: date


LUMP_RULE = "SYB00004办事条件：领取失业保险金期间创业的失业人员（营业执照载有统一社会信用代码）"
lump = item("SYB00004", schema=LumpSum,
            effect="一次性领取剩余失业保险金：剩余月数×月金额生成应付帐，按月发放终止（“已一次性支付”）",
            precondition="在领取失业保险金期间；营业执照统一社会信用代码校验通过；尚有未领取的月数")


def _remaining(decision: BenefitDecision) -> int:
    paid = decision.payables.filter(period__isnull=False, kind=BenefitKind.UNEMPLOYMENT).count()
    return max((decision.months_total or 0) - paid, 0)


@lump.check
def _lump_check(ctx: Ctx) -> list[Finding]:
    decision = active_claim(ctx.person(), LUMP_RULE)
    if _remaining(decision) == 0:
        return [block(LUMP_RULE, "失业保险金已领完，没有剩余月数", "applicant_id_number")]
    return []


@lump.apply
def _lump_apply(ctx: Ctx) -> None:
    person = ctx.person()
    decision = active_claim(person, LUMP_RULE)
    remaining = _remaining(decision)
    Payable.objects.filter(decision=decision, status=PayableStatus.PENDING).update(status=PayableStatus.CANCELLED)
    services.decision_update(actor=ctx.actor, case=ctx.case, decision=decision,
                             changes={"status": DecisionStatus.SETTLED,
                                      "end_month": services.month_start(ctx.data.started_on)},
                             action="benefit_settled")
    services.decision_create(actor=ctx.actor, case=ctx.case, kind=BenefitKind.UNEMPLOYMENT_LUMP_SUM, person=person,
                             lump_sum=(decision.monthly_amount or Decimal("0")) * remaining,
                             status=DecisionStatus.SETTLED, previous=decision,
                             detail={"months": remaining, "business": ctx.data.business_credit_code})


# --------------------------------------------------------------------------- SYB00005 monthly payment


class MonthlyRun(Data):
    month: Month


RUN_RULE = "SYB00005办事条件：已办理申领登记并在指定银行开户的失业人员；月结后3个工作日内银行代发"
run = item("SYB00005", schema=MonthlyRun,
           effect="失业保险待遇发放：生成当月每名领取人的应付帐（每人每月一笔，唯一），并以一个支付批次全部支付（已支付的不会重复支付）",
           precondition="该月份不晚于当月；该月尚有应付未付的失业保险金")


def _run_payables(month: date) -> list[Payable]:
    return list(Payable.objects.filter(kind=BenefitKind.UNEMPLOYMENT, period=month, status=PayableStatus.PENDING))


def _due_claims(month: date) -> int:
    """Claims with something to pay for ``month``: a pending payable, or no payable yet."""
    count = 0
    for decision in BenefitDecision.objects.filter(kind=BenefitKind.UNEMPLOYMENT, status=DecisionStatus.ACTIVE,
                                                   start_month__lte=month):
        payables = decision.payables.filter(period=month, kind=BenefitKind.UNEMPLOYMENT)
        if payables.filter(status=PayableStatus.PENDING).exists() or (not payables.exists() and _remaining(decision)):
            count += 1
    return count


@run.check
def _run_check(ctx: Ctx) -> list[Finding]:
    if ctx.data.month > ctx.today.replace(day=1):
        return [block(RUN_RULE, "不能发放未来月份的待遇", "month")]
    if not _due_claims(ctx.data.month):
        return [block(RUN_RULE, f"{ctx.data.month:%Y年%m月}没有应发的失业保险金（已发放，或无领取人员）", "month")]
    return []


@run.apply
def _run_apply(ctx: Ctx) -> None:
    services.payables_generate_monthly(actor=ctx.actor, month=ctx.data.month, kinds=[BenefitKind.UNEMPLOYMENT],
                                       case=ctx.case)
    payables = _run_payables(ctx.data.month)
    if payables:
        services.payment_run_execute(actor=ctx.actor, payables=payables,
                                     title=f"{ctx.data.month:%Y年%m月}失业保险金银行代发", case=ctx.case)
    for decision in BenefitDecision.objects.filter(kind=BenefitKind.UNEMPLOYMENT, status=DecisionStatus.ACTIVE):
        if _remaining(decision) == 0:
            services.decision_update(actor=ctx.actor, case=ctx.case, decision=decision,
                                     changes={"status": DecisionStatus.TERMINATED, "end_month": ctx.data.month},
                                     action="benefit_exhausted")


# --------------------------------------------------------------------------- SYB00006 / 00007


class BenefitTransferIn(Data):
    from_region: str = Field(..., min_length=1, max_length=120)
    monthly_amount: Money
    months_remaining: int = Field(..., ge=1, le=24)
    hukou_in_wuhan: bool


TRANSFER_RULE = "SYB00006办事条件：本市户籍，统筹区外享受失业保险待遇人员"
transfer_in = item("SYB00006", schema=BenefitTransferIn, data_at="close",
                   effect="失业保险待遇转入：按转入的剩余月数和月金额开始按月发放，记录转入",
                   precondition="本市户籍；不在本市领取失业保险金")


@transfer_in.check
def _transfer_check(ctx: Ctx) -> list[Finding]:
    person = ctx.person()
    findings: list[Finding] = []
    if ctx.data is not None and not ctx.data.hukou_in_wuhan:
        findings.append(block(TRANSFER_RULE, "须为本市户籍", "hukou_in_wuhan"))
    if BenefitDecision.objects.filter(person=person, kind=BenefitKind.UNEMPLOYMENT,
                                      status=DecisionStatus.ACTIVE).exists():
        findings.append(block(TRANSFER_RULE, f"{person.name}已在本市领取失业保险金", "applicant_id_number"))
    return findings


@transfer_in.apply
def _transfer_apply(ctx: Ctx) -> None:
    person = ctx.person()
    services.decision_create(actor=ctx.actor, case=ctx.case, kind=BenefitKind.UNEMPLOYMENT, person=person,
                             monthly_amount=ctx.data.monthly_amount, start_month=services.add_months(ctx.today, 1),
                             months_total=ctx.data.months_remaining, detail={"from_region": ctx.data.from_region})
    services.transfer_record(actor=ctx.actor, case=ctx.case, person=person, insurance_type="unemployment",
                             direction="in", counterpart=ctx.data.from_region, months=0, reason="失业保险待遇转入")


class Archive(Data):
    action: Literal["withdraw", "transfer"]
    agreement_number: str = Field(..., min_length=1, max_length=40)
    destination: str = Field("", max_length=120)


archive = item("SYB00007", schema=Archive, effect="失业人员档案存取：登记档案提取或转移（托管协议号、去向）",
               precondition="本人有档案托管协议（协议号）")


@archive.apply
def _archive_apply(ctx: Ctx) -> None:
    services.filing_create(actor=ctx.actor, case=ctx.case, kind=FilingKind.ARCHIVE_CUSTODY, person=ctx.person(),
                           outcome="档案已提取" if ctx.data.action == "withdraw" else "档案已转移",
                           detail=ctx.data.model_dump())


@archive.check
def _archive_check(ctx: Ctx) -> list[Finding]:
    ctx.person()
    return []


# --------------------------------------------------------------------------- 稳岗补贴


class SubsidyApplication(Data):
    year: int = Field(..., ge=2010, le=2100)
    employees: int = Field(..., ge=1)
    layoffs_last_year: int = Field(..., ge=0)
    city_unemployment_rate: Decimal = Field(..., ge=0, le=100, description="本市城镇登记失业率（%）")
    sound_finances: bool = True


APPLY_RULE = "SYB00009办事条件：依法参加失业保险并足额缴纳满1年；上年度未裁员或裁员率低于本市城镇登记失业率；财务制度健全"
application = item("SYB00009", schema=SubsidyApplication,
                   effect="受理稳岗补贴申报：登记申报（年度、职工数、裁员数），待SYB00008公示批复后发放",
                   precondition="单位参加失业保险满1年；上年度未裁员或裁员率低于城镇登记失业率；财务制度健全；同一年度未重复申报")


@application.check
def _application_check(ctx: Ctx) -> list[Finding]:
    employer = ctx.employer()
    data: SubsidyApplication = ctx.data
    findings: list[Finding] = []
    if "unemployment" not in employer.insurance_types or services.months_between(employer.registered_on,
                                                                               ctx.today) - 1 < 12:
        findings.append(block(APPLY_RULE, "单位参加失业保险不满1年", "employer"))
    rate = Decimal(data.layoffs_last_year * 100) / Decimal(data.employees)
    if data.layoffs_last_year and rate >= data.city_unemployment_rate:
        findings.append(block(APPLY_RULE, f"上年度裁员率{rate:.2f}%，不低于本市城镇登记失业率{data.city_unemployment_rate}%",
                              "layoffs_last_year"))
    if not data.sound_finances:
        findings.append(block(APPLY_RULE, "财务制度不健全", "sound_finances"))
    if Filing.objects.filter(employer=employer, kind=FilingKind.JOB_RETENTION_APPLICATION,
                             detail__year=data.year).exists():
        findings.append(block(APPLY_RULE, f"{data.year}年度已申报", "year"))
    return findings


@application.apply
def _application_apply(ctx: Ctx) -> None:
    services.filing_create(actor=ctx.actor, case=ctx.case, kind=FilingKind.JOB_RETENTION_APPLICATION,
                           employer=ctx.employer(), outcome="已受理", detail={**ctx.data.model_dump(mode="json"),
                                                                             "paid": False})


class SubsidyRow(Data):
    filing: str = Field(..., max_length=20)
    amount: Money


class SubsidyPayment(Data):
    year: int = Field(..., ge=2010, le=2100)
    approval_number: str = Field(..., min_length=1, max_length=60, description="市政府批复文号")
    rows: list[SubsidyRow] = Field(..., min_length=1)


PAY_RULE = "SYB00008办事条件：拟发放企业已在市人社局门户网站公示，已报市政府批复"
payment = item("SYB00008", schema=SubsidyPayment, data_at="close",
               effect="稳岗补贴发放：每家企业一项待遇核定和应付帐，以一个支付批次付入企业账户；申报登记标记“已发放”",
               precondition="所列申报均为该年度已受理且未发放的SYB00009申报；有市政府批复文号")


def _subsidy_filings(ctx: Ctx) -> list[Filing]:
    numbers = [row.filing for row in ctx.data.rows]
    found = {f.number: f for f in Filing.objects.filter(number__in=numbers, kind=FilingKind.JOB_RETENTION_APPLICATION)}
    missing = [n for n in numbers if n not in found]
    if missing:
        raise RegistryRefused(f"稳岗补贴申报{'、'.join(missing)}不存在", rule=PAY_RULE, field="rows")
    return [found[n] for n in numbers]


@payment.check
def _payment_check(ctx: Ctx) -> list[Finding]:
    if ctx.data is None:
        return []
    findings: list[Finding] = []
    for filing in _subsidy_filings(ctx):
        if filing.detail.get("paid"):
            findings.append(block(PAY_RULE, f"申报{filing.number}已发放，不能重复发放", "rows"))
        if filing.detail.get("year") != ctx.data.year:
            findings.append(block(PAY_RULE, f"申报{filing.number}不是{ctx.data.year}年度的申报", "rows"))
    return findings


@payment.apply
def _payment_apply(ctx: Ctx) -> None:
    payables = []
    amounts = {row.filing: row.amount for row in ctx.data.rows}
    for filing in _subsidy_filings(ctx):
        decision = services.decision_create(actor=ctx.actor, case=ctx.case, kind=BenefitKind.JOB_RETENTION,
                                            employer=filing.employer, lump_sum=amounts[filing.number],
                                            status=DecisionStatus.SETTLED,
                                            detail={"filing": filing.number, "approval": ctx.data.approval_number})
        payables += list(decision.payables.all())
        services.record_update(filing, {"detail": {**filing.detail, "paid": True}, "outcome": "已发放"},
                               actor=ctx.actor, case=ctx.case, action="job_retention_paid")
    services.payment_run_execute(actor=ctx.actor, payables=payables, title=f"{ctx.data.year}年度稳岗补贴发放",
                                 case=ctx.case)
