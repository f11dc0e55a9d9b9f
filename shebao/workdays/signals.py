"""Invalidate the working-day index whenever holiday data changes."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import CalendarDay, CalendarYear
from .sources import invalidate_calendar


@receiver(post_save, sender=CalendarDay)
@receiver(post_delete, sender=CalendarDay)
@receiver(post_save, sender=CalendarYear)
@receiver(post_delete, sender=CalendarYear)
def _calendar_changed(**kwargs: Any) -> None:
    # Now, so this connection's next query sees its own rows; and again after commit, so a
    # rebuild that raced with the transaction (other threads read committed data) is dropped.
    invalidate_calendar()
    transaction.on_commit(invalidate_calendar)
