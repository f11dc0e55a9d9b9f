"""Employer registration and changes: SBZX00001–00012."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Literal

from django.db.models import Q
from pydantic import Field, model_validator

from shebao.accounts.selectors import district_org_unit

from .. import services
from ..framework import Ctx, Data, Money, OrgCode, item
from ..models import (
    EMPLOYER_TYPES,
    Bill,
    BillStatus,
    EmployerStatus,
    InsuranceType,
    Relationship,
    RelationshipStatus,
)
from ..rules import Finding, block, warn, within_days
from .common import EMPLOYER_GENERAL, EMPLOYER_KEY, info_change, result_notice_add, types_text

REGISTRATION_RULE = "SBZX00001/00002办事条件：用人单位应当自成立之日起三十日内办理社会保险登记"
TYPES_RULE = ("SBZX00009办事条件：用人单位应参加基本养老保险、基本医疗保险（含大额医疗保险）、失业保险、工伤保险及生育保险；"
              "省直参保或机关事业单位参保时可核减或增加险种")

EmployerType = Literal["pension", "medical", "unemployment", "injury", "maternity"]


def all_employer_types() -> list[EmployerType]:
    return ["pension", "medical", "unemployment", "injury", "maternity"]


class Registration(Data):
    name: str = Field(..., min_length=1, max_length=120)
    unit_type: str = Field("企业", max_length=40)
    economic_type: str = Field("", max_length=40)
    legal_rep_name: str = Field("", max_length=60)
    legal_rep_id: str = Field("", max_length=30)
    contact_name: str = Field("", max_length=60)
    contact_phone: str = Field("", max_length=30)
    fax: str = Field("", max_length=30)
    email: str = Field("", max_length=120)
    postcode: str = Field("", max_length=6)
    phone: str = Field("", max_length=30)
    address: str = Field("", max_length=200)
    founded_on: date
    insurance_types: list[EmployerType] = Field(default_factory=all_employer_types, min_length=1)
    industry_class: int = Field(1, ge=1, le=8)
    provincial: bool = False
    public_institution: bool = False
    online_credit: bool = False
    tax_registration: str = Field("", max_length=30)
    org_code: OrgCode | None = None
    licence_number: str = Field("", max_length=40)

    @model_validator(mode="after")
    def _legal_rep(self) -> Registration:
        from shebao.core.errors import ValidationFailed
        from shebao.core.identifiers import validate_id_number

        if len(self.legal_rep_id) in {15, 18} and self.legal_rep_id[:17].isdigit():
            try:
                self.legal_rep_id = validate_id_number(self.legal_rep_id)
            except ValidationFailed as exc:
                raise ValueError(f"法定代表人身份证号：{exc.message}") from None
        self.insurance_types = sorted(set(self.insurance_types), key=list(EMPLOYER_TYPES).index)
        return self


class NonCreditRegistration(Registration):
    org_code: OrgCode
    licence_number: str = Field(..., min_length=1, max_length=40)


def _types_rule(types: Sequence[str], *, provincial: bool, public: bool) -> list[Finding]:
    missing = [t for t in EMPLOYER_TYPES if t not in types]
    if missing and not (provincial or public):
        return [block(TYPES_RULE, f"用人单位须参加全部五项社会保险，缺少{types_text(missing)}", "insurance_types")]
    return []


def _register_check(ctx: Ctx) -> list[Finding]:
    data: Registration = ctx.data
    credit = ctx.case.applicant_credit_code
    if ctx.code == "SBZX00001" and not credit:
        return [block("SBZX00001：“统一社会信用代码”单位", "请填写统一社会信用代码；无统一社会信用代码的单位请办理SBZX00002",
                      "applicant_credit_code")]
    if ctx.code == "SBZX00002" and credit:
        return [block("SBZX00002：非“统一社会信用代码”单位", "该单位有统一社会信用代码，请办理SBZX00001", "applicant_credit_code")]
    existing = services.employer_existing(credit_code=credit, org_code=data.org_code or "")
    if existing is not None:
        raise services._refuse_duplicate_employer(existing)
    findings = within_days(event=data.founded_on, on=ctx.today, days=30, rule=REGISTRATION_RULE, what="单位成立之日",
                           field="founded_on")
    findings += _types_rule(data.insurance_types, provincial=data.provincial, public=data.public_institution)
    return findings


def _register_apply(ctx: Ctx) -> None:
    data: Registration = ctx.data
    fields = data.model_dump(exclude={"org_code", "online_credit"})
    fields.update(district=ctx.district, office=ctx.district_office, online_credit=data.online_credit)
    employer = services.employer_register(actor=ctx.actor, case=ctx.case, fields=fields,
                                          credit_code=ctx.case.applicant_credit_code, org_code=data.org_code or "")
    username, password = services.employer_account_issue(actor=ctx.actor, case=ctx.case, employer=employer)
    result_notice_add(ctx, "employer_code", employer.code)
    result_notice_add(ctx, "online_account", {
        "username": username,
        "initial_password": password,
        "note": "请登录社保网上办事大厅（www.wh12333.gov.cn）后立即修改初始密码；首次登录须先修改密码。"
        if password else "该用户名的网上办事大厅账户已存在，密码未变。",
    })


for _code, _schema in (("SBZX00001", Registration), ("SBZX00002", NonCreditRegistration)):
    _definition = item(
        _code, schema=_schema,
        effect="创建单位社会保险登记（单位编号、重点与一般信息、五险险种、工伤行业类别与基准费率、属地），"
               "发放社保网上办事大厅用户名及初始密码（写入办结通知书，首次登录须改密）",
        precondition="同一统一社会信用代码/组织机构代码不得重复登记（指向已有单位）；险种须五险齐全（省直、机关事业单位除外）；"
                     "成立之日起30日内（逾期警示）",
    )
    _definition.check(_register_check)
    _definition.apply(_register_apply)


# --------------------------------------------------------------------------- 工伤行业类别和基准费率


class IndustryChange(Data):
    industry_class: int = Field(..., ge=1, le=8)
    base_rate: Money | None = None
    business_scope: str = Field("", max_length=200)
    org_code: OrgCode | None = None


industry = item("SBZX00003", "SBZX00004", schema=IndustryChange,
                effect="变更单位工伤保险行业类别和基准费率（一类0.2%至八类1.9%）",
                precondition="单位已登记且未注销；新类别与现登记不同")


@industry.check
def _industry_check(ctx: Ctx) -> list[Finding]:
    employer = ctx.employer()
    rate = ctx.data.base_rate or services.INJURY_BASE_RATES[ctx.data.industry_class]
    if employer.industry_class == ctx.data.industry_class and employer.injury_base_rate == rate:
        return [block("SBZX00003办事条件：经营范围或主营业务类别发生变更", "行业类别和基准费率与现登记相同，无需调整",
                      "industry_class")]
    return []


@industry.apply
def _industry_apply(ctx: Ctx) -> None:
    rate = ctx.data.base_rate or services.INJURY_BASE_RATES[ctx.data.industry_class]
    services.employer_update(actor=ctx.actor, case=ctx.case, employer=ctx.employer(),
                             changes={"industry_class": ctx.data.industry_class, "injury_base_rate": Decimal(rate)},
                             action="injury_class_changed")


# --------------------------------------------------------------------------- key / general information


info_change("SBZX00005", "SBZX00006", subject="employer", allowed=EMPLOYER_KEY, elsewhere=EMPLOYER_GENERAL,
            pointer="SBZX00010/00011一般信息变更", window_days=30,
            rule="SBZX00005办事条件：登记事项变更之日起三十日内；重点信息为单位名称、单位类型、经济类型、法定代表人姓名及身份证号",
            effect="变更单位重点信息（单位名称、单位类型、经济类型、法定代表人姓名、法定代表人身份证号），逐字段留痕",
            precondition="只能变更重点信息（一般信息指向SBZX00010/00011）；至少一项与登记不同；变更之日起30日内（逾期警示）")
info_change("SBZX00010", "SBZX00011", subject="employer", allowed=EMPLOYER_GENERAL, elsewhere=EMPLOYER_KEY,
            pointer="SBZX00005/00006重点信息变更", window_days=30,
            rule="SBZX00010办事条件：联系人、电话、传真、邮箱、邮编、地址等一般信息变更之日起三十日内",
            effect="变更单位一般信息（联系人姓名及电话、传真、邮箱、邮编、联系电话、地址），逐字段留痕",
            precondition="只能变更一般信息（重点信息指向SBZX00005/00006）；至少一项与登记不同；30日内（逾期警示）")


# --------------------------------------------------------------------------- deregistration


class Deregistration(Data):
    terminated_on: date
    reason: str = Field("依法终止", max_length=60)
    org_code: OrgCode | None = None


DEREG_RULE = "SBZX00007办事条件：用人单位依法终止的，自终止之日起三十日内办理注销社会保险登记"
deregister = item("SBZX00007", "SBZX00008", schema=Deregistration,
                  effect="注销单位社会保险登记（状态“已注销”、终止日期），停用其网上办事大厅账户",
                  precondition="单位已登记未注销；无参保缴费中的职工（须先办理停保SBZX00014/00015）；无未缴清的核定欠费；"
                               "终止之日起30日内（逾期警示）")


@deregister.check
def _deregister_check(ctx: Ctx) -> list[Finding]:
    employer = ctx.employer()
    findings = within_days(event=ctx.data.terminated_on, on=ctx.today, days=30, rule=DEREG_RULE, what="单位终止之日",
                           field="terminated_on")
    active = Relationship.objects.filter(employer=employer, status=RelationshipStatus.ACTIVE) \
        .values("person").distinct().count()
    if active:
        findings.append(block(DEREG_RULE, f"单位尚有{active}名职工在保，须先办理职工停保（SBZX00014/00015）", "employer"))
    unpaid = Bill.objects.filter(employer=employer, status__in=[BillStatus.ASSESSED, BillStatus.PAID],
                                 kind="employer_arrears").count()
    if unpaid:
        findings.append(block(DEREG_RULE, f"单位尚有{unpaid}张核定欠费单未缴清或未到账确认", "employer"))
    return findings


@deregister.apply
def _deregister_apply(ctx: Ctx) -> None:
    employer = ctx.employer()
    services.employer_update(actor=ctx.actor, case=ctx.case, employer=employer,
                             changes={"status": EmployerStatus.CANCELLED, "terminated_on": ctx.data.terminated_on},
                             action="employer_cancelled")
    if employer.account is not None and employer.account.is_active:
        services.record_update(employer.account, {"is_active": False}, actor=ctx.actor, case=ctx.case,
                               action="online_account_disabled")


# --------------------------------------------------------------------------- insurance types


class TypesChange(Data):
    add: list[EmployerType] = Field(default_factory=list)
    remove: list[EmployerType] = Field(default_factory=list)

    @model_validator(mode="after")
    def _something(self) -> TypesChange:
        if not self.add and not self.remove:
            raise ValueError("请填写增加（add）或核减（remove）的险种")
        if set(self.add) & set(self.remove):
            raise ValueError("同一险种不能既增加又核减")
        return self


types_change = item("SBZX00009", schema=TypesChange, effect="增加或核减单位参保险种",
                    precondition="核减险种仅限省直参保或机关事业单位；增加的险种尚未参加、核减的险种正在参加；"
                                 "核减的险种不得仍有在保职工")


@types_change.check
def _types_check(ctx: Ctx) -> list[Finding]:
    employer = ctx.employer()
    findings: list[Finding] = []
    already = [t for t in ctx.data.add if t in employer.insurance_types]
    if already:
        findings.append(block(TYPES_RULE, f"单位已参加{types_text(already)}", "add"))
    absent = [t for t in ctx.data.remove if t not in employer.insurance_types]
    if absent:
        findings.append(block(TYPES_RULE, f"单位未参加{types_text(absent)}，无法核减", "remove"))
    if ctx.data.remove and not (employer.provincial or employer.public_institution):
        findings.append(block(TYPES_RULE, "只有省直参保或机关事业单位参保的单位可以核减险种", "remove"))
    for insurance_type in ctx.data.remove:
        count = Relationship.objects.filter(employer=employer, insurance_type=insurance_type,
                                            status=RelationshipStatus.ACTIVE).count()
        if count:
            findings.append(block(TYPES_RULE, f"{InsuranceType(insurance_type).label}尚有{count}名职工在保，须先停保",
                                  "remove"))
    return findings


@types_change.apply
def _types_apply(ctx: Ctx) -> None:
    employer = ctx.employer()
    types = [t for t in EMPLOYER_TYPES if (t in employer.insurance_types or t in ctx.data.add)
             and t not in ctx.data.remove]
    services.employer_update(actor=ctx.actor, case=ctx.case, employer=employer, changes={"insurance_types": types},
                             action="insurance_types_changed")


# --------------------------------------------------------------------------- 成建制转移


class WholeUnitMove(Data):
    tax_changed_on: date
    from_district: str = Field("", max_length=40)


MOVE_RULE = "SBZX00012办事条件：因地税关系发生变更，在本市市级统筹范围内跨区转移，到转入地社保经办机构办理"
move = item("SBZX00012", schema=WholeUnitMove,
            effect="单位社会保险关系成建制转至受理的（转入地）区社保经办机构：属地与经办机构变更，职工参保关系随单位转移",
            precondition="单位已登记；转入地（受理机构所在区）与现属地不同")


@move.check
def _move_check(ctx: Ctx) -> list[Finding]:
    employer = ctx.employer()
    findings: list[Finding] = []
    if employer.district == ctx.district:
        findings.append(block(MOVE_RULE, f"单位已属{employer.district}管理，无需转移", "district"))
    if ctx.data.from_district and ctx.data.from_district != employer.district:
        findings.append(warn(MOVE_RULE, f"申报的转出区“{ctx.data.from_district}”与登记的属地“{employer.district}”不一致",
                             "from_district"))
    return findings


@move.apply
def _move_apply(ctx: Ctx) -> None:
    office = district_org_unit(ctx.district) or ctx.district_office
    services.employer_update(actor=ctx.actor, case=ctx.case, employer=ctx.employer(),
                             changes={"district": ctx.district, "office": office}, action="employer_moved")


__all__ = ["Q"]
