from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import PersonalDataAccess


@admin.register(PersonalDataAccess)
class PersonalDataAccessAdmin(admin.ModelAdmin[PersonalDataAccess]):
    """Read-only: the log is evidence, so nobody edits or deletes it here."""

    list_display = ["at", "username", "subject_kind", "subject_key", "subject_name", "id_number_masked",
                    "full_id_shown", "channel", "ip_address"]
    list_filter = ["subject_kind", "channel", "full_id_shown"]
    search_fields = ["username", "subject_key", "subject_name"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
