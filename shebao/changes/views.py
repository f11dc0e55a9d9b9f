"""Staff screens of guide change control (under ``/changes/``): the work list, drafting an item
change / new item / retirement, the proposal page with its diff, conflicts, history and the
buttons this user may press. Thin: forms in, services and selectors out."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from shebao.catalog.models import CatalogVersion
from shebao.catalog.selectors import catalog_version_latest_published
from shebao.core import access
from shebao.core.access import page
from shebao.core.errors import ApplicationError, NotFound

from . import selectors, services
from .content import blank_item
from .forms import (
    CommentForm,
    EditionForm,
    ItemForm,
    MaterialFormSet,
    RetireForm,
    apply_error,
    flow_yaml,
    item_initial,
    materials_from_formset,
    materials_initial,
)
from .models import EDITABLE_STATUSES, ChangeProposal, ProposalKind, ProposalStatus
from .permissions import PUBLISHING_UNIT_NAMES, can_propose, can_view

STATUS_TABS = [
    ("open", "办理中"), ("draft", "草稿"), ("submitted", "待审核"), ("returned", "退回修改"),
    ("approved", "待发布"), ("published", "已发布"), ("withdrawn", "已撤回"), ("", "全部"),
]
NEW_FLOW_TEMPLATE = {"pattern": "counter_4step"}


def _forbidden(request: HttpRequest, message: str = "您没有权限使用指南变更管理。") -> HttpResponse:
    return render(request, "changes/forbidden.html", {"message": message}, status=403)


def _not_found(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "404.html", {"message": message}, status=404)


def _sections(version: CatalogVersion) -> list[str]:
    return list(version.sections.order_by("position").values_list("name", flat=True))


@page(access.CHANGE_READERS, template="changes/forbidden.html")
def proposal_list(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if not can_view(user):
        return _forbidden(request)
    status = request.GET.get("status", "open")
    q = request.GET.get("q", "").strip()[:40]
    error = ""
    try:
        proposals = list(selectors.proposal_list(user=user, status=status, q=q))
    except ApplicationError as exc:
        error, proposals = exc.message, []
    counts = selectors.proposal_counts(user=user)
    counts["open"] = sum(counts[s] for s in ("draft", "submitted", "returned", "approved"))
    counts[""] = sum(counts[s] for s in ProposalStatus.values)
    return render(request, "changes/proposal_list.html", {
        "proposals": proposals, "status": status, "q": q, "error": error,
        "tabs": [(key, label, counts.get(key, 0)) for key, label in STATUS_TABS],
        "can_propose": can_propose(user), "latest": catalog_version_latest_published(),
    }, status=400 if error else 200)


def _item_forms(request: HttpRequest, *, sections: list[str], initial: dict[str, Any],
                materials: list[dict[str, Any]]) -> tuple[ItemForm, Any]:
    if request.method == "POST":
        return ItemForm(request.POST, sections=sections), MaterialFormSet(request.POST, prefix="m")
    return (ItemForm(initial=initial, sections=sections),
            MaterialFormSet(initial=materials_initial(materials), prefix="m"))


@page(access.CHANGE_PROPOSERS, template="changes/forbidden.html")
def proposal_new(request: HttpRequest) -> HttpResponse:
    """Choose what to propose, then fill in the form (GET ``?kind=…&code=…``)."""
    user: Any = request.user
    if not can_propose(user):
        return _forbidden(request, "只有清单编辑人员可以提出指南变更。")
    latest = catalog_version_latest_published()
    if latest is None:
        return _not_found(request, "尚未发布事项清单。")
    kind = request.GET.get("kind", "")
    code = request.GET.get("code", "").strip().upper()[:20]
    items = list(latest.items.order_by("position").values_list("code", "name"))
    if kind not in ProposalKind.values or kind == ProposalKind.EDITION or (
        kind != ProposalKind.NEW_ITEM and code not in {c for c, _ in items}
    ):
        error = "请选择要修改或取消的事项。" if kind and kind != ProposalKind.NEW_ITEM else ""
        return render(request, "changes/proposal_new.html", {"items": items, "latest": latest, "error": error,
                                                              "kind": kind, "code": code},
                      status=400 if error else 200)
    # Proposed dates default to tomorrow, and never before the newest version takes effect.
    tomorrow = max(timezone.localdate() + timedelta(days=1), latest.effective_from)
    context: dict[str, Any] = {"kind": kind, "kind_label": ProposalKind(kind).label, "code": code,
                               "latest": latest}
    if kind == ProposalKind.RETIRE_ITEM:
        retire = RetireForm(request.POST or None, initial={"effective_date": tomorrow})
        item = latest.items.get(code=code)
        if request.method == "POST" and retire.is_valid():
            try:
                proposal = services.proposal_propose(
                    actor=user, kind=kind, item_code=code, reason=retire.cleaned_data["reason"],
                    effective_date=retire.cleaned_data["effective_date"])
                messages.success(request, f"已起草提案 {proposal.reference}，核对后请提交审核。")
                return redirect("changes:detail", pk=proposal.pk)
            except ApplicationError as exc:
                apply_error(retire, exc)
        return render(request, "changes/proposal_retire.html", {**context, "form": retire, "item": item},
                      status=400 if request.method == "POST" else 200)

    sections = _sections(latest)
    if kind == ProposalKind.NEW_ITEM:
        base = blank_item(code="", section=sections[0], section_printed=sections[0])
        flow = NEW_FLOW_TEMPLATE
    else:
        base = services.dicts_for_codes(latest, [code])[0]
        flow = services.current_flow_definition(latest, code) or {}
    form, formset = _item_forms(request, sections=sections, materials=base["materials"],
                                initial=item_initial(base, flow_definition=flow, effective_date=tomorrow))
    new_code = request.POST.get("item_code", "").strip()[:20] if request.method == "POST" else ""
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        content = {**form.content(), "materials": materials_from_formset(formset)}
        try:
            proposal = services.proposal_propose(
                actor=user, kind=kind, item_code=new_code if kind == ProposalKind.NEW_ITEM else code,
                content=content, flow_definition=form.cleaned_data["flow_definition"],
                reason=form.cleaned_data["reason"], effective_date=form.cleaned_data["effective_date"])
            messages.success(request, f"已起草提案 {proposal.reference}，核对差异后请提交审核。")
            return redirect("changes:detail", pk=proposal.pk)
        except ApplicationError as exc:
            if exc.field == "item_code":
                context["code_error"] = exc.message
            apply_error(form, exc)
    return render(request, "changes/proposal_form.html", {
        **context, "form": form, "formset": formset, "new_code": new_code, "editing": None,
    }, status=400 if request.method == "POST" else 200)


def _load(request: HttpRequest, pk: int) -> ChangeProposal | HttpResponse:
    user: Any = request.user
    if not can_view(user):
        return _forbidden(request)
    try:
        return selectors.proposal_get(pk=pk, user=user)
    except NotFound:
        return _not_found(request, f"没有找到编号为 {pk} 的变更提案。")


@page(access.CHANGE_READERS, template="changes/forbidden.html")
def proposal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = _load(request, pk)
    if isinstance(proposal, HttpResponse):
        return proposal
    user: Any = request.user
    actions = selectors.proposal_actions(proposal=proposal, user=user)
    return render(request, "changes/proposal_detail.html", {
        "proposal": proposal,
        "diffs": selectors.proposal_diffs(proposal),
        "conflicts": selectors.proposal_conflict_list(proposal),
        "events": list(proposal.events.select_related("actor")),
        "actions": actions,
        "merge_candidates": selectors.merge_candidates(proposal) if "merge" in actions else [],
        "comment_form": CommentForm(),
        "publishing_units": PUBLISHING_UNIT_NAMES,
        "today": timezone.localdate(),
    })


@page(access.CHANGE_PROPOSERS, template="changes/forbidden.html")
def proposal_edit(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = _load(request, pk)
    if isinstance(proposal, HttpResponse):
        return proposal
    user: Any = request.user
    if not can_propose(user):
        return _forbidden(request, "只有清单编辑人员可以修改提案。")
    if proposal.status not in EDITABLE_STATUSES:
        messages.error(request, f"提案当前状态为“{proposal.get_status_display()}”，不能修改。")
        return redirect("changes:detail", pk=proposal.pk)
    lock = request.POST.get("lock", "") if request.method == "POST" else ""
    if lock.isdigit():
        proposal.lock_version = int(lock)  # saving over someone else's change gets "请刷新"
    context: dict[str, Any] = {"proposal": proposal, "kind": proposal.kind,
                               "kind_label": proposal.get_kind_display(), "code": proposal.item_code,
                               "latest": proposal.base_version, "editing": proposal}
    if proposal.kind in (ProposalKind.RETIRE_ITEM, ProposalKind.EDITION):
        simple = EditionForm(request.POST or None, initial={"reason": proposal.reason,
                                                            "effective_date": proposal.effective_date})
        if request.method == "POST" and simple.is_valid():
            try:
                services.proposal_revise(proposal=proposal, actor=user, reason=simple.cleaned_data["reason"],
                                         effective_date=simple.cleaned_data["effective_date"])
                messages.success(request, "提案已保存。")
                return redirect("changes:detail", pk=proposal.pk)
            except ApplicationError as exc:
                apply_error(simple, exc)
        return render(request, "changes/proposal_edit_simple.html", {**context, "form": simple},
                      status=400 if request.method == "POST" else 200)

    flow = proposal.flow_definition or services.current_flow_definition(proposal.base_version, proposal.item_code)
    if proposal.kind == ProposalKind.NEW_ITEM and flow is None:
        flow = NEW_FLOW_TEMPLATE
    sections = _sections(proposal.base_version)
    form, formset = _item_forms(
        request, sections=sections, materials=proposal.content.get("materials", []),
        initial=item_initial(proposal.content, flow_definition=flow, reason=proposal.reason,
                             effective_date=proposal.effective_date))
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        content = {**form.content(), "materials": materials_from_formset(formset)}
        try:
            services.proposal_revise(
                proposal=proposal, actor=user, content=content, flow_definition=form.cleaned_data["flow_definition"],
                reason=form.cleaned_data["reason"], effective_date=form.cleaned_data["effective_date"])
            messages.success(request, "提案已保存。")
            return redirect("changes:detail", pk=proposal.pk)
        except ApplicationError as exc:
            apply_error(form, exc)
    return render(request, "changes/proposal_form.html", {
        **context, "form": form, "formset": formset, "flow_yaml": flow_yaml(flow),
    }, status=400 if request.method == "POST" else 200)


_DONE = {
    "submit": "已提交政策法规处审核。", "approve": "已审核通过，待发布单位发布。", "return": "已退回修改。",
    "withdraw": "提案已撤回。", "rebase": "已更新到现行版本，请核对差异。", "merge": "已合并提案。",
}


@require_POST
@page(access.CHANGE_ACTORS, template="changes/forbidden.html")
def proposal_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    proposal = _load(request, pk)
    if isinstance(proposal, HttpResponse):
        return proposal
    user: Any = request.user
    lock = request.POST.get("lock", "")
    if lock.isdigit():
        proposal.lock_version = int(lock)  # what the user saw: a stale page gets "请刷新"
    comment = request.POST.get("comment", "").strip()
    try:
        if action == "submit":
            services.proposal_submit(proposal=proposal, actor=user)
        elif action == "approve":
            services.proposal_approve(proposal=proposal, actor=user, comment=comment)
        elif action == "return":
            services.proposal_return(proposal=proposal, actor=user, comment=comment)
        elif action == "withdraw":
            services.proposal_withdraw(proposal=proposal, actor=user, reason=comment)
        elif action == "publish":
            version = services.proposal_publish(proposal=proposal, actor=user)
            messages.success(
                request, f"已发布为第 {version.number} 版，自 {version.effective_from:%Y年%-m月%-d日}起施行。")
            return redirect("changes:detail", pk=proposal.pk)
        elif action == "rebase":
            kept = services.proposal_rebase(proposal=proposal, actor=user)
            if kept:
                messages.warning(request, "现行版本也修改了以下内容，已保留本提案的写法，请核对："
                                 + "、".join(kept))
        elif action == "merge":
            other_pk = request.POST.get("other", "")
            other = selectors.proposal_get(pk=int(other_pk) if other_pk.isdigit() else 0, user=user)
            kept = services.proposal_merge(proposal=proposal, other=other, actor=user)
            if kept:
                messages.warning(request, "两份提案都修改了以下内容，已保留本提案的写法：" + "、".join(kept))
        else:
            return _not_found(request, "没有这个操作。")
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("changes:detail", pk=proposal.pk)
    messages.success(request, _DONE[action])
    return redirect("changes:detail", pk=proposal.pk)
