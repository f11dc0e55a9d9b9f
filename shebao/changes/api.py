"""``/api/v1/changes/…`` (staff: proposals) and ``/api/v1/versions/…`` (public: history, diffs,
exports of any published version)."""

# No `from __future__ import annotations`: django-ninja reads the annotations at import time.

from datetime import date, datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from shebao.catalog.export import export_json, export_jsonld
from shebao.core import access
from shebao.core.access import api_auth

from . import selectors, services
from .models import ChangeProposal

router = Router(tags=["changes"], auth=access.UNDECLARED)


class ErrorOut(Schema):
    error: str
    message: str
    field: str | None = None


ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class ProposalIn(Schema):
    kind: Literal["item_change", "new_item", "retire_item"]
    item_code: str = Field(..., max_length=20, description="业务编号（新增事项为新编号）")
    content: dict[str, Any] = Field(default_factory=dict, description="要修改的字段（见 docs/changes.md）")
    flow_definition: dict[str, Any] | None = Field(None, description="办理环节定义（flows.yaml 条目格式）")
    reason: str = Field(..., min_length=1, max_length=4000)
    effective_date: date
    submit: bool = False


class ProposalRevisionIn(Schema):
    content: dict[str, Any] | None = None
    flow_definition: dict[str, Any] | None = None
    keep_flow_definition: bool = Field(True, description="false 且 flow_definition 为空时，撤销流程修改")
    reason: str | None = Field(None, max_length=4000)
    effective_date: date | None = None


class ActionIn(Schema):
    comment: str = Field("", max_length=4000, description="审核意见（退回时必填）或撤回理由")
    other: int | None = Field(None, description="merge：并入的另一份提案 id")
    lock_version: int | None = Field(None, description="读取时的 lock_version；不一致时返回 409")


class ConflictOut(Schema):
    kind: str
    message: str
    other_id: int | None
    codes: list[str]


class EventOut(Schema):
    at: datetime
    actor: str
    unit: str
    action: str
    action_label: str
    status_before: str
    status_after: str
    comment: str


class ProposalSummaryOut(Schema):
    id: int
    reference: str
    kind: str
    kind_label: str
    status: str
    status_label: str
    source: str
    item_code: str
    title: str
    base_version: int
    effective_date: date
    published_version: int | None
    proposer: str
    updated_at: datetime


class ProposalOut(ProposalSummaryOut):
    reason: str
    content: dict[str, Any]
    flow_definition: dict[str, Any] | None
    diff: list[dict[str, Any]]
    review_comment: str
    reviewer: str
    reviewed_at: datetime | None
    publisher: str
    published_at: datetime | None
    lock_version: int
    conflicts: list[ConflictOut]
    actions: list[str]
    events: list[EventOut]


class VersionOut(Schema):
    number: int
    state: str
    state_label: str
    effective_from: date
    published_at: datetime | None
    doc_number: str
    title: str
    proposals: list[str]
    changes: dict[str, int]


def _summary(p: ChangeProposal) -> dict[str, Any]:
    return {
        "id": p.pk, "reference": p.reference, "kind": p.kind, "kind_label": p.get_kind_display(), "status": p.status,
        "status_label": p.get_status_display(), "source": p.source, "item_code": p.item_code, "title": p.title,
        "base_version": p.base_version.number, "effective_date": p.effective_date,
        "published_version": p.published_version.number if p.published_version else None,
        "proposer": p.proposer_name, "updated_at": p.updated_at,
    }


def _detail(p: ChangeProposal, user: Any) -> dict[str, Any]:
    return {
        **_summary(p), "reason": p.reason, "content": p.content, "flow_definition": p.flow_definition, "diff": p.diff,
        "review_comment": p.review_comment, "reviewer": p.reviewer_name, "reviewed_at": p.reviewed_at,
        "publisher": p.publisher_name, "published_at": p.published_at, "lock_version": p.lock_version,
        "conflicts": [{"kind": c.kind, "message": c.message, "other_id": c.other_id, "codes": list(c.codes)}
                      for c in selectors.proposal_conflict_list(p)],
        "actions": selectors.proposal_actions(proposal=p, user=user),
        "events": [{"at": e.at, "actor": e.actor_name, "unit": e.actor_unit, "action": e.action,
                    "action_label": e.action_label, "status_before": e.status_before, "status_after": e.status_after,
                    "comment": e.comment} for e in p.events.all()],
    }


@router.get("/changes/proposals", auth=api_auth(access.CHANGE_READERS), response={200: list[ProposalSummaryOut], **ERRORS}, summary="指南变更提案列表")
def list_proposals(
    request: HttpRequest, status: str = Query("", max_length=12), kind: str = Query("", max_length=16),
    q: str = Query("", max_length=40),
) -> list[dict[str, Any]]:
    return [_summary(p) for p in selectors.proposal_list(user=request.user, status=status, kind=kind, q=q)]


@router.post("/changes/proposals", auth=api_auth(access.CHANGE_PROPOSERS), response={201: ProposalOut, **ERRORS}, summary="起草指南变更提案")
def create_proposal(request: HttpRequest, payload: ProposalIn) -> Status:
    proposal = services.proposal_propose(
        actor=request.user,
        kind=payload.kind, item_code=payload.item_code, content=payload.content,
        flow_definition=payload.flow_definition, reason=payload.reason, effective_date=payload.effective_date,
        submit=payload.submit,
    )
    return Status(201, _detail(selectors.proposal_get(pk=proposal.pk, user=request.user), request.user))


@router.get("/changes/proposals/{proposal_id}", auth=api_auth(access.CHANGE_READERS), response={200: ProposalOut, **ERRORS}, summary="提案详情（含差异与冲突）")
def get_proposal(request: HttpRequest, proposal_id: int) -> dict[str, Any]:
    return _detail(selectors.proposal_get(pk=proposal_id, user=request.user), request.user)


@router.put("/changes/proposals/{proposal_id}", auth=api_auth(access.CHANGE_PROPOSERS), response={200: ProposalOut, **ERRORS}, summary="修订提案")
def revise_proposal(request: HttpRequest, proposal_id: int, payload: ProposalRevisionIn) -> dict[str, Any]:
    proposal = selectors.proposal_get(pk=proposal_id, user=request.user)
    extra: dict[str, Any] = {}
    if payload.flow_definition is not None or not payload.keep_flow_definition:
        extra["flow_definition"] = payload.flow_definition
    services.proposal_revise(
        proposal=proposal, actor=request.user,
        content=payload.content, reason=payload.reason, effective_date=payload.effective_date, **extra,
    )
    return _detail(selectors.proposal_get(pk=proposal_id, user=request.user), request.user)


@router.post(
    "/changes/proposals/{proposal_id}/{action}", auth=api_auth(access.CHANGE_ACTORS), response={200: ProposalOut, **ERRORS},
    summary="提交 / 退回 / 审核通过 / 发布 / 撤回 / 更新到现行版本 / 合并",
)
def act_on_proposal(
    request: HttpRequest, proposal_id: int,
    action: Literal["submit", "return", "approve", "publish", "withdraw", "rebase", "merge"], payload: ActionIn,
) -> dict[str, Any]:
    proposal = selectors.proposal_get(pk=proposal_id, user=request.user)
    if payload.lock_version is not None:
        proposal.lock_version = payload.lock_version
    actor: Any = request.user
    if action == "submit":
        services.proposal_submit(proposal=proposal, actor=actor)
    elif action == "return":
        services.proposal_return(proposal=proposal, actor=actor, comment=payload.comment)
    elif action == "approve":
        services.proposal_approve(proposal=proposal, actor=actor, comment=payload.comment)
    elif action == "publish":
        services.proposal_publish(proposal=proposal, actor=actor)
    elif action == "withdraw":
        services.proposal_withdraw(proposal=proposal, actor=actor, reason=payload.comment)
    elif action == "rebase":
        services.proposal_rebase(proposal=proposal, actor=actor)
    else:
        other = selectors.proposal_get(pk=payload.other or 0, user=request.user)
        services.proposal_merge(proposal=proposal, other=other, actor=actor)
    return _detail(selectors.proposal_get(pk=proposal_id, user=request.user), request.user)


# --------------------------------------------------------------------------- public


def _version_out(entry: selectors.VersionEntry) -> dict[str, Any]:
    v = entry.version
    return {"number": v.number, "state": entry.state, "state_label": entry.state_label,
            "effective_from": v.effective_from, "published_at": v.published_at, "doc_number": v.doc_number,
            "title": v.title, "proposals": [p.reference for p in entry.proposals], "changes": entry.counts}


@router.get("/versions", auth=api_auth(access.PUBLIC), response={200: list[VersionOut]}, summary="清单版本历史（变更公告）")
def list_versions(request: HttpRequest) -> list[dict[str, Any]]:
    return [_version_out(entry) for entry in selectors.changelog()]


@router.get("/versions/{number}/diff", auth=api_auth(access.PUBLIC), response={200: list[dict[str, Any]], 404: ErrorOut, 422: ErrorOut},
            summary="两个版本之间的逐项差异（默认与上一版比较）")
def version_diff(request: HttpRequest, number: int, since: int | None = Query(None, alias="from", ge=1)) -> Any:
    version = selectors.version_get(number=number)
    base = selectors.version_get(number=since) if since else selectors.previous_version(version)
    return [d.as_dict() for d in selectors.version_diff(version=version, since=base)]


@router.get("/versions/{number}/export", auth=api_auth(access.PUBLIC), response={200: Any, 404: ErrorOut, 422: ErrorOut},
            summary="某一已发布版本的清单导出（json 或 jsonld）")
def version_export(request: HttpRequest, number: int, format: Literal["json", "jsonld"] = "json") -> Any:
    version = selectors.version_get(number=number)
    return export_json(version) if format == "json" else export_jsonld(version)
