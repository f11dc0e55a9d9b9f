"""Employees of an employer: enrolment, stop, batch layoff, wages, personal data, write-off of the
month's arrears, medical retirement, merging duplicate numbers (SBZX00013–00019, 00022, 00023)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import Field, model_validator

from .. import services
from ..errors import RegistryRefused
from ..framework import Ctx, Data, Money, Month, PersonRef, item
from ..models import (
    Bill,
    BillKind,
    BillStatus,
    FilingKind,
    FlexibleAccount,
    Person,
    PersonStatus,
    Relationship,
    RelationshipStatus,
    WageDeclaration,
)
from ..rules import Finding, block, layoff_threshold, within_days
from .common import (
    PERSON_GENERAL,
    PERSON_KEY,
    PersonIn,
    info_change,
    person_ensure,
    person_from,
    require_employee,
)

ENROL_RULE = "SBZX00013办事条件：用人单位应当自用工之日起三十日内为其职工办理社会保险新参保或续保手续"
STOP_RULE = "SBZX00014办事条件：职工发生辞职（退）、入伍入学、劳改劳教、终止解除劳动合同（劳动关系）等情况的，用人单位应当为其职工办理停保"
COUNTER_CHECK_RULE = "SBZX00013—00015运行流程：非单位网上信用用户须于当月20日前携带申报材料到辖区社保经办机构审核"
ONLINE_CREDIT_ITEMS = ("SBZX00013", "SBZX00014", "SBZX00015")


def counter_check(ctx: Ctx) -> list[Finding]:
    """An online 增员/停保 by an employer that is not a 网上信用用户 takes effect only after the
    counter check (materials brought by the 20th and reviewed)."""
    if ctx.stage != "close" or ctx.case.channel != "online":
        return []
    employer = ctx.employer()
    if employer.online_credit or "materials_brought" in (ctx.case.event_dates or {}):
        return []
    return [block(COUNTER_CHECK_RULE, f"{employer.name}不是单位网上信用用户，网上申报须经窗口审核后才能生效", "channel")]


# --------------------------------------------------------------------------- enrolment


class Enrolee(PersonIn):
    hired_on: date
    monthly_wage: Money | None = None


class Enrolment(Data):
    persons: list[Enrolee] = Field(..., min_length=1)

    @model_validator(mode="after")
    def _distinct(self) -> Enrolment:
        keys = [p.id_number or p.passport_number for p in self.persons]
        if len(keys) != len(set(keys)):
            raise ValueError("同一职工在申报中出现多次")
        return self


enrol = item("SBZX00013", schema=Enrolment,
             effect="为职工新参保或续保：首次参保的创建参保人员登记（社保编号）；按单位参保险种逐一建立参保关系（参保日期、缴费工资）",
             precondition="单位已登记未注销；职工未在他处参保缴费（同险种只能有一个在保关系）、未退休未死亡、灵活就业须先暂停；"
                          "用工之日起30日内（逾期警示）；网上办理的非网上信用用户须经窗口审核")


@enrol.check
def _enrol_check(ctx: Ctx) -> list[Finding]:
    employer = ctx.employer()
    findings: list[Finding] = counter_check(ctx)
    for index, enrolee in enumerate(ctx.data.persons):
        where = f"persons.{index}"
        findings += within_days(event=enrolee.hired_on, on=ctx.today, days=30, rule=ENROL_RULE,
                                what=f"{enrolee.name}的用工之日", field=f"{where}.hired_on")
        person = person_from(ctx, enrolee)
        if person is None:
            continue
        if person.status in {PersonStatus.DECEASED, PersonStatus.RETIRED}:
            findings.append(block(ENROL_RULE, f"{person.name}（{person.ssn}）{person.get_status_display()}，不能参保",
                                  where))
            continue
        for rel in Relationship.objects.filter(person=person, status=RelationshipStatus.ACTIVE, region="武汉市",
                                               insurance_type__in=employer.insurance_types).select_related("employer"):
            if rel.employer_id == employer.pk:
                findings.append(block(ENROL_RULE, f"{person.name}已在本单位参保缴费（{rel.get_insurance_type_display()}）",
                                      where))
                break
            holder = rel.employer.name if rel.employer else rel.get_kind_display()
            hint = "须先办理灵活就业暂停缴费（SBZX00030）" if rel.kind == "flexible" else "须由原单位先办理停保"
            findings.append(block("同一险种同一时期只能有一个参保关系",
                                  f"{person.name}的{rel.get_insurance_type_display()}正在{holder}参保缴费，{hint}", where))
            break
    return findings


@enrol.apply
def _enrol_apply(ctx: Ctx) -> None:
    employer = ctx.employer()
    for enrolee in ctx.data.persons:
        fields = enrolee.model_copy(update={})
        person = person_ensure(ctx, PersonIn.model_validate(fields.model_dump(exclude={"hired_on", "monthly_wage"})))
        for insurance_type in employer.insurance_types:
            services.relationship_start(actor=ctx.actor, case=ctx.case, person=person, insurance_type=insurance_type,
                                        kind="employer", employer=employer, start_on=enrolee.hired_on,
                                        monthly_wage=enrolee.monthly_wage)


# --------------------------------------------------------------------------- stop


StopReason = Literal["辞职（退）", "入伍入学", "劳改劳教", "终止解除劳动合同（劳动关系）"]


class Leaver(PersonRef):
    stopped_on: date
    reason: StopReason = "终止解除劳动合同（劳动关系）"


class Stop(Data):
    persons: list[Leaver] = Field(..., min_length=1)


def _stop_checks(ctx: Ctx, leavers: list[Leaver], rule: str) -> list[Finding]:
    employer = ctx.employer()
    findings: list[Finding] = counter_check(ctx)
    for index, leaver in enumerate(leavers):
        person = ctx.find(leaver, field_name=f"persons.{index}", alive=False)
        active = Relationship.objects.filter(person=person, employer=employer, status=RelationshipStatus.ACTIVE)
        if not active.exists():
            findings.append(block(rule, f"{person.name}（{person.ssn}）不是{employer.name}的在保职工，无需停保",
                                  f"persons.{index}"))
        elif active.filter(start_on__gt=leaver.stopped_on).exists():
            findings.append(block(rule, f"{person.name}的停保日期{leaver.stopped_on}早于参保日期", f"persons.{index}"))
    return findings


def _stop_apply(ctx: Ctx, leavers: list[Leaver], reason_default: str = "") -> None:
    employer = ctx.employer()
    for leaver in leavers:
        person = ctx.find(leaver, alive=False)
        for rel in Relationship.objects.filter(person=person, employer=employer, status=RelationshipStatus.ACTIVE):
            services.relationship_stop(actor=ctx.actor, case=ctx.case, relationship=rel, stop_on=leaver.stopped_on,
                                       reason=reason_default or leaver.reason)


stop = item("SBZX00014", schema=Stop, effect="停止职工在本单位的全部参保关系（停保日期、停保原因）",
            precondition="职工在本单位参保缴费中；停保原因为辞职（退）、入伍入学、劳改劳教、终止解除劳动合同之一；"
                         "网上办理的非网上信用用户须经窗口审核")


@stop.check
def _stop_check(ctx: Ctx) -> list[Finding]:
    return _stop_checks(ctx, ctx.data.persons, STOP_RULE)


@stop.apply
def _stop_do(ctx: Ctx) -> None:
    _stop_apply(ctx, ctx.data.persons)


class BatchLeaver(PersonRef):
    stopped_on: date


class BatchLayoff(Data):
    persons: list[BatchLeaver] = Field(..., min_length=1)
    basis: Literal["labour_contract_law_41", "restructuring"] = "labour_contract_law_41"
    total_employees: int | None = Field(None, ge=1)
    filed_with_labour_department: bool = False


batch = item("SBZX00015", schema=BatchLayoff, effect="批量停止被裁减职工在本单位的参保关系（停保原因“批量裁减”）",
             precondition="依《劳动合同法》第四十一条裁减20人以上或不足20人但占职工总数10%以上（或武政办〔2003〕66号改制），"
                          "已报劳动行政部门登记备案；每人均为本单位在保职工；网上办理的非网上信用用户须经窗口审核")


@batch.check
def _batch_check(ctx: Ctx) -> list[Finding]:
    employer = ctx.employer()
    total = ctx.data.total_employees or Relationship.objects.filter(
        employer=employer, status=RelationshipStatus.ACTIVE).values("person").distinct().count()
    findings = layoff_threshold(count=len(ctx.data.persons), total=total, basis=ctx.data.basis,
                                filed_with_labour_department=ctx.data.filed_with_labour_department)
    return findings + _stop_checks(ctx, [Leaver(**p.model_dump(), reason="终止解除劳动合同（劳动关系）")
                                         for p in ctx.data.persons], STOP_RULE)


@batch.apply
def _batch_apply(ctx: Ctx) -> None:
    _stop_apply(ctx, [Leaver(**p.model_dump()) for p in ctx.data.persons], reason_default="批量裁减")


# --------------------------------------------------------------------------- wage declaration


class Wage(PersonRef):
    monthly_wage: Money


class RetireePension(PersonRef):
    monthly_pension: Money


class WageDeclarationData(Data):
    year: int = Field(..., ge=2000, le=2100)
    wages: list[Wage] = Field(default_factory=list)
    retirees: list[RetireePension] = Field(default_factory=list)

    @model_validator(mode="after")
    def _something(self) -> WageDeclarationData:
        if not self.wages and not self.retirees:
            raise ValueError("请填写职工缴费工资（wages）或退休人员养老金（retirees）")
        return self


WAGE_RULE = "SBZX00016办事条件：用人单位在职职工；参加我市职工医保未参加我市养老保险的退休人员等"
wages = item("SBZX00016", schema=WageDeclarationData,
             effect="记录职工年度缴费工资基数（并更新在保关系的缴费工资）及非统筹退休人员年度养老金",
             precondition="申报的职工须为本单位职工；退休人员须为本单位职工医保退休人员")


@wages.check
def _wages_check(ctx: Ctx) -> list[Finding]:
    employer = ctx.employer()
    findings: list[Finding] = []
    for index, wage in enumerate(ctx.data.wages):
        person = ctx.find(wage, field_name=f"wages.{index}")
        findings += [f.__class__(f.level, WAGE_RULE, f.message, f"wages.{index}")
                     for f in require_employee(employer, person, active_only=True)]
    for index, retiree in enumerate(ctx.data.retirees):
        person = ctx.find(retiree, field_name=f"retirees.{index}")
        if not (person.medical_retiree or person.status == PersonStatus.RETIRED):
            findings.append(block(WAGE_RULE, f"{person.name}不是退休人员", f"retirees.{index}"))
        findings += [f.__class__(f.level, WAGE_RULE, f.message, f"retirees.{index}")
                     for f in require_employee(employer, person)]
    return findings


@wages.apply
def _wages_apply(ctx: Ctx) -> None:
    employer = ctx.employer()
    rows = [(w, WageDeclaration.Kind.WAGE, w.monthly_wage) for w in ctx.data.wages] + \
        [(r, WageDeclaration.Kind.RETIREE_PENSION, r.monthly_pension) for r in ctx.data.retirees]
    for ref, kind, amount in rows:
        person = ctx.find(ref)
        row = WageDeclaration.objects.filter(person=person, employer=employer, year=ctx.data.year, kind=kind).first()
        if row is None:
            row = WageDeclaration.objects.create(person=person, employer=employer, year=ctx.data.year, kind=kind,
                                                 monthly_amount=amount, case=ctx.case)
            services.record_created(row, actor=ctx.actor, case=ctx.case, action="wage_declared",
                                    payload={"person": person.ssn, "year": ctx.data.year, "kind": kind})
        else:
            services.record_update(row, {"monthly_amount": amount, "case": ctx.case}, actor=ctx.actor, case=ctx.case,
                                   action="wage_declared")
        if kind == WageDeclaration.Kind.WAGE:
            for rel in Relationship.objects.filter(person=person, employer=employer, status=RelationshipStatus.ACTIVE):
                services.record_update(rel, {"monthly_wage": amount}, actor=ctx.actor, case=ctx.case,
                                       action="contribution_wage_changed")


# --------------------------------------------------------------------------- personal information (employer)


info_change("SBZX00017", subject="employee", allowed=PERSON_GENERAL, elsewhere=PERSON_KEY,
            pointer="SBZX00018个人重点信息变更",
            rule="SBZX00017办事条件：职工及退休人员文化程度、婚姻状况、民族、联系电话、户口所在地、居住地地址等一般信息变更",
            effect="变更本单位职工（退休人员）一般信息（文化程度、婚姻状况、民族、联系电话、户口所在地、居住地地址）",
            precondition="为本单位职工或退休人员；只能变更一般信息（重点信息指向SBZX00018）；至少一项不同")
info_change("SBZX00018", subject="employee", allowed=PERSON_KEY, elsewhere=PERSON_GENERAL,
            pointer="SBZX00017个人一般信息变更",
            rule="SBZX00018办事条件：姓名、性别、居民身份证号码、档案出生日期、户籍性质、参加工作时间等重点信息变更",
            effect="变更本单位职工（退休人员）重点信息（姓名、性别、身份证号、档案出生日期、户籍性质、参加工作时间），逐字段留痕",
            precondition="为本单位职工或退休人员；新身份证号须校验通过（15位自动升18位）且未被他人登记（指向已有记录）；至少一项不同")


# --------------------------------------------------------------------------- 当月欠费注销


class MonthWriteOff(Data):
    person: PersonRef
    month: Month
    employment_ended_on: date


WRITE_OFF_RULE = "SBZX00019办事条件：用人单位与职工终止劳动关系，办理停保手续后，根据终止劳动关系时间注销已核定的当月欠费"
write_off = item("SBZX00019", schema=MonthWriteOff, effect="注销已为该职工核定的当月单位欠费（单据状态“已注销”）",
                 precondition="须先办理停保（SBZX00014/00015）：该职工在本单位的关系已停保、无在保关系；所注销月份为终止劳动关系的当月；"
                              "该月存在已核定未缴的欠费")


def _month_bills(ctx: Ctx, person: Person) -> list[Bill]:
    return list(Bill.objects.filter(employer=ctx.employer(), person=person, kind=BillKind.EMPLOYER_MONTH,
                                    period_from=ctx.data.month, status=BillStatus.ASSESSED))


@write_off.check
def _write_off_check(ctx: Ctx) -> list[Finding]:
    employer = ctx.employer()
    person = ctx.find(ctx.data.person, field_name="person", alive=False)
    rels = Relationship.objects.filter(employer=employer, person=person)
    if rels.filter(status=RelationshipStatus.ACTIVE).exists() or not rels.filter(
            status=RelationshipStatus.STOPPED).exists():
        return [block(WRITE_OFF_RULE, f"{person.name}在{employer.name}尚未办理停保，须先办理SBZX00014停保", "person")]
    findings: list[Finding] = []
    if ctx.data.month != ctx.data.employment_ended_on.replace(day=1):
        findings.append(block(WRITE_OFF_RULE, f"只能注销终止劳动关系当月（{ctx.data.employment_ended_on:%Y-%m}）的欠费",
                              "month"))
    if not _month_bills(ctx, person):
        findings.append(block(WRITE_OFF_RULE, f"{person.name}在{ctx.data.month:%Y年%m月}没有已核定未缴的欠费", "month"))
    return findings


@write_off.apply
def _write_off_apply(ctx: Ctx) -> None:
    person = ctx.find(ctx.data.person, alive=False)
    for bill in _month_bills(ctx, person):
        services.bill_write_off(actor=ctx.actor, case=ctx.case, bill=bill)


# --------------------------------------------------------------------------- 医疗保险非统筹转退休 (单位)


class MedicalRetirement(Data):
    person: PersonRef
    retired_on: date
    situation: Literal["institution", "non_pool"] = "non_pool"
    deemed_medical_months: int = Field(0, ge=0, le=600)


MED_RETIRE_RULE = ("SBZX00022办事条件：机关事业单位职工经批准退休，或在统筹地区外领取养老金、在我市参加职工医保的单位职工，"
                   "办理职工医保（非统筹）转退休")
med_retire = item("SBZX00022", schema=MedicalRetirement,
                  effect="职工医保转为退休人员医保（关系状态“退休（不再缴费）”，标记职工医保退休人员），停止本单位其他险种缴费，"
                         "记录视同缴费年限",
                  precondition="为本单位在保职工且参加职工医保；退休日期不晚于今天")


@med_retire.check
def _med_retire_check(ctx: Ctx) -> list[Finding]:
    employer = ctx.employer()
    person = ctx.find(ctx.data.person, field_name="person")
    findings: list[Finding] = []
    if not Relationship.objects.filter(employer=employer, person=person, insurance_type="medical",
                                       status=RelationshipStatus.ACTIVE).exists():
        findings.append(block(MED_RETIRE_RULE, f"{person.name}不是{employer.name}职工医保在保人员", "person"))
    if ctx.data.retired_on > ctx.today:
        findings.append(block(MED_RETIRE_RULE, "退休日期晚于今天", "retired_on"))
    return findings


@med_retire.apply
def _med_retire_apply(ctx: Ctx) -> None:
    employer = ctx.employer()
    person = ctx.find(ctx.data.person)
    medical_retirement_apply(ctx, person, Relationship.objects.filter(employer=employer, person=person,
                                                                      status=RelationshipStatus.ACTIVE))


def medical_retirement_apply(ctx: Ctx, person: Person, rels: object) -> None:
    for rel in list(rels):  # type: ignore[call-overload]
        status = RelationshipStatus.RETIRED if rel.insurance_type == "medical" else RelationshipStatus.STOPPED
        services.relationship_stop(actor=ctx.actor, case=ctx.case, relationship=rel,
                                   stop_on=max(ctx.data.retired_on, rel.start_on), reason="退休", status=status)
    deemed = getattr(ctx.data, "deemed_medical_months", 0)
    services.person_update(actor=ctx.actor, case=ctx.case, person=person,
                           changes={"medical_retiree": True}, action="medical_retirement")
    services.filing_create(actor=ctx.actor, case=ctx.case, kind=FilingKind.MEDICAL_RETIREMENT, person=person,
                           outcome="已转退休", valid_from=ctx.data.retired_on,
                           detail={"deemed_medical_months": deemed, "situation": getattr(ctx.data, "situation", "")})


# --------------------------------------------------------------------------- 信息合并


class Merge(Data):
    keep_ssn: str = Field(..., max_length=12)
    merge_ssns: list[str] = Field(..., min_length=1)


MERGE_RULE = "SBZX00023办事条件：在我市统筹范围内存在二个或二个以上社保编号，全部社保编号缴费信息记录经核实确为同一人"
merge = item("SBZX00023", schema=Merge,
             effect="将同一人的多个社保编号合并到保留的编号：参保关系、缴费单、卡、转移、待遇、应付帐、登记备案全部归并，"
                    "登记缴费月数和个人账户合计；被合并编号标记“已合并”并指向保留编号",
             precondition="两个以上不同的社保编号均存在且未合并；姓名、性别、出生日期一致，身份证号一致（或缺失）；"
                          "合并后同险种不能有两个在保关系")


def _merge_people(ctx: Ctx) -> tuple[Person, list[Person]]:
    codes = [ctx.data.keep_ssn, *ctx.data.merge_ssns]
    if len(set(codes)) != len(codes):
        raise RegistryRefused("保留编号与被合并编号不能重复", rule=MERGE_RULE, field="merge_ssns")
    found = {p.ssn: p for p in Person.objects.filter(ssn__in=codes)}
    missing = [code for code in codes if code not in found]
    if missing:
        raise RegistryRefused(f"社保编号{'、'.join(missing)}不存在", rule=MERGE_RULE, field="merge_ssns")
    return found[ctx.data.keep_ssn], [found[c] for c in ctx.data.merge_ssns]


@merge.check
def _merge_check(ctx: Ctx) -> list[Finding]:
    keep, duplicates = _merge_people(ctx)
    findings: list[Finding] = []
    applicant = ctx.case.applicant_id_number
    if ctx.case.applicant_type == "person" and applicant and keep.id_number and keep.id_number != applicant:
        findings.append(block(MERGE_RULE, "个人只能申请合并本人的社保编号", "keep_ssn"))
    for dup in [keep, *duplicates]:
        if dup.status == PersonStatus.MERGED:
            findings.append(block(MERGE_RULE, f"社保编号{dup.ssn}已合并到{dup.merged_into.ssn if dup.merged_into else ''}",
                                  "merge_ssns"))
    for dup in duplicates:
        same = (dup.name == keep.name and dup.sex == keep.sex and dup.birth_date == keep.birth_date
                and (not dup.id_number or not keep.id_number or dup.id_number == keep.id_number))
        if not same:
            findings.append(block(MERGE_RULE, f"社保编号{dup.ssn}（{dup.name}，{dup.birth_date}）与{keep.ssn}（{keep.name}，"
                                              f"{keep.birth_date}）经核对不是同一人", "merge_ssns"))
        clash = Relationship.objects.filter(person=dup, status=RelationshipStatus.ACTIVE).filter(
            insurance_type__in=Relationship.objects.filter(person=keep, status=RelationshipStatus.ACTIVE)
            .values("insurance_type"))
        if clash.exists():
            findings.append(block(MERGE_RULE, f"两个编号同时有在保的{clash.first().get_insurance_type_display()}关系，"  # type: ignore[union-attr]
                                              "须先停保其中一个（多重关系可办理SBZX00043清退）", "merge_ssns"))
    if FlexibleAccount.objects.filter(person__in=duplicates).exists() and \
            FlexibleAccount.objects.filter(person=keep).exists():
        findings.append(block(MERGE_RULE, "两个编号都有灵活就业窗口账户，须先暂停其中一个", "merge_ssns"))
    return findings


@merge.apply
def _merge_apply(ctx: Ctx) -> None:
    keep, duplicates = _merge_people(ctx)
    FlexibleAccount.objects.filter(person__in=duplicates).update(person=keep)
    services.person_merge(actor=ctx.actor, case=ctx.case, keep=keep, duplicates=duplicates)
    services.filing_create(actor=ctx.actor, case=ctx.case, kind=FilingKind.MERGE, person=keep, outcome="已合并",
                           detail={"merged": [d.ssn for d in duplicates]})


__all__ = ["ONLINE_CREDIT_ITEMS", "Decimal"]
