"""Residents' medical insurance (SBZX00051–00054) and residents' pension registration and general
information (SBZX00055, 00058)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field

from .. import services
from ..framework import Ctx, Data, find_person, item
from ..models import Person, PersonStatus, Relationship, RelationshipStatus
from ..rules import Finding, block, resident_pension_registration, warn
from .bills import resident_pension_relationship
from .common import (
    PERSON_KEY,
    RESIDENT_MEDICAL_GENERAL,
    RESIDENT_MEDICAL_KEY,
    RESIDENT_PENSION_GENERAL,
    PersonIn,
    info_change,
)

MEDICAL_RULE = ("SBZX00051办事条件：职工医保制度范围外的城乡居民参加城乡居民医保；学生和在园幼儿由学校统一办理，特殊困难人员由区政府"
                "指定部门办理，新生儿由代理人办理")
CATEGORY_LABEL = {"ordinary": "普通居民", "newborn": "新生儿", "student": "学生", "child": "在园幼儿",
                  "hardship": "特殊困难人员", "flexible": "参加职工医保有困难的灵活就业人员"}


class ResidentMedical(Data):
    category: Literal["ordinary", "newborn", "student", "child", "hardship", "flexible"] = "ordinary"
    year: int = Field(..., ge=2010, le=2100)
    person: PersonIn | None = None


def _subject(ctx: Ctx) -> Person | None:
    return find_person(id_number=ctx.case.applicant_id_number)


medical = item("SBZX00051", schema=ResidentMedical,
               effect="城乡居民医保新参保或续保：首次参保（含新生儿）创建参保人员登记；建立城乡居民医保参保关系（人员类别、参保年度）",
               precondition="未参加职工医保（在保）；未在城乡居民医保在保；学生/幼儿/特殊困难人员由学校或区政府指定部门办理（窗口办理时警示）")


@medical.check
def _medical_check(ctx: Ctx) -> list[Finding]:
    person = _subject(ctx)
    findings: list[Finding] = []
    if person is None and ctx.data.person is None:
        return [block("首次参保须登记个人信息", "该身份证号尚无参保登记，请在业务数据中填写个人信息（person）", "person")]
    if ctx.data.category in {"student", "child", "hardship"} and ctx.case.agent_name == "":
        findings.append(warn(MEDICAL_RULE, f"{CATEGORY_LABEL[ctx.data.category]}一般由学校或区政府指定部门统一办理", "category"))
    if person is not None:
        if person.status == PersonStatus.DECEASED:
            findings.append(block(MEDICAL_RULE, f"{person.name}已死亡", "applicant_id_number"))
        if Relationship.objects.filter(person=person, insurance_type="medical", status=RelationshipStatus.ACTIVE).exists():
            findings.append(block(MEDICAL_RULE, f"{person.name}正在参加职工基本医疗保险，不能同时参加城乡居民医保",
                                  "applicant_id_number"))
        if Relationship.objects.filter(person=person, insurance_type="resident_medical",
                                       status=RelationshipStatus.ACTIVE).exists():
            findings.append(block(MEDICAL_RULE, f"{person.name}已参加城乡居民医保", "applicant_id_number"))
    return findings


@medical.apply
def _medical_apply(ctx: Ctx) -> None:
    person = _subject(ctx)
    if person is None:
        assert ctx.data.person is not None
        person = services.person_register(actor=ctx.actor, case=ctx.case, fields=ctx.data.person.fields())
    services.relationship_start(actor=ctx.actor, case=ctx.case, person=person, insurance_type="resident_medical",
                                kind="resident", category=CATEGORY_LABEL[ctx.data.category],
                                start_on=max(date(ctx.data.year, 1, 1), ctx.today.replace(day=1))
                                if ctx.data.year == ctx.today.year else date(ctx.data.year, 1, 1))


class ResidentMedicalStop(Data):
    reason: Literal["employee_medical", "military", "emigrated", "death", "other"]
    stopped_on: date
    death_certificate: bool = False


STOP_REASON = {"employee_medical": "参加职工医保", "military": "参军", "emigrated": "出国定居", "death": "死亡",
               "other": "其他"}
STOP_RULE = "SBZX00052办事条件：参保居民按规定参加职工医保、参军、出国定居、死亡或其他原因时办理停保或注销（死亡须提供死亡证明）"
medical_stop = item("SBZX00052", schema=ResidentMedicalStop,
                    effect="城乡居民医保停保或注销（停保原因）；因死亡注销的，参保人员状态改为“已死亡”",
                    precondition="本人城乡居民医保在保；因死亡注销须有死亡证明")


def _resident_medical(ctx: Ctx) -> Relationship | None:
    return Relationship.objects.filter(person=ctx.person(alive=False), insurance_type="resident_medical",
                                       status=RelationshipStatus.ACTIVE).first()


@medical_stop.check
def _medical_stop_check(ctx: Ctx) -> list[Finding]:
    findings: list[Finding] = []
    if _resident_medical(ctx) is None:
        findings.append(block(STOP_RULE, "本人没有在保的城乡居民医保", "applicant_id_number"))
    if ctx.data.reason == "death" and not ctx.data.death_certificate:
        findings.append(block(STOP_RULE, "因死亡注销须提供死亡证明", "death_certificate"))
    return findings


@medical_stop.apply
def _medical_stop_apply(ctx: Ctx) -> None:
    rel = _resident_medical(ctx)
    assert rel is not None
    services.relationship_stop(actor=ctx.actor, case=ctx.case, relationship=rel,
                               stop_on=max(ctx.data.stopped_on, rel.start_on), reason=STOP_REASON[ctx.data.reason])
    if ctx.data.reason == "death":
        services.person_update(actor=ctx.actor, case=ctx.case, person=rel.person,
                               changes={"status": PersonStatus.DECEASED, "died_on": ctx.data.stopped_on},
                               action="person_deceased")


def _has_resident_medical(ctx: Ctx, person: Person) -> list[Finding]:
    if Relationship.objects.filter(person=person, insurance_type="resident_medical").exists():
        return []
    return [block("SBZX00053/00054：城乡居民医保参保人员", f"{person.name}没有城乡居民医保参保记录", "applicant_id_number")]


info_change("SBZX00053", subject="person", allowed=RESIDENT_MEDICAL_GENERAL, elsewhere=RESIDENT_MEDICAL_KEY,
            pointer="SBZX00054个人重点信息变更", requires=_has_resident_medical,
            rule="SBZX00053办事条件：除姓名、居民身份证号、户籍性质以外的一般信息变更",
            effect="变更城乡居民医保参保人一般信息（姓名、身份证号、户籍性质以外的信息）",
            precondition="有城乡居民医保参保记录；不得变更姓名、身份证号、户籍性质（指向SBZX00054）")
info_change("SBZX00054", subject="person", allowed=RESIDENT_MEDICAL_KEY,
            elsewhere={k: v for k, v in {**RESIDENT_MEDICAL_GENERAL, **PERSON_KEY}.items()
                       if k not in RESIDENT_MEDICAL_KEY},
            pointer="SBZX00053个人一般信息变更", requires=_has_resident_medical,
            rule="SBZX00054办事条件：姓名、居民身份证号、户籍性质等重点信息变更",
            effect="变更城乡居民医保参保人重点信息（姓名、身份证号、户籍性质），逐字段留痕",
            precondition="有城乡居民医保参保记录；新身份证号校验通过且未被他人登记")


class ResidentPension(Data):
    hukou_district: str = Field(..., min_length=1, max_length=40)
    student: bool = False
    civil_servant: bool = False
    disability_grade: Literal["", "一级", "二级"] = ""
    person: PersonIn | None = None


pension = item("SBZX00055", schema=ResidentPension,
               effect="城乡居民基本养老保险参保登记：首次参保创建参保人员登记；建立城乡居民养老参保关系，记录户籍所在区和重度残疾等级",
               precondition="年满16周岁、非在校学生、非机关事业单位工作人员、未参加职工基本养老保险；在户籍所在区的窗口办理；未重复登记")


@pension.check
def _pension_check(ctx: Ctx) -> list[Finding]:
    person = _subject(ctx)
    if person is None and ctx.data.person is None:
        return [block("首次参保须登记个人信息", "该身份证号尚无参保登记，请在业务数据中填写个人信息（person）", "person")]
    birth = person.birth_date if person is not None else (ctx.data.person.birth_date or ctx.today)
    employee_pension = person is not None and Relationship.objects.filter(
        person=person, insurance_type="pension", status=RelationshipStatus.ACTIVE).exists()
    findings = resident_pension_registration(
        birth=birth, on=ctx.today, student=ctx.data.student, civil_servant=ctx.data.civil_servant,
        employee_pension_active=employee_pension, hukou_district=ctx.data.hukou_district, office_district=ctx.district)
    if person is not None and Relationship.objects.filter(person=person, insurance_type="resident_pension").exclude(
            status__in=[RelationshipStatus.CLEARED, RelationshipStatus.TRANSFERRED_OUT]).exists():
        findings.append(block("SBZX00055：参保登记", f"{person.name}已办理城乡居民基本养老保险参保登记", "applicant_id_number"))
    return findings


@pension.apply
def _pension_apply(ctx: Ctx) -> None:
    person = _subject(ctx)
    if person is None:
        assert ctx.data.person is not None
        person = services.person_register(actor=ctx.actor, case=ctx.case, fields=ctx.data.person.fields())
    services.person_update(actor=ctx.actor, case=ctx.case, person=person,
                           changes={"hukou_district": ctx.data.hukou_district}, action="resident_pension_registered")
    services.relationship_start(actor=ctx.actor, case=ctx.case, person=person, insurance_type="resident_pension",
                                kind="resident", start_on=ctx.today,
                                category=f"重度残疾{ctx.data.disability_grade}" if ctx.data.disability_grade else "")


def _has_resident_pension(ctx: Ctx, person: Person) -> list[Finding]:
    resident_pension_relationship(ctx)
    return []


info_change("SBZX00058", subject="person", allowed=RESIDENT_PENSION_GENERAL,
            elsewhere={k: v for k, v in PERSON_KEY.items() if k not in RESIDENT_PENSION_GENERAL},
            pointer="单位职工或灵活就业重点信息变更（SBZX00018/00037/00054）", requires=_has_resident_pension,
            rule="SBZX00058办事条件：已参保登记的居民民族、婚姻状况、健康状况、联系人姓名、联系电话、居住地址、电子邮箱等一般信息变更",
            effect="变更城乡居民养老参保人一般信息（民族、婚姻状况、健康状况、联系人、联系电话、居住地址、电子邮箱）",
            precondition="须先办理SBZX00055参保登记；只能变更所列一般信息")
