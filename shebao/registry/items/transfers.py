"""Pension, medical and unemployment relationships between pools (SBZX00040–00041, 00045–00050),
the fiscal subsidy to the pension account (00042), multiple-relationship clean-up (00043) and the
refund of contributions after retirement (00044)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

from django.db.models import Q
from pydantic import Field

from .. import services
from ..errors import RegistryRefused
from ..framework import Ctx, Data, Money, PersonRef, item
from ..models import BenefitKind, FilingKind, Person, PersonStatus, Relationship, RelationshipStatus
from ..rules import Finding, age_on, block, retirement_age
from .common import counted_statuses, pension_months, unemployment_months

CENTRAL_DISTRICTS = ("江岸", "江汉", "硚口", "汉阳", "武昌", "青山", "洪山")
TYPE_LABEL = {"pension": "基本养老保险", "medical": "基本医疗保险", "unemployment": "失业保险"}


def _wuhan_rels(person: Person, insurance_type: str) -> list[Relationship]:
    return list(Relationship.objects.filter(person=person, insurance_type=insurance_type, region="武汉市",
                                            status__in=[RelationshipStatus.ACTIVE, RelationshipStatus.STOPPED,
                                                        RelationshipStatus.RETIRED]))


# --------------------------------------------------------------------------- transfer out


class TransferOut(Data):
    counterpart: str = Field(..., min_length=1, max_length=120, description="转入地社保经办机构")
    funds: Money = Decimal("0")
    person: PersonRef | None = None


def _out_person(ctx: Ctx) -> Person:
    if ctx.data is not None and ctx.data.person is not None:
        return ctx.find(ctx.data.person, field_name="person")
    return ctx.person()


def transfer_out(code: str, insurance_type: str, letter: str) -> None:
    rule = f"{code}：收到转入地社保经办机构《{letter}》后办理转出"
    definition = item(code, schema=TransferOut, data_at="close",
                      effect=f"{TYPE_LABEL[insurance_type]}关系转出：本地参保关系标记“已转出”，记录转出（对方机构、月数、资金），"
                             + ("个人账户储存额与登记缴费月数转出清零" if insurance_type == "pension" else
                                "个人账户余额转出清零" if insurance_type == "medical" else "失业保险缴费月数转出"),
                      precondition=f"本人在本市有{TYPE_LABEL[insurance_type]}参保记录且未转出；须已收到转入地联系函（流程环节）；"
                                   "在保的关系一并终止")

    @definition.check
    def _check(ctx: Ctx) -> list[Finding]:
        person = _out_person(ctx)
        if not _wuhan_rels(person, insurance_type):
            return [block(rule, f"{person.name}在本市没有可转出的{TYPE_LABEL[insurance_type]}关系", "applicant_id_number")]
        if ctx.stage == "close" and "letter_received" not in (ctx.case.event_dates or {}):
            return [block(rule, f"尚未收到转入地的《{letter}》", "letter")]
        return []

    @definition.apply
    def _apply(ctx: Ctx) -> None:
        person = _out_person(ctx)
        months = pension_months(person, ctx.today) if insurance_type == "pension" else \
            unemployment_months(person, ctx.today) if insurance_type == "unemployment" else 0
        for rel in _wuhan_rels(person, insurance_type):
            if rel.status == RelationshipStatus.ACTIVE:
                services.relationship_stop(actor=ctx.actor, case=ctx.case, relationship=rel,
                                           stop_on=max(ctx.today, rel.start_on), reason="跨统筹地区转出",
                                           status=RelationshipStatus.TRANSFERRED_OUT)
            else:
                services.record_update(rel, {"status": RelationshipStatus.TRANSFERRED_OUT}, actor=ctx.actor,
                                       case=ctx.case, action="relationship_transferred_out")
        changes: dict[str, object] = {}
        if insurance_type == "pension":
            changes = {"recorded_months": 0, "pension_account_balance": Decimal("0")}
        elif insurance_type == "medical":
            changes = {"medical_account_balance": Decimal("0")}
        elif insurance_type == "unemployment":
            changes = {"unemployment_months": 0}
        services.person_update(actor=ctx.actor, case=ctx.case, person=person, changes=changes,
                               action="transferred_out")
        letter_on = (ctx.case.event_dates or {}).get("letter_received")
        services.transfer_record(actor=ctx.actor, case=ctx.case, person=person, insurance_type=insurance_type,
                                 direction="out", counterpart=ctx.data.counterpart, months=months, funds=ctx.data.funds,
                                 letter_on=date.fromisoformat(letter_on) if letter_on else None)


transfer_out("SBZX00040", "pension", "基本养老保险关系转移接续联系函")
transfer_out("SBZX00047", "medical", "基本医疗保险关系转移接续联系函")
transfer_out("SBZX00049", "unemployment", "失业保险关系转移接续联系函")


# --------------------------------------------------------------------------- transfer in


class TransferIn(Data):
    from_region: str = Field(..., min_length=1, max_length=120)
    months: int = Field(..., ge=0, le=600)
    funds: Money = Decimal("0")
    condition: int | None = Field(None, ge=1, le=4, description="SBZX00041 条件 1–4；SBZX00045 情形 1–3；"
                                                                 "SBZX00046 类别 1–3；SBZX00050 情形 1–2")
    hukou_in_wuhan: bool = False
    person: PersonRef | None = None


PENSION_IN_RULE = ("SBZX00041办事条件（符合之一）：1.男不满50周岁、女不满40周岁；2.返回户籍所在地就业参保；3.经组织人社部门批准调动；"
                   "4.转回缴费满10年的原参保地或户籍地")
SPOUSE_RULE = ("SBZX00045办事条件：1.已就业并参加城镇企业职工养老保险；2.随迁安置暂未就业的，在安置户籍地灵活就业窗口参保后；"
               "3.达到国家规定的退休年龄的，到户籍所在地")
VETERAN_RULE = ("SBZX00046办事条件：1、2类由接收安置单位申请；3类（自主就业的义务兵、不满12年的士官、复员干部等）本人在户籍地申请；"
                "均须在地方参加基本养老保险后")
UNEMPLOYMENT_IN_RULE = ("SBZX00050办事条件：1.个人到武汉市就业且用人单位在中心城区参加失业保险；2.用人单位成建制跨统筹地区转移")


def _pension_in_findings(ctx: Ctx, person: Person) -> list[Finding]:
    data: TransferIn = ctx.data
    findings: list[Finding] = []
    if ctx.code == "SBZX00041":
        if data.condition is None:
            return [block(PENSION_IN_RULE, "请选择符合的转入条件（condition 1–4）", "condition")]
        age = age_on(person.birth_date, ctx.today)
        if data.condition == 1 and age >= (50 if person.sex == "M" else 40):
            findings.append(block(PENSION_IN_RULE, f"条件1：{'男' if person.sex == 'M' else '女'}，{age}周岁，超过年龄", "condition"))
        if data.condition == 2 and not data.hukou_in_wuhan:
            findings.append(block(PENSION_IN_RULE, "条件2：须为返回户籍所在地（武汉）就业参保", "hukou_in_wuhan"))
    elif ctx.code == "SBZX00045":
        if data.condition is None:
            return [block(SPOUSE_RULE, "请选择随军配偶的情形（condition 1–3）", "condition")]
        if data.condition == 1 and not Relationship.objects.filter(
                person=person, kind="employer", insurance_type="pension", status=RelationshipStatus.ACTIVE).exists():
            findings.append(block(SPOUSE_RULE, "情形1：须已就业并在本市参加城镇企业职工基本养老保险", "condition"))
        if data.condition == 2 and not Relationship.objects.filter(
                person=person, kind="flexible", insurance_type="pension", status=RelationshipStatus.ACTIVE).exists():
            findings.append(block(SPOUSE_RULE, "情形2：须先在灵活就业窗口参加基本养老保险（SBZX00029）", "condition"))
        if data.condition == 3 and age_on(person.birth_date, ctx.today) < retirement_age(
                sex=person.sex, birth=person.birth_date, on=ctx.today, post_type=person.post_type, flexible=True):
            findings.append(block(SPOUSE_RULE, "情形3：须达到国家规定的退休年龄", "condition"))
    elif ctx.code == "SBZX00046":
        if data.condition is None:
            return [block(VETERAN_RULE, "请选择退役人员类别（condition 1–3）", "condition")]
        unit = ctx.case.applicant_type == "unit"
        if data.condition in {1, 2} and not unit:
            findings.append(block(VETERAN_RULE, "第1、2类由接收安置单位申请", "applicant_type"))
        if data.condition == 3 and unit:
            findings.append(block(VETERAN_RULE, "第3类由本人在户籍所在地申请", "applicant_type"))
        if not Relationship.objects.filter(person=person, insurance_type="pension", region="武汉市",
                                           status=RelationshipStatus.ACTIVE).exists():
            findings.append(block(VETERAN_RULE, "须先在地方参加基本养老保险", "persons"))
    return findings


def transfer_in(code: str, insurance_type: str, counterpart: str, *, precondition: str) -> None:
    definition = item(code, schema=TransferIn, data_at="close",
                      effect=f"{TYPE_LABEL[insurance_type]}关系转入：记录转入（来源、月数、资金），"
                             + ("登记缴费月数和个人账户储存额增加" if insurance_type == "pension" else
                                "医保个人账户余额增加" if insurance_type == "medical" else "失业保险缴费年限累计计算"),
                      precondition=precondition)

    def person_of(ctx: Ctx) -> Person:
        if ctx.data is not None and ctx.data.person is not None:
            return ctx.find(ctx.data.person, field_name="person")
        if ctx.case.applicant_id_number:
            return ctx.person()
        raise RegistryRefused("请填写转入人员（业务数据 person，或申请人身份证号）", rule=code, field="person")

    @definition.check
    def _check(ctx: Ctx) -> list[Finding]:
        if ctx.data is None:
            if ctx.case.applicant_id_number:
                person_of(ctx)
            return []
        person = person_of(ctx)
        findings: list[Finding] = []
        if insurance_type == "pension":
            findings += _pension_in_findings(ctx, person)
        if insurance_type == "unemployment":
            if ctx.data.condition == 1:
                rel = Relationship.objects.filter(person=person, insurance_type="unemployment",
                                                  status=RelationshipStatus.ACTIVE).select_related("employer").first()
                if rel is None or rel.employer is None or rel.employer.district not in CENTRAL_DISTRICTS:
                    findings.append(block(UNEMPLOYMENT_IN_RULE, "情形1：须在中心城区用人单位参加失业保险", "condition"))
            elif ctx.data.condition == 2 and ctx.case.applicant_type != "unit":
                findings.append(block(UNEMPLOYMENT_IN_RULE, "情形2（成建制转移）由用人单位申请", "applicant_type"))
        if ctx.stage == "close" and code in {"SBZX00041", "SBZX00045", "SBZX00048", "SBZX00050"} and \
                "funds_received" not in (ctx.case.event_dates or {}):
            findings.append(block(f"{code}运行流程：收到转出地转移的关系和资金后办结", "尚未收到转出地转移的关系和资金（资料）",
                                  "funds"))
        return findings

    @definition.apply
    def _apply(ctx: Ctx) -> None:
        person = person_of(ctx)
        data: TransferIn = ctx.data
        changes: dict[str, object] = {}
        if insurance_type == "pension":
            changes = {"recorded_months": person.recorded_months + data.months,
                       "pension_account_balance": person.pension_account_balance + data.funds}
        elif insurance_type == "medical":
            changes = {"medical_account_balance": person.medical_account_balance + data.funds}
        else:
            changes = {"unemployment_months": person.unemployment_months + data.months}
        services.person_update(actor=ctx.actor, case=ctx.case, person=person, changes=changes,
                               action="transferred_in")
        services.transfer_record(actor=ctx.actor, case=ctx.case, person=person, insurance_type=insurance_type,
                                 direction="in", counterpart=counterpart or data.from_region, months=data.months,
                                 funds=data.funds, reason=f"条件{data.condition}" if data.condition else "")


transfer_in("SBZX00041", "pension", "", precondition="符合四项条件之一（条件1核对年龄：男不满50、女不满40周岁；条件2须户籍在武汉）；"
                                                   "须已收到转出地的关系和资金（流程环节）")
transfer_in("SBZX00045", "pension", "军队后勤（联勤）机关财务部门",
            precondition="情形1须已在本市单位参加职工养老保险；情形2须已在灵活就业窗口参保；情形3须达到退休年龄；须已收到关系和资金")
transfer_in("SBZX00046", "pension", "",
            precondition="第1、2类由接收安置单位申请、第3类由本人申请；须已在本市参加基本养老保险")
transfer_in("SBZX00048", "medical", "", precondition="须已收到转出地的关系和个人账户余额（流程环节）")
transfer_in("SBZX00050", "unemployment", "",
            precondition="情形1须在中心城区单位参加失业保险；情形2（成建制）由单位申请；须已收到转出地的失业保险资料")


# --------------------------------------------------------------------------- 财政一次性补贴


class FiscalSubsidy(Data):
    amount: Money
    years_in_office: int = Field(..., ge=0, le=60)
    person: PersonRef | None = None


SUBSIDY_RULE = ("SBZX00042办事条件：原机关公务员、参公全额拨款事业单位工作人员进入企业并参加企业职工基本养老保险后，"
                "财政部门给予一次性补贴")
subsidy = item("SBZX00042", schema=FiscalSubsidy, data_at="close",
               effect="财政一次性补贴记入养老保险个人账户（个人账户储存额增加，登记备案）",
               precondition="本人正在参加企业职工基本养老保险（单位或灵活就业）")


def _subsidy_person(ctx: Ctx) -> Person:
    if ctx.data is not None and ctx.data.person is not None:
        return ctx.find(ctx.data.person, field_name="person")
    return ctx.person()


@subsidy.check
def _subsidy_check(ctx: Ctx) -> list[Finding]:
    person = _subsidy_person(ctx)
    if not Relationship.objects.filter(person=person, insurance_type="pension", region="武汉市",
                                       status=RelationshipStatus.ACTIVE).exists():
        return [block(SUBSIDY_RULE, f"{person.name}未在本市参加企业职工基本养老保险", "person")]
    return []


@subsidy.apply
def _subsidy_apply(ctx: Ctx) -> None:
    person = _subsidy_person(ctx)
    services.person_update(actor=ctx.actor, case=ctx.case, person=person,
                           changes={"pension_account_balance": person.pension_account_balance + ctx.data.amount},
                           action="fiscal_subsidy_credited")
    services.filing_create(actor=ctx.actor, case=ctx.case, kind=FilingKind.FISCAL_SUBSIDY, person=person,
                           outcome="已记入", detail={"amount": str(ctx.data.amount),
                                                   "years_in_office": ctx.data.years_in_office})


# --------------------------------------------------------------------------- 多重养老保险关系清退


class Clearance(Data):
    keep_relationship_id: int | None = None
    refund_amount: Money
    bank_name: str = Field(..., min_length=1, max_length=60)
    bank_account: str = Field(..., min_length=4, max_length=30)


MULTIPLE_RULE = "SBZX00043办事条件：参保人在同一时间段内存在多个养老保险关系"
clearance = item("SBZX00043", schema=Clearance, data_at="close",
                 effect="清退重复的养老保险关系（与保留关系时间重叠的关系标记“已清退”），重复缴费退款生成应付帐，支付至本人银行卡",
                 precondition="本人同一时间段内存在两个以上养老保险关系（含城乡居民养老）；保留的关系须是其中之一")


def _pension_like(person: Person) -> list[Relationship]:
    return list(Relationship.objects.filter(person=person, insurance_type__in=["pension", "resident_pension"])
                .filter(status__in=counted_statuses).order_by("start_on", "id"))


def _overlaps(a: Relationship, b: Relationship, today: date) -> bool:
    return a.start_on <= (b.stop_on or today) and b.start_on <= (a.stop_on or today)


def _duplicates(ctx: Ctx) -> tuple[Relationship, list[Relationship]]:
    person = ctx.person()
    rels = _pension_like(person)
    overlapping = {r.pk for r in rels for o in rels if r.pk != o.pk and _overlaps(r, o, ctx.today)}
    if not overlapping:
        raise RegistryRefused(f"{person.name}没有同一时间段内的多个养老保险关系", rule=MULTIPLE_RULE, field="applicant")
    by_id = {r.pk: r for r in rels}
    keep_id = ctx.data.keep_relationship_id if ctx.data is not None else None
    if keep_id is not None and keep_id not in overlapping:
        raise RegistryRefused(f"保留的关系{keep_id}不是重叠的养老保险关系之一", rule=MULTIPLE_RULE,
                              field="keep_relationship_id")
    keep = by_id[keep_id] if keep_id is not None else min(
        (by_id[i] for i in overlapping), key=lambda r: (r.kind != "employer", r.start_on))
    return keep, [by_id[i] for i in overlapping if i != keep.pk and _overlaps(by_id[i], keep, ctx.today)]


@clearance.check
def _clearance_check(ctx: Ctx) -> list[Finding]:
    _duplicates(ctx)
    return []


@clearance.apply
def _clearance_apply(ctx: Ctx) -> None:
    keep, others = _duplicates(ctx)
    person = ctx.person()
    for rel in others:
        services.relationship_stop(actor=ctx.actor, case=ctx.case, relationship=rel,
                                   stop_on=rel.stop_on or max(ctx.today, rel.start_on), reason="多重关系清退",
                                   status=RelationshipStatus.CLEARED)
    services.person_update(actor=ctx.actor, case=ctx.case, person=person,
                           changes={"bank_name": ctx.data.bank_name, "bank_account": ctx.data.bank_account},
                           action="bank_account_changed")
    if ctx.data.refund_amount:
        services.decision_create(actor=ctx.actor, case=ctx.case, kind=BenefitKind.REFUND, person=person,
                                 lump_sum=ctx.data.refund_amount,
                                 detail={"reason": "多重养老保险关系清退", "kept": keep.pk,
                                         "cleared": [r.pk for r in others]})


# --------------------------------------------------------------------------- 退休后缴费清退


class AfterRetirementRefund(Data):
    refund_amount: Money
    bank_name: str = Field(..., min_length=1, max_length=60)
    bank_account: str = Field(..., min_length=4, max_length=30)


AFTER_RULE = "SBZX00044办事条件：已退休人员存在核定退休时间后本市基本养老保险缴费记录"
after = item("SBZX00044", schema=AfterRetirementRefund, data_at="close",
             effect="清退退休时间后的养老保险缴费：在保关系于退休日停保、退休后开始的关系标记“已清退”，退款生成应付帐至本人银行卡",
             precondition="本人已退休（有退休时间）；存在退休时间之后的本市养老保险缴费记录")


def _after_rels(ctx: Ctx) -> list[Relationship]:
    person = ctx.person()
    if person.status != PersonStatus.RETIRED or person.retired_on is None:
        raise RegistryRefused(f"{person.name}尚未办理退休", rule=AFTER_RULE, field="applicant_id_number")
    rels = list(Relationship.objects.filter(person=person, insurance_type="pension", region="武汉市")
                .filter(Q(status=RelationshipStatus.ACTIVE) | Q(stop_on__gt=person.retired_on))
                .exclude(status__in=[RelationshipStatus.CLEARED, RelationshipStatus.TRANSFERRED_OUT]))
    if not rels:
        raise RegistryRefused(f"{person.name}在退休时间（{person.retired_on}）后没有养老保险缴费记录", rule=AFTER_RULE,
                              field="applicant_id_number")
    return rels


@after.check
def _after_check(ctx: Ctx) -> list[Finding]:
    _after_rels(ctx)
    return []


@after.apply
def _after_apply(ctx: Ctx) -> None:
    person = ctx.person()
    retired_on = person.retired_on
    assert retired_on is not None
    for rel in _after_rels(ctx):
        if rel.start_on > retired_on:
            services.relationship_stop(actor=ctx.actor, case=ctx.case, relationship=rel,
                                       stop_on=rel.stop_on or max(ctx.today, rel.start_on),
                                       reason="退休后缴费清退", status=RelationshipStatus.CLEARED)
        else:
            services.record_update(rel, {"stop_on": retired_on, "status": RelationshipStatus.STOPPED,
                                         "stop_reason": "退休（清退退休后缴费）", "stop_case": ctx.case},
                                   actor=ctx.actor, case=ctx.case, action="relationship_clipped")
    services.person_update(actor=ctx.actor, case=ctx.case, person=person,
                           changes={"bank_name": ctx.data.bank_name, "bank_account": ctx.data.bank_account},
                           action="bank_account_changed")
    services.decision_create(actor=ctx.actor, case=ctx.case, kind=BenefitKind.REFUND, person=person,
                             lump_sum=ctx.data.refund_amount, detail={"reason": "退休时间后基本养老保险费清退"})


__all__ = ["Literal"]
