"""Reads for change control: proposals (staff), and the public history of catalog versions."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from shebao.catalog.flows import flow_definition_default
from shebao.catalog.models import CatalogVersion, ItemFlow
from shebao.catalog.selectors import catalog_version_in_force, catalog_version_latest_published
from shebao.catalog.services import version_items_as_dicts
from shebao.core.errors import NotFound, PermissionDenied, ValidationFailed

from .diff import ItemDiff, catalog_diff, summarize
from .models import EDITABLE_STATUSES, OPEN_STATUSES, ChangeProposal, ProposalKind, ProposalStatus
from .permissions import can_propose, can_publish, can_review, can_view
from .services import ProposalConflict, proposal_conflicts


def _require_view(user: Any) -> None:
    if not can_view(user):
        raise PermissionDenied("您没有权限查看指南变更提案")


def proposal_list(*, user: Any, status: str = "", kind: str = "", q: str = "") -> QuerySet[ChangeProposal]:
    _require_view(user)
    proposals = (
        ChangeProposal.objects.select_related("base_version", "published_version")
        .defer("edition_text", "content", "diff")
        .order_by("-pk")
    )
    if status:
        if status == "open":
            proposals = proposals.filter(status__in=OPEN_STATUSES)
        elif status in ProposalStatus.values:
            proposals = proposals.filter(status=status)
        else:
            raise ValidationFailed(f"状态“{status[:20]}”无效", field="status")
    if kind:
        if kind not in ProposalKind.values:
            raise ValidationFailed(f"类型“{kind[:20]}”无效", field="kind")
        proposals = proposals.filter(kind=kind)
    if q.strip():
        term = q.strip()[:40]
        proposals = proposals.filter(Q(item_code__icontains=term) | Q(title__icontains=term))
    return proposals


def proposal_get(*, pk: int, user: Any) -> ChangeProposal:
    _require_view(user)
    try:
        return ChangeProposal.objects.select_related(
            "base_version", "draft_version", "published_version", "proposer", "reviewer", "publisher"
        ).get(pk=pk)
    except (ChangeProposal.DoesNotExist, ValueError, TypeError):
        raise NotFound(f"提案 {pk} 不存在", field="id") from None


def proposal_counts(*, user: Any) -> dict[str, int]:
    """Proposals per status, for the work list's tabs."""
    _require_view(user)
    counts = {value: 0 for value in ProposalStatus.values}
    for status in ChangeProposal.objects.values_list("status", flat=True):
        counts[status] += 1
    return counts


def proposal_actions(*, proposal: ChangeProposal, user: Any) -> list[str]:
    """The buttons this user may press on this proposal now."""
    actions: list[str] = []
    status = proposal.status
    if can_propose(user):
        if status in EDITABLE_STATUSES:
            actions += ["edit", "submit"]
            latest = catalog_version_latest_published()
            if proposal.kind != ProposalKind.EDITION and latest is not None and latest.pk != proposal.base_version_id:
                actions.append("rebase")
                if proposal.kind == ProposalKind.ITEM_CHANGE:
                    actions.append("merge")
        if status in OPEN_STATUSES:
            actions.append("withdraw")
    if can_review(user) and getattr(user, "pk", None) != proposal.proposer_id:
        if status == ProposalStatus.SUBMITTED:
            actions += ["approve", "return"]
        elif status == ProposalStatus.APPROVED:
            actions.append("return")
    if can_publish(user) and status == ProposalStatus.APPROVED:
        actions.append("publish")
    return actions


def proposal_diffs(proposal: ChangeProposal) -> list[ItemDiff]:
    return [ItemDiff.from_dict(d) for d in proposal.diff]


def proposal_conflict_list(proposal: ChangeProposal) -> list[ProposalConflict]:
    if proposal.status not in OPEN_STATUSES:
        return []
    return proposal_conflicts(proposal)


def merge_candidates(proposal: ChangeProposal) -> list[ChangeProposal]:
    """Other open proposals changing the same item from the same base (they can be merged in)."""
    if proposal.kind != ProposalKind.ITEM_CHANGE:
        return []
    return list(
        ChangeProposal.objects.filter(
            status__in=OPEN_STATUSES, kind=ProposalKind.ITEM_CHANGE, item_code=proposal.item_code,
        ).exclude(pk=proposal.pk).order_by("pk")
    )


# --------------------------------------------------------------------------- public history


@dataclass
class VersionEntry:
    """A published version as the public changelog shows it."""

    version: CatalogVersion
    state: str  # in_force | pending | superseded
    superseded_by: CatalogVersion | None
    proposals: list[ChangeProposal] = field(default_factory=list)
    diffs: list[ItemDiff] = field(default_factory=list)

    @property
    def state_label(self) -> str:
        if self.state == "pending":
            return f"将于{self.version.effective_from:%Y年%-m月%-d日}生效"
        if self.state == "in_force":
            return "现行版本"
        return f"已被第 {self.superseded_by.number} 版取代" if self.superseded_by else "已废止"

    @property
    def counts(self) -> dict[str, int]:
        return summarize(self.diffs)

    @property
    def first(self) -> bool:
        return not self.proposals and self.version.number == 1


def published_versions() -> list[CatalogVersion]:
    return list(CatalogVersion.objects.filter(status=CatalogVersion.Status.PUBLISHED).order_by("-number"))


def _state(version: CatalogVersion, in_force: CatalogVersion | None, today: date) -> str:
    if version.effective_from > today:
        return "pending"
    if in_force is not None and version.pk == in_force.pk:
        return "in_force"
    return "superseded"


def changelog(*, item_code: str = "", today: date | None = None) -> list[VersionEntry]:
    """Every published version, newest first, with the proposals it published and what changed
    (the diffs recorded at publication). ``item_code`` keeps the versions that touched that item."""
    today = today or timezone.localdate()
    versions = published_versions()
    in_force = catalog_version_in_force(on=today)
    proposals: dict[int, list[ChangeProposal]] = {}
    published_proposals = ChangeProposal.objects.filter(published_version__isnull=False).defer("edition_text", "content")
    for proposal in published_proposals.order_by("pk"):
        assert proposal.published_version_id is not None
        proposals.setdefault(proposal.published_version_id, []).append(proposal)
    entries: list[VersionEntry] = []
    later: CatalogVersion | None = None
    for version in versions:  # newest first
        published = proposals.get(version.pk, [])
        diffs = [ItemDiff.from_dict(d) for p in published for d in p.diff]
        superseded_by = later if later is not None and later.effective_from <= today else None
        entry = VersionEntry(version, _state(version, in_force, today), superseded_by, published, diffs)
        if version.effective_from <= today:
            later = version
        if item_code and not any(d.code == item_code for d in diffs) and not entry.first:
            continue
        entries.append(entry)
    return entries


def version_get(*, number: int) -> CatalogVersion:
    try:
        return CatalogVersion.objects.get(number=number, status=CatalogVersion.Status.PUBLISHED)
    except CatalogVersion.DoesNotExist:
        raise NotFound(f"第 {number} 版不存在或未发布", field="version") from None


def previous_version(version: CatalogVersion) -> CatalogVersion | None:
    return (
        CatalogVersion.objects.filter(status=CatalogVersion.Status.PUBLISHED, number__lt=version.number)
        .order_by("-number")
        .first()
    )


def _with_flow_definitions(version: CatalogVersion) -> list[dict[str, Any]]:
    items = version_items_as_dicts(version)
    rows = dict(ItemFlow.objects.filter(version=version).values_list("code", "definition"))
    for item in items:
        code = item["code"]
        item["flow_definition"] = rows[code] if code in rows else flow_definition_default(code, copy=False)
    return items


def version_diff(*, version: CatalogVersion, since: CatalogVersion | None) -> list[ItemDiff]:
    """Field-by-field differences from ``since`` to ``version`` (every item, flows included)."""
    if since is None:
        return []
    old, new = _with_flow_definitions(since), _with_flow_definitions(version)
    return catalog_diff(old, new)


def version_entry(*, version: CatalogVersion, today: date | None = None) -> VersionEntry:
    today = today or timezone.localdate()
    for entry in changelog(today=today):
        if entry.version.pk == version.pk:
            return entry
    raise NotFound(f"第 {version.number} 版不存在或未发布", field="version")
