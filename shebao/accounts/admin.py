"""Admin for units and profiles. Role membership is the user's groups (one group per role).

An applicant's online account carries the person's 身份证号, which the admin form shows in full
(setting up an account needs it): every opening of such a form is a personal-data read, logged
like a registry person page (``privacy.personal_data_read``, channel 管理后台). Lists show only the
masked number."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest

from shebao.privacy.masking import mask_id_number
from shebao.privacy.models import SubjectKind
from shebao.privacy.services import personal_data_read

from .models import ApplicantProfile, OrgUnit, StaffProfile


class LogsApplicantNumberReads:
    """For a ModelAdmin whose change form shows an applicant profile's full 身份证号: each opening
    of the form (GET, answered 200) is a personal-data read. ``shown_profile`` says which profile
    the form for ``pk`` shows, if any."""

    def shown_profile(self, pk: int) -> ApplicantProfile | None:
        raise NotImplementedError

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "",
                    extra_context: dict[str, Any] | None = None) -> Any:
        response = super().change_view(request, object_id, form_url, extra_context)  # type: ignore[misc]
        if request.method == "GET" and response.status_code == 200 and str(object_id).isdigit():
            profile = self.shown_profile(int(object_id))
            if profile is not None and profile.id_number:
                personal_data_read(request=request, subject_kind=SubjectKind.ACCOUNT,
                                   subject_key=profile.user.get_username(), subject_name=profile.name,
                                   id_number=profile.id_number)
        return response


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
class ApplicantProfileAdmin(LogsApplicantNumberReads, admin.ModelAdmin[ApplicantProfile]):
    list_display = ("name", "kind", "user", "id_number_masked", "credit_code", "phone")
    list_filter = ("kind",)
    # A full 身份证号 finds the account (exact match); the list shows it masked.
    search_fields = ("name", "user__username", "credit_code", "=id_number")
    list_select_related = ("user",)
    autocomplete_fields = ("user",)

    @admin.display(description="身份证号")
    def id_number_masked(self, profile: ApplicantProfile) -> str:
        return mask_id_number(profile.id_number) if profile.id_number else ""

    def shown_profile(self, pk: int) -> ApplicantProfile | None:
        return ApplicantProfile.objects.filter(pk=pk).select_related("user").first()


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
class ShebaoUserAdmin(LogsApplicantNumberReads, UserAdmin[Any]):
    inlines = (StaffProfileInline, ApplicantProfileInline)
    list_filter = ("groups", "is_staff", "is_superuser", "is_active")

    def shown_profile(self, pk: int) -> ApplicantProfile | None:
        # The user's applicant profile, shown inline.
        return ApplicantProfile.objects.filter(user_id=pk).select_related("user").first()
