"""Registry API: a case's business data (``/cases/{id}/registry-data``), the item effects table,
employer and person look-ups, social security card use and loss by phone (12333), and the forced
password change of employer online-hall accounts."""

# No `from __future__ import annotations`: django-ninja reads the annotations at run time.

from datetime import date
from typing import Any

from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import translation
from ninja import Field, Query, Router, Schema
from ninja.pagination import LimitOffsetPagination, paginate

from shebao.cases.selectors import case_get
from shebao.core import access
from shebao.core.access import api_auth
from shebao.core.errors import PermissionDenied, ValidationFailed
from shebao.core.paging import Paged
from shebao.privacy.masking import id_for, mask_id_number
from shebao.privacy.models import SubjectKind
from shebao.privacy.services import personal_data_read

from . import selectors, services
from .casedata import case_data_get, case_data_set
from .effects import definition, evaluate
from .framework import ITEMS
from .models import Card, Employer, Person

router = Router(tags=["registry"], auth=access.UNDECLARED)


class ErrorOut(Schema):
    error: str
    message: str
    field: str | None = None


ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class CaseDataFindingOut(Schema):
    level: str
    rule: str
    message: str
    field: str


class CaseDataIn(Schema):
    data: dict[str, Any] = Field(..., description="本事项的业务数据（字段见 GET /api/v1/registry/items/{code}）")


class CaseDataOut(Schema):
    case: str
    item_code: str
    effect: str
    precondition: str
    data_at: str
    data: dict[str, Any] | None
    findings: list[CaseDataFindingOut]


def _data_out(case: Any, data: dict[str, Any] | None, findings: list[Any]) -> dict[str, Any]:
    defn = definition(case.item.code)
    return {"case": str(case.public_id), "item_code": case.item.code, "effect": defn.effect if defn else "",
            "precondition": defn.precondition if defn else "", "data_at": defn.data_at if defn else "",
            "data": data, "findings": [f.as_dict() for f in findings]}


@router.post("/cases/{case_id}/registry-data", auth=api_auth(access.CASE_DATA), response={200: CaseDataOut, **ERRORS},
             summary="登记办件的业务数据（办结时据以变更登记簿）")
def set_case_data(request: HttpRequest, case_id: str, payload: CaseDataIn) -> dict[str, Any]:
    case = case_get(user=request.user, public_id=case_id)
    row, findings = case_data_set(case=case, actor=request.user, data=payload.data)
    return _data_out(case, row.data, findings)


@router.get("/cases/{case_id}/registry-data", auth=api_auth(access.SIGNED_IN), response={200: CaseDataOut, **ERRORS},
            summary="办件的业务数据和登记簿检查结果")
def get_case_data(request: HttpRequest, case_id: str) -> dict[str, Any]:
    case = case_get(user=request.user, public_id=case_id)
    row = case_data_get(case=case)
    stage = "data" if row is not None else "accept"
    return _data_out(case, row.data if row else None, evaluate(case, stage=stage))


# --------------------------------------------------------------------------- items


class ItemEffectOut(Schema):
    code: str
    effect: str
    precondition: str
    data_at: str
    state: str
    needs_data: bool
    data_schema: dict[str, Any] | None = None


def _item_out(code: str, *, schema: bool = False) -> dict[str, Any]:
    defn = ITEMS[code]
    return {"code": code, "effect": defn.effect, "precondition": defn.precondition, "data_at": defn.data_at,
            "state": defn.state, "needs_data": defn.schema is not None,
            "data_schema": defn.schema.model_json_schema() if schema and defn.schema is not None else None}


@router.get("/registry/items", auth=api_auth(access.PUBLIC), response={200: list[ItemEffectOut], **ERRORS},
            summary="每个事项办结时对登记簿的影响及前置条件")
def list_item_effects(request: HttpRequest) -> list[dict[str, Any]]:
    return [_item_out(code) for code in ITEMS]


@router.get("/registry/items/{code}", auth=api_auth(access.PUBLIC), response={200: ItemEffectOut, **ERRORS},
            summary="一个事项的登记簿影响、前置条件和业务数据格式（JSON Schema）")
def get_item_effect(request: HttpRequest, code: str) -> dict[str, Any]:
    from shebao.catalog.selectors import normalize_item_code

    normalized = normalize_item_code(code)
    if normalized not in ITEMS:
        raise ValidationFailed(f"业务编号“{code}”不存在", field="code")
    return _item_out(normalized, schema=True)


# --------------------------------------------------------------------------- employers and persons


class RelationshipOut(Schema):
    id: int
    person_ssn: str
    person_name: str
    insurance_type: str
    insurance_label: str
    kind: str
    employer_code: str | None
    employer_name: str | None
    region: str
    start_on: date
    stop_on: date | None
    stop_reason: str
    status: str
    status_label: str


def _rel(rel: Any) -> dict[str, Any]:
    return {"id": rel.pk, "person_ssn": rel.person.ssn, "person_name": rel.person.name,
            "insurance_type": rel.insurance_type, "insurance_label": rel.get_insurance_type_display(),
            "kind": rel.kind, "employer_code": rel.employer.code if rel.employer else None,
            "employer_name": rel.employer.name if rel.employer else None, "region": rel.region,
            "start_on": rel.start_on, "stop_on": rel.stop_on, "stop_reason": rel.stop_reason, "status": rel.status,
            "status_label": rel.get_status_display()}


class EmployerOut(Schema):
    code: str
    credit_code: str
    org_code: str
    name: str
    status: str
    district: str
    insurance_types: list[str]
    industry_class: int
    injury_base_rate: str
    online_credit: bool
    registered_on: date
    active_employees: int


class EmployerDetailOut(EmployerOut):
    unit_type: str
    economic_type: str
    legal_rep_name: str
    contact_name: str
    contact_phone: str
    address: str
    relationships: list[RelationshipOut]
    relationships_count: int = Field(..., description="全部参保关系数；relationships 只含按姓名排序的前 200 条，"
                                                      "其余用 /registry/employers/{code}/relationships 分页读取")


def _employer(employer: Employer, *, count: int | None = None) -> dict[str, Any]:
    return {"code": employer.code, "credit_code": employer.credit_code, "org_code": employer.org_code,
            "name": employer.name, "status": employer.status, "district": employer.district,
            "insurance_types": employer.insurance_types, "industry_class": employer.industry_class,
            "injury_base_rate": str(employer.injury_base_rate), "online_credit": employer.online_credit,
            "registered_on": employer.registered_on,
            "active_employees": count if count is not None else employer.relationships.filter(status="active")
            .values("person").distinct().count()}


class SearchQuery(Schema):
    q: str = Field("", max_length=60, description="单位编号、统一社会信用代码、组织机构代码、名称或拼音首字母")


@router.get("/registry/employers", auth=api_auth(access.REGISTRY_STAFF), response={200: list[EmployerOut], **ERRORS}, summary="查找参保单位")
def search_employers(request: HttpRequest, query: Query[SearchQuery]) -> list[dict[str, Any]]:
    return [_employer(e) for e in selectors.employer_search(user=request.user, q=query.q)]


@router.get("/registry/employers/{code}", auth=api_auth(access.SIGNED_IN), response={200: EmployerDetailOut, **ERRORS}, summary="参保单位登记信息")
def get_employer(request: HttpRequest, code: str) -> dict[str, Any]:
    overview = selectors.employer_overview(user=request.user, code=code)
    employer = overview.employer
    return {**_employer(employer, count=overview.employee_count), "unit_type": employer.unit_type,
            "economic_type": employer.economic_type, "legal_rep_name": employer.legal_rep_name,
            "contact_name": employer.contact_name, "contact_phone": employer.contact_phone,
            "address": employer.address, "relationships": [_rel(r) for r in overview.employees],
            "relationships_count": overview.relationship_count}


@router.get("/registry/employers/{code}/relationships", auth=api_auth(access.SIGNED_IN),
            response={200: list[RelationshipOut], **ERRORS}, summary="参保单位的全部参保关系（分页）")
@paginate(LimitOffsetPagination)
def list_employer_relationships(request: HttpRequest, code: str) -> Any:
    """Every relationship with the employer, a page at a time, in the detail's order (by name)."""
    return Paged(selectors.employer_relationships(selectors.employer_get(user=request.user, code=code)), _rel)


class PersonOut(Schema):
    ssn: str
    id_number_masked: str
    name: str
    sex: str
    birth_date: date
    status: str
    status_label: str


class CardOut(Schema):
    number: str
    status: str
    status_label: str
    bank: str
    issued_on: date | None
    replaced_by: str | None


class BillOut(Schema):
    number: str
    kind: str
    kind_label: str
    amount: str
    status: str
    status_label: str
    office: str


class BenefitOut(Schema):
    number: str
    kind: str
    kind_label: str
    status: str
    monthly_amount: str | None
    lump_sum: str | None
    start_month: date | None


class PersonDetailOut(PersonOut):
    id_number: str = Field(description="身份证号：经办角色（SHEBAO_FULL_ID_ROLES）为完整号码，其他角色为脱敏号码")
    relationships: list[RelationshipOut]
    cards: list[CardOut]
    bills: list[BillOut]
    benefits: list[BenefitOut]
    cases: list[dict[str, Any]]


def _person(person: Person) -> dict[str, Any]:
    return {"ssn": person.ssn, "id_number_masked": mask_id_number(person.id_number), "name": person.name,
            "sex": person.sex, "birth_date": person.birth_date, "status": person.status,
            "status_label": person.get_status_display()}


@router.get("/registry/persons", auth=api_auth(access.REGISTRY_STAFF), response={200: list[PersonOut], **ERRORS}, summary="查找参保人员")
def search_persons(request: HttpRequest, query: Query[SearchQuery]) -> list[dict[str, Any]]:
    return [_person(p) for p in selectors.person_search(user=request.user, q=query.q)]


@router.get("/registry/persons/{key}", auth=api_auth(access.SIGNED_IN), response={200: PersonDetailOut, **ERRORS},
            summary="参保人员一览：参保关系、社保卡、缴费单据、待遇、办件")
def get_person(request: HttpRequest, key: str) -> dict[str, Any]:
    view = selectors.person_overview(user=request.user, key=key)
    personal_data_read(request=request, subject_kind=SubjectKind.PERSON, subject_key=view.person.ssn,
                       subject_name=view.person.name, id_number=view.person.id_number)
    return {
        **_person(view.person), "id_number": id_for(request.user, view.person.id_number),
        "relationships": [_rel(r) for r in view.relationships],
        "cards": [{"number": c.number, "status": c.status, "status_label": c.get_status_display(), "bank": c.bank,
                   "issued_on": c.issued_on, "replaced_by": c.replaced_by.number if c.replaced_by else None}
                  for c in view.cards],
        "bills": [{"number": b.number, "kind": b.kind, "kind_label": b.get_kind_display(), "amount": str(b.amount),
                   "status": b.status, "status_label": b.get_status_display(), "office": b.office.name}
                  for b in view.bills],
        "benefits": [{"number": d.number, "kind": d.kind, "kind_label": d.get_kind_display(), "status": d.status,
                      "monthly_amount": str(d.monthly_amount) if d.monthly_amount is not None else None,
                      "lump_sum": str(d.lump_sum) if d.lump_sum is not None else None, "start_month": d.start_month}
                     for d in view.benefits],
        "cases": [{"id": str(c.public_id), "reference": c.reference, "item_code": c.item.code, "status": c.status}
                  for c in view.cases],
    }


# --------------------------------------------------------------------------- cards


class CardUseIn(Schema):
    pin: str | None = Field(None, max_length=6)


class CardUseOut(Schema):
    number: str
    status: str
    holder: str


@router.post("/registry/cards/{number}/verify", auth=api_auth(access.REGISTRY_STAFF), response={200: CardUseOut, **ERRORS},
             summary="刷卡核验：挂失、作废、锁定的卡被拒绝；连续输错3次密码锁卡")
def verify_card(request: HttpRequest, number: str, payload: CardUseIn) -> dict[str, Any]:
    selectors.require_staff(request.user)
    card = services.card_verify(number_=number, pin=payload.pin)
    return {"number": card.number, "status": card.status, "holder": card.person.name[:1] + "*" * (len(card.person.name) - 1)}


class PhoneLossIn(Schema):
    id_number: str = Field(..., max_length=20, description="持卡人身份证号（核对身份）")


@router.post("/registry/cards/{number}/report-lost", auth=api_auth(access.REGISTRY_STAFF), response={200: CardUseOut, **ERRORS},
             summary="12333 电话挂失（正式挂失；解挂须到窗口办理 XXZX00007）")
def report_lost_by_phone(request: HttpRequest, number: str, payload: PhoneLossIn) -> dict[str, Any]:
    selectors.require_staff(request.user)
    card = Card.objects.select_related("person").filter(number=number.strip().upper()).first()
    from shebao.core.identifiers import validate_id_number

    if card is None or card.person.id_number != validate_id_number(payload.id_number):
        raise ValidationFailed("卡号与身份证号不符", field="id_number")
    with transaction.atomic():
        services.card_report_lost(actor=request.user.get_username(), case=None, card=card, channel="phone")
    return {"number": card.number, "status": card.status, "holder": card.person.name[:1] + "*"}


# --------------------------------------------------------------------------- online-hall password


class PasswordIn(Schema):
    old_password: str = Field(..., max_length=128)
    new_password: str = Field(..., min_length=8, max_length=128)


class PasswordOut(Schema):
    username: str
    must_change_password: bool


@router.post("/registry/account/password", auth=api_auth(access.SIGNED_IN), response={200: PasswordOut, **ERRORS},
             summary="修改网上办事大厅密码（首次登录须修改初始密码）")
def change_password(request: HttpRequest, payload: PasswordIn) -> dict[str, Any]:
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied("请先登录")
    if not user.check_password(payload.old_password):
        raise ValidationFailed("原密码不正确", field="old_password")
    if payload.old_password == payload.new_password:
        raise ValidationFailed("新密码不能与原密码相同", field="new_password")
    try:
        with translation.override("zh-hans"):
            validate_password(payload.new_password, user)
    except DjangoValidationError as exc:
        with translation.override("zh-hans"):
            messages = "；".join(str(m) for m in exc.messages)
        raise ValidationFailed(messages, field="new_password") from None
    with transaction.atomic():
        user.set_password(payload.new_password)
        user.save(update_fields=["password"])
        services.online_account_password_changed(user=user)
    from django.contrib.auth import update_session_auth_hash

    if hasattr(request, "session"):
        update_session_auth_hash(request, user)
    return {"username": user.get_username(), "must_change_password": False}


# --------------------------------------------------------------------------- staff tools


class MonthIn(Schema):
    month: date


class CountOut(Schema):
    count: int


@router.post("/registry/payables/monthly", auth=api_auth(access.REGISTRY_PAYABLES), response={200: CountOut, **ERRORS},
             summary="生成当月按月待遇的应付帐（幂等：每项待遇每月一笔）")
def generate_monthly(request: HttpRequest, payload: MonthIn) -> dict[str, Any]:
    created = services.payables_generate_monthly(actor=request.user.get_username(), month=payload.month)
    return {"count": len(created)}


class SuspendIn(Schema):
    year: int = Field(..., ge=2010, le=2100)
    on: date


@router.post("/registry/benefits/suspend-uncertified", auth=api_auth(access.REGISTRY_BENEFITS), response={200: CountOut, **ERRORS},
             summary="暂停未年审人员的待遇（幂等）")
def suspend_uncertified(request: HttpRequest, payload: SuspendIn) -> dict[str, Any]:
    suspended = services.benefits_suspend_uncertified(actor=request.user.get_username(), year=payload.year,
                                                      on=payload.on)
    return {"count": suspended}
