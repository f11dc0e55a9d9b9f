"""Live refresh: after a transaction that wrote a case's timeline event commits, that case's
fact is recomputed, so the dashboard shows the change without waiting for ``shebao tick``.

Every transition of a case writes a ``CaseEvent`` (``cases.services._transition``). The ids are
collected per thread and flushed by the first on-commit callback; a rolled-back transaction's ids
are picked up by the next flush (refreshing is idempotent). Failures are logged, never raised
into the case's request: ``shebao tick`` reconciles everything anyway.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from shebao.cases.models import CaseEvent

log = logging.getLogger(__name__)
_pending = threading.local()


def _ids() -> set[int]:
    ids: set[int] | None = getattr(_pending, "ids", None)
    if ids is None:
        ids = set()
        _pending.ids = ids
    return ids


def _flush() -> None:
    ids = _ids()
    if not ids:
        return
    batch = sorted(ids)
    ids.clear()
    from .facts import case_facts_refresh

    try:
        case_facts_refresh(case_ids=batch)
    except Exception:  # a read model must never break case handling
        log.exception("supervision: live refresh of %d case facts failed", len(batch))


@receiver(post_save, sender=CaseEvent, dispatch_uid="supervision_case_event_saved")
def _case_event_saved(sender: Any, instance: CaseEvent, created: bool, **kwargs: Any) -> None:
    if created and not kwargs.get("raw"):
        _ids().add(instance.case_id)
        transaction.on_commit(_flush, robust=True)
