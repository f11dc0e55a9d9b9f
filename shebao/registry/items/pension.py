"""Pension benefits (SBZX00060–00068), residents' pension receipt and termination (00069, 00070),
and the annual certification with suspension and resumption (00071–00074)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import Field

from shebao.catalog.flows import flow_for

from .. import runs, services
from ..errors import RegistryRefused
from ..framework import Ctx, Data, Money, Month, item
from ..models import (
    BenefitDecision,
    BenefitKind,
    Certification,
    DecisionStatus,
    Filing,
    FilingKind,
    Person,
    PersonStatus,
    Relationship,
    RelationshipStatus,
)
from ..rules import (
    RESIDENT_RECEIVE_RULE,
    Finding,
    age_on,
    block,
    fifteen_years,
    normal_retirement,
    resident_pension_receipt,
    resumption_month,
    retirement_age,
    warn,
)
from .common import counted_statuses, pension_months

SPECIAL_IDENTITIES = ("离休人员", "职教幼教", "社区工作者", "环卫合同工", "五七工", "残疾军人")
APPROVAL_KINDS = (FilingKind.RETIREMENT_APPROVAL, FilingKind.SPECIAL_JOB_RETIREMENT, FilingKind.ILLNESS_RETIREMENT)


def total_months(person: Person, on: date) -> int:
    return pension_months(person, on) + person.deemed_months


def benefit(person: Person, kind: str, *, statuses: tuple[str, ...] = (DecisionStatus.ACTIVE, DecisionStatus.SUSPENDED),
            rule: str, field: str = "applicant_id_number") -> BenefitDecision:
    decision = BenefitDecision.objects.filter(person=person, kind=kind, status__in=statuses).order_by("-id").first()
    if decision is None:
        raise RegistryRefused(f"{person.name}没有正在发放的{BenefitKind(kind).label}", rule=rule, field=field)
    return decision


# --------------------------------------------------------------------------- 退休审批


class RetirementApproval(Data):
    post_type: Literal["cadre", "worker"] | None = None
    flexible: bool = False
    former_soe_worker: bool = False
    retire_on: date


approval = item("SBZX00060", schema=RetirementApproval,
                effect="退休审批通过：登记退休审批（退休日期、岗位），作为SBZX00067退休增员的前提",
                precondition="法定退休年龄（男60；女干部55、女工人50；灵活就业女55，原国有集体企业职工可选50）；"
                             "累计缴费年限（含视同）满15年；未退休、无在审批")


@approval.check
def _approval_check(ctx: Ctx) -> list[Finding]:
    person = ctx.person()
    data: RetirementApproval = ctx.data
    if person.status == PersonStatus.RETIRED:
        return [block("SBZX00060：退休审批", f"{person.name}已于{person.retired_on}退休", "applicant_id_number")]
    return normal_retirement(sex=person.sex, birth=person.birth_date, on=data.retire_on,
                             post_type=data.post_type or person.post_type, flexible=data.flexible,
                             former_soe_worker=data.former_soe_worker, total_months=total_months(person, ctx.today))


@approval.apply
def _approval_apply(ctx: Ctx) -> None:
    person = ctx.person()
    if ctx.data.post_type:
        services.person_update(actor=ctx.actor, case=ctx.case, person=person, changes={"post_type": ctx.data.post_type},
                               action="post_type_recorded")
    services.filing_create(actor=ctx.actor, case=ctx.case, kind=FilingKind.RETIREMENT_APPROVAL, person=person,
                           outcome="准予退休", valid_from=ctx.data.retire_on,
                           detail={"flexible": ctx.data.flexible, "months": total_months(person, ctx.today)})


# --------------------------------------------------------------------------- 身份认定


class Identity(Data):
    identity: Literal["离休人员", "职教幼教", "社区工作者", "环卫合同工", "五七工", "残疾军人"]


identity = item("SBZX00061", schema=Identity, effect="在系统内标识特殊身份（离休人员、职教幼教、社区工作者、环卫合同工、五七工、残疾军人）",
                precondition="本人尚无该标识")


@identity.check
def _identity_check(ctx: Ctx) -> list[Finding]:
    person = ctx.person()
    if ctx.data.identity in person.special_identities:
        return [block("SBZX00061：特殊身份认定", f"{person.name}已标识为{ctx.data.identity}", "identity")]
    return []


@identity.apply
def _identity_apply(ctx: Ctx) -> None:
    person = ctx.person()
    services.person_update(actor=ctx.actor, case=ctx.case, person=person,
                           changes={"special_identities": [*person.special_identities, ctx.data.identity]},
                           action="special_identity_set")


# --------------------------------------------------------------------------- 一次性养老待遇


class OneOff(Data):
    reason: Literal["short_contribution", "death", "emigration"]
    amount: Money
    died_on: date | None = None
    hukou_cancelled: bool = False
    heir_name: str = Field("", max_length=60)
    heir_bank_account: str = Field("", max_length=30)


ONE_OFF_RULE = "SBZX00062办事条件：达到法定退休年龄缴费不满15年；或未达到法定退休年龄死亡；或出国（境）定居要求退保"
one_off = item("SBZX00062", schema=OneOff, data_at="close",
               effect="核定一次性养老待遇（个人账户储存额一次性支付；死亡的含丧葬抚恤），生成应付帐（零星支付）；养老保险关系“已一次性结清”，"
                      "个人账户清零；死亡/出国定居的更新人员状态",
               precondition="三种情形之一：达到退休年龄且累计缴费不满15年；未达退休年龄死亡（死亡日期）；出国（境）定居且户口已注销；"
                            "未领取过养老金")


@one_off.check
def _one_off_check(ctx: Ctx) -> list[Finding]:
    person = ctx.person(alive=False)
    if ctx.data is None:
        return []
    data: OneOff = ctx.data
    findings: list[Finding] = []
    if BenefitDecision.objects.filter(person=person, kind=BenefitKind.PENSION).exists():
        findings.append(block(ONE_OFF_RULE, f"{person.name}已按月领取养老金", "reason"))
    needed = retirement_age(sex=person.sex, birth=person.birth_date, on=ctx.today, post_type=person.post_type)
    if data.reason == "short_contribution":
        if age_on(person.birth_date, ctx.today) < needed:
            findings.append(block(ONE_OFF_RULE, f"未达到法定退休年龄（{needed}周岁）", "reason"))
        if total_months(person, ctx.today) >= 180:
            findings.append(block(ONE_OFF_RULE, "累计缴费已满15年，应按月领取养老金（SBZX00060/00067）", "reason"))
    elif data.reason == "death":
        if data.died_on is None:
            findings.append(block(ONE_OFF_RULE, "请填写死亡日期", "died_on"))
        elif age_on(person.birth_date, data.died_on) >= needed:
            findings.append(block(ONE_OFF_RULE, "死亡时已达到法定退休年龄", "died_on"))
    elif data.reason == "emigration" and not data.hukou_cancelled:
        findings.append(block(ONE_OFF_RULE, "出国（境）定居退保须提供户籍注销证明", "hukou_cancelled"))
    return findings


@one_off.apply
def _one_off_apply(ctx: Ctx) -> None:
    person = ctx.person(alive=False)
    data: OneOff = ctx.data
    services.decision_create(actor=ctx.actor, case=ctx.case, kind=BenefitKind.ONE_OFF_PENSION, person=person,
                             lump_sum=data.amount, status=DecisionStatus.SETTLED,
                             detail={"reason": data.reason, "heir": data.heir_name,
                                     "balance": str(person.pension_account_balance)})
    for rel in Relationship.objects.filter(person=person, insurance_type="pension", region="武汉市",
                                           status__in=counted_statuses):
        if rel.status == RelationshipStatus.ACTIVE:
            services.relationship_stop(actor=ctx.actor, case=ctx.case, relationship=rel,
                                       stop_on=max(data.died_on or ctx.today, rel.start_on), reason="一次性支付",
                                       status=RelationshipStatus.SETTLED)
        else:
            services.record_update(rel, {"status": RelationshipStatus.SETTLED}, actor=ctx.actor, case=ctx.case,
                                   action="relationship_settled")
    changes: dict[str, object] = {"pension_account_balance": Decimal("0"), "recorded_months": 0}
    if data.reason == "death":
        changes.update(status=PersonStatus.DECEASED, died_on=data.died_on)
    elif data.reason == "emigration":
        changes.update(status=PersonStatus.EMIGRATED)
    services.person_update(actor=ctx.actor, case=ctx.case, person=person, changes=changes, action="pension_settled")


class OneOffRecalc(Data):
    new_amount: Money
    reason: str = Field(..., min_length=1, max_length=200)


RECALC_ONE_OFF_RULE = "SBZX00064办事条件：办理一次性待遇后发现参保信息或参数设置有误，经复核确认"
recalc_one_off = item("SBZX00064", schema=OneOffRecalc, data_at="close",
                      effect="重新核定一次性养老待遇：新的核定记录指向原核定；少付的差额生成应付帐（零星支付），多付的记录待追回",
                      precondition="本人已办理一次性养老待遇（SBZX00062）；新金额与原金额不同")


def _last_one_off(ctx: Ctx) -> BenefitDecision:
    person = ctx.person(alive=False)
    decision = BenefitDecision.objects.filter(person=person, kind=BenefitKind.ONE_OFF_PENSION).order_by("-id").first()
    if decision is None:
        raise RegistryRefused(f"{person.name}没有一次性养老待遇核定记录", rule=RECALC_ONE_OFF_RULE, field="applicant")
    return decision


@recalc_one_off.check
def _recalc_one_off_check(ctx: Ctx) -> list[Finding]:
    decision = _last_one_off(ctx)
    if ctx.data is not None and ctx.data.new_amount == decision.lump_sum:
        return [block(RECALC_ONE_OFF_RULE, "新核定金额与原金额相同", "new_amount")]
    return []


@recalc_one_off.apply
def _recalc_one_off_apply(ctx: Ctx) -> None:
    old = _last_one_off(ctx)
    diff = ctx.data.new_amount - (old.lump_sum or Decimal("0"))
    services.decision_create(actor=ctx.actor, case=ctx.case, kind=BenefitKind.ONE_OFF_PENSION, person=old.person,
                             lump_sum=diff if diff > 0 else None, previous=old, status=DecisionStatus.SETTLED,
                             detail={"reason": ctx.data.reason, "new_amount": str(ctx.data.new_amount),
                                     "difference": str(diff), "recover": str(-diff) if diff < 0 else "0"})


# --------------------------------------------------------------------------- 终止 (death)


class Termination(Data):
    died_on: date
    funeral_amount: Money


TERMINATION_RULE = "SBZX00063办事条件：参保退休人员死亡后，一次性支付丧葬抚恤金"
terminate = item("SBZX00063", schema=Termination, data_at="close",
                 effect="养老待遇终止：基本养老金终止（截至死亡当月），参保人员状态“已死亡”，一次性丧葬抚恤金生成应付帐",
                 precondition="本人为正在领取（或暂停）养老金的退休人员；死亡日期不晚于今天")


@terminate.check
def _terminate_check(ctx: Ctx) -> list[Finding]:
    person = ctx.person()
    benefit(person, BenefitKind.PENSION, rule=TERMINATION_RULE)
    if ctx.data is not None and ctx.data.died_on > ctx.today:
        return [block(TERMINATION_RULE, "死亡日期晚于今天", "died_on")]
    return []


@terminate.apply
def _terminate_apply(ctx: Ctx) -> None:
    person = ctx.person()
    decision = benefit(person, BenefitKind.PENSION, rule=TERMINATION_RULE)
    services.decision_update(actor=ctx.actor, case=ctx.case, decision=decision,
                             changes={"status": DecisionStatus.TERMINATED,
                                      "end_month": services.month_start(ctx.data.died_on)}, action="benefit_terminated")
    services.person_update(actor=ctx.actor, case=ctx.case, person=person,
                           changes={"status": PersonStatus.DECEASED, "died_on": ctx.data.died_on},
                           action="person_deceased")
    services.decision_create(actor=ctx.actor, case=ctx.case, kind=BenefitKind.FUNERAL, person=person,
                             lump_sum=ctx.data.funeral_amount, status=DecisionStatus.SETTLED, previous=decision,
                             detail={"died_on": str(ctx.data.died_on)})


# --------------------------------------------------------------------------- 重新核定 / 信息修改 / 调整


class Recalculation(Data):
    monthly_amount: Money
    reason: str = Field(..., min_length=1, max_length=200)


RECALC_RULE = "SBZX00065办事条件：退休人员发现退休待遇有误，重新核定后按新的待遇标准发放"
recalc = item("SBZX00065", schema=Recalculation, data_at="close",
              effect="重新核定退休人员基本养老金：月发放金额变更（留痕并记载原因），此后按新标准发放",
              precondition="本人正在领取养老金；新金额与现金额不同")


@recalc.check
def _recalc_check(ctx: Ctx) -> list[Finding]:
    decision = benefit(ctx.person(), BenefitKind.PENSION, rule=RECALC_RULE)
    if ctx.data is not None and decision.monthly_amount == ctx.data.monthly_amount:
        return [block(RECALC_RULE, "新核定金额与现发放金额相同", "monthly_amount")]
    return []


@recalc.apply
def _recalc_apply(ctx: Ctx) -> None:
    decision = benefit(ctx.person(), BenefitKind.PENSION, rule=RECALC_RULE)
    services.decision_update(actor=ctx.actor, case=ctx.case, decision=decision,
                             changes={"monthly_amount": ctx.data.monthly_amount,
                                      "detail": {**decision.detail, "last_recalculation": ctx.data.reason}},
                             action="benefit_recalculated")


class RetireeInfo(Data):
    payment_method: str | None = Field(None, max_length=40)
    retirement_category: Literal["退休", "退职", "离休"] | None = None
    work_start_date: date | None = None
    special_marker: str | None = Field(None, max_length=40)
    bank_name: str | None = Field(None, max_length=60)
    bank_account: str | None = Field(None, max_length=30)


INFO_RULE = "SBZX00066办事条件：离退休人员基本信息发生变化或与实际不符（待遇发放方式、离退休类别、参加工作时间、特殊人员标示）"
retiree_info = item("SBZX00066", schema=RetireeInfo,
                    effect="订正离退休人员待遇信息（待遇发放方式、离退休类别、参加工作时间、特殊人员标示、发放银行账户），逐字段留痕",
                    precondition="本人为领取养老金的离退休人员；至少填写一项")


@retiree_info.check
def _retiree_info_check(ctx: Ctx) -> list[Finding]:
    benefit(ctx.person(), BenefitKind.PENSION, rule=INFO_RULE)
    if not ctx.data.model_dump(exclude_none=True):
        return [block(INFO_RULE, "请填写要订正的信息", "data")]
    return []


@retiree_info.apply
def _retiree_info_apply(ctx: Ctx) -> None:
    person = ctx.person()
    decision = benefit(person, BenefitKind.PENSION, rule=INFO_RULE)
    data = ctx.data.model_dump(exclude_none=True, mode="json")
    person_fields = {k: ctx.data.model_dump(exclude_none=True)[k] for k in ("work_start_date", "bank_name",
                                                                             "bank_account") if k in data}
    if person_fields:
        services.person_update(actor=ctx.actor, case=ctx.case, person=person, changes=person_fields,
                               action="retiree_info_corrected")
    detail_fields = {k: v for k, v in data.items() if k in {"payment_method", "retirement_category", "special_marker"}}
    if detail_fields:
        services.decision_update(actor=ctx.actor, case=ctx.case, decision=decision,
                                 changes={"detail": {**decision.detail, **detail_fields}}, action="retiree_info_corrected")


class RetirementStart(Data):
    monthly_amount: Money
    start_month: Month
    bank_name: str = Field(..., min_length=1, max_length=60)
    bank_account: str = Field(..., min_length=4, max_length=30)


START_RULE = ("SBZX00067办事条件：达到法定退休年龄（男60、女工人50、女干部55周岁）且累计缴费年限（含视同）满15年，"
              "经审批后纳入养老待遇核定")
start = item("SBZX00067", schema=RetirementStart, data_at="close",
             effect="退休增员：核定并开始按月发放基本养老金（起始月份、月金额、发放银行），参保人员状态“已退休”，在保的养老等关系停保（退休）",
             precondition="已有退休审批（SBZX00060，或YLC00001特殊工种/YLC00002病退批准）；尚未领取养老金；缴费年限满15年")


@start.check
def _start_check(ctx: Ctx) -> list[Finding]:
    person = ctx.person()
    findings: list[Finding] = []
    approval_row = Filing.objects.filter(person=person, kind__in=APPROVAL_KINDS).order_by("-valid_from").first()
    if approval_row is None:
        findings.append(block(START_RULE, f"{person.name}尚无退休审批（须先办理SBZX00060，或YLC00001/00002）",
                              "applicant_id_number"))
    if BenefitDecision.objects.filter(person=person, kind=BenefitKind.PENSION,
                                      status__in=[DecisionStatus.ACTIVE, DecisionStatus.SUSPENDED]).exists():
        findings.append(block(START_RULE, f"{person.name}已在领取养老金", "applicant_id_number"))
    findings += fifteen_years(total_months=total_months(person, ctx.today), rule=START_RULE)
    return findings


@start.apply
def _start_apply(ctx: Ctx) -> None:
    person = ctx.person()
    approval_row = Filing.objects.filter(person=person, kind__in=APPROVAL_KINDS).order_by("-valid_from").first()
    retire_on = approval_row.valid_from if approval_row else ctx.today
    services.decision_create(actor=ctx.actor, case=ctx.case, kind=BenefitKind.PENSION, person=person,
                             monthly_amount=ctx.data.monthly_amount, start_month=ctx.data.start_month,
                             detail={"approval": approval_row.number if approval_row else "",
                                     "payment_method": "银行代发", "retirement_category": "退休"})
    for rel in Relationship.objects.filter(person=person, status=RelationshipStatus.ACTIVE).exclude(
            insurance_type__in=["resident_medical"]):
        status = RelationshipStatus.RETIRED if rel.insurance_type == "medical" else RelationshipStatus.STOPPED
        services.relationship_stop(actor=ctx.actor, case=ctx.case, relationship=rel,
                                   stop_on=max(retire_on, rel.start_on), reason="退休", status=status)
    services.person_update(actor=ctx.actor, case=ctx.case, person=person,
                           changes={"status": PersonStatus.RETIRED, "retired_on": retire_on, "medical_retiree": True,
                                    "bank_name": ctx.data.bank_name, "bank_account": ctx.data.bank_account},
                           action="person_retired")


class Uprating(Data):
    year: int = Field(..., ge=2000, le=2100)
    increase: Money
    backpay_months: int = Field(0, ge=0, le=12)


UPRATING_RULE = "SBZX00068办事条件：符合企业退休人员基本养老金调整文件的企业退休、退职人员"
uprate = item("SBZX00068", schema=Uprating, data_at="close",
              effect="按年度调整政策提高基本养老金（月金额增加，登记调整年度），生成调整补付应付帐（增加额×补发月数）",
              precondition="本人正在领取养老金；该年度尚未调整")


@uprate.check
def _uprate_check(ctx: Ctx) -> list[Finding]:
    decision = benefit(ctx.person(), BenefitKind.PENSION, rule=UPRATING_RULE)
    if ctx.data is not None and (decision.uprated_year or 0) >= ctx.data.year:
        return [block(UPRATING_RULE, f"{ctx.data.year}年度已调整", "year")]
    return []


@uprate.apply
def _uprate_apply(ctx: Ctx) -> None:
    person = ctx.person()
    decision = benefit(person, BenefitKind.PENSION, rule=UPRATING_RULE)
    years = [*decision.detail.get("uprated_years", []), ctx.data.year]
    services.decision_update(actor=ctx.actor, case=ctx.case, decision=decision,
                             changes={"monthly_amount": (decision.monthly_amount or Decimal("0")) + ctx.data.increase,
                                      "uprated_year": ctx.data.year, "detail": {**decision.detail, "uprated_years": years}},
                             action="benefit_uprated")
    backpay = ctx.data.increase * ctx.data.backpay_months
    if backpay > 0:
        services.payable_create(actor=ctx.actor, case=ctx.case, decision=decision, kind=BenefitKind.BACKPAY,
                                amount=backpay, person=person,
                                note=f"{ctx.data.year}年调整补付{ctx.data.backpay_months}个月")


# --------------------------------------------------------------------------- 城乡居民待遇


class ResidentReceipt(Data):
    monthly_amount: Money
    start_month: Month | None = None
    bank_account: str = Field(..., min_length=4, max_length=30, description="农业银行账户")


receipt = item("SBZX00069", schema=ResidentReceipt, data_at="close",
               effect="城乡居民养老待遇领取登记：核定并开始按月发放城乡居民养老金（默认次月起），居民养老参保关系转为领取（不再缴费）",
               precondition="已参加城乡居民养老保险；年满60周岁；未享受城镇职工养老金或其他养老待遇；未重复登记")


@receipt.check
def _receipt_check(ctx: Ctx) -> list[Finding]:
    person = ctx.person()
    if not Relationship.objects.filter(person=person, insurance_type="resident_pension").exists():
        return [block(RESIDENT_RECEIVE_RULE, f"{person.name}未参加城乡居民基本养老保险", "applicant_id_number")]
    other = BenefitDecision.objects.filter(person=person, kind__in=[BenefitKind.PENSION, BenefitKind.RESIDENT_PENSION],
                                           status__in=[DecisionStatus.ACTIVE, DecisionStatus.SUSPENDED]).exists()
    return resident_pension_receipt(birth=person.birth_date, on=ctx.today, other_pension=other)


@receipt.apply
def _receipt_apply(ctx: Ctx) -> None:
    person = ctx.person()
    services.decision_create(actor=ctx.actor, case=ctx.case, kind=BenefitKind.RESIDENT_PENSION, person=person,
                             monthly_amount=ctx.data.monthly_amount,
                             start_month=ctx.data.start_month or services.add_months(ctx.today, 1),
                             detail={"bank": "中国农业银行", "account": ctx.data.bank_account[-4:]})
    for rel in Relationship.objects.filter(person=person, insurance_type="resident_pension",
                                           status=RelationshipStatus.ACTIVE):
        services.relationship_stop(actor=ctx.actor, case=ctx.case, relationship=rel, stop_on=max(ctx.today, rel.start_on),
                                   reason="待遇领取", status=RelationshipStatus.RETIRED)
    services.person_update(actor=ctx.actor, case=ctx.case, person=person,
                           changes={"bank_name": "中国农业银行", "bank_account": ctx.data.bank_account},
                           action="bank_account_changed")


class ResidentTermination(Data):
    died_on: date


RESIDENT_END_RULE = "SBZX00070办事条件：领取城乡居民养老待遇人员死亡"
resident_end = item("SBZX00070", schema=ResidentTermination,
                    effect="城乡居民养老待遇终止登记：待遇终止（截至死亡当月），参保人员状态“已死亡”",
                    precondition="本人正在领取（或暂停）城乡居民养老金；死亡日期不晚于今天")


@resident_end.check
def _resident_end_check(ctx: Ctx) -> list[Finding]:
    benefit(ctx.person(), BenefitKind.RESIDENT_PENSION, rule=RESIDENT_END_RULE)
    if ctx.data.died_on > ctx.today:
        return [block(RESIDENT_END_RULE, "死亡日期晚于今天", "died_on")]
    return []


@resident_end.apply
def _resident_end_apply(ctx: Ctx) -> None:
    person = ctx.person()
    decision = benefit(person, BenefitKind.RESIDENT_PENSION, rule=RESIDENT_END_RULE)
    services.decision_update(actor=ctx.actor, case=ctx.case, decision=decision,
                             changes={"status": DecisionStatus.TERMINATED,
                                      "end_month": services.month_start(ctx.data.died_on)}, action="benefit_terminated")
    services.person_update(actor=ctx.actor, case=ctx.case, person=person,
                           changes={"status": PersonStatus.DECEASED, "died_on": ctx.data.died_on},
                           action="person_deceased")


# --------------------------------------------------------------------------- 社保年审


class Certify(Data):
    year: int = Field(..., ge=2010, le=2100)
    channel: Literal["window", "street", "community", "app", "mail", "assisted"] = "window"
    mailed_on: date | None = None


CERT_KIND = {"SBZX00071": BenefitKind.RESIDENT_PENSION, "SBZX00072": BenefitKind.PENSION,
             "SBZX00073": BenefitKind.PENSION, "SBZX00074": BenefitKind.SURVIVOR_ALLOWANCE}
CERT_RULE = {
    "SBZX00071": "SBZX00071：城乡居民养老待遇领取人员年审；补审在20日前的当月恢复并补发，20日后的次月恢复并补发",
    "SBZX00072": "SBZX00072：离退休人员年审；补审在22日前的次月恢复并补发，22日后的第三个月恢复并补发；医保待遇经社保处复核后恢复",
    "SBZX00073": "SBZX00073：异地居住离退休人员协助认证；认证表于12月31日前寄回；恢复规则同SBZX00072",
    "SBZX00074": "SBZX00074：遗属生活困难补助费年审；补审规则同SBZX00072（22日）",
}


def certification_item(code: str) -> None:
    kind = CERT_KIND[code]
    definition = item(code, schema=Certify,
                      effect=f"记录{BenefitKind(kind).label}领取资格认证（年度、渠道）；因未年审暂停的，按分界日规则确定恢复月份，"
                             "恢复发放并生成暂停期间的补发应付帐"
                             + ("；仅参加职工医保的退休人员记录认证" if code == "SBZX00072" else ""),
                      precondition="本人正在领取（或因未年审暂停）该待遇；该年度尚未认证"
                                   + ("；异地协助认证表不晚于12月31日寄回（逾期警示）" if code == "SBZX00073" else ""))

    def target(ctx: Ctx) -> tuple[Person, BenefitDecision | None]:
        person = ctx.person()
        decision = BenefitDecision.objects.filter(person=person, kind=kind, status__in=[
            DecisionStatus.ACTIVE, DecisionStatus.SUSPENDED]).order_by("-id").first()
        if decision is None and not (code == "SBZX00072" and person.medical_retiree):
            raise RegistryRefused(f"{person.name}没有正在领取的{BenefitKind(kind).label}", rule=CERT_RULE[code],
                                  field="applicant_id_number")
        return person, decision

    @definition.check
    def _check(ctx: Ctx) -> list[Finding]:
        person, decision = target(ctx)
        cert_kind = decision.kind if decision else "medical"
        findings: list[Finding] = []
        if Certification.objects.filter(person=person, kind=cert_kind, year=ctx.data.year).exists():
            findings.append(block(CERT_RULE[code], f"{person.name}{ctx.data.year}年度已完成认证", "year"))
        if code == "SBZX00073" and ctx.data.mailed_on and ctx.data.mailed_on > date(ctx.data.year, 12, 31):
            findings.append(warn(CERT_RULE[code], f"认证表寄回日期{ctx.data.mailed_on}晚于{ctx.data.year}年12月31日", "mailed_on"))
        return findings

    @definition.apply
    def _apply(ctx: Ctx) -> None:
        person, decision = target(ctx)
        resumed = None
        if decision is not None and decision.status == DecisionStatus.SUSPENDED:
            params = flow_for(code).params
            resumed = resumption_month(certified_on=ctx.today, cutoff=int(str(params.get("resume_cutoff_day", 20))),
                                       before=int(str(params.get("resume_month_before", 0))),
                                       after=int(str(params.get("resume_month_after", 1))))
            # The benefit stays suspended until its resumption month; the monthly run (shebao tick)
            # then resumes it and back-pays the months missed, so no month is paid twice.
            services.decision_update(actor=ctx.actor, case=ctx.case, decision=decision,
                                     changes={"resume_month": resumed,
                                              "detail": {**decision.detail, "resumed_from": str(resumed)}},
                                     action="benefit_resume_scheduled")
            if resumed <= services.month_start(ctx.today):
                runs.run_certification_resume(month=resumed, actor=ctx.actor, decision_ids=[decision.pk],
                                              case=ctx.case)
        row = Certification.objects.create(person=person, decision=decision,
                                           kind=decision.kind if decision else "medical", year=ctx.data.year,
                                           channel=ctx.data.channel, certified_on=ctx.today, resumed_from=resumed,
                                           case=ctx.case)
        services.record_created(row, actor=ctx.actor, case=ctx.case, action="certified",
                                payload={"person": person.ssn, "year": ctx.data.year,
                                         "resumed_from": str(resumed) if resumed else None})


for _code in CERT_KIND:
    certification_item(_code)
