"""Append to and verify the audit hash chain."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from .models import AuditEvent
from .sql import insert_one

GENESIS_HASH = "0" * 64
# Any constant works; it only has to be the same for every writer of the chain.
_PG_AUDIT_LOCK_KEY = 0x5EBA0A0D
_TABLE = AuditEvent._meta.db_table


def _canonical(
    *, seq: int, occurred_at: datetime, actor: str, action: str, object_type: str, object_id: str,
    payload: dict[str, Any], prev_hash: str,
) -> bytes:
    body = {
        "seq": seq,
        # UTC text, so the hash does not depend on the zone the time was created in.
        "occurred_at": occurred_at.astimezone(UTC).isoformat(),
        "actor": actor,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "payload": payload,
        "prev_hash": prev_hash,
    }
    return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str).encode()


def audit_record(
    *, actor: str, action: str, object_type: str, object_id: str | int = "", payload: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the chain. Must run inside the transaction of the change it records."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record must be called inside the transaction of the change it records")
    last = _head_appended_in_this_transaction()
    if last is None:
        if connection.vendor == "postgresql":
            # Serialise chain appends across app servers; released at commit or rollback.
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_PG_AUDIT_LOCK_KEY])
        # On SQLite the IMMEDIATE write transaction already serialises writers.
        # The chain head: one index probe on seq (unique), without building a model instance.
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT seq, hash FROM {_TABLE} ORDER BY seq DESC LIMIT 1")
            last = cursor.fetchone()
    seq = 1 if last is None else int(last[0]) + 1
    prev_hash = GENESIS_HASH if last is None else str(last[1])
    occurred_at = timezone.now().replace(microsecond=0)
    clean_payload = json.loads(json.dumps(payload or {}, ensure_ascii=False, default=str))
    digest = hashlib.sha256(
        _canonical(
            seq=seq, occurred_at=occurred_at, actor=actor, action=action, object_type=object_type,
            object_id=str(object_id), payload=clean_payload, prev_hash=prev_hash,
        )
    ).hexdigest()
    values = {"seq": seq, "occurred_at": occurred_at, "actor": actor, "action": action, "object_type": object_type,
              "object_id": str(object_id), "payload": clean_payload, "prev_hash": prev_hash, "hash": digest}
    insert_one(AuditEvent, values)
    _remember_head(seq, digest)
    return AuditEvent(**values)


# A transition writes two or three events in one transaction (受理: the registry note, the
# acceptance; 办结: the notice, the completion). Once this transaction has appended to the chain it
# holds the chain (the PostgreSQL advisory lock, or SQLite's write lock) until it ends, so the head
# it wrote is still the head: the next event needs neither the lock nor the read. The memo is
# tied to the transaction through an on-commit hook: Django drops the hooks of a transaction
# that commits or rolls back, and of a savepoint that rolls back (which also undoes that
# savepoint's rows and, on PostgreSQL, releases a lock taken inside it), so a memo whose hook is
# gone is never used.
_HEAD_ATTR = "_shebao_audit_head"


class _HeadToken:
    """The on-commit hook that marks a memo as this transaction's; does nothing when run."""

    __slots__ = ()

    def __call__(self) -> None:
        return None


def _head_appended_in_this_transaction() -> tuple[int, str] | None:
    memo = getattr(connection, _HEAD_ATTR, None)
    if memo is None:
        return None
    token, seq, digest = memo
    for hook in reversed(connection.run_on_commit):
        if hook[1] is token:
            return seq, digest
    setattr(connection, _HEAD_ATTR, None)
    return None


def _remember_head(seq: int, digest: str) -> None:
    token = _HeadToken()
    transaction.on_commit(token)
    setattr(connection, _HEAD_ATTR, (token, seq, digest))


@dataclass(frozen=True)
class ChainBreak:
    seq: int
    reason: str


def audit_verify() -> tuple[int, list[ChainBreak]]:
    """Walk the whole chain; return the number of events checked and every break found."""
    breaks: list[ChainBreak] = []
    expected_prev = GENESIS_HASH
    expected_seq = 1
    count = 0
    for event in AuditEvent.objects.order_by("seq").iterator(chunk_size=2000):
        count += 1
        if event.seq != expected_seq:
            breaks.append(ChainBreak(event.seq, f"gap: expected seq {expected_seq}"))
        if event.prev_hash != expected_prev:
            breaks.append(ChainBreak(event.seq, "prev_hash does not match the previous event"))
        recomputed = hashlib.sha256(
            _canonical(
                seq=event.seq, occurred_at=event.occurred_at, actor=event.actor, action=event.action,
                object_type=event.object_type, object_id=event.object_id, payload=event.payload,
                prev_hash=event.prev_hash,
            )
        ).hexdigest()
        if recomputed != event.hash:
            breaks.append(ChainBreak(event.seq, "content does not match its hash (edited row)"))
        expected_prev = event.hash
        expected_seq = event.seq + 1
    return count, breaks
