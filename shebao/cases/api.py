"""``/api/v1/cases``: submit, read and act on cases. Session (web) or bearer-token (clients) auth."""

# No `from __future__ import annotations` here: @paginate re-reads the annotations in its own module.

from datetime import date, datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import LimitOffsetPagination, paginate
from pydantic import BaseModel

from shebao.accounts.models import OrgUnit
from shebao.core import access
from shebao.core.access import api_auth
from shebao.core.errors import NotFound
from shebao.core.paging import Paged

from . import selectors, services
from .models import Case, CaseStatus, case_reference
from .services import MaterialCheck

router = Router(tags=["cases"], auth=access.UNDECLARED)


class ErrorOut(Schema):
    error: str
    message: str
    field: str | None = None


ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class MaterialCheckIn(Schema):
    material_id: int
    original: bool = False
    copy_: bool = Field(False, alias="copy")
    not_applicable: bool = False
    note: str = Field("", max_length=200)


class CaseIn(Schema):
    item_code: str = Field(..., max_length=20, description="业务编号")
    channel: Literal["online", "counter", "internal"] = "online"
    org_unit: str = Field(..., max_length=60, description="受理机构 key，见 GET /api/v1/org-units")
    applicant_type: Literal["unit", "person"]
    applicant_name: str = Field(..., min_length=1, max_length=120)
    applicant_id_number: str = Field("", max_length=20)
    applicant_credit_code: str = Field("", max_length=20)
    applicant_phone: str = Field("", max_length=20)
    agent_name: str = Field("", max_length=60)
    agent_id_number: str = Field("", max_length=20)
    idempotency_key: str = Field("", max_length=64, description="重试时使用同一值，只会创建一个办件")
    materials: list[MaterialCheckIn] = Field(default_factory=list)
    note: str = Field("", max_length=2000)


class Out(BaseModel):
    """Response schemas are plain pydantic models, not ninja ``Schema``s: a ``Schema`` reads its input
    through ninja's ``DjangoGetter`` wrapper (an attribute look-up per field, built for model
    instances), which cost more than the rest of a list page; the handlers return dicts, which
    pydantic validates in its compiled core. The OpenAPI document is the same."""


class CaseSummaryOut(Out):
    id: str
    reference: str
    number: str | None
    item_code: str
    item_name: str
    status: str
    status_label: str
    channel: str
    org_unit: str
    applicant_name: str
    submitted_at: str
    promised_due: date | None
    legal_due: date | None
    due_provisional: bool


class CaseMaterialOut(Out):
    material_id: int
    position: int
    text: str
    conditional: bool
    original_received: bool
    copy_received: bool
    not_applicable: bool
    received: bool


class StepOut(Out):
    position: int
    key: str
    name: str
    kind: str
    level: str
    role: str
    status: str
    outcome: str
    due: date | None
    event: str


class NoticeOut(Out):
    number: str
    kind: str
    kind_label: str
    issued_at: str
    content: dict[str, Any]


class CaseEventOut(Out):
    at: str
    actor: str
    action: str
    status_after: str
    detail: dict[str, Any]


class CaseOut(CaseSummaryOut):
    catalog_version: int
    result: str
    result_text: str
    materials: list[CaseMaterialOut]
    steps: list[StepOut]
    notices: list[NoticeOut]
    events: list[CaseEventOut]
    actions: list[str]


_STATUS_LABELS = dict(CaseStatus.choices)

# A summary's values in the order of ``selectors.SUMMARY_ORDER`` (a list page reads only these).
def _summary_of(public_id: Any, number: str | None, item_code: str, item_name: str, status: str, channel: str,
                org_unit_key: str, applicant_name: str, submitted_at: datetime, promised_due: date | None,
                legal_due: date | None, due_provisional: bool) -> dict[str, Any]:
    return {
        "id": str(public_id), "reference": case_reference(number, public_id), "number": number,
        "item_code": item_code, "item_name": item_name, "status": status,
        "status_label": _STATUS_LABELS.get(status, status), "channel": channel, "org_unit": org_unit_key,
        "applicant_name": applicant_name, "submitted_at": submitted_at.isoformat(),
        "promised_due": promised_due, "legal_due": legal_due, "due_provisional": due_provisional,
    }


def _summary(case: Case) -> dict[str, Any]:
    return _summary_of(case.public_id, case.number, case.item.code, case.item.name, case.status, case.channel,
                       case.org_unit.key, case.applicant_name, case.submitted_at, case.promised_due, case.legal_due,
                       case.due_provisional)


def _detail(read: selectors.CaseRead, user: Any) -> dict[str, Any]:
    case = read.case
    return {
        **_summary(case),
        "catalog_version": case.item.version.number, "result": case.result, "result_text": case.result_text,
        "materials": [
            {"material_id": m.material_id, "position": m.position, "text": m.text, "conditional": m.conditional,
             "original_received": m.original_received, "copy_received": m.copy_received,
             "not_applicable": m.not_applicable, "received": m.received}
            for m in read.materials
        ],
        "steps": [
            {"position": s.position, "key": s.key, "name": s.name, "kind": s.kind, "level": s.level, "role": s.role,
             "status": s.status, "outcome": s.outcome, "due": s.due, "event": s.event}
            for s in read.steps
        ],
        "notices": [
            {"number": n.number, "kind": n.kind, "kind_label": n.get_kind_display(),
             "issued_at": n.issued_at.isoformat(), "content": n.content}
            for n in read.notices
        ],
        "events": [
            {"at": e.at.isoformat(), "actor": e.actor, "action": e.action, "status_after": e.status_after,
             "detail": e.detail}
            for e in read.events
        ],
        "actions": services.available_actions(case=case, user=user, steps=read.steps),
    }


def _after(case: Case, user: Any) -> dict[str, Any]:
    """The detail returned by an action: the case as it is now."""
    return _detail(selectors.case_read_after_write(case), user)


def _checks(items: list[MaterialCheckIn]) -> dict[int, MaterialCheck]:
    return {
        m.material_id: MaterialCheck(original=m.original, copy=m.copy_, not_applicable=m.not_applicable, note=m.note)
        for m in items
    }


def _org_unit(key: str) -> OrgUnit:
    unit = OrgUnit.objects.filter(key=key).first()
    if unit is None:
        raise NotFound(f"受理机构“{key}”不存在", field="org_unit")
    return unit


@router.post("/cases", auth=api_auth(access.CASE_SUBMIT), response={201: CaseOut, **ERRORS}, summary="提交申请（网上申请或窗口代为申请）")
def create_case(request: HttpRequest, payload: CaseIn) -> Status:
    case = services.case_submit(
        item_code=payload.item_code, channel=payload.channel, org_unit=_org_unit(payload.org_unit),
        submitted_by=request.user, applicant_type=payload.applicant_type, applicant_name=payload.applicant_name,
        applicant_id_number=payload.applicant_id_number, applicant_credit_code=payload.applicant_credit_code,
        applicant_phone=payload.applicant_phone, agent_name=payload.agent_name,
        agent_id_number=payload.agent_id_number,
        idempotency_key=request.headers.get("Idempotency-Key", "") or payload.idempotency_key,
        materials=_checks(payload.materials), note=payload.note,
    )
    return Status(201, _after(case, request.user))


class CaseFilters(Schema):
    status: str = Field("", max_length=12)
    item: str = Field("", max_length=20)
    q: str = Field("", max_length=60)
    open: bool = False


@router.get("/cases", auth=api_auth(access.SIGNED_IN), response={200: list[CaseSummaryOut], **ERRORS}, summary="我可见的办件")
@paginate(LimitOffsetPagination)
def list_cases(request: HttpRequest, filters: Query[CaseFilters]) -> Any:
    return Paged(selectors.CaseSummaries(user=request.user, status=filters.status, item_code=filters.item,
                                         q=filters.q, open_only=filters.open), lambda row: _summary_of(*row))


class TrackQuery(Schema):
    number: str = Field(..., max_length=24, description="办件编号")
    id_tail: str = Field(..., min_length=6, max_length=6, description="申请人证件号码后六位")


@router.get("/cases/track", auth=api_auth(access.PUBLIC), response={200: CaseSummaryOut, **ERRORS},
            summary="凭办件编号和证件号后六位查询进度")
def track_case(request: HttpRequest, query: Query[TrackQuery]) -> dict[str, Any]:
    summary = _summary(selectors.case_track(number=query.number, id_tail=query.id_tail))
    # Anyone holding the two numbers may look; they see the name masked.
    summary["applicant_name"] = summary["applicant_name"][:1] + "*" * max(len(summary["applicant_name"]) - 1, 0)
    return summary


@router.get("/cases/{case_id}", auth=api_auth(access.SIGNED_IN), response={200: CaseOut, **ERRORS}, summary="办件详情")
def get_case(request: HttpRequest, case_id: str) -> dict[str, Any]:
    return _detail(selectors.case_read(user=request.user, public_id=case_id), request.user)


class MaterialsIn(Schema):
    materials: list[MaterialCheckIn]


class CaseNoteIn(Schema):
    note: str = Field("", max_length=2000)


class ReasonIn(Schema):
    reason: str = Field("", max_length=2000)


class RefuseIn(Schema):
    reasons: str = Field(..., max_length=2000)


class StepIn(Schema):
    outcome: Literal["pass", "return", "fail"]
    note: str = Field("", max_length=2000)


class EventIn(Schema):
    event: str = Field(..., max_length=40)
    on: date | None = None
    note: str = Field("", max_length=2000)


class RateIn(Schema):
    score: int = Field(..., ge=1, le=5)
    comment: str = Field("", max_length=2000)


def _case(request: HttpRequest, case_id: str) -> Case:
    return selectors.case_get(user=request.user, public_id=case_id)


@router.post("/cases/{case_id}/materials", auth=api_auth(access.CASE_WINDOW), response={200: CaseOut, **ERRORS}, summary="核对材料")
def check_materials(request: HttpRequest, case_id: str, payload: MaterialsIn) -> dict[str, Any]:
    case = services.case_check_materials(case=_case(request, case_id), actor=request.user,
                                         checks=_checks(payload.materials))
    return _after(case, request.user)


@router.post("/cases/{case_id}/notify-incomplete", auth=api_auth(access.CASE_WINDOW), response={200: CaseOut, **ERRORS}, summary="一次性告知")
def notify_incomplete(request: HttpRequest, case_id: str, payload: CaseNoteIn) -> dict[str, Any]:
    case = _case(request, case_id)
    services.case_notify_incomplete(case=case, actor=request.user, note=payload.note)
    return _after(_case(request, case_id), request.user)


@router.post("/cases/{case_id}/supplement", auth=api_auth(access.CASE_WINDOW_OR_APPLICANT), response={200: CaseOut, **ERRORS}, summary="补正材料")
def supplement(request: HttpRequest, case_id: str, payload: MaterialsIn) -> dict[str, Any]:
    case = services.case_supplement(case=_case(request, case_id), actor=request.user,
                                    checks=_checks(payload.materials))
    return _after(case, request.user)


@router.post("/cases/{case_id}/accept", auth=api_auth(access.CASE_WINDOW), response={200: CaseOut, **ERRORS}, summary="受理")
def accept(request: HttpRequest, case_id: str) -> dict[str, Any]:
    services.case_accept(case=_case(request, case_id), actor=request.user)
    return _after(_case(request, case_id), request.user)


@router.post("/cases/{case_id}/refuse", auth=api_auth(access.CASE_WINDOW), response={200: CaseOut, **ERRORS}, summary="不予受理")
def refuse(request: HttpRequest, case_id: str, payload: RefuseIn) -> dict[str, Any]:
    services.case_refuse(case=_case(request, case_id), actor=request.user, reasons=payload.reasons)
    return _after(_case(request, case_id), request.user)


@router.post("/cases/{case_id}/complete-step", auth=api_auth(access.CASE_STEP), response={200: CaseOut, **ERRORS}, summary="办理当前环节")
def complete_step(request: HttpRequest, case_id: str, payload: StepIn) -> dict[str, Any]:
    case = services.case_step_complete(case=_case(request, case_id), actor=request.user, outcome=payload.outcome,
                                       note=payload.note)
    return _after(case, request.user)


@router.post("/cases/{case_id}/record-event", auth=api_auth(access.CASE_STEP), response={200: CaseOut, **ERRORS}, summary="登记外部事项")
def record_event(request: HttpRequest, case_id: str, payload: EventIn) -> dict[str, Any]:
    case = services.case_record_event(case=_case(request, case_id), actor=request.user, event=payload.event,
                                      on=payload.on, note=payload.note)
    return _after(case, request.user)


@router.post("/cases/{case_id}/suspend", auth=api_auth(access.CASE_CLOCK), response={200: CaseOut, **ERRORS}, summary="中止")
def suspend(request: HttpRequest, case_id: str, payload: ReasonIn) -> dict[str, Any]:
    case = services.case_suspend(case=_case(request, case_id), actor=request.user, reason=payload.reason)
    return _after(case, request.user)


@router.post("/cases/{case_id}/resume", auth=api_auth(access.CASE_CLOCK), response={200: CaseOut, **ERRORS}, summary="恢复办理")
def resume(request: HttpRequest, case_id: str, payload: ReasonIn) -> dict[str, Any]:
    case = services.case_resume(case=_case(request, case_id), actor=request.user, reason=payload.reason)
    return _after(case, request.user)


@router.post("/cases/{case_id}/withdraw", auth=api_auth(access.CASE_WINDOW_OR_APPLICANT), response={200: CaseOut, **ERRORS}, summary="撤回")
def withdraw(request: HttpRequest, case_id: str, payload: ReasonIn) -> dict[str, Any]:
    case = services.case_withdraw(case=_case(request, case_id), actor=request.user, reason=payload.reason)
    return _after(case, request.user)


@router.post("/cases/{case_id}/rate", auth=api_auth(access.CASE_RATE), response={200: CaseOut, **ERRORS}, summary="好差评")
def rate(request: HttpRequest, case_id: str, payload: RateIn) -> dict[str, Any]:
    case = _case(request, case_id)
    services.case_rate(case=case, actor=request.user, score=payload.score, comment=payload.comment)
    return _after(_case(request, case_id), request.user)
