"""The personal-data access log: who opened whose full record, when, where from.

Append-only: rows are written by ``services.personal_data_read`` and never changed; the admin
shows them read-only. They are not also written to the audit hash chain, which records state
changes: a read changes nothing, and a busy window would put thousands of reads a day into it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class SubjectKind(models.TextChoices):
    PERSON = "person", "参保人员登记"
    CASE = "case", "办件（申请人）"
    ACCOUNT = "account", "网上办事账户"


class Channel(models.TextChoices):
    WEB = "web", "网页"
    API = "api", "接口"
    ADMIN = "admin", "管理后台"


class PersonalDataAccess(models.Model):
    at = models.DateTimeField(db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    username = models.CharField(max_length=150, help_text="Kept if the account is later deleted.")
    subject_kind = models.CharField(max_length=10, choices=SubjectKind.choices)
    subject_key = models.CharField(max_length=60, db_index=True, help_text="社保编号, 办件编号 or the account's username.")
    subject_name = models.CharField(max_length=120)
    id_number_masked = models.CharField(max_length=20, blank=True)
    full_id_shown = models.BooleanField(default=False, help_text="Whether the page showed the full 身份证号.")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    path = models.CharField(max_length=200)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = "个人信息查阅记录"
        verbose_name_plural = "个人信息查阅记录"
        indexes = [models.Index(fields=["username", "-at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} → {self.subject_name}（{self.subject_key}）"
