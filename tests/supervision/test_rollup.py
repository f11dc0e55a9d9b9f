"""The monthly roll-up (``rollup.py``): exact after every kind of change of the facts, and the
summaries that read it equal the direct GROUP BY over ``CaseFact`` for random data.

Cases are written in bulk with random states, dates, offices, officers, ratings and 一次性告知
(the services would take minutes for a few hundred), then changed at random the way the case
services change them (``lock_version`` bumped), moved across months, offices and states, and
deleted. After each round the stored roll-up must equal a recomputation from the facts, and
every summary (each dimension, periods with and without whole months, each filter) must be the
same read from the roll-up as from the facts.
"""

from __future__ import annotations

import random
from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db.models import F

from shebao.accounts.models import StaffProfile
from shebao.cases.models import Case, Notice, Rating
from shebao.catalog.selectors import catalog_version_in_force
from shebao.supervision import rollup, selectors
from shebao.supervision.facts import case_facts_refresh
from shebao.supervision.models import CaseFact, RollupGrain, SummaryRollup
from tests.cases.conftest import World

TODAY = date(2026, 10, 20)
START = date(2026, 6, 10)
STATES = ["submitted", "incomplete", "accepted", "suspended", "completed", "completed", "completed", "refused",
          "withdrawn"]


def _moment(day: date, hour: int) -> datetime:
    return datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=hour)


def _shape(case: Case, rng: random.Random, staff: list, units: list) -> None:  # type: ignore[type-arg]
    """Random state and dates (in place), as a case in that state would have them."""
    received = START + timedelta(days=rng.randrange((TODAY - START).days))
    case.org_unit = rng.choice(units)
    case.submitted_by = rng.choice(staff)
    case.submitted_at = _moment(received, rng.randint(1, 8))
    case.status = rng.choice(STATES)
    case.accepted_at = case.accepted_by = case.closed_at = None
    case.result, case.warning, case.deemed_accepted = "", "green", False
    case.legal_due = case.promised_due = None
    case.event_dates, case.suspended_days = {}, []
    if case.status in ("accepted", "suspended", "completed") or (case.status == "withdrawn" and rng.random() < 0.5):
        accepted = received + timedelta(days=rng.choice([0, 0, 1, 3]))
        case.deemed_accepted = rng.random() < 0.05
        if rng.random() < 0.9:  # a few completed without 受理 data: no handling time (the -1 bucket)
            case.accepted_at = _moment(accepted, 2)
            case.accepted_by = rng.choice(staff)
        case.legal_due = accepted + timedelta(days=rng.randint(5, 40)) if rng.random() < 0.8 else None
        case.promised_due = accepted + timedelta(days=rng.randint(0, 25)) if rng.random() < 0.8 else None
        if rng.random() < 0.1:
            case.suspended_days = [[(accepted + timedelta(days=2)).isoformat(), (accepted + timedelta(days=9)).isoformat()]]
        if case.status in ("accepted", "suspended"):
            case.warning = rng.choice(["green", "yellow", "red"])
        else:
            closed = min(TODAY, accepted + timedelta(days=rng.randint(0, 60)))
            case.closed_at = _moment(closed, 7)
            case.result = "granted" if case.status == "completed" else ""
    elif case.status in ("refused", "withdrawn"):
        case.closed_at = case.submitted_at + timedelta(hours=rng.choice([1, 30, 200]))


def _random_world(world: World, rng: random.Random, n: int) -> list[Case]:
    version = catalog_version_in_force()
    assert version is not None
    items = list(version.items.order_by("position")[:6])
    o = world.offices
    units = [o.district_ja, o.street_ja, o.district_jh]
    staff = [world.clerk, world.reviewer, world.clerk_jh, world.street_clerk, None]
    cases = []
    for i in range(n):
        case = Case(item=rng.choice(items), channel=rng.choice(["counter", "counter", "online"]),
                    applicant_type="person", applicant_name="测试", applicant_key="测试", applicant_id_number="",
                    number=f"RT{i:08d}")
        _shape(case, rng, staff, units)
        cases.append(case)
    Case.objects.bulk_create(cases)
    Notice.objects.bulk_create([
        Notice(case=case, kind="incomplete", number=f"RN{case.pk:08d}", issued_at=case.submitted_at,
               content={"missing_ids": []}) for case in cases if rng.random() < 0.15])
    _rate(cases, rng)
    return cases


def _rate(cases: list[Case], rng: random.Random) -> None:
    Rating.objects.bulk_create([
        Rating(case=case, score=rng.randint(1, 5), rated_at=case.closed_at) for case in cases
        if case.status == "completed" and rng.random() < 0.3 and not Rating.objects.filter(case=case).exists()])


def _periods(rng: random.Random) -> list[dict[str, str]]:
    fixed = [
        {"from": "2026-08-01", "to": "2026-09-30"},  # whole months only
        {"from": "2026-07-15", "to": "2026-10-10"},  # whole months and days on both sides
        {"from": "2026-09-01", "to": "2026-09-30"},
        {"from": "2026-09-03", "to": "2026-09-28"},  # no whole month: the facts alone
        {"from": "2026-06-01", "to": "2026-10-20"},
    ]
    for _ in range(3):
        a = START + timedelta(days=rng.randrange(130))
        b = a + timedelta(days=rng.randrange(130))
        fixed.append({"from": a.isoformat(), "to": min(b, TODAY).isoformat()})
    return fixed


def _compare(world: World, rng: random.Random) -> int:
    """Every summary from the roll-up equals the one from the facts; returns how many of them
    actually read the roll-up."""
    o = world.offices
    from_rollup = 0
    for period in _periods(rng):
        for extra in ({}, {"office": o.district_ja.key}, {"item": CaseFact.objects.values_list(
                "item_code", flat=True).first() or ""}, {"officer": str(world.clerk.pk)},
                {"office": o.district_jh.key, "officer": str(world.clerk_jh.pk)}):
            filters = selectors.parse_filters({**period, **extra})
            for dim in ("office", "item", "officer"):
                fast = selectors.summary(filters, dim=dim)
                direct = selectors.summary(filters, dim=dim, use_rollup=False)
                assert asdict(fast[0]) == asdict(direct[0]), (period, extra, dim)
                assert [asdict(r) for r in fast[1]] == [asdict(r) for r in direct[1]], (period, extra, dim)
                from_rollup += selectors.plan(filters, dim=dim).grain is not None
            # The trend per month takes whole months from the roll-up too (per day: the facts).
            assert selectors.trend(filters) == selectors.trend(filters, use_rollup=False), (period, extra)
            if (filters.date_to - filters.date_from).days > 62:
                from_rollup += selectors.plan(filters, dim=None).grain is not None
    return from_rollup


@pytest.mark.django_db
def test_rollup_exact_through_random_changes(world: World) -> None:
    rng = random.Random(2017)
    # Officers with the same display name (as at street windows): the order of rows must not
    # depend on where the figures were read from.
    StaffProfile.objects.filter(user__in=[world.clerk, world.clerk_jh, world.street_clerk]).update(display_name="窗口1号")
    cases = _random_world(world, rng, 400)
    case_facts_refresh(today=TODAY)
    assert SummaryRollup.objects.exists()
    assert rollup.verify() == []
    assert _compare(world, rng) > 50

    # Round 2: the cases move — other state, month, office, officer; new ratings and notices.
    o = world.offices
    units = [o.district_ja, o.street_ja, o.district_jh]
    staff = [world.clerk, world.reviewer, world.clerk_jh, world.street_clerk, None]
    moved = rng.sample(cases, 150)
    for case in moved:
        _shape(case, rng, staff, units)
    Case.objects.bulk_update(moved, ["org_unit", "submitted_by", "submitted_at", "status", "accepted_at",
                                     "accepted_by", "closed_at", "result", "warning", "deemed_accepted",
                                     "legal_due", "promised_due", "event_dates", "suspended_days"])
    Case.objects.filter(pk__in=[c.pk for c in moved]).update(lock_version=F("lock_version") + 1)
    Rating.objects.filter(case__in=moved).exclude(case__status="completed").delete()
    _rate(moved, rng)
    # Part of them through the live path (exact ids), the rest through the tick's full search (the
    # quick pass does not look at long-closed cases, and these were rewritten behind its back).
    case_facts_refresh(today=TODAY, case_ids=[c.pk for c in moved[:60]])
    assert rollup.verify() == []
    case_facts_refresh(today=TODAY, full=True)
    assert rollup.verify() == []
    assert _compare(world, rng) > 50

    # Round 3: a refresh that changes nothing leaves the roll-up alone; deleted cases leave it.
    before = rollup.stored()
    case_facts_refresh(today=TODAY, case_ids=[c.pk for c in cases[:100]])
    assert rollup.stored() == before
    Case.objects.filter(pk__in=[c.pk for c in cases[:40]]).delete()
    assert rollup.verify() == []
    _compare(world, rng)


@pytest.mark.django_db
def test_rebuild_equals_the_incremental_rollup(world: World) -> None:
    rng = random.Random(58)
    _random_world(world, rng, 200)
    case_facts_refresh(today=TODAY)
    incremental = rollup.stored()
    assert incremental
    rollup.rebuild()
    assert rollup.stored() == incremental
    SummaryRollup.objects.all().delete()
    assert rollup.verify() != []  # verify can fail
    rollup.rebuild()
    assert rollup.verify() == []


def test_plan_reads_whole_months_from_the_rollup() -> None:
    def plan(period: dict[str, str], dim: str = "office", **extra: object) -> selectors.Plan:
        filters = selectors.Filters(date.fromisoformat(period["from"]), date.fromisoformat(period["to"]),
                                    **extra)  # type: ignore[arg-type]
        return selectors.plan(filters, dim=dim)

    whole = plan({"from": "2026-08-01", "to": "2026-09-30"})
    assert whole == selectors.Plan(RollupGrain.OFFICE_OFFICER, (date(2026, 8, 1), date(2026, 9, 1)), ())
    ragged = plan({"from": "2026-07-15", "to": "2026-10-10"}, dim="item")
    assert ragged == selectors.Plan(RollupGrain.ITEM, (date(2026, 8, 1), date(2026, 9, 1)),
                                    ((date(2026, 7, 15), date(2026, 7, 31)), (date(2026, 10, 1), date(2026, 10, 10))))
    assert plan({"from": "2026-02-01", "to": "2026-02-28"}).months == (date(2026, 2, 1), date(2026, 2, 1))
    none = plan({"from": "2026-09-02", "to": "2026-09-30"})
    assert none == selectors.Plan(None, None, ((date(2026, 9, 2), date(2026, 9, 30)),))
    # An item filter grouped by officer needs both: no grain keeps them, the facts answer.
    assert plan({"from": "2026-08-01", "to": "2026-09-30"}, dim="officer", item_code="SBZX00001").grain is None
    assert plan({"from": "2026-08-01", "to": "2026-09-30"}, dim="item", item_code="SBZX00001").grain == RollupGrain.ITEM
