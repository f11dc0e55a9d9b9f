from __future__ import annotations

import pytest
from django.db import transaction

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
