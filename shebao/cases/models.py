"""Cases (办件): an application for one catalog item, from submission to 办结.

The run is state, the flow is data: at 受理 the item's flow (shebao/catalog/flows.py) is copied
into ``CaseStep`` rows, so a later change of the flow or the guide never changes a case in
progress. Every change of state goes through ``services._transition`` (compare-and-set on
``lock_version``) and leaves a ``CaseEvent`` on the case's timeline and an audit-chain event.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models

from shebao.accounts.models import OrgUnit
from shebao.catalog.models import Material, ServiceItem
from shebao.catalog.search import fold


class CaseStatus(models.TextChoices):
    SUBMITTED = "submitted", "待受理"
    INCOMPLETE = "incomplete", "待补正（已一次性告知）"
    ACCEPTED = "accepted", "办理中"
    SUSPENDED = "suspended", "中止"
    REFUSED = "refused", "不予受理"
    WITHDRAWN = "withdrawn", "已撤回"
    COMPLETED = "completed", "已办结"


OPEN_STATUSES = (CaseStatus.SUBMITTED, CaseStatus.INCOMPLETE, CaseStatus.ACCEPTED, CaseStatus.SUSPENDED)
CLOSED_STATUSES = (CaseStatus.REFUSED, CaseStatus.WITHDRAWN, CaseStatus.COMPLETED)


class Channel(models.TextChoices):
    COUNTER = "counter", "窗口"
    ONLINE = "online", "网上"
    INTERNAL = "internal", "内部"


class ApplicantType(models.TextChoices):
    UNIT = "unit", "单位"
    PERSON = "person", "个人"


class CaseResult(models.TextChoices):
    GRANTED = "granted", "准予"
    DENIED = "denied", "不予"


class WarningLevel(models.TextChoices):
    GREEN = "green", "正常"
    YELLOW = "yellow", "临期（黄牌）"
    RED = "red", "超期（红牌）"


def applicant_key(name: str) -> str:
    """The search form of an applicant's name: 'Ｗａｎｇ 伟' and 'wang伟' read the same. Bulk writers
    (``shebao demo``, benchmarks) that bypass ``save`` set ``applicant_key`` with this."""
    return fold(name)[:120]


class Case(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    number = models.CharField(
        max_length=24, unique=True, null=True, blank=True,
        help_text="办件编号, assigned at 受理: office code + YYYYMMDD + 4-digit daily sequence.",
    )
    item = models.ForeignKey(ServiceItem, on_delete=models.PROTECT, related_name="cases",
                             help_text="The item in the catalog version the case was submitted under.")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    status = models.CharField(max_length=12, choices=CaseStatus.choices, default=CaseStatus.SUBMITTED)
    lock_version = models.PositiveIntegerField(default=0, help_text="Compare-and-set guard for transitions.")
    org_unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="cases",
                                 help_text="The office that received the application.")

    applicant_type = models.CharField(max_length=8, choices=ApplicantType.choices)
    applicant_name = models.CharField(max_length=120)
    applicant_key = models.CharField(
        max_length=120, blank=True, editable=False,
        help_text="The name folded for search (NFKC, lower-case, no spaces or punctuation); set on save.")
    applicant_id_number = models.CharField(max_length=18, blank=True, help_text="身份证号 of a person applicant.")
    applicant_credit_code = models.CharField(max_length=18, blank=True, help_text="统一社会信用代码 of a unit.")
    applicant_phone = models.CharField(max_length=20, blank=True)
    applicant_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                       related_name="cases_as_applicant")
    agent_name = models.CharField(max_length=60, blank=True, help_text="代办人")
    agent_id_number = models.CharField(max_length=18, blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="cases_submitted")
    idempotency_key = models.CharField(max_length=64, blank=True)
    note = models.TextField(blank=True)
    related_case = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="follow_ups",
        help_text="The first half of a pair (核定 for a 到账确认 case).")

    submitted_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    deemed_accepted = models.BooleanField(
        default=False, help_text="Accepted by law: no 一次性告知 within 5 working days (行政许可法第三十二条).")
    closed_at = models.DateTimeField(null=True, blank=True)
    result = models.CharField(max_length=8, choices=CaseResult.choices, blank=True)
    result_text = models.TextField(blank=True)

    legal_due = models.DateField(null=True, blank=True)
    promised_due = models.DateField(null=True, blank=True)
    due_provisional = models.BooleanField(default=False)
    warning = models.CharField(max_length=8, choices=WarningLevel.choices, default=WarningLevel.GREEN,
                               help_text="Recomputed by `shebao tick` from the nearest due date.")
    event_dates = models.JSONField(
        default=dict, help_text="Dates of the events later steps count from: {event key: ISO date}.")
    suspended_since = models.DateField(null=True, blank=True)
    suspended_days = models.JSONField(default=list, help_text="Closed suspension intervals [[start, end], …].")

    class Meta:
        ordering = ["-submitted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["submitted_by", "idempotency_key"], name="uniq_case_idempotency",
                condition=~models.Q(idempotency_key=""),
            ),
        ]
        indexes = [
            # The clerk's queue: an office's open cases by urgency (selectors.work_queue).
            # "id" last: the key the page is read by, so PostgreSQL answers from the index alone.
            models.Index(fields=["org_unit", "status", "promised_due", "submitted_at", "id"], name="case_queue"),
            models.Index(fields=["status", "promised_due"]),
            # Look-ups at the window (selectors.case_list): by ID number, credit code, name prefix.
            models.Index(fields=["applicant_id_number"], name="case_applicant_id"),
            models.Index(fields=["applicant_credit_code"], name="case_applicant_credit"),
            models.Index(fields=["applicant_key"], name="case_applicant_key"),
        ]
        verbose_name = "办件"
        verbose_name_plural = "办件"

    def __str__(self) -> str:
        return f"{self.number or self.public_id} {self.item.name}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.applicant_key = applicant_key(self.applicant_name)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "applicant_name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "applicant_key"}
        super().save(*args, **kwargs)

    @property
    def reference(self) -> str:
        """What the applicant quotes: the 办件编号 once accepted, else the application id."""
        return case_reference(self.number, self.public_id)


def case_reference(number: str | None, public_id: Any) -> str:
    """``Case.reference`` from the two columns (for reads that load columns, not cases)."""
    return number or f"申请{str(public_id)[:8].upper()}"


class CaseMaterial(models.Model):
    """One entry of the guide version's material list, as checked at the window."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="materials")
    material = models.ForeignKey(Material, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveIntegerField()
    text = models.TextField()
    conditional = models.BooleanField(default=False)
    original_received = models.BooleanField(default=False)
    copy_received = models.BooleanField(default=False)
    not_applicable = models.BooleanField(default=False, help_text="A conditional material this case does not need.")
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["case", "position"]
        constraints = [models.UniqueConstraint(fields=["case", "material"], name="uniq_case_material")]

    def __str__(self) -> str:
        return self.text[:40]

    @property
    def received(self) -> bool:
        if self.not_applicable:
            return True
        needs_original = bool(self.material.original_count)
        needs_copy = bool(self.material.copy_count)
        if not needs_original and not needs_copy:
            return self.original_received or self.copy_received
        return (not needs_original or self.original_received) and (not needs_copy or self.copy_received)


class StepStatus(models.TextChoices):
    PENDING = "pending", "未开始"
    ACTIVE = "active", "办理中"
    DONE = "done", "已完成"
    SKIPPED = "skipped", "未办理"


class StepOutcome(models.TextChoices):
    PASS = "pass", "通过"
    RETURN = "return", "退回"
    FAIL = "fail", "不通过"


class CaseStep(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveIntegerField()
    key = models.CharField(max_length=40)
    name = models.CharField(max_length=200)
    role = models.CharField(max_length=30, blank=True)
    level = models.CharField(max_length=12)
    kind = models.CharField(max_length=16)
    rule = models.CharField(max_length=200, blank=True)
    anchor = models.CharField(max_length=40, blank=True)
    event = models.CharField(max_length=40, blank=True)
    emits = models.CharField(max_length=40, blank=True, help_text="Event recorded when this step is done.")
    auto = models.BooleanField(default=False)
    batch = models.ForeignKey("Batch", null=True, blank=True, on_delete=models.PROTECT, related_name="steps")
    org_unit = models.ForeignKey(OrgUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=StepStatus.choices, default=StepStatus.PENDING)
    outcome = models.CharField(max_length=8, choices=StepOutcome.choices, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    due = models.DateField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["case", "position"]
        constraints = [
            models.UniqueConstraint(fields=["case", "position"], name="uniq_case_step_position"),
            # One open step per case, enforced by the database, not only by the code.
            models.UniqueConstraint(fields=["case"], condition=models.Q(status="active"), name="one_active_step"),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.name}"


class Batch(models.Model):
    """A monthly batch: the cases one office sends on by a cut-off day (每月20日前汇总报送).

    Created by the scheduler; (sending office, step, cut-off day) is unique, so two hosts running
    ``shebao tick`` at once still make one batch."""

    org_unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="batches")
    step_key = models.CharField(max_length=40)
    cutoff = models.DateField()
    sent_at = models.DateTimeField()

    class Meta:
        ordering = ["-cutoff"]
        constraints = [models.UniqueConstraint(fields=["org_unit", "step_key", "cutoff"], name="uniq_batch")]

    def __str__(self) -> str:
        return f"{self.org_unit} {self.cutoff:%Y-%m} 批次"


class NoticeKind(models.TextChoices):
    INCOMPLETE = "incomplete", "一次性告知书"
    ACCEPTANCE = "acceptance", "受理通知书"
    REFUSAL = "refusal", "不予受理通知书"
    RESULT = "result", "办结通知书"


class Notice(models.Model):
    """A numbered written notice (文书). Its content is frozen when issued."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField(max_length=12, choices=NoticeKind.choices)
    number = models.CharField(max_length=32, unique=True)
    issued_at = models.DateTimeField()
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    content = models.JSONField(default=dict)

    class Meta:
        ordering = ["case", "issued_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}"


class CaseEvent(models.Model):
    """The case's timeline, in the order things happened (the audit chain holds the same facts)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    actor = models.CharField(max_length=150)
    action = models.CharField(max_length=60)
    status_before = models.CharField(max_length=12, blank=True)
    status_after = models.CharField(max_length=12, blank=True)
    detail = models.JSONField(default=dict)

    class Meta:
        ordering = ["case", "at", "id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action}"


class Rating(models.Model):
    """好差评: one rating per completed case, by its applicant."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="rating")
    score = models.PositiveSmallIntegerField(help_text="1 (非常不满意) … 5 (非常满意)")
    comment = models.TextField(blank=True)
    rated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.case.reference}: {self.score}"


class Rectification(models.Model):
    """整改任务 opened for the office by a poor rating."""

    class Status(models.TextChoices):
        OPEN = "open", "待整改"
        DONE = "done", "已整改"

    rating = models.OneToOneField(Rating, on_delete=models.CASCADE, related_name="rectification")
    org_unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="rectifications")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    opened_at = models.DateTimeField()
    reply = models.TextField(blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"整改 {self.rating.case.reference}"


class DailySequence(models.Model):
    """Per office and day counters for 办件编号 and notice numbers (row-locked when incremented)."""

    scope = models.CharField(max_length=40)
    day = models.DateField()
    value = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scope", "day"], name="uniq_daily_sequence")]

    def __str__(self) -> str:
        return f"{self.scope} {self.day}: {self.value}"
