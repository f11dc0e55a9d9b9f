"""Bureau decisions: work-injury determination (GSC00001), special-job and illness early retirement
approvals (YLC00001/00002), enterprise-annuity filing (YLC00003), senior-expert extension (YLC00004)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field

from .. import services
from ..errors import RegistryRefused
from ..framework import CreditCode, Ctx, Data, PersonRef, item
from ..models import (
    Bill,
    BillStatus,
    Employer,
    Filing,
    FilingKind,
    PersonStatus,
    Relationship,
    RelationshipStatus,
)
from ..rules import Finding, block, illness_retirement, special_job_retirement
from .pension import total_months

# --------------------------------------------------------------------------- 工伤认定


class Determination(Data):
    person: PersonRef
    employer_credit_code: CreditCode | None = None
    injury_date: date
    category: str = Field(..., min_length=1, max_length=80, description="《工伤保险条例》第十四、十五条的情形")
    decision: Literal["injury", "deemed", "not_injury"] | None = None
    fatal: bool = False
    decision_number: str = Field("", max_length=40)


INJURY_RULE = "GSC00001：自受理之日起60日内作出工伤认定决定（《认定工伤决定书》或《不予认定工伤决定书》），20日内送达"
OUTCOME = {"injury": "认定工伤", "deemed": "视同工伤", "not_injury": "不予认定工伤"}
determination = item("GSC00001", schema=Determination,
                     effect="登记工伤认定决定（认定工伤／视同工伤／不予认定；是否工亡；用人单位；决定书文号），"
                            "认定（视同）工伤的作为YBZX00008—00012工伤待遇的前提；工亡的参保人员状态“已死亡”",
                     precondition="受伤职工已参保登记；事故日期不晚于今天；办结时须登记认定结论和决定书文号")


def _employer(ctx: Ctx) -> Employer | None:
    code = ctx.data.employer_credit_code or ctx.case.applicant_credit_code
    return Employer.objects.filter(credit_code=code).first() if code else None


@determination.check
def _determination_check(ctx: Ctx) -> list[Finding]:
    person = ctx.find(ctx.data.person, field_name="person", alive=False)
    findings: list[Finding] = []
    if ctx.data.injury_date > ctx.today:
        findings.append(block(INJURY_RULE, "事故日期晚于今天", "injury_date"))
    employer = _employer(ctx)
    if employer is not None and not Relationship.objects.filter(person=person, employer=employer,
                                                                insurance_type="injury").exists():
        findings.append(block(INJURY_RULE, f"{person.name}没有在{employer.name}参加工伤保险的记录", "employer_credit_code"))
    if ctx.stage == "close" and (ctx.data.decision is None or not ctx.data.decision_number):
        findings.append(block(INJURY_RULE, "请登记认定结论（decision）和决定书文号（decision_number）", "decision"))
    return findings


@determination.apply
def _determination_apply(ctx: Ctx) -> None:
    person = ctx.find(ctx.data.person, alive=False)
    decision = ctx.data.decision or "not_injury"
    fatal = ctx.data.fatal and decision != "not_injury"
    services.filing_create(actor=ctx.actor, case=ctx.case, kind=FilingKind.INJURY_DETERMINATION, person=person,
                           employer=_employer(ctx), outcome=OUTCOME[decision], valid_from=ctx.today,
                           detail={"injury_date": str(ctx.data.injury_date), "category": ctx.data.category,
                                   "fatal": fatal, "decision_number": ctx.data.decision_number})
    if fatal and person.status != PersonStatus.DECEASED:
        services.person_update(actor=ctx.actor, case=ctx.case, person=person,
                               changes={"status": PersonStatus.DECEASED, "died_on": ctx.data.injury_date},
                               action="person_deceased")


# --------------------------------------------------------------------------- 特退 / 病退


class SpecialJob(Data):
    person: PersonRef
    job: Literal["high_altitude", "heavy_labour", "underground", "high_temperature", "toxic"]
    job_years: float = Field(..., ge=0, le=50)
    soe_formal_worker: bool


special = item("YLC00001", schema=SpecialJob,
               effect="特殊工种提前退休审批通过：登记批准（工种、年限），作为SBZX00067退休增员的前提",
               precondition="国有、县（区）属以上集体企业正式职工；高空/特别繁重≥10年、井下/高温≥9年、有毒有害≥8年；"
                            "男年满55、女年满45周岁；缴费年限（含视同）满15年")


@special.check
def _special_check(ctx: Ctx) -> list[Finding]:
    person = ctx.find(ctx.data.person, field_name="person")
    return special_job_retirement(sex=person.sex, birth=person.birth_date, on=ctx.today,
                                  total_months=total_months(person, ctx.today), job=ctx.data.job,
                                  job_years=ctx.data.job_years, soe_formal_worker=ctx.data.soe_formal_worker)


@special.apply
def _special_apply(ctx: Ctx) -> None:
    services.filing_create(actor=ctx.actor, case=ctx.case, kind=FilingKind.SPECIAL_JOB_RETIREMENT,
                           person=ctx.find(ctx.data.person), employer=Employer.objects.filter(
                               credit_code=ctx.case.applicant_credit_code).first() if ctx.case.applicant_credit_code
                           else None, outcome="准予提前退休", detail=ctx.data.model_dump(mode="json"))


class Illness(Data):
    person: PersonRef
    fully_incapacitated: bool
    soe_worker: bool
    appraisal_number: str = Field("", max_length=40)


illness = item("YLC00002", schema=Illness,
               effect="因病非因工完全丧失劳动能力提前退休审批通过：登记批准（鉴定结论），作为SBZX00067退休增员的前提",
               precondition="国有、集体企业职工身份；男年满50、女年满45周岁；缴费年限（含视同）满15年；鉴定为完全丧失劳动能力")


@illness.check
def _illness_check(ctx: Ctx) -> list[Finding]:
    person = ctx.find(ctx.data.person, field_name="person")
    return illness_retirement(sex=person.sex, birth=person.birth_date, on=ctx.today,
                              total_months=total_months(person, ctx.today),
                              fully_incapacitated=ctx.data.fully_incapacitated, soe_worker=ctx.data.soe_worker)


@illness.apply
def _illness_apply(ctx: Ctx) -> None:
    services.filing_create(actor=ctx.actor, case=ctx.case, kind=FilingKind.ILLNESS_RETIREMENT,
                           person=ctx.find(ctx.data.person), outcome="准予提前退休",
                           detail=ctx.data.model_dump(mode="json"))


# --------------------------------------------------------------------------- 企业年金


class Annuity(Data):
    plan_name: str = Field(..., min_length=1, max_length=120)
    collective_bargaining: bool
    economic_capacity: bool = True


ANNUITY_RULE = "YLC00003办事条件：参加了基本养老保险并履行缴费义务；具有相应的经济负担能力；已建立集体协商机制"
annuity = item("YLC00003", schema=Annuity, effect="企业年金方案备案（方案名称），登记备案",
               precondition="单位参加基本养老保险且无未缴清的核定欠费；具有经济负担能力；已建立集体协商机制；无已备案的同名方案")


@annuity.check
def _annuity_check(ctx: Ctx) -> list[Finding]:
    employer = ctx.employer()
    findings: list[Finding] = []
    if "pension" not in employer.insurance_types:
        findings.append(block(ANNUITY_RULE, "单位未参加基本养老保险", "employer"))
    if Bill.objects.filter(employer=employer, status__in=[BillStatus.ASSESSED, BillStatus.PAID]).exists():
        findings.append(block(ANNUITY_RULE, "单位有未缴清的社会保险费核定欠费，未履行缴费义务", "employer"))
    if not ctx.data.collective_bargaining:
        findings.append(block(ANNUITY_RULE, "须已建立集体协商机制", "collective_bargaining"))
    if not ctx.data.economic_capacity:
        findings.append(block(ANNUITY_RULE, "须具有相应的经济负担能力", "economic_capacity"))
    if Filing.objects.filter(employer=employer, kind=FilingKind.ANNUITY, detail__plan_name=ctx.data.plan_name).exists():
        findings.append(block(ANNUITY_RULE, f"方案“{ctx.data.plan_name}”已备案", "plan_name"))
    return findings


@annuity.apply
def _annuity_apply(ctx: Ctx) -> None:
    services.filing_create(actor=ctx.actor, case=ctx.case, kind=FilingKind.ANNUITY, employer=ctx.employer(),
                           outcome="已备案", detail=ctx.data.model_dump(mode="json"))


# --------------------------------------------------------------------------- 高级专家延长退休


class Extension(Data):
    person: PersonRef
    title: Literal["associate_senior_or_above", "senior_technician", "senior_political_worker"]
    ground: Literal[1, 2, 3]
    extend_to: date
    consent: bool
    healthy: bool = True


EXTENSION_RULE = ("YLC00004办事条件：已参加企业职工基本养老保险的在聘副高级及以上专业技术人员（或高级技师、高级政工师），"
                  "确因工作需要、身体健康、本人同意，并具备三项条件之一")
extension = item("YLC00004", schema=Extension,
                 effect="高级专家延长退休年龄批复：登记延退至某日（推迟SBZX00060/00067）",
                 precondition="本人在本单位参加职工养老保险；本人同意且身体健康；延退日期晚于今天；未退休")


@extension.check
def _extension_check(ctx: Ctx) -> list[Finding]:
    employer = ctx.employer()
    person = ctx.find(ctx.data.person, field_name="person")
    findings: list[Finding] = []
    if not Relationship.objects.filter(person=person, employer=employer, insurance_type="pension",
                                       status=RelationshipStatus.ACTIVE).exists():
        findings.append(block(EXTENSION_RULE, f"{person.name}未在本单位参加企业职工基本养老保险", "person"))
    if person.status == PersonStatus.RETIRED:
        findings.append(block(EXTENSION_RULE, f"{person.name}已退休", "person"))
    if not ctx.data.consent or not ctx.data.healthy:
        findings.append(block(EXTENSION_RULE, "须本人同意且身体健康", "consent"))
    if ctx.data.extend_to <= ctx.today:
        findings.append(block(EXTENSION_RULE, "延退日期须晚于今天", "extend_to"))
    if ctx.data.title == "associate_senior_or_above" and ctx.data.ground == 3:
        findings.append(block(EXTENSION_RULE, "条件3适用于高级技师、高级政工师", "ground"))
    return findings


@extension.apply
def _extension_apply(ctx: Ctx) -> None:
    services.filing_create(actor=ctx.actor, case=ctx.case, kind=FilingKind.RETIREMENT_EXTENSION,
                           person=ctx.find(ctx.data.person), employer=ctx.employer(), outcome="同意延长退休",
                           valid_to=ctx.data.extend_to, detail=ctx.data.model_dump(mode="json"))


__all__ = ["RegistryRefused"]
