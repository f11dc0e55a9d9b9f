"""Base model and the audit hash chain.

Every state change in shebao writes one ``AuditEvent`` in the same transaction. Each event
stores the SHA-256 of its own canonical content plus the previous event's hash, so deleting,
reordering or editing a row breaks the chain and ``shebao audit verify`` reports where.
"""

from __future__ import annotations

from django.db import models


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class AuditEvent(models.Model):
    seq = models.BigIntegerField(unique=True, help_text="Position in the chain, 1-based and gapless.")
    occurred_at = models.DateTimeField()
    actor = models.CharField(max_length=150, help_text="Username, or 'system:<job>' for scheduled work.")
    action = models.CharField(max_length=80)
    object_type = models.CharField(max_length=80)
    object_id = models.CharField(max_length=80, blank=True)
    payload = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["seq"]
        verbose_name = "审计事件"
        verbose_name_plural = "审计事件"

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"
