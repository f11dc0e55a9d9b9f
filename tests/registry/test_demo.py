"""``shebao demo``: a small synthetic city, valid identifiers, one audit event, repeatable."""

from __future__ import annotations

from datetime import date

import pytest

from shebao.cases.models import Case, CaseStatus, CaseStep
from shebao.catalog.models import CatalogVersion
from shebao.cli import main
from shebao.core.identifiers import validate_credit_code, validate_id_number
from shebao.core.models import AuditEvent
from shebao.registry.demo import demo_city, demo_registry_seed
from shebao.registry.models import Card, Employer, Person, Relationship

pytestmark = pytest.mark.django_db


def test_small_city_is_valid_and_audited_once(catalog: CatalogVersion) -> None:
    events = AuditEvent.objects.count()
    report = demo_city(employers=6, persons=300, seed=5, cases=80, today=date(2026, 11, 2))
    assert report.employers == 6 and report.persons == 300 and report.cases == 80
    assert AuditEvent.objects.filter(action="registry.demo_city_generated").count() == 1
    assert AuditEvent.objects.count() - events <= 40  # one for the run (plus the office sync, once)
    for employer in Employer.objects.all():
        assert validate_credit_code(employer.credit_code) == employer.credit_code
    numbers = list(Person.objects.values_list("id_number", flat=True))
    assert len(set(numbers)) == 300 and all(validate_id_number(n) == n for n in numbers)
    assert Relationship.objects.filter(status="active", insurance_type="pension").values("person").distinct().count() > 50
    assert Card.objects.count() > 150
    numbered = list(Case.objects.exclude(number=None).values_list("number", flat=True))
    assert len(numbered) == len(set(numbered))
    accepted = Case.objects.filter(status=CaseStatus.ACCEPTED)
    assert CaseStep.objects.filter(case__in=accepted, status="active").count() == accepted.count()
    # A second run adds a second city without clashing.
    assert main(["demo", "--employers", "2", "--persons", "20", "--seed", "6", "--cases", "5"]) == 0
    assert Person.objects.count() == 320


def test_core_demo_applicants_registered(catalog: CatalogVersion) -> None:
    from shebao.core.demo import demo_seed

    demo_seed()
    assert demo_registry_seed() == 3
    assert demo_registry_seed() == 0
    assert Employer.objects.get(name="武汉市示例科技有限公司").relationships.filter(status="active").count() == 5
