"""Admin for units and profiles. Role membership is the user's groups (one group per role)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest

from .models import ApplicantProfile, OrgUnit, StaffProfile


@admin.register(OrgUnit)
class OrgUnitAdmin(admin.ModelAdmin[OrgUnit]):
    list_display = ("name", "code", "level", "district", "parent", "directory_office", "key")
    list_filter = ("level", "district")
    search_fields = ("name", "code", "key", "district")
    list_select_related = ("parent", "directory_office")
    autocomplete_fields = ("parent",)
    ordering = ("level", "district", "name")

    def get_readonly_fields(self, request: HttpRequest, obj: OrgUnit | None = None) -> tuple[str, ...]:
        # The code appears in issued 办件编号 and the key in audit events: fixed once created.
        return ("key", "code") if obj is not None else ()


@admin.register(StaffProfile)
class StaffProfileAdmin(admin.ModelAdmin[StaffProfile]):
    list_display = ("display_name", "user", "org_unit")
    list_filter = ("org_unit__level", "org_unit")
    search_fields = ("display_name", "user__username", "org_unit__name")
    list_select_related = ("user", "org_unit")
    autocomplete_fields = ("user", "org_unit")


@admin.register(ApplicantProfile)
class ApplicantProfileAdmin(admin.ModelAdmin[ApplicantProfile]):
    list_display = ("name", "kind", "user", "credit_code", "phone")
    list_filter = ("kind",)
    search_fields = ("name", "user__username", "credit_code", "id_number")
    list_select_related = ("user",)
    autocomplete_fields = ("user",)


class StaffProfileInline(admin.StackedInline[StaffProfile, Any]):
    model = StaffProfile
    can_delete = False
    autocomplete_fields = ("org_unit",)
    extra = 0


class ApplicantProfileInline(admin.StackedInline[ApplicantProfile, Any]):
    model = ApplicantProfile
    can_delete = False
    extra = 0


User = get_user_model()
if admin.site.is_registered(User):
    admin.site.unregister(User)


@admin.register(User)
class ShebaoUserAdmin(UserAdmin[Any]):
    inlines = (StaffProfileInline, ApplicantProfileInline)
    list_filter = ("groups", "is_staff", "is_superuser", "is_active")
