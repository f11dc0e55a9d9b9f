from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from shebao.core.audit import audit_record, audit_verify
from shebao.core.env import EnvironmentVariableError, env_bool, env_int, env_list, env_str
from shebao.core.models import AuditEvent


@pytest.mark.django_db
def test_audit_chain_verifies_and_detects_tampering(catalog) -> None:  # type: ignore[no-untyped-def]
    with transaction.atomic():
        audit_record(actor="tester", action="test.one", object_type="thing", object_id=1, payload={"a": "甲"})
        audit_record(actor="tester", action="test.two", object_type="thing", object_id=2)
    count, breaks = audit_verify()
    assert count == AuditEvent.objects.count() >= 3 and breaks == []

    AuditEvent.objects.filter(action="test.one").update(payload={"a": "乙"})
    _, breaks = audit_verify()
    assert [b.reason for b in breaks] == ["content does not match its hash (edited row)"]

    AuditEvent.objects.filter(action="test.one").delete()
    _, breaks = audit_verify()
    assert any("gap" in b.reason for b in breaks)


class _Undo(Exception):
    pass


@pytest.mark.django_db
def test_chain_head_is_read_once_per_transaction_and_forgotten_with_a_rolled_back_savepoint(catalog) -> None:  # type: ignore[no-untyped-def]
    with transaction.atomic():
        audit_record(actor="tester", action="test.first", object_type="thing")
        with CaptureQueriesContext(connection) as queries:
            audit_record(actor="tester", action="test.second", object_type="thing")
        # The transaction holds the chain since its first event: no lock, no head read again.
        assert [q["sql"].split()[0] for q in queries.captured_queries] == ["INSERT"]
        with pytest.raises(_Undo), transaction.atomic():
            audit_record(actor="tester", action="test.undone", object_type="thing")
            raise _Undo
        # The savepoint's event is gone, and so is the head it wrote: the next event reads it again.
        with CaptureQueriesContext(connection) as queries:
            last = audit_record(actor="tester", action="test.third", object_type="thing")
        assert any("ORDER BY seq DESC" in q["sql"] for q in queries.captured_queries)
    assert not AuditEvent.objects.filter(action="test.undone").exists()
    second = AuditEvent.objects.get(action="test.second")
    assert last.seq == second.seq + 1 and last.prev_hash == second.hash
    assert audit_verify()[1] == []


@pytest.mark.django_db(transaction=True)
def test_chain_head_memo_ends_with_its_transaction() -> None:
    with transaction.atomic():
        audit_record(actor="tester", action="test.committed", object_type="thing")
    with pytest.raises(_Undo), transaction.atomic():
        audit_record(actor="tester", action="test.rolled_back", object_type="thing")
        raise _Undo
    for _ in range(2):  # after a commit, and after a rollback: a new transaction reads the head
        with transaction.atomic(), CaptureQueriesContext(connection) as queries:
            audit_record(actor="tester", action="test.next", object_type="thing")
        assert any("ORDER BY seq DESC" in q["sql"] for q in queries.captured_queries)
    assert [e.action for e in AuditEvent.objects.filter(action__startswith="test.").order_by("seq")] == [
        "test.committed", "test.next", "test.next"]
    assert audit_verify()[1] == []


@pytest.mark.django_db(transaction=True)
def test_audit_record_refuses_to_run_outside_a_transaction() -> None:
    with pytest.raises(RuntimeError):
        audit_record(actor="x", action="y", object_type="z")


def test_env_helpers_fail_loudly() -> None:
    env = {"FLAG": "ture", "NUM": "80a", "LIST": "a, b,,c", "OK": "yes"}
    with pytest.raises(EnvironmentVariableError, match="FLAG"):
        env_bool("FLAG", False, environ=env)
    with pytest.raises(EnvironmentVariableError, match="NUM"):
        env_int("NUM", 1, environ=env)
    with pytest.raises(EnvironmentVariableError, match="MISSING"):
        env_str("MISSING", environ=env)
    assert env_bool("OK", False, environ=env) is True
    assert env_list("LIST", [], environ=env) == ["a", "b", "c"]
    assert env_int("ABSENT", 7, environ=env) == 7
