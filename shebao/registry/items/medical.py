"""Medical, work-injury and maternity benefits (YBZX00001–00025): claims → benefit decisions and
payables; registrations and qualifications → filings; YBZX00007 pays payables in a run."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Literal

from django.db.models import Sum
from pydantic import Field

from shebao.workdays import get_calendar

from .. import services
from ..errors import RegistryRefused
from ..framework import Ctx, Data, Money, PersonRef, item
from ..models import (
    BenefitKind,
    DecisionStatus,
    Filing,
    FilingKind,
    Payable,
    PayableStatus,
    Person,
    Relationship,
    RelationshipStatus,
)
from ..rules import MATERNITY_RULE, Finding, block, warn
from .common import counted_statuses


def subject(ctx: Ctx, ref: PersonRef | None, field: str = "person") -> Person:
    """The insured person: the data's ``person`` when a unit (or hospital) files, else the applicant."""
    if ref is not None:
        return ctx.find(ref, field_name=field)
    if ctx.case.applicant_id_number:
        return ctx.person()
    raise RegistryRefused("请在业务数据中填写参保人员（person）", rule=ctx.code, field=field)


def has_medical(person: Person, *, resident: bool) -> bool:
    if resident:
        return Relationship.objects.filter(person=person, insurance_type="resident_medical",
                                           status=RelationshipStatus.ACTIVE).exists()
    return person.medical_retiree or Relationship.objects.filter(
        person=person, insurance_type="medical", status=RelationshipStatus.ACTIVE).exists()


def insured_rule(resident: bool) -> str:
    return "参保居民、参保大学生（城乡居民医保在保）" if resident else "职工基本医疗保险参保人员（在保或退休）"


# --------------------------------------------------------------------------- referrals, filings


class Referral(Data):
    person: PersonRef | None = None
    reason: Literal["referral", "emergency"]
    hospital: str = Field(..., min_length=1, max_length=120)
    admitted_on: date


def referral_item(code: str, *, resident: bool, window: int, unit: str) -> None:
    rule = (f"{code}办事条件：{'大学生因紧急抢救在非定点医疗机构住院的，须在入院的7日内登记备案' if resident else '紧急抢救病症在非定点医院住院的，在住院治疗后5个工作日内申报'}")
    definition = item(code, schema=Referral,
                      effect="登记转诊转院（急诊）备案：医院、入院日期、原因；作为" + ("YBZX00001" if resident else "YBZX00004")
                             + "现金报销的前提",
                      precondition=f"本人为{insured_rule(resident)}；急诊登记在入院后{window}{unit}内（逾期警示）")

    @definition.check
    def _check(ctx: Ctx) -> list[Finding]:
        person = subject(ctx, ctx.data.person)
        findings: list[Finding] = []
        if not has_medical(person, resident=resident):
            findings.append(block(f"{code}：{insured_rule(resident)}", f"{person.name}不是{insured_rule(resident)}", "person"))
        if ctx.data.admitted_on > ctx.today:
            findings.append(block(rule, "入院日期晚于今天", "admitted_on"))
        elif ctx.data.reason == "emergency":
            last = get_calendar().add_working_days(ctx.data.admitted_on, window) if unit == "个工作日" else \
                ctx.data.admitted_on + timedelta(days=window)
            if ctx.today > last:
                findings.append(warn(rule, f"已超过入院后{window}{unit}的登记期限（{last}）", "admitted_on"))
        return findings

    @definition.apply
    def _apply(ctx: Ctx) -> None:
        person = subject(ctx, ctx.data.person)
        services.filing_create(actor=ctx.actor, case=ctx.case, kind=FilingKind.MEDICAL_REFERRAL, person=person,
                               outcome="已备案", valid_from=ctx.data.admitted_on,
                               detail={"reason": ctx.data.reason, "hospital": ctx.data.hospital,
                                       "scheme": "resident" if resident else "employee"})


referral_item("YBZX00002", resident=True, window=7, unit="日")
referral_item("YBZX00005", resident=False, window=5, unit="个工作日")


class SevereOutpatient(Data):
    person: PersonRef | None = None
    disease: str = Field(..., min_length=1, max_length=60)
    hospital: str = Field(..., min_length=1, max_length=120)
    pharmacy: str = Field(..., min_length=1, max_length=120)


def severe_item(code: str, *, resident: bool) -> None:
    rule = f"{code}办事条件：正常缴费及医疗待遇正常的{'居民医保、大学生医保' if resident else '城镇基本医疗保险'}参保人员患有规定的疾病"
    definition = item(code, schema=SevereOutpatient, data_at="close",
                      effect="门诊重症（慢性）疾病资格确定：登记病种、选定的一家定点医院和一家定点药店（鉴定通过后办结）",
                      precondition=f"本人为{insured_rule(resident)}；同一病种未重复确定；周一至周三受理（流程参数）")

    @definition.check
    def _check(ctx: Ctx) -> list[Finding]:
        person = subject(ctx, ctx.data.person if ctx.data else None)
        findings: list[Finding] = []
        if not has_medical(person, resident=resident):
            findings.append(block(rule, f"{person.name}不是{insured_rule(resident)}", "person"))
        if ctx.data is not None and Filing.objects.filter(person=person, kind=FilingKind.SEVERE_OUTPATIENT,
                                                          detail__disease=ctx.data.disease).exists():
            findings.append(block(rule, f"{person.name}已确定{ctx.data.disease}门诊重症资格", "disease"))
        return findings

    @definition.apply
    def _apply(ctx: Ctx) -> None:
        person = subject(ctx, ctx.data.person)
        services.filing_create(actor=ctx.actor, case=ctx.case, kind=FilingKind.SEVERE_OUTPATIENT, person=person,
                               outcome="资格确定", detail={"disease": ctx.data.disease, "hospital": ctx.data.hospital,
                                                       "pharmacy": ctx.data.pharmacy})


severe_item("YBZX00003", resident=True)
severe_item("YBZX00006", resident=False)


# --------------------------------------------------------------------------- cash claims


class Claim(Data):
    person: PersonRef | None = None
    amount: Money
    admitted_on: date | None = None
    discharged_on: date
    hospital: str = Field("", max_length=120)
    reason: Literal["out_of_city", "emergency", "referral", "complication", "maternity"] = "emergency"


def claim_item(code: str, *, scheme: Literal["resident", "employee", "veteran", "maternity_spouse",
                                             "maternity_female"]) -> None:
    requires = {
        "resident": "YBZX00002转诊转院（急诊）登记", "employee": "YBZX00005转诊转院（急诊）登记",
        "veteran": "离休干部、残疾军人身份（SBZX00061）", "maternity_spouse": "YBZX00013生育就医登记",
        "maternity_female": "YBZX00014生育就医登记",
    }[scheme]
    window = "出院后一个月内" if scheme in {"resident", "employee", "veteran"} else "医疗终结30日内"
    rule = f"{code}办事条件：{requires}；{window}申报"
    kind = BenefitKind.MATERNITY_CLAIM if scheme.startswith("maternity") else BenefitKind.MEDICAL_CLAIM
    definition = item(code, schema=Claim, data_at="close",
                      effect=f"核定{kind.label}现金报销（统筹基金支付金额）：待遇核定并生成应付帐（经YBZX00007支付批次支付）",
                      precondition=f"须有{requires}；" + ("须为居民医保参保人；" if scheme == "resident" else
                                                       "须为职工医保参保人；" if scheme == "employee" else "")
                      + (f"单位连续缴纳生育保险满6个月；{window}（逾期警示）" if scheme.startswith("maternity")
                         else f"{window}（逾期警示）"))

    @definition.check
    def _check(ctx: Ctx) -> list[Finding]:
        if ctx.data is None:
            if ctx.case.applicant_id_number:
                ctx.person()
            return []
        person = subject(ctx, ctx.data.person)
        findings: list[Finding] = []
        if scheme in {"resident", "employee"}:
            if not has_medical(person, resident=scheme == "resident"):
                findings.append(block(rule, f"{person.name}不是{insured_rule(scheme == 'resident')}", "person"))
            if not Filing.objects.filter(person=person, kind=FilingKind.MEDICAL_REFERRAL,
                                         detail__scheme=scheme).exists():
                findings.append(block(rule, f"{person.name}没有{requires}备案", "person"))
        elif scheme == "veteran":
            if not {"离休人员", "残疾军人"} & set(person.special_identities):
                findings.append(block(rule, f"{person.name}不是经备案的离休干部或残疾军人", "person"))
        else:
            findings += maternity_findings(ctx, person, "YBZX00013" if scheme == "maternity_spouse" else "YBZX00014")
        if scheme.startswith("maternity"):
            last = ctx.data.discharged_on + timedelta(days=30)
        else:
            last = services.months_after(ctx.data.discharged_on, 1)
        if ctx.data.discharged_on > ctx.today:
            findings.append(block(rule, "出院（医疗终结）日期晚于今天", "discharged_on"))
        elif ctx.case.submitted_at.date() > last:
            findings.append(warn(rule, f"申报超过{window}（应于{last}前）", "discharged_on"))
        return findings

    @definition.apply
    def _apply(ctx: Ctx) -> None:
        person = subject(ctx, ctx.data.person)
        services.decision_create(actor=ctx.actor, case=ctx.case, kind=kind, person=person, lump_sum=ctx.data.amount,
                                 status=DecisionStatus.SETTLED,
                                 detail={"item": code, "hospital": ctx.data.hospital, "reason": ctx.data.reason,
                                         "discharged_on": str(ctx.data.discharged_on)})


claim_item("YBZX00001", scheme="resident")
claim_item("YBZX00004", scheme="employee")
claim_item("YBZX00022", scheme="veteran")
claim_item("YBZX00016", scheme="maternity_spouse")
claim_item("YBZX00018", scheme="maternity_female")


# --------------------------------------------------------------------------- maternity


def maternity_months(person: Person, on: date) -> int:
    """Continuous months of maternity insurance up to ``on`` (the latest unbroken run)."""
    rels = sorted(Relationship.objects.filter(person=person, insurance_type="maternity", status__in=counted_statuses),
                  key=lambda r: r.start_on, reverse=True)
    if not rels or (rels[0].stop_on is not None and rels[0].stop_on < on.replace(day=1) - timedelta(days=31)):
        return 0
    start = rels[0].start_on
    for rel in rels[1:]:
        if rel.stop_on is not None and (start - rel.stop_on).days <= 31:
            start = rel.start_on
        else:
            break
    end = min(rels[0].stop_on or on, on)
    return max(services.months_between(start, end) - (1 if start.day > 1 else 0), 0)


def maternity_findings(ctx: Ctx, person: Person, registration: str | None) -> list[Finding]:
    findings: list[Finding] = []
    months = maternity_months(person, ctx.today)
    if months < 6:
        findings.append(block(MATERNITY_RULE, f"{person.name}连续缴纳生育保险{months}个月，不满6个月", "person"))
    if registration is not None:
        spouse = registration == "YBZX00013"
        if not Filing.objects.filter(person=person, kind=FilingKind.MATERNITY_REGISTRATION,
                                     detail__spouse=spouse).exists():
            findings.append(block(f"{registration}：须先办理生育就医登记备案", f"{person.name}没有{registration}生育就医登记",
                                  "person"))
    return findings


class MaternityRegistration(Data):
    person: PersonRef
    kind: Literal["delivery", "abortion", "family_planning", "resident_elsewhere"]
    child_order: int = Field(1, ge=1, le=10)
    birth_service_certificate: bool = False
    spouse_name: str = Field("", max_length=60)
    spouse_employed: bool = False


def registration_item(code: str, *, spouse: bool) -> None:
    rule = f"{code}办事条件：符合计划生育规定；{'男职工所在单位为其' if spouse else '女职工用人单位为其'}连续足额缴纳生育保险费满6个月" \
           + ("；男职工配偶未就业" if spouse else "")
    definition = item(code, schema=MaternityRegistration,
                      effect=("男职工未就业配偶" if spouse else "女职工") + "生育就医登记备案（类别、胎次），作为生育费用报销和津贴的前提",
                      precondition="职工为本单位在保职工且连续缴纳生育保险满6个月；" + ("配偶未就业；" if spouse else "")
                                   + "二孩以上须有生育服务证")

    @definition.check
    def _check(ctx: Ctx) -> list[Finding]:
        employer = ctx.employer()
        person = ctx.find(ctx.data.person, field_name="person")
        findings = maternity_findings(ctx, person, None)
        if not Relationship.objects.filter(person=person, employer=employer, insurance_type="maternity",
                                           status=RelationshipStatus.ACTIVE).exists():
            findings.append(block(rule, f"{person.name}不是本单位生育保险在保职工", "person"))
        if spouse:
            if person.sex != "M":
                findings.append(block(rule, "本事项为男职工未就业配偶办理", "person"))
            if ctx.data.spouse_employed:
                findings.append(block(rule, "男职工配偶已就业，应由配偶单位办理", "spouse_employed"))
        elif person.sex != "F":
            findings.append(block(rule, "本事项为女职工办理", "person"))
        if ctx.data.child_order >= 2 and not ctx.data.birth_service_certificate:
            findings.append(block(rule, "生育二孩以上须提供生育服务证", "birth_service_certificate"))
        return findings

    @definition.apply
    def _apply(ctx: Ctx) -> None:
        person = ctx.find(ctx.data.person)
        services.filing_create(actor=ctx.actor, case=ctx.case, kind=FilingKind.MATERNITY_REGISTRATION, person=person,
                               employer=ctx.employer(), outcome="已登记备案",
                               detail={"spouse": spouse, "kind": ctx.data.kind, "child_order": ctx.data.child_order,
                                       "spouse_name": ctx.data.spouse_name})


registration_item("YBZX00013", spouse=True)
registration_item("YBZX00014", spouse=False)


class MaternityCash(Data):
    person: PersonRef
    amount: Money
    treatment_ended_on: date


def maternity_cash_item(code: str, *, spouse: bool) -> None:
    registration = "YBZX00013" if spouse else "YBZX00014"
    rule = f"{code}办事条件：连续缴纳生育保险满6个月并办理生育就医登记备案；医疗终结30日内申报"
    definition = item(code, schema=MaternityCash, data_at="close",
                      effect="核定生育医疗费用现金报销：待遇核定并生成应付帐（经区审核、每月20日前汇总、市中心复核后出账）",
                      precondition=f"须有{registration}生育就医登记；连续缴纳生育保险满6个月；医疗终结30日内（逾期警示）")

    @definition.check
    def _check(ctx: Ctx) -> list[Finding]:
        if ctx.data is None:
            return []
        person = ctx.find(ctx.data.person, field_name="person")
        findings = maternity_findings(ctx, person, registration)
        last = ctx.data.treatment_ended_on + timedelta(days=30)
        if ctx.case.submitted_at.date() > last:
            findings.append(warn(rule, f"申报超过医疗终结30日（应于{last}前）", "treatment_ended_on"))
        return findings

    @definition.apply
    def _apply(ctx: Ctx) -> None:
        person = ctx.find(ctx.data.person)
        services.decision_create(actor=ctx.actor, case=ctx.case, kind=BenefitKind.MATERNITY_CLAIM, person=person,
                                 lump_sum=ctx.data.amount, status=DecisionStatus.SETTLED,
                                 detail={"item": code, "treatment_ended_on": str(ctx.data.treatment_ended_on)})


maternity_cash_item("YBZX00015", spouse=True)
maternity_cash_item("YBZX00017", spouse=False)


class Allowance(Data):
    person: PersonRef
    kind: Literal["maternity", "paternity"]
    amount: Money
    leave_ended_on: date


ALLOWANCE_RULE = "YBZX00019办事条件：用人单位连续为其缴费满6个月以上；产假休完后3个月内，用人单位到辖区社保经办机构办理"
allowance = item("YBZX00019", schema=Allowance, data_at="close",
                 effect="核定生育津贴或护理假津贴：待遇核定并生成应付帐（支付给用人单位，次月10日前汇总出账）",
                 precondition="本单位职工；连续缴纳生育保险满6个月；生育津贴须有YBZX00014登记、护理假津贴须有YBZX00013登记；"
                              "产假休完后3个月内（逾期警示）")


@allowance.check
def _allowance_check(ctx: Ctx) -> list[Finding]:
    employer = ctx.employer()
    if ctx.data is None:
        return []
    person = ctx.find(ctx.data.person, field_name="person")
    findings = maternity_findings(ctx, person, "YBZX00014" if ctx.data.kind == "maternity" else "YBZX00013")
    if not Relationship.objects.filter(person=person, employer=employer).exists():
        findings.append(block(ALLOWANCE_RULE, f"{person.name}不是本单位职工", "person"))
    last = services.months_after(ctx.data.leave_ended_on, 3)
    if ctx.case.submitted_at.date() > last:
        findings.append(warn(ALLOWANCE_RULE, f"超过产假休完后3个月（应于{last}前申报）", "leave_ended_on"))
    return findings


@allowance.apply
def _allowance_apply(ctx: Ctx) -> None:
    person = ctx.find(ctx.data.person)
    services.decision_create(actor=ctx.actor, case=ctx.case, kind=BenefitKind.MATERNITY_ALLOWANCE, person=person,
                             employer=ctx.employer(), lump_sum=ctx.data.amount, status=DecisionStatus.SETTLED,
                             detail={"allowance": ctx.data.kind, "leave_ended_on": str(ctx.data.leave_ended_on)})


# --------------------------------------------------------------------------- payment of payables


class PayPayables(Data):
    payables: list[str] = Field(..., min_length=1)


PAY_RULE = "YBZX00007：收到各业务科室应付账，前台审核后转计划财务科银行付款；应付帐只能支付一次"
pay = item("YBZX00007", schema=PayPayables, data_at="close",
           effect="支付应付帐：所列应付帐生成一个支付批次并标记“已支付”（每笔应付帐只能支付一次）",
           precondition="所列应付帐均存在且为“应付未付”；已支付或作废的拒绝并指明支付日期")


def _payables(ctx: Ctx) -> list[Payable]:
    numbers = list(dict.fromkeys(ctx.data.payables))
    found = {p.number: p for p in Payable.objects.filter(number__in=numbers)}
    missing = [n for n in numbers if n not in found]
    if missing:
        raise RegistryRefused(f"应付帐{'、'.join(missing)}不存在", rule=PAY_RULE, field="payables")
    return [found[n] for n in numbers]


@pay.check
def _pay_check(ctx: Ctx) -> list[Finding]:
    if ctx.data is None:
        return []
    findings: list[Finding] = []
    for payable in _payables(ctx):
        if payable.status != PayableStatus.PENDING:
            findings.append(block(PAY_RULE, f"应付帐{payable.number}当前为“{payable.get_status_display()}”，不能重复支付",
                                  "payables"))
    return findings


@pay.apply
def _pay_apply(ctx: Ctx) -> None:
    services.payment_run_execute(actor=ctx.actor, payables=_payables(ctx), title=f"{ctx.case.reference} 现金报销费用支付",
                                 case=ctx.case)


# --------------------------------------------------------------------------- work injury benefits


def determination(person: Person, rule: str) -> Filing:
    filing = Filing.objects.filter(person=person, kind=FilingKind.INJURY_DETERMINATION,
                                   outcome__in=["认定工伤", "视同工伤"]).order_by("-valid_from").first()
    if filing is None:
        raise RegistryRefused(f"{person.name}没有认定（视同）工伤的决定（GSC00001）", rule=rule, field="person")
    return filing


class InjuryClaim(Data):
    person: PersonRef
    amount: Money = Decimal("0")
    disability_level: int | None = Field(None, ge=1, le=10)
    monthly_allowance: Money | None = None
    nursing_monthly: Money | None = None
    contract_ended_on: date | None = None
    death_grant: Money | None = None
    funeral_grant: Money | None = None
    dependants: list[dict[str, str]] = Field(default_factory=list)


INJURY_RULES = {
    "YBZX00008": "YBZX00008办事条件：认定为工伤后申报事故发生时急救的医疗费用",
    "YBZX00009": "YBZX00009办事条件：认定为工伤后，经劳动能力鉴定为1-4级伤残的，申报伤残补助金、伤残津贴、护理费",
    "YBZX00010": "YBZX00010办事条件：认定为工伤后鉴定为5-10级的，在解除劳动合同后申报医疗补助金",
    "YBZX00011": "YBZX00011办事条件：因事故等认定为工亡的，申报工亡补助金、丧葬补助金",
    "YBZX00012": "YBZX00012办事条件：认定为工亡且符合遗属领取条件的，申报供养亲属抚恤金",
}
INJURY_EFFECTS = {
    "YBZX00008": "核定工伤医疗费用（现金报销）：待遇核定并生成应付帐",
    "YBZX00009": "核定一次性伤残补助金（应付帐）、按月伤残津贴和生活护理费（按月待遇，逐月生成应付帐）；记录伤残等级",
    "YBZX00010": "核定一次性工伤医疗补助金：待遇核定并生成应付帐；记录伤残等级",
    "YBZX00011": "核定一次性工亡补助金和丧葬补助金：两项待遇核定并生成应付帐",
    "YBZX00012": "核定供养亲属抚恤金：每名供养亲属一项按月待遇（逐月生成应付帐）",
}
INJURY_PRECONDITIONS = {
    "YBZX00008": "本人有认定（视同）工伤决定（GSC00001）",
    "YBZX00009": "有工伤认定决定；伤残等级1—4级",
    "YBZX00010": "有工伤认定决定；伤残等级5—10级；已解除劳动合同（与工伤单位无在保关系）",
    "YBZX00011": "有工伤认定决定且为工亡",
    "YBZX00012": "有工伤认定决定且为工亡；至少一名供养亲属及其月抚恤金",
}


def injury_item(code: str) -> None:
    rule = INJURY_RULES[code]
    definition = item(code, schema=InjuryClaim, data_at="close", effect=INJURY_EFFECTS[code],
                      precondition=INJURY_PRECONDITIONS[code])

    @definition.check
    def _check(ctx: Ctx) -> list[Finding]:
        if ctx.data is None:
            return []
        person = ctx.find(ctx.data.person, field_name="person", alive=code not in {"YBZX00011", "YBZX00012"})
        filing = determination(person, rule)
        data: InjuryClaim = ctx.data
        findings: list[Finding] = []
        fatal = bool(filing.detail.get("fatal"))
        if code == "YBZX00009" and (data.disability_level is None or data.disability_level > 4):
            findings.append(block(rule, f"伤残等级为{data.disability_level or '未填写'}，本事项限1—4级", "disability_level"))
        if code == "YBZX00010":
            if data.disability_level is None or data.disability_level < 5:
                findings.append(block(rule, f"伤残等级为{data.disability_level or '未填写'}，本事项限5—10级", "disability_level"))
            if Relationship.objects.filter(person=person, employer=filing.employer,
                                           status=RelationshipStatus.ACTIVE).exists() or data.contract_ended_on is None:
                findings.append(block(rule, "须在解除劳动合同（停保）后申报", "contract_ended_on"))
        if code in {"YBZX00011", "YBZX00012"} and not fatal:
            findings.append(block(rule, "工伤认定决定不是工亡", "person"))
        if code == "YBZX00012" and not data.dependants:
            findings.append(block(rule, "请填写供养亲属（dependants）", "dependants"))
        if code in {"YBZX00008", "YBZX00010"} and not data.amount:
            findings.append(block(rule, "请填写核定金额", "amount"))
        return findings

    @definition.apply
    def _apply(ctx: Ctx) -> None:
        data: InjuryClaim = ctx.data
        person = ctx.find(data.person, alive=False)
        filing = determination(person, rule)
        employer = filing.employer
        next_month = services.add_months(ctx.today, 1)
        if data.disability_level is not None:
            services.record_update(filing, {"detail": {**filing.detail, "disability_level": data.disability_level}},
                                   actor=ctx.actor, case=ctx.case, action="disability_level_recorded")
        common = {"actor": ctx.actor, "case": ctx.case, "person": person, "employer": employer}
        if code == "YBZX00008":
            services.decision_create(kind=BenefitKind.INJURY_MEDICAL, lump_sum=data.amount,
                                     status=DecisionStatus.SETTLED, **common)  # type: ignore[arg-type]
        elif code == "YBZX00009":
            if data.amount:
                services.decision_create(kind=BenefitKind.INJURY_DISABILITY_GRANT, lump_sum=data.amount,
                                         status=DecisionStatus.SETTLED, **common)  # type: ignore[arg-type]
            if data.monthly_allowance:
                services.decision_create(kind=BenefitKind.INJURY_DISABILITY_ALLOWANCE, start_month=next_month,
                                         monthly_amount=data.monthly_allowance, **common)  # type: ignore[arg-type]
            if data.nursing_monthly:
                services.decision_create(kind=BenefitKind.INJURY_NURSING, start_month=next_month,
                                         monthly_amount=data.nursing_monthly, **common)  # type: ignore[arg-type]
        elif code == "YBZX00010":
            services.decision_create(kind=BenefitKind.INJURY_MEDICAL_GRANT, lump_sum=data.amount,
                                     status=DecisionStatus.SETTLED, **common)  # type: ignore[arg-type]
        elif code == "YBZX00011":
            for kind, amount in ((BenefitKind.INJURY_DEATH_GRANT, data.death_grant),
                                 (BenefitKind.INJURY_FUNERAL, data.funeral_grant)):
                if amount:
                    services.decision_create(kind=kind, lump_sum=amount, status=DecisionStatus.SETTLED,
                                             **common)  # type: ignore[arg-type]
        elif code == "YBZX00012":
            for dependant in data.dependants:
                services.decision_create(kind=BenefitKind.DEPENDANT_PENSION, start_month=next_month,
                                         monthly_amount=Decimal(str(dependant.get("monthly", "0") or "0")),
                                         detail={"dependant": dependant.get("name", ""),
                                                 "relation": dependant.get("relation", "")},
                                         **common)  # type: ignore[arg-type]


for _code in INJURY_RULES:
    injury_item(_code)


# --------------------------------------------------------------------------- 离休干部、残疾军人; relocated retirees; prints


VETERAN_RULE = "YBZX00020—00023办事条件：经市行政机构审批、医疗保险经办机构备案的离休干部和伤残军人"


def veteran_findings(person: Person, *, only_veteran: bool = False) -> list[Finding]:
    allowed = {"残疾军人"} if only_veteran else {"离休人员", "残疾军人"}
    if allowed & set(person.special_identities):
        return []
    return [block(VETERAN_RULE, f"{person.name}不是经备案的{'伤残军人' if only_veteran else '离休干部或伤残军人'}",
                  "applicant_id_number")]


class Vouchers(Data):
    count: int = Field(..., ge=1, le=4)


VOUCHER_RULE = "YBZX00020办事条件：按联单领取管理办法每人每月4张领取"
vouchers = item("YBZX00020", schema=Vouchers, effect="发放联单（本月领取张数登记），每人每月不超过4张",
                precondition="本人为经备案的离休干部或残疾军人；本月已领加本次不超过4张")


def _issued_this_month(person: Person, today: date) -> int:
    total = 0
    for filing in Filing.objects.filter(person=person, kind=FilingKind.VOUCHERS, valid_from__gte=today.replace(day=1),
                                        valid_from__lte=today):
        total += int(filing.detail.get("count", 0))
    return total


@vouchers.check
def _vouchers_check(ctx: Ctx) -> list[Finding]:
    person = ctx.person()
    findings = veteran_findings(person)
    issued = _issued_this_month(person, ctx.today)
    if issued + ctx.data.count > 4:
        findings.append(block(VOUCHER_RULE, f"本月已领取{issued}张，本次最多还能领取{max(4 - issued, 0)}张", "count"))
    return findings


@vouchers.apply
def _vouchers_apply(ctx: Ctx) -> None:
    services.filing_create(actor=ctx.actor, case=ctx.case, kind=FilingKind.VOUCHERS, person=ctx.person(),
                           outcome=f"领取{ctx.data.count}张", valid_from=ctx.today, detail={"count": ctx.data.count})


record_book = item("YBZX00021", effect="残疾军人病历更换：登记换发新病历本",
                   precondition="本人为经备案的残疾军人")


@record_book.check
def _record_book_check(ctx: Ctx) -> list[Finding]:
    return veteran_findings(ctx.person(), only_veteran=True)


@record_book.apply
def _record_book_apply(ctx: Ctx) -> None:
    services.filing_create(actor=ctx.actor, case=ctx.case, kind=FilingKind.RECORD_BOOK, person=ctx.person(),
                           outcome="已换发新病历")


class Hospital(Data):
    hospital: str = Field(..., min_length=1, max_length=120)


hospital_change = item("YBZX00023", schema=Hospital, effect="变更残疾军人的定点医疗机构（逐字段留痕）",
                       precondition="本人为经备案的残疾军人；新机构与现定点不同")


@hospital_change.check
def _hospital_check(ctx: Ctx) -> list[Finding]:
    person = ctx.person()
    findings = veteran_findings(person, only_veteran=True)
    if person.designated_hospital == ctx.data.hospital:
        findings.append(block("YBZX00023：定点医疗机构变更", f"定点医疗机构已是{ctx.data.hospital}", "hospital"))
    return findings


@hospital_change.apply
def _hospital_apply(ctx: Ctx) -> None:
    services.person_update(actor=ctx.actor, case=ctx.case, person=ctx.person(),
                           changes={"designated_hospital": ctx.data.hospital}, action="designated_hospital_changed")


class Relocated(Data):
    insured_region: str = Field(..., min_length=1, max_length=60)
    hospital: str = Field(..., min_length=1, max_length=120)


relocated = item("YBZX00024", schema=Relocated,
                 effect="异地在汉安置退休人员选择定点医疗机构备案（登记本记录：参保地、所选武汉定点医疗机构），参保地登记表盖章退回",
                 precondition="所选机构为武汉市定点医疗机构（窗口核对）；本人不在武汉参加职工医保（在保的警示）")


@relocated.check
def _relocated_check(ctx: Ctx) -> list[Finding]:
    from ..framework import find_person

    person = find_person(id_number=ctx.case.applicant_id_number)
    if person is not None and has_medical(person, resident=False) and not person.medical_retiree:
        return [warn("YBZX00024：异地参保在汉安置退休人员", f"{person.name}在武汉参加职工医保，请核对参保地", "insured_region")]
    return []


@relocated.apply
def _relocated_apply(ctx: Ctx) -> None:
    from ..framework import find_person

    person = find_person(id_number=ctx.case.applicant_id_number)
    services.filing_create(actor=ctx.actor, case=ctx.case, kind=FilingKind.RELOCATED_RETIREE, person=person,
                           outcome="已备案盖章", detail={"insured_region": ctx.data.insured_region,
                                                     "hospital": ctx.data.hospital,
                                                     "id_number": ctx.case.applicant_id_number,
                                                     "name": ctx.case.applicant_name})


item("YBZX00025", effect="无登记簿变化（只读：查询并打印已结算的《医疗费用结算清单》）", precondition="无")


def payables_total(person: Person) -> Decimal:
    return Payable.objects.filter(person=person).aggregate(total=Sum("amount"))["total"] or Decimal("0")
