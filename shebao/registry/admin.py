"""Admin for the yearly pension uprating policy (the figures the state and province publish; not
in the guide document). Each save is audited; once a policy has been applied by ``shebao tick``
it can no longer be changed or deleted here."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import transaction
from django.http import HttpRequest

from shebao.core.audit import audit_record

from .models import UpratingPolicy


@admin.register(UpratingPolicy)
class UpratingPolicyAdmin(admin.ModelAdmin):
    list_display = ("year", "effective_month", "percent", "fixed_amount", "basis", "applied_at", "applied_count")
    readonly_fields = ("applied_at", "applied_count")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and (obj is None or obj.applied_at is None)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and (obj is None or obj.applied_at is None)

    def save_model(self, request: HttpRequest, obj: UpratingPolicy, form: Any, change: bool) -> None:
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            audit_record(actor=request.user.get_username(), action="registry.uprating_policy_saved",
                         object_type="uprating_policy", object_id=str(obj.year),
                         payload={"effective_month": str(obj.effective_month), "percent": str(obj.percent),
                                  "fixed_amount": str(obj.fixed_amount), "basis": obj.basis})

    def delete_model(self, request: HttpRequest, obj: UpratingPolicy) -> None:
        with transaction.atomic():
            audit_record(actor=request.user.get_username(), action="registry.uprating_policy_deleted",
                         object_type="uprating_policy", object_id=str(obj.year), payload={})
            super().delete_model(request, obj)
