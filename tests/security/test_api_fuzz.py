"""Schemathesis against ``/api/v1/openapi.json``: every operation, generated valid and invalid
input, sent through the WSGI application as an anonymous client and with the API tokens of an
administrator (past every staff gate) and of a window clerk.

Required of every response: no 5xx; its status code is one the operation documents (so every
error is a documented 4xx); its body matches the documented schema and content type. Bounded by
``SHEBAO_FUZZ_EXAMPLES`` examples per operation, mode and client (default 8), so the run takes a
minute or so; the number of requests is printed at the end.
"""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable

from shebao.core.tokens import token_create
from tests.cases import personas

from .figures import add

schemathesis = pytest.importorskip("schemathesis")
from schemathesis import checks as st_checks  # noqa: E402
from schemathesis.core.failures import FailureGroup  # noqa: E402
from schemathesis.generation import GenerationMode  # noqa: E402

EXAMPLES = int(os.environ.get("SHEBAO_FUZZ_EXAMPLES", "8"))
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _keep_the_test_connection() -> Iterator[None]:
    """The requests go through Django's WSGI handler, whose request signals close "old" database
    connections; inside the test's transaction that would close the test's own PostgreSQL
    connection. Django's test client unhooks them the same way."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def _schema() -> Any:
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


def _operations() -> list[Any]:
    return [result.ok() for result in _schema().get_all_operations()]


def _token() -> str:
    o = personas.offices()
    admin = personas.staff("fuzz.admin", "admin", o.district_ja)
    admin.is_superuser = True
    admin.save(update_fields=["is_superuser"])
    return token_create(user=admin, name="fuzz", actor="test")


def _real_objects() -> dict[str, str]:
    """Identifiers of objects that exist, for the path parameters of that name."""
    from shebao.cases import services

    o = personas.offices()
    clerk = personas.staff("fuzz.clerk", "window_clerk", o.district_ja)
    case = services.case_submit(item_code="SBZX00024", channel="counter", org_unit=o.district_ja, submitted_by=clerk,
                                applicant_type="unit", applicant_name="武汉模糊测试有限公司",
                                applicant_credit_code=personas.credit_code())
    return {"case_id": str(case.public_id), "code": "SBZX00024", "number": "1", "action": "submit"}


@dataclass
class Tally:
    statuses: Counter[int] = field(default_factory=Counter)
    per_operation: dict[str, Counter[tuple[str, int]]] = field(default_factory=lambda: defaultdict(Counter))
    failures: list[str] = field(default_factory=list)


CHECKS = [st_checks.not_a_server_error, st_checks.status_code_conformance, st_checks.response_schema_conformance,
          st_checks.content_type_conformance]


def _fuzz(operation: Any, mode: Any, strategy: Any, clients: dict[str, dict[str, str]], tally: Tally) -> None:
    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(case=strategy, client=st.sampled_from(sorted(clients)))
    def run(case: Any, client: str) -> None:
        response = case.call(headers=clients[client])
        tally.statuses[response.status_code] += 1
        tally.per_operation[operation.label][(client, response.status_code)] += 1
        try:
            case.validate_response(response, checks=CHECKS)
        except (AssertionError, FailureGroup) as exc:  # collect them all, report them together
            found = exc.exceptions if isinstance(exc, FailureGroup) else [exc]
            for failure in found:
                title = str(getattr(failure, "title", "")) or str(failure).strip().splitlines()[0]
                tally.failures.append(f"{operation.label} [{mode.value}, {client}] {response.status_code}: {title}"
                                      f" — {response.content[:160]!r}")

    try:
        run()
    except Unsatisfiable:
        # Nothing to make invalid (an operation without parameters, in negative mode).
        assert mode == GenerationMode.NEGATIVE, operation.label


def test_fuzz_every_operation(catalog) -> None:  # type: ignore[no-untyped-def]
    operations = _operations()
    assert len(operations) >= 50
    token = _token()
    real = _real_objects()
    clerk = personas.staff("fuzz.clerk", "window_clerk", personas.offices().district_ja)
    clerk_token = token_create(user=clerk, name="fuzz", actor="test")
    clients: dict[str, dict[str, str]] = {
        "anonymous": {}, "admin token": {"Authorization": f"Bearer {token}"},
        "clerk token": {"Authorization": f"Bearer {clerk_token}"}}
    tally = Tally()
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            strategy = operation.as_strategy(generation_mode=mode)
            names = {param.name for param in operation.path_parameters}
            if names and names <= set(real):
                # Half the examples address objects that exist, so the fuzzed bodies reach the services.
                strategy = st.one_of(strategy, operation.as_strategy(
                    generation_mode=mode, path_parameters={name: real[name] for name in names}))
            _fuzz(operation, mode, strategy, clients, tally)

    if os.environ.get("SHEBAO_FUZZ_VERBOSE"):
        for label, counts in sorted(tally.per_operation.items()):
            print(label, dict(sorted(counts.items())))
    total = sum(tally.statuses.values())
    add("api fuzzing: operations", len(operations))
    add("api fuzzing: requests fuzzed", total)
    add("api fuzzing: 5xx responses", sum(n for s, n in tally.statuses.items() if s >= 500))
    unique = sorted(set(tally.failures))
    assert unique == [], f"{len(unique)} problems:\n" + "\n".join(unique[:80])
    # Every operation was exercised, and the token client got past the gates somewhere.
    assert set(tally.per_operation) == {op.label for op in operations}
    assert tally.statuses[200] + tally.statuses[201] > len(operations) // 2
