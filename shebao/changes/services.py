"""Every change to a guide change proposal, and publication as a new catalog version.

propose → submit → (return → revise → submit)* → approve → publish; withdraw at any open stage.
Each function is keyword-only, runs in one transaction, checks who may act, moves the status
with a compare-and-set (``lock_version``), and records a ``ProposalEvent`` plus an audit event.

Publication writes a new published ``CatalogVersion``: the newest published version's items
with the proposal applied (item_change / new_item / retire_item), or the imported draft
(edition). Its ``effective_from`` is the proposal's effective date, so the version in force
(``catalog_version_in_force``) switches on that day without a scheduler. Earlier versions
stay as they are: cases point at the items of the version they were accepted under.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.models import User as AuthUser
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone

from shebao.accounts.selectors import user_display_name, user_org_unit
from shebao.catalog.flows import FlowDataError, flow_definition_default, flow_from_definition
from shebao.catalog.models import CatalogVersion, ItemFlow, ServiceItem
from shebao.catalog.selectors import catalog_version_latest_published, normalize_item_code
from shebao.catalog.services import (
    catalog_directory_sync,
    catalog_items_write,
    items_content_hash,
    version_items_as_dicts,
)
from shebao.core.audit import audit_record
from shebao.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed

from . import content as content_mod
from .diff import catalog_diff, item_diff
from .models import (
    ACTION_LABELS,
    EDITABLE_STATUSES,
    IN_REVIEW_STATUSES,
    OPEN_STATUSES,
    ChangeProposal,
    ProposalEvent,
    ProposalKind,
    ProposalSource,
    ProposalStatus,
)
from .permissions import PUBLISHING_UNIT_NAMES, can_propose, can_publish, can_review

User = AuthUser | AnonymousUser
_UNSET: Any = object()
MAX_REASON = 4000


# --------------------------------------------------------------------------- helpers


def _username(actor: User | str | None) -> str:
    if actor is None:
        return "system"
    if isinstance(actor, str):
        return actor
    return str(getattr(actor, "username", "")) or "anonymous"


def _who(actor: User | str | None) -> tuple[AuthUser | None, str, str]:
    """The user row (if a person), the name to show, and the unit's name."""
    if isinstance(actor, AuthUser):
        unit = user_org_unit(actor)
        return actor, user_display_name(actor) or actor.username, unit.name if unit else ""
    return None, _username(actor), ""


def _record(
    proposal: ChangeProposal, *, actor: User | str | None, action: str, before: str, comment: str = "",
    detail: Mapping[str, Any] | None = None,
) -> None:
    user, name, unit = _who(actor)
    ProposalEvent.objects.create(
        proposal=proposal, at=timezone.now(), actor=user, actor_name=name, actor_unit=unit, action=action,
        status_before=before, status_after=proposal.status, comment=comment, detail=dict(detail or {}),
    )
    audit_record(
        actor=_username(actor), action=f"change.{action}", object_type="change_proposal",
        object_id=proposal.reference,
        payload={"kind": proposal.kind, "item": proposal.item_code, "status_before": before,
                 "status_after": proposal.status, "comment": comment, **(detail or {})},
    )


def _transition(
    proposal: ChangeProposal, *, actor: User | str | None, action: str, allowed: tuple[str, ...], to: str,
    comment: str = "", detail: Mapping[str, Any] | None = None, **fields: Any,
) -> ChangeProposal:
    """Compare-and-set the status; Conflict if someone else moved the proposal meanwhile."""
    _require_status(proposal, allowed, action)
    before = proposal.status
    updated = ChangeProposal.objects.filter(
        pk=proposal.pk, lock_version=proposal.lock_version, status__in=allowed
    ).update(status=to, lock_version=F("lock_version") + 1, updated_at=timezone.now(), **fields)
    if updated != 1:
        raise Conflict("提案已被他人处理，请刷新后重试", extra={"status": proposal.status})
    proposal.refresh_from_db()
    _record(proposal, actor=actor, action=action, before=before, comment=comment, detail=detail)
    return proposal


def _locked(proposal: ChangeProposal) -> ChangeProposal:
    """The proposal's row, locked for this transaction. Conflict if it changed since the caller
    read it (two reviewers on one proposal: the second is told to refresh)."""
    current = ChangeProposal.objects.select_for_update().filter(pk=proposal.pk).first()
    if current is None:
        raise NotFound(f"提案 {proposal.pk} 不存在", field="id")
    if proposal.lock_version != current.lock_version:
        raise Conflict("提案已被他人处理，请刷新后重试", extra={"status": current.status})
    return current


def _refreshed(proposal: ChangeProposal) -> ChangeProposal:
    proposal.refresh_from_db()
    return proposal


def _require_status(proposal: ChangeProposal, allowed: tuple[str, ...], action: str) -> None:
    if proposal.status not in allowed:
        raise Conflict(
            f"提案当前状态为“{proposal.get_status_display()}”，不能{ACTION_LABELS.get(action, action)}",
            extra={"status": proposal.status},
        )


def _require(check: bool, message: str) -> None:
    if not check:
        raise PermissionDenied(message)


def _reason(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationFailed("请填写变更理由", field="reason")
    if len(text) > MAX_REASON:
        raise ValidationFailed(f"变更理由不能超过 {MAX_REASON} 字", field="reason")
    return text


def _latest() -> CatalogVersion:
    version = catalog_version_latest_published()
    if version is None:
        raise Conflict("尚未发布事项清单，不能提出变更")
    return version


def dicts_for_codes(version: CatalogVersion, codes: list[str]) -> list[dict[str, Any]]:
    """Items of a version with the given codes, as dicts (build_items shape)."""
    return version_items_as_dicts(version, codes=codes)


def current_flow_definition(version: CatalogVersion, code: str) -> dict[str, Any] | None:
    """The flows.yaml-shaped entry defining the item's flow in ``version`` (None: no flow)."""
    row = ItemFlow.objects.filter(version=version, code=code).first()
    if row is not None:
        return dict(row.definition)
    return flow_definition_default(code)


def _check_flow(code: str, definition: Any) -> dict[str, Any]:
    if not isinstance(definition, dict):
        raise ValidationFailed("办理流程定义应为 YAML 映射（至少包含 pattern）", field="flow_definition")
    try:
        flow_from_definition(code, definition)
    except FlowDataError as exc:
        where = f"{exc.field}：" if exc.field else ""
        raise ValidationFailed(f"办理流程定义有误：{where}{exc.problem}", field="flow_definition") from exc
    # A plain JSON round trip: what is stored is exactly what was checked.
    result: dict[str, Any] = json.loads(json.dumps(definition, ensure_ascii=False))
    return result


def _sections(version: CatalogVersion) -> dict[str, str]:
    return {s.name: s.printed_name for s in version.sections.order_by("position")}


def _diff_for(proposal: ChangeProposal, *, base: CatalogVersion | None = None) -> list[dict[str, Any]]:
    """The proposal's item diffs against ``base`` (default: its base version), as dicts."""
    base = base or proposal.base_version
    if proposal.kind == ProposalKind.EDITION:
        draft = proposal.draft_version
        if draft is None:
            return list(proposal.diff)
        return [d.as_dict() for d in catalog_diff(version_items_as_dicts(base), version_items_as_dicts(draft))]
    before = next(iter(dicts_for_codes(base, [proposal.item_code])), None)
    if proposal.kind == ProposalKind.RETIRE_ITEM:
        diff = item_diff(before, None)
        return [diff.as_dict()] if diff else []
    after = dict(proposal.content)
    if proposal.flow_definition is not None:
        after["flow_definition"] = proposal.flow_definition
        if before is not None:
            before = {**before, "flow_definition": current_flow_definition(base, proposal.item_code)}
    diff = item_diff(before, after)
    return [diff.as_dict()] if diff else []


def touched_codes(proposal: ChangeProposal) -> set[str]:
    """The item codes a proposal adds, changes or retires."""
    if proposal.kind == ProposalKind.EDITION:
        return {str(d["code"]) for d in proposal.diff}
    return {proposal.item_code} if proposal.item_code else set()


# --------------------------------------------------------------------------- conflicts


@dataclass(frozen=True)
class ProposalConflict:
    kind: str  # overlap | stale | code_taken | item_missing | edition_stale
    message: str
    other_id: int | None = None
    codes: tuple[str, ...] = ()


def proposal_conflicts(proposal: ChangeProposal, *, lock: bool = False) -> list[ProposalConflict]:
    """What stands in the way of approving (and publishing) this proposal.

    * ``overlap``: another proposal under review or approved (not yet published) touches the
      same item. The two must be reconciled first: return or withdraw one, or merge one into
      the other.
    * ``stale``: the item was changed by a version published after this proposal's base; the
      editor brings the proposal up to date (``proposal_rebase``) and it is reviewed again.
    * ``code_taken`` / ``item_missing``: a new item whose code now exists; a change to an item
      that no longer exists.
    * ``edition_stale``: an imported edition whose base is no longer the newest version.
    """
    conflicts: list[ProposalConflict] = []
    codes = touched_codes(proposal)
    others = (
        ChangeProposal.objects.filter(status__in=IN_REVIEW_STATUSES).exclude(pk=proposal.pk)
        .defer("edition_text", "content")
    )
    if lock:
        others = others.select_for_update()
    for other in others.order_by("pk"):
        shared = sorted(codes & touched_codes(other))
        if shared:
            conflicts.append(ProposalConflict(
                "overlap",
                f"提案 {other.reference}（{other.get_status_display()}）也涉及 {'、'.join(shared[:5])}"
                f"{'等' if len(shared) > 5 else ''}，须先协调（退回或撤回其中一份，或合并）",
                other.pk, tuple(shared),
            ))
    latest = catalog_version_latest_published()
    if latest is None or proposal.status in (ProposalStatus.PUBLISHED, ProposalStatus.WITHDRAWN):
        return conflicts
    if proposal.kind == ProposalKind.EDITION:
        if proposal.base_version_id != latest.pk:
            conflicts.append(ProposalConflict(
                "edition_stale",
                f"导入后已发布第 {latest.number} 版，本差异不再以现行版本为基础；请撤回本提案并重新导入该文件",
            ))
        return conflicts
    code = proposal.item_code
    now_item = next(iter(dicts_for_codes(latest, [code])), None)
    if proposal.kind == ProposalKind.NEW_ITEM:
        if now_item is not None:
            conflicts.append(ProposalConflict(
                "code_taken", f"第 {latest.number} 版已有业务编号 {code} 的事项，请改用其他编号", codes=(code,)))
        return conflicts
    if now_item is None:
        conflicts.append(ProposalConflict(
            "item_missing", f"第 {latest.number} 版已没有事项 {code}，请撤回本提案", codes=(code,)))
        return conflicts
    if proposal.base_version_id != latest.pk:
        then_item = next(iter(dicts_for_codes(proposal.base_version, [code])), None)
        flow_moved = (
            proposal.flow_definition is not None
            and current_flow_definition(proposal.base_version, code) != current_flow_definition(latest, code)
        )
        if content_mod.comparable(then_item) != content_mod.comparable(now_item) or flow_moved:
            conflicts.append(ProposalConflict(
                "stale",
                f"提案起草后，第 {latest.number} 版已修改事项 {code}；请编辑人员“更新到现行版本”并核对后重新提交",
                codes=(code,),
            ))
    return conflicts


# --------------------------------------------------------------------------- propose, revise


def proposal_propose(
    *,
    actor: User,
    kind: str,
    item_code: str = "",
    content: Mapping[str, Any] | None = None,
    flow_definition: Mapping[str, Any] | None = None,
    reason: str,
    effective_date: date,
    submit: bool = False,
) -> ChangeProposal:
    """Draft a change to an item, a new item, or the retirement of an item.

    ``content`` holds the fields to change (``content.EDITABLE_FIELDS``; the rest stay as in
    the newest published version); for a new item it is the whole item. ``flow_definition`` is
    the item's new entry in the flows.yaml shape, or None to keep its flow."""
    _require(can_propose(actor), "只有清单编辑人员可以提出指南变更")
    if kind not in {ProposalKind.ITEM_CHANGE, ProposalKind.NEW_ITEM, ProposalKind.RETIRE_ITEM}:
        raise ValidationFailed("提案类型应为 item_change、new_item 或 retire_item（新版清单请用导入）", field="kind")
    reason = _reason(reason)
    latest = _latest()
    user, name, unit = _who(actor)
    with transaction.atomic():
        if kind == ProposalKind.NEW_ITEM:
            code = content_mod.check_code(item_code)
            if latest.items.filter(code=code).exists():
                raise ValidationFailed(f"第 {latest.number} 版已有业务编号 {code} 的事项", field="item_code")
            sections = _sections(latest)
            section = str((content or {}).get("section") or "")
            if section not in sections:
                raise ValidationFailed("请选择新事项所属的栏目", field="section")
            base_item = content_mod.blank_item(code=code, section=section, section_printed=sections[section])
            base_item["seq"] = content_mod.next_seq(version_items_as_dicts(latest))
            new_content = content_mod.build_content(dict(content or {}), base=base_item, sections=sections)
            title = f"新增事项：{new_content['name']}（{code}）"
        else:
            code = normalize_item_code(item_code)
            item = latest.items.filter(code=code).first()
            if item is None:
                raise ValidationFailed(f"第 {latest.number} 版没有业务编号为 {item_code[:30]} 的事项", field="item_code")
            if kind == ProposalKind.RETIRE_ITEM:
                new_content, title = {}, f"取消事项：{item.name}（{code}）"
            else:
                base_item = next(iter(dicts_for_codes(latest, [code])))
                new_content = content_mod.build_content(dict(content or {}), base=base_item, sections=_sections(latest))
                title = f"修改事项：{new_content['name']}（{code}）"
        flow = None
        if flow_definition is not None and kind != ProposalKind.RETIRE_ITEM:
            flow = _check_flow(code, dict(flow_definition))
            if flow == current_flow_definition(latest, code):
                flow = None
        proposal = ChangeProposal.objects.create(
            kind=kind, status=ProposalStatus.DRAFT, source=ProposalSource.EDITOR, item_code=code, title=title[:200],
            base_version=latest, content=new_content, flow_definition=flow, reason=reason,
            effective_date=effective_date, proposer=user, proposer_name=name, proposer_unit=unit,
        )
        proposal.diff = _diff_for(proposal)
        proposal.save(update_fields=["diff"])
        _record(proposal, actor=actor, action="proposed", before="",
                detail={"base_version": latest.number, "effective_date": effective_date.isoformat()})
    if submit:
        return proposal_submit(proposal=proposal, actor=actor)
    return proposal


def proposal_revise(
    *,
    proposal: ChangeProposal,
    actor: User,
    content: Mapping[str, Any] | None = None,
    flow_definition: Mapping[str, Any] | None = _UNSET,
    reason: str | None = None,
    effective_date: date | None = None,
) -> ChangeProposal:
    """Edit a draft or a returned proposal. ``content`` changes fields of the proposed item;
    ``flow_definition=None`` drops a proposed flow change; leave it out to keep it."""
    _require(can_propose(actor), "只有清单编辑人员可以修改提案")
    caller = proposal
    with transaction.atomic():
        proposal = _locked(caller)
        _require_status(proposal, EDITABLE_STATUSES, "revised")
        changed: list[str] = []
        if content is not None:
            if proposal.kind in (ProposalKind.RETIRE_ITEM, ProposalKind.EDITION):
                raise ValidationFailed("取消事项和新版清单提案没有可编辑的事项内容", field="content")
            raw = dict(content)
            new_content = content_mod.build_content(
                raw, base=dict(proposal.content), sections=_sections(proposal.base_version))
            if new_content != proposal.content:
                proposal.content = new_content
                changed.append("content")
                if proposal.kind == ProposalKind.NEW_ITEM:
                    proposal.title = f"新增事项：{new_content['name']}（{proposal.item_code}）"[:200]
                else:
                    proposal.title = f"修改事项：{new_content['name']}（{proposal.item_code}）"[:200]
        if flow_definition is not _UNSET:
            if proposal.kind in (ProposalKind.RETIRE_ITEM, ProposalKind.EDITION) and flow_definition is not None:
                raise ValidationFailed("取消事项和新版清单提案不能修改办理流程", field="flow_definition")
            flow = None if flow_definition is None else _check_flow(proposal.item_code, dict(flow_definition))
            if flow is not None and flow == current_flow_definition(proposal.base_version, proposal.item_code):
                flow = None
            if flow != proposal.flow_definition:
                proposal.flow_definition = flow
                changed.append("flow_definition")
        if reason is not None and _reason(reason) != proposal.reason:
            proposal.reason = _reason(reason)
            changed.append("reason")
        if effective_date is not None and effective_date != proposal.effective_date:
            proposal.effective_date = effective_date
            changed.append("effective_date")
        if not changed:
            return caller
        proposal.revision += 1
        proposal.diff = _diff_for(proposal)
        proposal.lock_version += 1
        proposal.save()
        _record(proposal, actor=actor, action="revised", before=proposal.status,
                detail={"changed": changed, "revision": proposal.revision})
    return _refreshed(caller)


def proposal_rebase(*, proposal: ChangeProposal, actor: User) -> list[str]:
    """Bring a draft or returned proposal up to the newest published version.

    Fields the proposal did not change take the newest version's values; fields it changed
    keep the proposed value. Returns the fields the newer version had also changed (the
    proposal's value was kept there: the editor should check them)."""
    _require(can_propose(actor), "只有清单编辑人员可以更新提案")
    caller = proposal
    with transaction.atomic():
        proposal = _locked(caller)
        _require_status(proposal, EDITABLE_STATUSES, "rebased")
        latest = _latest()
        if proposal.base_version_id == latest.pk:
            return []
        if proposal.kind == ProposalKind.EDITION:
            raise ValidationFailed("新版清单提案不能更新基础版本：请撤回并重新导入该文件", field="base_version")
        code = proposal.item_code
        base_item = next(iter(dicts_for_codes(proposal.base_version, [code])), None)
        now_item = next(iter(dicts_for_codes(latest, [code])), None)
        clashes: list[str] = []
        if proposal.kind == ProposalKind.NEW_ITEM:
            if now_item is not None:
                raise ValidationFailed(f"第 {latest.number} 版已有业务编号 {code} 的事项，请撤回本提案", field="item_code")
            content = dict(proposal.content)
            content["seq"] = content_mod.next_seq(version_items_as_dicts(latest))
            proposal.content = content
        elif now_item is None:
            raise ValidationFailed(f"第 {latest.number} 版已没有事项 {code}，请撤回本提案", field="item_code")
        elif proposal.kind == ProposalKind.ITEM_CHANGE and base_item is not None:
            merged, clashes = content_mod.three_way(base_item, dict(proposal.content), now_item)
            proposal.content = merged
        if proposal.flow_definition is not None:
            then_flow = current_flow_definition(proposal.base_version, code)
            now_flow = current_flow_definition(latest, code)
            if then_flow != now_flow and now_flow != proposal.flow_definition:
                clashes.append("flow_definition")
            if now_flow == proposal.flow_definition:
                proposal.flow_definition = None
        before_number = proposal.base_version.number
        proposal.base_version = latest
        proposal.diff = _diff_for(proposal)
        proposal.lock_version += 1
        proposal.save()
        _record(proposal, actor=actor, action="rebased", before=proposal.status,
                detail={"from_version": before_number, "to_version": latest.number, "kept_ours": clashes})
    _refreshed(caller)
    return clashes


def proposal_merge(*, proposal: ChangeProposal, other: ChangeProposal, actor: User) -> list[str]:
    """Reconcile two proposals on the same item: fold ``other``'s changes into ``proposal``
    (a draft or returned one) and withdraw ``other``. Where both changed a field differently
    ``proposal``'s value is kept; those fields are returned."""
    _require(can_propose(actor), "只有清单编辑人员可以合并提案")
    if proposal.pk == other.pk:
        raise ValidationFailed("不能与自身合并", field="other")
    caller, other_caller = proposal, other
    with transaction.atomic():
        proposal = _locked(caller)
        other = _locked(other_caller)
        _require_status(proposal, EDITABLE_STATUSES, "merged")
        if other.status not in OPEN_STATUSES:
            raise Conflict(f"提案 {other.reference} 已{other.get_status_display()}，不能合并")
        kinds = {proposal.kind, other.kind}
        if kinds != {ProposalKind.ITEM_CHANGE} or proposal.item_code != other.item_code:
            raise ValidationFailed("只能合并修改同一事项的两份提案；其他情况请撤回其中一份", field="other")
        if proposal.base_version_id != other.base_version_id:
            raise ValidationFailed("两份提案的基础版本不同：请先将两份提案都更新到现行版本", field="other")
        base_item = next(iter(dicts_for_codes(proposal.base_version, [proposal.item_code])))
        # Ours (``proposal``) wins where both changed a field; elsewhere ``other``'s changes come in.
        merged, clashes = content_mod.three_way(base_item, dict(proposal.content), dict(other.content))
        proposal.content = merged
        if other.flow_definition is not None:
            if proposal.flow_definition is None:
                proposal.flow_definition = other.flow_definition
            elif proposal.flow_definition != other.flow_definition:
                clashes.append("flow_definition")
        proposal.reason = f"{proposal.reason}\n（并入提案 {other.reference}：{other.reason}）"[:MAX_REASON]
        proposal.revision += 1
        proposal.diff = _diff_for(proposal)
        proposal.lock_version += 1
        proposal.save()
        _record(proposal, actor=actor, action="merged", before=proposal.status,
                detail={"merged": other.reference, "kept_ours": clashes})
        _transition(other, actor=actor, action="withdrawn", allowed=OPEN_STATUSES, to=ProposalStatus.WITHDRAWN,
                    comment=f"已并入提案 {proposal.reference}", detail={"merged_into": proposal.reference})
        _drop_draft(other, actor=actor)
    _refreshed(caller)
    _refreshed(other_caller)
    return clashes


# --------------------------------------------------------------------------- review


def proposal_submit(*, proposal: ChangeProposal, actor: User) -> ChangeProposal:
    """Send a draft (or a revised, returned proposal) to the policy office."""
    _require(can_propose(actor), "只有清单编辑人员可以提交提案")
    caller = proposal
    with transaction.atomic():
        proposal = _locked(caller)
        _require_status(proposal, EDITABLE_STATUSES, "submitted")
        if proposal.effective_date < timezone.localdate():
            raise ValidationFailed("拟生效日期不能早于今天", field="effective_date")
        if proposal.kind in (ProposalKind.ITEM_CHANGE, ProposalKind.NEW_ITEM) and not proposal.diff:
            raise ValidationFailed("提案与现行版本相比没有任何改动", field="content")
        if proposal.kind == ProposalKind.NEW_ITEM and proposal.flow_definition is None:
            raise ValidationFailed("新增事项须填写办理流程定义，经办系统才能按流程办理", field="flow_definition")
        warnings = [c.message for c in proposal_conflicts(proposal)]
        _transition(proposal, actor=actor, action="submitted", allowed=EDITABLE_STATUSES,
                    to=ProposalStatus.SUBMITTED, submitted_at=timezone.now(),
                    detail={"conflicts": warnings} if warnings else None)
    return _refreshed(caller)


def proposal_return(*, proposal: ChangeProposal, actor: User, comment: str) -> ChangeProposal:
    """The policy office sends a proposal back with its comments (also an approved one, before
    publication)."""
    _require(can_review(actor), "只有政策法规处可以审核指南变更")
    comment = (comment or "").strip()
    if not comment:
        raise ValidationFailed("退回时请填写审核意见", field="comment")
    user, name, unit = _who(actor)
    with transaction.atomic():
        _transition(
            _locked(proposal), actor=actor, action="returned",
            allowed=(ProposalStatus.SUBMITTED, ProposalStatus.APPROVED), to=ProposalStatus.RETURNED,
            comment=comment, review_comment=comment, reviewer=user, reviewer_name=name, reviewer_unit=unit,
            reviewed_at=timezone.now(),
        )
    return _refreshed(proposal)


def proposal_approve(*, proposal: ChangeProposal, actor: User, comment: str = "") -> ChangeProposal:
    """The policy office approves. Refused while another proposal touches the same item or the
    item changed since the proposal was drafted (``proposal_conflicts``)."""
    _require(can_review(actor), "只有政策法规处可以审核指南变更")
    if proposal.proposer_id is not None and proposal.proposer_id == getattr(actor, "pk", None):
        raise PermissionDenied("不能审核本人提出的提案")
    user, name, unit = _who(actor)
    caller = proposal
    with transaction.atomic():
        proposal = _locked(caller)
        _require_status(proposal, (ProposalStatus.SUBMITTED,), "approved")
        conflicts = proposal_conflicts(proposal, lock=True)
        if conflicts:
            raise Conflict("存在冲突，不能审核通过：" + "；".join(c.message for c in conflicts),
                           extra={"conflicts": [c.kind for c in conflicts]})
        _transition(
            proposal, actor=actor, action="approved", allowed=(ProposalStatus.SUBMITTED,),
            to=ProposalStatus.APPROVED, comment=(comment or "").strip(), review_comment=(comment or "").strip(),
            reviewer=user, reviewer_name=name, reviewer_unit=unit, reviewed_at=timezone.now(),
        )
    return _refreshed(caller)


def proposal_withdraw(*, proposal: ChangeProposal, actor: User, reason: str) -> ChangeProposal:
    """Withdraw a proposal that is not yet published (an imported edition's draft version goes too)."""
    _require(can_propose(actor), "只有清单编辑人员可以撤回提案")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("请填写撤回理由", field="reason")
    with transaction.atomic():
        current = _transition(_locked(proposal), actor=actor, action="withdrawn", allowed=OPEN_STATUSES,
                              to=ProposalStatus.WITHDRAWN, comment=reason)
        _drop_draft(current, actor=actor)
    return _refreshed(proposal)


def _drop_draft(proposal: ChangeProposal, *, actor: User | str | None) -> None:
    """An edition's draft version goes with its withdrawn proposal (the diff stays on the
    proposal), so importing the same file again opens a fresh proposal."""
    draft = proposal.draft_version
    if draft is None or draft.status != CatalogVersion.Status.DRAFT:
        return
    number = draft.number
    ServiceItem.objects.filter(version=draft).delete()
    draft.delete()
    audit_record(actor=_username(actor), action="catalog.version.draft_deleted", object_type="catalog_version",
                 object_id=number, payload={"proposal": proposal.reference})


# --------------------------------------------------------------------------- publication


def _claim_number(*, keep: CatalogVersion | None = None) -> int:
    """The next published number: one after the newest published version. A draft holding that
    number (an imported edition awaiting review) moves to the end."""
    newest = CatalogVersion.objects.filter(status=CatalogVersion.Status.PUBLISHED).aggregate(n=Max("number"))["n"] or 0
    number = newest + 1
    holder = CatalogVersion.objects.filter(number=number).first()
    if holder is not None and (keep is None or holder.pk != keep.pk):
        if holder.status != CatalogVersion.Status.DRAFT:
            raise Conflict(f"第 {number} 版已存在")
        top = CatalogVersion.objects.aggregate(n=Max("number"))["n"] or number
        holder.number = top + 1
        holder.save(update_fields=["number", "updated_at"])
        audit_record(actor="system:change-control", action="catalog.version.renumbered",
                     object_type="catalog_version", object_id=holder.number,
                     payload={"from": number, "to": holder.number, "status": holder.status})
    return number


def _carry_flows(*, source: CatalogVersion, target: CatalogVersion, codes: set[str]) -> None:
    ItemFlow.objects.bulk_create([
        ItemFlow(version=target, code=row.code, definition=row.definition)
        for row in ItemFlow.objects.filter(version=source, code__in=codes)
    ])


def proposal_publish(*, proposal: ChangeProposal, actor: User) -> CatalogVersion:
    """Publish an approved proposal as a new catalog version, in force from its effective date
    (today if that date has passed). Refused without approval."""
    _require(can_publish(actor), f"只有{PUBLISHING_UNIT_NAMES}的清单编辑人员或系统管理员可以发布")
    user, name, unit = _who(actor)
    caller = proposal
    with transaction.atomic():
        proposal = _locked(caller)
        if proposal.status in (ProposalStatus.DRAFT, ProposalStatus.SUBMITTED, ProposalStatus.RETURNED):
            raise Conflict("提案尚未经政策法规处审核通过，不能发布", extra={"status": proposal.status})
        _require_status(proposal, (ProposalStatus.APPROVED,), "published")
        blocking = [c for c in proposal_conflicts(proposal) if c.kind != "overlap"]
        if blocking:
            raise Conflict("不能发布：" + "；".join(c.message for c in blocking),
                           extra={"conflicts": [c.kind for c in blocking]})
        latest = _latest()
        today = timezone.localdate()
        effective = max(proposal.effective_date, today)
        if effective < latest.effective_from:
            raise Conflict(
                f"第 {latest.number} 版将于 {latest.effective_from:%Y年%-m月%-d日} 生效，"
                "本提案的生效日期不得早于该日；请退回修改生效日期",
                extra={"effective_from": latest.effective_from.isoformat()},
            )
        if proposal.kind == ProposalKind.EDITION:
            version = _publish_edition(proposal, latest=latest, effective=effective)
        else:
            version = _publish_item(proposal, latest=latest, effective=effective, today=today)
        codes = touched_codes(proposal)
        if proposal.kind == ProposalKind.EDITION:
            diffs = catalog_diff(version_items_as_dicts(latest), version_items_as_dicts(version))
        else:
            diffs = catalog_diff(_with_flows(latest, codes), _with_flows(version, codes))
        audit_record(
            actor=_username(actor), action="catalog.version.published", object_type="catalog_version",
            object_id=version.number,
            payload={"proposal": proposal.reference, "effective_from": effective.isoformat(),
                     "items": version.items.count(), "changes": len(diffs)},
        )
        _transition(
            proposal, actor=actor, action="published", allowed=(ProposalStatus.APPROVED,),
            to=ProposalStatus.PUBLISHED, published_version=version, publisher=user, publisher_name=name,
            publisher_unit=unit, published_at=timezone.now(), diff=[d.as_dict() for d in diffs],
            detail={"version": version.number, "effective_from": effective.isoformat(),
                    **({"effective_date_moved": proposal.effective_date.isoformat()}
                       if effective != proposal.effective_date else {})},
        )
    _refreshed(caller)
    return version


def _with_flows(version: CatalogVersion, codes: set[str]) -> list[dict[str, Any]]:
    """The items with these codes, each with its flow definition (for diffs)."""
    items = dicts_for_codes(version, sorted(codes))
    for item in items:
        item["flow_definition"] = current_flow_definition(version, item["code"])
    return items


def _publish_item(
    proposal: ChangeProposal, *, latest: CatalogVersion, effective: date, today: date,
) -> CatalogVersion:
    items = version_items_as_dicts(latest)
    code = proposal.item_code
    if proposal.kind == ProposalKind.RETIRE_ITEM:
        items = content_mod.remove_item(items, code)
    else:
        items = content_mod.place_item(items, dict(proposal.content))
    number = _claim_number()
    version = CatalogVersion.objects.create(
        number=number, title=latest.title, doc_number=latest.doc_number, issued_on=today,
        effective_from=effective, status=CatalogVersion.Status.PUBLISHED, published_at=timezone.now(),
        source_name=f"指南变更提案 {proposal.reference}", source_sha256=latest.source_sha256,
        content_sha256=items_content_hash(doc_number=latest.doc_number, issued_on=latest.issued_on.isoformat(),
                                          items=items),
        import_notes=list(latest.import_notes),
    )
    catalog_items_write(version=version, items=items)
    present = {item["code"] for item in items}
    _carry_flows(source=latest, target=version, codes=present - {code})
    if proposal.kind != ProposalKind.RETIRE_ITEM:
        definition = proposal.flow_definition
        if definition is None:
            row = ItemFlow.objects.filter(version=latest, code=code).first()
            definition = row.definition if row is not None else None
        if definition is not None:
            ItemFlow.objects.create(version=version, code=code, definition=definition)
    return version


def _publish_edition(proposal: ChangeProposal, *, latest: CatalogVersion, effective: date) -> CatalogVersion:
    draft = proposal.draft_version
    if draft is None or draft.status != CatalogVersion.Status.DRAFT:
        raise Conflict("新版清单的草稿版本已不存在，请重新导入")
    number = _claim_number(keep=draft)
    draft.number = number
    draft.status = CatalogVersion.Status.PUBLISHED
    draft.published_at = timezone.now()
    draft.effective_from = effective
    draft.save(update_fields=["number", "status", "published_at", "effective_from", "updated_at"])
    if proposal.edition_text:
        catalog_directory_sync(text=proposal.edition_text, version=draft)
    codes = set(draft.items.values_list("code", flat=True))
    _carry_flows(source=latest, target=draft, codes=codes)
    return draft


# --------------------------------------------------------------------------- imported editions


def proposal_from_edition(
    *, draft: CatalogVersion, base_version: CatalogVersion, text: str, source_name: str, actor: str,
) -> ChangeProposal:
    """Called by ``shebao catalog import`` inside its transaction: a different edition becomes a
    draft proposal (source "import") holding the full diff, with the draft version as its
    content. A catalog editor checks it, may adjust the reason and the effective date, and
    submits it to the policy office like any other proposal."""
    diffs = catalog_diff(version_items_as_dicts(base_version), version_items_as_dicts(draft))
    counts = {"added": 0, "changed": 0, "removed": 0}
    for d in diffs:
        counts[d.change] += 1
    # Not before today, nor before the newest published version takes effect (dates never go back).
    effective = max(draft.issued_on, timezone.localdate(), base_version.effective_from)
    reason = (
        f"导入{draft.doc_number}《{draft.title}》新版文件（{source_name}，{draft.issued_on:%Y年%-m月%-d日}印发）："
        f"新增 {counts['added']} 项，修改 {counts['changed']} 项，取消 {counts['removed']} 项。"
    )
    proposal = ChangeProposal.objects.create(
        kind=ProposalKind.EDITION, status=ProposalStatus.DRAFT, source=ProposalSource.IMPORT,
        title=f"新版清单：{draft.doc_number}（{source_name}）"[:200], base_version=base_version,
        diff=[d.as_dict() for d in diffs], reason=reason, effective_date=effective, draft_version=draft,
        edition_source=source_name[:200], edition_text=text, proposer_name=f"清单导入（{actor}）"[:150], proposer_unit="",
    )
    _record(proposal, actor=actor, action="imported", before="",
            detail={"draft_version": draft.number, "base_version": base_version.number, **counts})
    return proposal


def proposal_get(*, pk: int) -> ChangeProposal:
    try:
        return ChangeProposal.objects.select_related("base_version", "draft_version", "published_version").get(pk=pk)
    except (ChangeProposal.DoesNotExist, ValueError):
        raise NotFound(f"提案 {pk} 不存在", field="id") from None
