"""Role groups (seeded by migration) and organisational units synced from the office directory."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps as django_apps
from django.contrib.auth.models import Group
from django.db import connection, transaction

from shebao.accounts import services
from shebao.accounts.models import OrgLevel, OrgUnit, Role
from shebao.catalog.models import CatalogVersion, Office
from shebao.core.errors import Conflict, ValidationFailed
from shebao.core.models import AuditEvent

from .conftest import ACTOR

pytestmark = pytest.mark.django_db

role_migration = importlib.import_module("shebao.accounts.migrations.0002_role_groups")


def test_migration_seeded_one_group_per_role() -> None:
    assert set(Role.values) <= set(Group.objects.values_list("name", flat=True))
    assert len(Role.values) == 12


def test_frozen_migration_list_matches_the_roles() -> None:
    assert list(role_migration.ROLE_GROUPS) == list(Role.values)


def test_migration_function_is_idempotent() -> None:
    class _Editor:
        pass

    editor = _Editor()
    editor.connection = connection  # type: ignore[attr-defined]
    Group.objects.filter(name="finance").delete()
    role_migration.create_role_groups(django_apps, editor)
    role_migration.create_role_groups(django_apps, editor)
    assert Group.objects.filter(name__in=Role.values).count() == len(Role.values)


def test_role_groups_ensure_recreates_missing_groups_once() -> None:
    Group.objects.filter(name__in=["supervisor", "agent"]).delete()
    assert services.role_groups_ensure(actor=ACTOR) == 2
    assert services.role_groups_ensure(actor=ACTOR) == 0
    assert AuditEvent.objects.filter(action="role_group.created").count() == 2


def test_sync_creates_the_14_district_units_linked_to_the_directory(catalog: CatalogVersion) -> None:
    changed = services.org_units_sync(actor=ACTOR)
    districts = list(OrgUnit.objects.filter(level=OrgLevel.DISTRICT).order_by("key"))
    assert [u.key for u in districts] == [f"district-{n:02d}" for n in range(1, 15)]
    offices = {o.pk: o for o in Office.objects.filter(kind=Office.Kind.DISTRICT)}
    assert {u.directory_office_id for u in districts} == set(offices)
    for unit in districts:
        office = offices[unit.directory_office_id]  # type: ignore[index]
        assert unit.name == office.name and unit.district == office.district and unit.parent is None
    assert {u.district: u.code for u in districts}["江岸"] == "JA"
    assert len({u.code for u in OrgUnit.objects.all()}) == OrgUnit.objects.count()

    city = {u.key: u for u in OrgUnit.objects.filter(level=OrgLevel.CITY)}
    bureau = {u.key: u for u in OrgUnit.objects.filter(level=OrgLevel.BUREAU)}
    assert {"city-insurance", "city-insurance-finance", "city-medical", "city-injury", "city-unemployment"} <= set(city)
    assert city["city-insurance-finance"].parent == city["city-insurance"]
    assert {"bureau-pension", "bureau-injury", "bureau-policy"} <= set(bureau)
    # Hotline, residents' bureaus, district medical/card offices and district HR bureaus are not units.
    assert not OrgUnit.objects.exclude(directory_office__kind__in=["district", "city_centre", "bureau_division"]).exists()
    assert changed == OrgUnit.objects.count() == 14 + len(city) + len(bureau)
    created = AuditEvent.objects.filter(action="org_unit.created", object_type="org_unit")
    assert created.count() == changed
    event = created.get(object_id="district-01")
    assert event.actor == ACTOR
    assert event.payload["code"] == "JA" and event.payload["directory_office"] == "insurance-01"


def test_sync_is_idempotent(catalog: CatalogVersion) -> None:
    services.org_units_sync(actor=ACTOR)
    events = AuditEvent.objects.count()
    assert services.org_units_sync(actor=ACTOR) == 0
    assert AuditEvent.objects.count() == events


def test_sync_follows_a_renamed_office_but_keeps_the_code(catalog: CatalogVersion) -> None:
    services.org_units_sync(actor=ACTOR)
    Office.objects.filter(key="insurance-01").update(name="江岸区社会保险管理处")
    assert services.org_units_sync(actor=ACTOR) == 1
    unit = OrgUnit.objects.get(key="district-01")
    assert unit.name == "江岸区社会保险管理处" and unit.code == "JA"
    event = AuditEvent.objects.filter(action="org_unit.updated").get()
    assert event.payload == {"changes": {"name": {"from": "江岸社保处", "to": "江岸区社会保险管理处"}}}


def test_sync_gives_an_unknown_new_office_a_stable_code(catalog: CatalogVersion) -> None:
    Office.objects.create(key="city-new", name="武汉市新设中心", kind=Office.Kind.CITY_CENTRE, position=5)
    services.org_units_sync(actor=ACTOR)
    code = OrgUnit.objects.get(key="city-new").code
    assert code.startswith("C") and len(code) == 5
    assert services.org_units_sync(actor=ACTOR) == 0
    assert OrgUnit.objects.get(key="city-new").code == code


def test_street_units_and_code_rules(org_units: dict[str, OrgUnit]) -> None:
    street = org_units["street-ja-test"]
    assert street.level == OrgLevel.STREET and street.parent == org_units["district-01"]
    with pytest.raises(Conflict, match="JA"):
        services.org_unit_ensure(actor=ACTOR, key="street-x", name="某街道", level="street", code="JA")
    with pytest.raises(ValidationFailed, match="2至6位"):
        services.org_unit_ensure(actor=ACTOR, key="street-y", name="某街道", level="street", code="TOOLONG1")
    with pytest.raises(ValidationFailed, match="层级"):
        services.org_unit_ensure(actor=ACTOR, key="street-z", name="某街道", level="province", code="ZZ")
    # Re-ensuring with the same data is a no-op.
    _, changed = services.org_unit_ensure(
        actor=ACTOR, key="street-ja-test", name="江岸区测试街道政务服务中心", level="street", code="IGNORED",
        parent=org_units["district-01"], district="江岸",
    )
    assert changed is False


def test_unit_changes_roll_back_with_their_audit_event(catalog: CatalogVersion) -> None:
    before = AuditEvent.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        services.org_units_sync(actor=ACTOR)
        raise RuntimeError("abort")
    assert AuditEvent.objects.count() == before and not OrgUnit.objects.exists()
