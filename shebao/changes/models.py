"""Guide change control: proposals to change the catalog, their review and publication.

A responsible unit proposes (``catalog_editor``), 局政策法规处 reviews (``policy_office``), and
市社保中心 with 市劳动和社会保障信息中心 publish (see ``permissions.py``). Publishing an approved
proposal creates a new published ``CatalogVersion`` whose ``effective_from`` is the proposal's
effective date; the catalog's "version in force" switches on that day by itself.

The proposed content is a full item dict in the shape of ``shebao.catalog.importer.build
.build_items`` (what the catalog writes), so publication writes it with the catalog's own code.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from shebao.catalog.models import CatalogVersion
from shebao.core.models import TimeStampedModel


class ProposalKind(models.TextChoices):
    ITEM_CHANGE = "item_change", "修改事项"
    NEW_ITEM = "new_item", "新增事项"
    RETIRE_ITEM = "retire_item", "取消事项"
    EDITION = "edition", "新版清单"


class ProposalStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    SUBMITTED = "submitted", "待审核"
    RETURNED = "returned", "退回修改"
    APPROVED = "approved", "审核通过，待发布"
    PUBLISHED = "published", "已发布"
    WITHDRAWN = "withdrawn", "已撤回"


class ProposalSource(models.TextChoices):
    EDITOR = "editor", "编辑起草"
    IMPORT = "import", "导入新版文件"


# Statuses of proposals still in the pipeline, and those that block each other's approval.
OPEN_STATUSES = (ProposalStatus.DRAFT, ProposalStatus.SUBMITTED, ProposalStatus.RETURNED, ProposalStatus.APPROVED)
IN_REVIEW_STATUSES = (ProposalStatus.SUBMITTED, ProposalStatus.APPROVED)
EDITABLE_STATUSES = (ProposalStatus.DRAFT, ProposalStatus.RETURNED)


class ChangeProposal(TimeStampedModel):
    kind = models.CharField("类型", max_length=16, choices=ProposalKind.choices)
    status = models.CharField("状态", max_length=12, choices=ProposalStatus.choices, default=ProposalStatus.DRAFT)
    source = models.CharField("来源", max_length=8, choices=ProposalSource.choices, default=ProposalSource.EDITOR)
    item_code = models.CharField("业务编号", max_length=20, blank=True, help_text="The item changed, added or retired.")
    title = models.CharField("标题", max_length=200)
    base_version = models.ForeignKey(
        CatalogVersion, on_delete=models.PROTECT, related_name="+", verbose_name="基于版本",
        help_text="The published version the proposal was drafted against (or last rebased on).",
    )
    content = models.JSONField(
        "拟定内容", default=dict, blank=True,
        help_text="Full item dict (build_items shape) for item_change/new_item; empty for retire/edition.",
    )
    flow_definition = models.JSONField(
        "办理流程定义", null=True, blank=True,
        help_text="New flows.yaml entry for the item; null when the flow definition is unchanged.",
    )
    diff = models.JSONField(
        "差异", default=list, blank=True,
        help_text="Item diffs (shebao.changes.diff) against the base version, refreshed on every save.",
    )
    reason = models.TextField("变更理由")
    effective_date = models.DateField("拟生效日期")
    # Edition proposals (source "import"): the draft version holding the new content, and the
    # text, so publication can also update the office directory.
    draft_version = models.ForeignKey(
        CatalogVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name="草稿版本",
    )
    edition_source = models.CharField("导入文件", max_length=200, blank=True)
    edition_text = models.TextField(blank=True)
    published_version = models.ForeignKey(
        CatalogVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="proposals",
        verbose_name="发布为版本",
    )
    proposer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name="提出人",
    )
    proposer_name = models.CharField("提出人", max_length=150, help_text="Display name, or the system actor.")
    proposer_unit = models.CharField("提出单位", max_length=120, blank=True)
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name="审核人",
    )
    reviewer_name = models.CharField("审核人", max_length=150, blank=True)
    reviewer_unit = models.CharField("审核单位", max_length=120, blank=True)
    reviewed_at = models.DateTimeField("审核时间", null=True, blank=True)
    review_comment = models.TextField("审核意见", blank=True)
    publisher = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name="发布人",
    )
    publisher_name = models.CharField("发布人", max_length=150, blank=True)
    publisher_unit = models.CharField("发布单位", max_length=120, blank=True)
    published_at = models.DateTimeField("发布时间", null=True, blank=True)
    revision = models.PositiveIntegerField("修订次数", default=0)
    lock_version = models.PositiveIntegerField(default=0, help_text="Compare-and-set guard for status changes.")

    class Meta:
        ordering = ["-pk"]
        indexes = [models.Index(fields=["status", "item_code"])]
        verbose_name = "指南变更提案"
        verbose_name_plural = "指南变更提案"

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def reference(self) -> str:
        """The proposal number people quote: BG + year + serial, e.g. BG2025-0007."""
        year = self.created_at.year if self.created_at else 0
        return f"BG{year}-{self.pk or 0:04d}"


ACTION_LABELS = {
    "proposed": "起草", "revised": "修订", "submitted": "提交审核", "returned": "退回修改", "approved": "审核通过",
    "published": "发布", "withdrawn": "撤回", "rebased": "更新到现行版本", "merged": "合并提案",
    "imported": "导入新版文件",
}


class ProposalEvent(models.Model):
    """One step of a proposal's history: who did what, when, with which comment."""

    proposal = models.ForeignKey(ChangeProposal, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
    )
    actor_name = models.CharField(max_length=150)
    actor_unit = models.CharField(max_length=120, blank=True)
    action = models.CharField(max_length=20)
    status_before = models.CharField(max_length=12, blank=True)
    status_after = models.CharField(max_length=12)
    comment = models.TextField(blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = "提案记录"
        verbose_name_plural = "提案记录"

    def __str__(self) -> str:
        return f"{self.proposal.reference} {self.action} {self.actor_name}"

    @property
    def action_label(self) -> str:
        return ACTION_LABELS.get(self.action, self.action)
