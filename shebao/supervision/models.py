"""Supervision (督办): a fact table the dashboards aggregate in SQL, compliance findings, and
supervision orders (督办单) with their replies and escalations.

``CaseFact`` is a read model of ``cases.Case``: one row per case, rewritten by
``facts.case_facts_refresh`` whenever the case changed (its ``lock_version`` moved) or its
warning level did. It holds what SQL cannot compute from the case row alone: the handling time
in working days on the official calendar (suspensions not counted), whether the promised and
statutory limits were kept, the officer responsible, whether a 一次性告知 was issued, the rating.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from shebao.accounts.models import OrgUnit
from shebao.cases.models import Case


class CaseFact(models.Model):
    case = models.OneToOneField(Case, primary_key=True, on_delete=models.CASCADE, related_name="supervision_fact")
    case_version = models.PositiveIntegerField(help_text="Case.lock_version when this row was computed.")
    # No single-column indexes on the grouping columns: they would tempt the planner into scanning
    # the whole table in group order; the covering indexes below serve every query.
    office = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+", help_text="受理机构",
                               db_index=False)
    item_code = models.CharField(max_length=20)
    item_name = models.CharField(max_length=200)
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="承办人: who accepted the case (or refused it, or took it in at the window).", db_index=False,
    )
    channel = models.CharField(max_length=10)
    status = models.CharField(max_length=12)
    warning = models.CharField(max_length=8, default="green")
    result = models.CharField(max_length=8, blank=True)

    received_on = models.DateField(help_text="收件日期 (local date of submission).")
    accepted_on = models.DateField(null=True, blank=True, help_text="受理日期 (receipt date when deemed accepted).")
    closed_on = models.DateField(null=True, blank=True, help_text="办结 / 不予受理 / 撤回 date.")
    legal_due = models.DateField(null=True, blank=True)
    promised_due = models.DateField(null=True, blank=True)

    handling_wd = models.PositiveIntegerField(
        null=True, blank=True, help_text="Working days from 受理 to 办结, suspensions excluded (completed only).")
    suspended_wd = models.PositiveIntegerField(default=0, help_text="Working days spent suspended (中止).")
    on_time_promised = models.BooleanField(null=True, help_text="Completed by the promised due date (null: no limit).")
    on_time_legal = models.BooleanField(null=True, help_text="Completed by the statutory due date (null: no limit).")
    had_incomplete_notice = models.BooleanField(default=False, help_text="A 一次性告知书 was issued.")
    incomplete_notices = models.PositiveSmallIntegerField(default=0)
    deemed_accepted = models.BooleanField(default=False)
    suspended = models.BooleanField(default=False, help_text="Was suspended at least once.")
    extended = models.BooleanField(default=False, help_text="A time-limit extension (延期) was recorded.")
    rating = models.PositiveSmallIntegerField(null=True, blank=True, help_text="好差评 score 1–5.")
    refreshed_at = models.DateTimeField()

    class Meta:
        # Covering indexes, one per date the figures count by: each summary query reads only its
        # index (no table look-ups) and scans only the period's range (docs/supervision.md).
        indexes = [
            models.Index(fields=["received_on", "office", "item_code", "officer", "had_incomplete_notice"],
                         name="sv_fact_received"),
            models.Index(fields=["accepted_on", "office", "item_code", "officer"], name="sv_fact_accepted"),
            models.Index(fields=["status", "closed_on", "office", "item_code", "officer", "handling_wd",
                                 "on_time_promised", "on_time_legal", "rating"], name="sv_fact_closed"),
            models.Index(fields=["status", "warning", "office", "item_code", "officer"], name="sv_fact_open"),
        ]
        verbose_name = "办件统计事实"
        verbose_name_plural = "办件统计事实"

    def __str__(self) -> str:
        return f"fact {self.case_id}"


class FindingKind(models.TextChoices):
    OVER_LEGAL = "over_legal", "超过法定时限"
    OVER_PROMISED = "over_promised", "超过承诺时限"
    STEP_OVERDUE = "step_overdue", "环节超时"
    STEP_SKIPPED = "step_skipped", "环节未办理即办结"
    EXTRA_MATERIAL = "extra_material", "要求清单以外的材料"
    SECOND_NOTICE = "second_notice", "重复一次性告知"
    LATE_NOTICE = "late_notice", "逾期作出一次性告知"
    DEEMED_ACCEPTED = "deemed_accepted", "逾期未告知，视为受理"


FINDING_SEVERITY = {
    FindingKind.OVER_LEGAL: 3, FindingKind.EXTRA_MATERIAL: 3, FindingKind.SECOND_NOTICE: 3,
    FindingKind.STEP_SKIPPED: 3, FindingKind.OVER_PROMISED: 2, FindingKind.LATE_NOTICE: 2,
    FindingKind.DEEMED_ACCEPTED: 2, FindingKind.STEP_OVERDUE: 1,
}


class Finding(models.Model):
    """A case handled outside its guide version, found by the compliance checks."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="supervision_findings")
    kind = models.CharField(max_length=20, choices=FindingKind.choices)
    key = models.CharField(max_length=60, blank=True, help_text="Distinguishes findings of one kind (a step key).")
    office = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    item_code = models.CharField(max_length=20)
    detail = models.TextField()
    found_on = models.DateField(help_text="When the problem occurred (a late completion: the day of 办结).")

    class Meta:
        ordering = ["-found_on", "-id"]
        constraints = [models.UniqueConstraint(fields=["case", "kind", "key"], name="sv_uniq_finding")]
        indexes = [models.Index(fields=["kind", "found_on"], name="sv_finding_kind")]
        verbose_name = "合规问题"
        verbose_name_plural = "合规问题"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.case_id}"

    @property
    def severity(self) -> int:
        return FINDING_SEVERITY.get(FindingKind(self.kind), 1)


class OrderStatus(models.TextChoices):
    ISSUED = "issued", "待回复"
    REPLIED = "replied", "已回复待审核"
    CLOSED = "closed", "已办结"


class OrderLevel(models.IntegerChoices):
    NORMAL = 1, "一般督办"
    KEY = 2, "重点督办"
    LISTED = 3, "挂牌督办"


class SupervisionOrder(models.Model):
    """督办单: issued by a supervisor on a case or an office; the office replies by a deadline in
    working days; unanswered it escalates (一般 → 重点 → 挂牌督办)."""

    number = models.CharField(max_length=24, unique=True)
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.PROTECT, related_name="supervision_orders")
    office = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="supervision_orders",
                               help_text="The office that must reply (the case's office for a case order).")
    finding = models.ForeignKey(Finding, null=True, blank=True, on_delete=models.SET_NULL, related_name="orders")
    subject = models.CharField(max_length=120)
    demand = models.TextField(help_text="督办事项及要求")
    level = models.PositiveSmallIntegerField(choices=OrderLevel.choices, default=OrderLevel.NORMAL)
    status = models.CharField(max_length=10, choices=OrderStatus.choices, default=OrderStatus.ISSUED)
    lock_version = models.PositiveIntegerField(default=0)
    reply_days = models.PositiveSmallIntegerField(help_text="Working days allowed for the reply.")
    reply_due = models.DateField()
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField()
    reply = models.TextField(blank=True)
    replied_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    replied_at = models.DateTimeField(null=True, blank=True)
    replied_late = models.BooleanField(default=False)
    escalated_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    closed_at = models.DateTimeField(null=True, blank=True)
    close_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-issued_at", "-id"]
        indexes = [models.Index(fields=["status", "reply_due"], name="sv_order_due")]
        verbose_name = "督办单"
        verbose_name_plural = "督办单"

    def __str__(self) -> str:
        return self.number


class OrderEvent(models.Model):
    """The order's timeline: issued, replied, returned, escalated, closed."""

    order = models.ForeignKey(SupervisionOrder, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    actor = models.CharField(max_length=150)
    action = models.CharField(max_length=20)
    detail = models.JSONField(default=dict)

    class Meta:
        ordering = ["order", "at", "id"]

    def __str__(self) -> str:
        return f"{self.order_id} {self.action}"


class OrderCounter(models.Model):
    """Per-year sequence of 督办单 numbers (row-locked when incremented)."""

    year = models.PositiveIntegerField(unique=True)
    value = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.value}"


class RefreshState(models.Model):
    """When the case facts were last reconciled in full (shown on the dashboard)."""

    name = models.CharField(max_length=30, unique=True)
    at = models.DateTimeField()
    detail = models.JSONField(default=dict)

    def __str__(self) -> str:
        return f"{self.name} {self.at:%Y-%m-%d %H:%M}"


class RollupGrain(models.TextChoices):
    """Which of a fact's groupings a roll-up row keeps (the others hold 0 / "")."""

    OFFICE_OFFICER = "oo", "机构×承办人"
    OFFICE_ITEM = "oi", "机构×事项"
    ITEM = "i", "事项"


class SummaryRollup(models.Model):
    """Monthly roll-up of ``CaseFact`` for the summary: what ``selectors.summary`` would count
    over a whole month, per grain (``RollupGrain``), office, item, officer and handling time.

    A row with ``hw = COUNTS`` holds the cases received, accepted and refused in ``month`` (each by
    its own date); a row with ``hw >= 0`` (``NO_HW`` for a completed case without a handling time)
    holds the cases completed in ``month`` with that handling time, with their on-time and rating
    counts — a histogram, so the 90th percentile stays exact. Maintained by ``rollup.py`` in the
    same transaction as every write of a fact (docs/decisions/0012-rollup-monthly-summary.md)."""

    COUNTS = -2
    NO_HW = -1

    grain = models.CharField(max_length=2, choices=RollupGrain.choices)
    month = models.DateField(help_text="First day of the month.")
    office_id = models.IntegerField(help_text="OrgUnit id; 0 when the grain does not keep the office.")
    item_code = models.CharField(max_length=20, help_text="业务编号; empty when the grain does not keep it.")
    officer_id = models.IntegerField(help_text="承办人 user id; 0: none, or the grain does not keep it.")
    hw = models.IntegerField(help_text="Handling time in working days; -2: the counts row; -1: none.")
    received = models.IntegerField(default=0)
    incomplete = models.IntegerField(default=0)
    accepted = models.IntegerField(default=0)
    refused = models.IntegerField(default=0)
    completed = models.IntegerField(default=0)
    promised_base = models.IntegerField(default=0)
    promised_ok = models.IntegerField(default=0)
    legal_base = models.IntegerField(default=0)
    legal_ok = models.IntegerField(default=0)
    r1 = models.IntegerField(default=0)
    r2 = models.IntegerField(default=0)
    r3 = models.IntegerField(default=0)
    r4 = models.IntegerField(default=0)
    r5 = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(
            fields=["grain", "month", "office_id", "item_code", "officer_id", "hw"], name="sv_rollup_key")]
        verbose_name = "督办汇总月表"
        verbose_name_plural = "督办汇总月表"

    def __str__(self) -> str:
        return f"{self.grain} {self.month:%Y-%m} {self.office_id}/{self.item_code}/{self.officer_id}/{self.hw}"
