"""``/api/v1/supervision/…``: the dashboard figures, drill-down lists, findings and 督办单.

Session (web) or bearer-token auth. Figures, lists and findings: supervisors and administrators;
orders: supervisors, and the staff of the office an order is addressed to.
"""

# No `from __future__ import annotations`: @paginate re-reads the annotations in its own module.

from datetime import date
from typing import Any, Literal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import LimitOffsetPagination, paginate

from shebao.accounts.models import OrgUnit
from shebao.cases.selectors import case_get
from shebao.core import access
from shebao.core.access import api_auth
from shebao.core.errors import NotFound
from shebao.core.paging import Paged

from . import selectors, services
from .facts import facts_catch_up
from .models import Finding, SupervisionOrder
from .selectors import Row

router = Router(tags=["supervision"], auth=access.UNDECLARED)


class ErrorOut(Schema):
    error: str
    message: str
    field: str | None = None


ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class PeriodQuery(Schema):
    date_from: date | None = Field(None, alias="from", description="开始日期（默认本月1日）")
    date_to: date | None = Field(None, alias="to", description="结束日期（默认今天）")
    office: str = Field("", max_length=60, description="机构 key（含下属窗口）")
    item: str = Field("", max_length=20, description="业务编号")


class SummaryQuery(PeriodQuery):
    dim: Literal["office", "item", "officer"] = "office"


class CasesQuery(PeriodQuery):
    metric: str = Field("received", max_length=20, description="统计口径：received、completed、overdue …")
    dim: Literal["", "office", "item", "officer"] = ""
    key: str = Field("", max_length=60, description="该维度下的行：机构 id、业务编号、承办人 id 或 none")


class FindingsQuery(PeriodQuery):
    kind: str = Field("", max_length=20)


class RowOut(Schema):
    key: Any = None
    label: str
    sub: str = ""
    received: int
    accepted: int
    refused: int
    completed: int
    promised_on_time: int
    promised_base: int
    promised_rate: float | None
    legal_on_time: int
    legal_base: int
    legal_rate: float | None
    overdue_now: int
    yellow_now: int
    avg_handling_working_days: float | None
    p90_handling_working_days: int | None
    incomplete_notice: int
    incomplete_notice_share: float | None
    ratings: dict[str, int]
    rating_avg: float | None
    good_share: float | None


class SummaryOut(Schema):
    date_from: date
    date_to: date
    dim: str
    totals: RowOut
    rows: list[RowOut]


class TrendPointOut(Schema):
    label: str
    start: date
    end: date
    received: int
    completed: int
    promised_on_time: int
    promised_rate: float | None


class TrendOut(Schema):
    grain: str
    points: list[TrendPointOut]


class FactOut(Schema):
    case_id: str
    reference: str
    item_code: str
    item_name: str
    office: str
    officer: str | None
    status: str
    warning: str
    received_on: date
    accepted_on: date | None
    closed_on: date | None
    promised_due: date | None
    legal_due: date | None
    handling_working_days: int | None
    on_time_promised: bool | None
    on_time_legal: bool | None


class FindingOut(Schema):
    id: int
    kind: str
    kind_label: str
    case_reference: str
    office: str
    item_code: str
    detail: str
    occurred_on: date


class OrderIn(Schema):
    case_id: str | None = Field(None, description="办件 id（办件督办）")
    office: str | None = Field(None, max_length=60, description="机构 key（机构督办）")
    finding_id: int | None = None
    subject: str = Field(..., min_length=1, max_length=120)
    demand: str = Field(..., min_length=1, max_length=4000)
    reply_days: int = Field(3, ge=1, le=30, description="回复期限（工作日）")


class ReplyIn(Schema):
    reply: str = Field(..., min_length=1, max_length=4000)


class NoteIn(Schema):
    note: str = Field("", max_length=2000)


class OrderEventOut(Schema):
    at: str
    actor: str
    action: str
    detail: dict[str, Any]


class OrderOut(Schema):
    number: str
    level: int
    level_label: str
    status: str
    status_label: str
    office: str
    case_reference: str | None
    subject: str
    demand: str
    reply_days: int
    reply_due: date
    overdue: bool
    issued_at: str
    reply: str
    replied_at: str | None
    replied_late: bool
    closed_at: str | None
    events: list[OrderEventOut] = []


def _catch_up() -> None:
    facts_catch_up()  # the case services leave the read model to its readers (facts.py)


def _filters(query: PeriodQuery) -> selectors.Filters:
    return selectors.parse_filters({
        "from": query.date_from.isoformat() if query.date_from else "",
        "to": query.date_to.isoformat() if query.date_to else "",
        "office": query.office, "item": query.item,
    })


def _row(row: Row) -> dict[str, Any]:
    return {
        "key": row.key, "label": row.label, "sub": row.sub, "received": row.received, "accepted": row.accepted,
        "refused": row.refused, "completed": row.completed, "promised_on_time": row.promised_ok,
        "promised_base": row.promised_base, "promised_rate": row.promised_rate, "legal_on_time": row.legal_ok,
        "legal_base": row.legal_base, "legal_rate": row.legal_rate, "overdue_now": row.overdue,
        "yellow_now": row.yellow, "avg_handling_working_days": row.avg_wd, "p90_handling_working_days": row.p90_wd,
        "incomplete_notice": row.incomplete, "incomplete_notice_share": row.incomplete_share,
        "ratings": {str(i + 1): n for i, n in enumerate(row.ratings)}, "rating_avg": row.rating_avg,
        "good_share": row.good_share,
    }


@router.get("/supervision/summary", auth=api_auth(access.SUPERVISION_READERS), response={200: SummaryOut, **ERRORS}, summary="督办统计（按机构/事项/承办人）")
def summary(request: HttpRequest, query: Query[SummaryQuery]) -> dict[str, Any]:
    _catch_up()
    filters = _filters(query)
    totals, rows = selectors.summary(filters, dim=query.dim)
    return {"date_from": filters.date_from, "date_to": filters.date_to, "dim": query.dim,
            "totals": _row(totals), "rows": [_row(r) for r in rows]}


@router.get("/supervision/trend", auth=api_auth(access.SUPERVISION_READERS), response={200: TrendOut, **ERRORS}, summary="收件与办结趋势")
def trend(request: HttpRequest, query: Query[PeriodQuery]) -> dict[str, Any]:
    _catch_up()
    grain, points = selectors.trend(_filters(query))
    return {"grain": grain, "points": [
        {"label": p.label, "start": p.start, "end": p.end, "received": p.received, "completed": p.completed,
         "promised_on_time": p.on_time, "promised_rate": p.rate} for p in points]}


@router.get("/supervision/cases", auth=api_auth(access.SUPERVISION_READERS), response={200: list[FactOut], **ERRORS}, summary="统计数字背后的办件（下钻）")
@paginate(LimitOffsetPagination)
def cases(request: HttpRequest, query: Query[CasesQuery]) -> Paged:
    _catch_up()
    facts = selectors.drill_down(_filters(query), metric=query.metric, dim=query.dim, key=query.key)
    return Paged(facts, lambda f: {
        "case_id": str(f.case.public_id), "reference": f.case.reference, "item_code": f.item_code,
        "item_name": f.item_name, "office": f.office.name, "officer": f.officer.username if f.officer else None,
        "status": f.status, "warning": f.warning, "received_on": f.received_on, "accepted_on": f.accepted_on,
        "closed_on": f.closed_on, "promised_due": f.promised_due, "legal_due": f.legal_due,
        "handling_working_days": f.handling_wd, "on_time_promised": f.on_time_promised,
        "on_time_legal": f.on_time_legal})


@router.get("/supervision/findings", auth=api_auth(access.SUPERVISION_READERS), response={200: list[FindingOut], **ERRORS}, summary="合规检查发现的问题")
@paginate(LimitOffsetPagination)
def findings(request: HttpRequest, query: Query[FindingsQuery]) -> Paged:
    _catch_up()
    return Paged(selectors.finding_list(_filters(query), kind=query.kind), lambda f: {
        "id": f.pk, "kind": f.kind, "kind_label": f.get_kind_display(), "case_reference": f.case.reference,
        "office": f.office.name, "item_code": f.item_code, "detail": f.detail, "occurred_on": f.found_on})


def _order(order: SupervisionOrder, *, events: bool = False) -> dict[str, Any]:
    return {
        "number": order.number, "level": order.level, "level_label": order.get_level_display(),
        "status": order.status, "status_label": order.get_status_display(), "office": order.office.name,
        "case_reference": order.case.reference if order.case else None, "subject": order.subject,
        "demand": order.demand, "reply_days": order.reply_days, "reply_due": order.reply_due,
        "overdue": order.status == "issued" and order.reply_due < timezone.localdate(),
        "issued_at": order.issued_at.isoformat(), "reply": order.reply,
        "replied_at": order.replied_at.isoformat() if order.replied_at else None,
        "replied_late": order.replied_late, "closed_at": order.closed_at.isoformat() if order.closed_at else None,
        "events": [{"at": e.at.isoformat(), "actor": e.actor, "action": e.action, "detail": e.detail}
                   for e in order.events.all()] if events else [],
    }


@router.get("/supervision/orders", auth=api_auth(access.SUPERVISION_ORDERS), response={200: list[OrderOut], **ERRORS}, summary="督办单（我可见的）")
@paginate(LimitOffsetPagination)
def list_orders(request: HttpRequest, status: str = "", overdue: bool = False) -> Paged:
    return Paged(selectors.order_list(user=request.user, status=status, overdue_only=overdue), _order)


@router.post("/supervision/orders", auth=api_auth(access.SUPERVISION_ISSUERS), response={201: OrderOut, **ERRORS}, summary="签发督办单（督办人员）")
def create_order(request: HttpRequest, payload: OrderIn) -> Status:
    case = case_get(user=request.user, public_id=payload.case_id) if payload.case_id else None
    office = None
    if payload.office:
        office = OrgUnit.objects.filter(key=payload.office).first()
        if office is None:
            raise NotFound(f"机构“{payload.office}”不存在", field="office")
    finding = None
    if payload.finding_id is not None:
        finding = Finding.objects.filter(pk=payload.finding_id).first()
        if finding is None:
            raise NotFound("合规问题不存在", field="finding_id")
    order = services.order_issue(actor=request.user, subject=payload.subject, demand=payload.demand,
                                 reply_days=payload.reply_days, case=case, office=office, finding=finding)
    return Status(201, _order(order, events=True))


@router.get("/supervision/orders/{number}", auth=api_auth(access.SUPERVISION_ORDERS), response={200: OrderOut, **ERRORS}, summary="督办单详情")
def get_order(request: HttpRequest, number: str) -> dict[str, Any]:
    return _order(selectors.order_get(user=request.user, number=number), events=True)


@router.post("/supervision/orders/{number}/reply", auth=api_auth(access.SUPERVISION_ORDERS), response={200: OrderOut, **ERRORS}, summary="回复督办单（责任机构）")
def reply_order(request: HttpRequest, number: str, payload: ReplyIn) -> dict[str, Any]:
    order = services.order_reply(order=selectors.order_get(user=request.user, number=number), actor=request.user,
                                 reply=payload.reply)
    return _order(order, events=True)


@router.post("/supervision/orders/{number}/return", auth=api_auth(access.SUPERVISION_ISSUERS), response={200: OrderOut, **ERRORS}, summary="退回回复（督办人员）")
def return_order(request: HttpRequest, number: str, payload: NoteIn) -> dict[str, Any]:
    order = services.order_return(order=selectors.order_get(user=request.user, number=number), actor=request.user,
                                  note=payload.note)
    return _order(order, events=True)


@router.post("/supervision/orders/{number}/close", auth=api_auth(access.SUPERVISION_ISSUERS), response={200: OrderOut, **ERRORS}, summary="办结销号（督办人员）")
def close_order(request: HttpRequest, number: str, payload: NoteIn) -> dict[str, Any]:
    order = services.order_close(order=selectors.order_get(user=request.user, number=number), actor=request.user,
                                 note=payload.note)
    return _order(order, events=True)
