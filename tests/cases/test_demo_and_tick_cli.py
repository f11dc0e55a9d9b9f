from __future__ import annotations

import pytest

from shebao.cases.demo import demo_cases_seed
from shebao.cases.models import Case, CaseStatus
from shebao.cli import main
from shebao.core.audit import audit_verify
from shebao.core.demo import demo_seed
from shebao.registry.demo import demo_registry_seed
from shebao.registry.models import CaseData, Employer

pytestmark = pytest.mark.django_db


def test_demo_cases_cover_the_states_and_are_seeded_once(catalog) -> None:  # type: ignore[no-untyped-def]
    demo_seed()
    demo_registry_seed()
    assert demo_cases_seed() == 5
    assert demo_cases_seed() == 0
    statuses = sorted(Case.objects.values_list("status", flat=True))
    assert statuses == sorted([CaseStatus.SUBMITTED, CaseStatus.INCOMPLETE, CaseStatus.ACCEPTED,
                               CaseStatus.COMPLETED, CaseStatus.SUBMITTED])
    # The accepted and completed cases carry their registry data; the completed one changed the registry.
    assert CaseData.objects.filter(case__status__in=[CaseStatus.ACCEPTED, CaseStatus.COMPLETED]).count() == 2
    assert Employer.objects.get(credit_code=Case.objects.get(status=CaseStatus.COMPLETED).applicant_credit_code
                                ).industry_class == 2
    assert audit_verify()[1] == []


def test_tick_command(catalog, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    assert main(["tick", "--now", "2026-11-30T09:00"]) == 0
    out = capsys.readouterr().out
    assert "tick at 2026-11-30T09:00:00+08:00" in out and "batches sent: 0" in out
    assert main(["tick", "--now", "not-a-time"]) == 2
    assert "not an ISO date-time" in capsys.readouterr().err


def test_token_command_prints_a_working_token(catalog, capsys: pytest.CaptureFixture[str], client) -> None:  # type: ignore[no-untyped-def]
    from django.contrib.auth.models import User

    User.objects.create_user(username="api.user", password="x-long-password-2017")
    assert main(["token", "create", "api.user", "--name", "接口测试"]) == 0
    key = capsys.readouterr().out.strip()
    assert key.startswith("sb_")
    assert client.get("/api/v1/cases", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 200
    assert client.get("/api/v1/cases", HTTP_AUTHORIZATION="Bearer sb_wrong").status_code == 401
    assert main(["token", "create", "nobody"]) == 2
