"""Keep the per-object role and unit caches of ``selectors`` honest within one request or test."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models.signals import m2m_changed, post_delete, post_save

from .models import StaffProfile
from .selectors import user_cache_clear


def _groups_changed(sender: Any, instance: Any, action: str, reverse: bool, **kwargs: Any) -> None:
    if not reverse and action in {"post_add", "post_remove", "post_clear"}:
        user_cache_clear(instance)


def _profile_changed(sender: Any, instance: StaffProfile, **kwargs: Any) -> None:
    # Only the user object the profile holds, if it is loaded; others are refreshed next request.
    user = instance._state.fields_cache.get("user")
    if user is not None:
        user_cache_clear(user)


def connect() -> None:
    user_model = get_user_model()
    m2m_changed.connect(_groups_changed, sender=user_model.groups.through, dispatch_uid="accounts.groups_changed")
    post_save.connect(_profile_changed, sender=StaffProfile, dispatch_uid="accounts.staff_profile_saved")
    post_delete.connect(_profile_changed, sender=StaffProfile, dispatch_uid="accounts.staff_profile_deleted")
