"""Supervision at a city's volume: build the facts of N cases, then time the dashboard queries.

    .venv/bin/python bench/supervision.py [--cases 1000000] [--db PATH] [--skip-build]
    (DATABASE_URL=postgres://… selects PostgreSQL)

Cases are written directly in bulk (the case services would take hours for a million): 14
district offices with three street windows each, every published item, a year of submissions
(2025-11 … 2026-10), realistic shares of refusals, 一次性告知, suspensions, late completions,
open red/yellow cases and ratings. Then:

* ``case_facts_refresh`` backfills the fact table (the one-off cost of switching supervision on)
  and is run again to show the incremental cost when nothing changed;
* the monthly roll-up is rebuilt from the facts (what the migration does for existing data);
* the dashboard's queries are timed: the summary per office / item / officer for one month and
  for the whole year (whole months from the roll-up; and, side by side, from the facts alone,
  as before the roll-up), the trend (per month: whole months from the roll-up; also from the
  facts alone), a drill-down page, the warning list.

Prints each timing and RESULT lines (bench/README.md) for the summaries of one month and of the
whole year, city-wide (by office, item, officer) and for one district office; target <= 500 ms
each; the peer figure is the same summary read from the facts alone. Machine-independent checks:
the roll-up gives the same figures as the facts; the summary's query count does not grow with
the cases; at small sizes the roll-up equals a recomputation from the facts.
"""
# bench-databases: sqlite postgresql
# bench-smoke: --cases 5000
# bench-args: --cases 1000000

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _protocol import check, result


def _setup(db: Path | None) -> None:
    if not os.environ.get("DATABASE_URL"):
        path = db or Path(tempfile.mkdtemp(prefix="shebao-svbench-")) / "bench.sqlite3"
        os.environ["DATABASE_URL"] = f"sqlite:///{path}"
        print(f"database: {path}")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from shebao.catalog.services import catalog_ensure_loaded

    catalog_ensure_loaded()


DISTRICTS = ["江岸", "江汉", "硚口", "汉阳", "武昌", "青山", "洪山", "东西湖", "汉南", "蔡甸", "江夏", "黄陂", "新洲", "东湖高新"]


def build(n: int, *, seed: int = 58) -> None:
    from django.contrib.auth.models import Group, User
    from django.db import connection, transaction

    from shebao.accounts.models import OrgLevel, OrgUnit, Role, StaffProfile
    from shebao.cases.models import Case, Notice, Rating
    from shebao.catalog.selectors import catalog_version_in_force
    from shebao.workdays import get_calendar, parse_rule

    rng = random.Random(seed)
    calendar = get_calendar()
    version = catalog_version_in_force()
    assert version is not None
    items = list(version.items.all())
    weights = [rng.paretovariate(1.2) for _ in items]
    limits = {}
    for item in items:
        legal, promised = parse_rule(item.legal_limit_text), parse_rule(item.promised_limit_text)
        limits[item.pk] = (legal.count if legal.kind == "working_days" else None,
                           0 if promised.kind == "immediate" else (promised.count if promised.kind == "working_days"
                                                                   else None))
    units: list[OrgUnit] = []
    clerks: dict[int, list[User]] = {}
    group, _ = Group.objects.get_or_create(name=Role.WINDOW_CLERK)
    for d, name in enumerate(DISTRICTS):
        district, _ = OrgUnit.objects.get_or_create(
            key=f"bench-d{d}", defaults={"name": f"{name}区社保经办处", "level": OrgLevel.DISTRICT, "district": name,
                                         "code": f"BD{d:02d}"})
        units.append(district)
        for s in range(3):
            street, _ = OrgUnit.objects.get_or_create(
                key=f"bench-d{d}-s{s}", defaults={"name": f"{name}区第{s + 1}街道政务服务中心", "level": OrgLevel.STREET,
                                                  "district": name, "parent": district, "code": f"B{d:02d}{s}"})
            units.append(street)
    for unit in units:
        staff = []
        for k in range(4 if unit.level == OrgLevel.DISTRICT else 2):
            user, created = User.objects.get_or_create(username=f"bench.{unit.code}.{k}")
            if created:
                user.groups.add(group)
                StaffProfile.objects.create(user=user, org_unit=unit, display_name=f"{unit.district}窗口{k + 1}号")
            staff.append(user)
        clerks[unit.pk] = staff
    unit_weights = [3.0 if u.level == OrgLevel.DISTRICT else 1.0 for u in units]

    start = date(2025, 11, 1)
    today = date(2026, 10, 20)
    span = (today - start).days
    done = 0
    t0 = time.perf_counter()
    chunk = 20_000
    while done < n:
        size = min(chunk, n - done)
        cases, notices, ratings = [], [], []
        for i in range(size):
            seq = done + i
            item = rng.choices(items, weights)[0]
            unit = rng.choices(units, unit_weights)[0]
            clerk = rng.choice(clerks[unit.pk])
            received = start + timedelta(days=rng.randrange(span))
            if not calendar.is_working_day(received):
                received = calendar.next_working_day(received)
            # 09:00–16:00 in Beijing is 01:00–08:00 UTC on the same day.
            submitted = datetime.combine(received, datetime.min.time(), UTC) + timedelta(hours=rng.randint(1, 8))
            legal_n, promised_n = limits[item.pk]
            roll = rng.random()
            case = Case(item=item, channel="counter", org_unit=unit, applicant_type="person", applicant_name="测试", applicant_key="测试",
                        applicant_id_number="", submitted_by=clerk, submitted_at=submitted,
                        number=f"B{seq:011d}")
            incomplete = rng.random() < 0.12
            if roll < 0.04:
                case.status, case.closed_at = "refused", submitted + timedelta(hours=1)
                case.number = None
            else:
                accepted_day = calendar.add_working_days(received, rng.choice([0, 0, 0, 1, 2]) if incomplete else 0)
                case.accepted_at = datetime.combine(accepted_day, datetime.min.time(), UTC) + timedelta(hours=2)
                case.accepted_by = clerk
                case.event_dates = {"accepted": accepted_day.isoformat()}
                case.legal_due = calendar.add_working_days(accepted_day, legal_n) if legal_n is not None else None
                case.promised_due = (calendar.add_working_days(accepted_day, promised_n)
                                     if promised_n is not None else None)
                base = promised_n if promised_n is not None else (legal_n or 5)
                if rng.random() < 0.03:
                    pause = rng.randint(2, 15)
                    s0 = calendar.add_working_days(accepted_day, 1)
                    case.suspended_days = [[s0.isoformat(), (s0 + timedelta(days=pause)).isoformat()]]
                late = rng.random() < 0.08
                handling = base + rng.randint(1, 6) if late else rng.randint(0, max(0, base))
                close_day = calendar.add_working_days(accepted_day, handling)
                if close_day >= today or rng.random() < 0.02:
                    case.status = "accepted"
                    due = case.promised_due or case.legal_due
                    if due is not None:
                        left = calendar.working_days_between(today, due)
                        case.warning = "red" if due < today else ("yellow" if left <= 2 else "green")
                else:
                    case.status, case.result = "completed", "granted"
                    case.closed_at = datetime.combine(close_day, datetime.min.time(), UTC) + timedelta(hours=7)
            cases.append(case)
            if incomplete:
                notices.append((len(cases) - 1, submitted))
        with transaction.atomic():
            Case.objects.bulk_create(cases, batch_size=2000)
            Notice.objects.bulk_create([
                Notice(case=cases[idx], kind="incomplete", number=f"BN{done + idx:011d}", issued_at=at,
                       content={"missing_ids": []}) for idx, at in notices], batch_size=2000)
            for case in cases:
                if case.status == "completed" and rng.random() < 0.15:
                    score = rng.choices([1, 2, 3, 4, 5], [2, 3, 8, 30, 57])[0]
                    ratings.append(Rating(case=case, score=score, rated_at=case.closed_at))
            Rating.objects.bulk_create(ratings, batch_size=2000)
        done += size
        rate = done / (time.perf_counter() - t0)
        print(f"\rcases written: {done:,} ({rate:,.0f}/s)", end="", flush=True)
    print()
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def timed(label: str, fn, repeat: int = 3) -> float:  # type: ignore[no-untyped-def]
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    print(f"{label:<46} {best * 1000:9.1f} ms")
    return best


def _figures(summary):  # type: ignore[no-untyped-def]
    from dataclasses import asdict

    totals, rows = summary
    return asdict(totals), [asdict(row) for row in rows]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=200_000)
    parser.add_argument("--db", type=Path, default=None, help="SQLite file (default: a temporary one)")
    parser.add_argument("--skip-build", action="store_true", help="reuse the cases (and facts) already in the database: --db, or DATABASE_URL")
    args = parser.parse_args()
    _setup(args.db)
    from shebao.cases.models import Case

    if not args.skip_build:
        build(args.cases)
    from shebao.supervision import selectors
    from shebao.supervision.facts import case_facts_refresh

    total = Case.objects.count()
    print(f"cases in the database: {total:,}")
    t = time.perf_counter()
    refreshed = case_facts_refresh(today=date(2026, 10, 20))
    backfill = time.perf_counter() - t
    print(f"{'backfill case_facts_refresh':<46} {backfill:9.1f} s  ({refreshed.facts / max(backfill, 1e-9):,.0f} facts/s, "
          f"{refreshed.findings_added:,} findings)")
    # What autovacuum / a DBA does after a bulk load: without it PostgreSQL's index-only scans
    # visit the heap for every row (no visibility map yet) and its plans have no statistics.
    from django.db import connection as db

    t = time.perf_counter()
    with db.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if db.vendor == "postgresql" else "ANALYZE")
    print(f"{'VACUUM ANALYZE / ANALYZE after the load':<46} {time.perf_counter() - t:9.1f} s")
    timed("incremental refresh, nothing changed", lambda: case_facts_refresh(today=date(2026, 10, 20)), repeat=1)
    from shebao.supervision import rollup
    from shebao.supervision.models import SummaryRollup

    rows = SummaryRollup.objects.count()
    t = time.perf_counter()
    rebuilt = rollup.rebuild()
    print(f"{'roll-up rebuild from the facts (the backfill)':<46} {time.perf_counter() - t:9.1f} s  "
          f"({rebuilt:,} rows; {rows:,} kept by the backfill above)")
    if total <= 50_000:  # a recomputation costs as much as the rebuild: small sizes only
        check(not rollup.verify(), "the roll-up equals a recomputation from the facts")
    month = selectors.parse_filters({"from": "2026-09-01", "to": "2026-09-30"})
    year = selectors.parse_filters({"from": "2025-11-01", "to": "2026-10-20"})
    from shebao.accounts.models import OrgLevel, OrgUnit

    office = OrgUnit.objects.filter(level=OrgLevel.DISTRICT, key__startswith="bench-").order_by("pk").first()
    assert office is not None
    month_office = selectors.parse_filters({"from": "2026-09-01", "to": "2026-09-30", "office": office.key})
    year_office = selectors.parse_filters({"from": "2025-11-01", "to": "2026-10-20", "office": office.key})
    worst = 0.0
    headline: dict[str, tuple[float, float]] = {}
    trends: dict[str, tuple[float, float]] = {}
    same = True
    for label, filters in (("month", month), ("year", year)):
        for dim in ("office", "item", "officer"):
            took = timed(f"summary {dim:<8} {label}", lambda f=filters, d=dim: selectors.summary(f, dim=d))
            direct = timed(f"summary {dim:<8} {label}, facts only (no roll-up)",
                           lambda f=filters, d=dim: selectors.summary(f, dim=d, use_rollup=False))
            same &= _figures(selectors.summary(filters, dim=dim)) == _figures(
                selectors.summary(filters, dim=dim, use_rollup=False))
            worst = max(worst, took)
            headline[f"{'one month' if label == 'month' else 'whole year'}, whole city, by {dim}"] = (took, direct)
        trends[label] = (timed(f"trend {label}", lambda f=filters: selectors.trend(f)),
                         timed(f"trend {label}, facts only (no roll-up)",
                               lambda f=filters: selectors.trend(f, use_rollup=False)))
        same &= selectors.trend(filters) == selectors.trend(filters, use_rollup=False)
    for label, filters in (("one month, one office", month_office), ("whole year, one office", year_office)):
        took = timed(f"summary office   {label}", lambda f=filters: selectors.summary(f, dim="office"))
        direct = timed(f"summary office   {label}, facts only",
                       lambda f=filters: selectors.summary(f, dim="office", use_rollup=False))
        headline[f"{label}, by office"] = (took, direct)
    timed("drill-down first page (completed, year)",
          lambda: list(selectors.drill_down(year, metric="completed")[:50]))
    timed("warning list first page", lambda: list(selectors.warning_lists(year)[:50]))
    timed("warnings by office", lambda: selectors.warnings_by_office(year))
    print(f"slowest summary / 1 s budget: {worst:.2f}")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    vendor = connection.vendor
    for label, (seconds, direct) in headline.items():
        result(f"supervision summary, {label}, {total / 1e6:.2g}M cases [{vendor}]", f"{seconds * 1000:.0f} ms",
               peer=f"{direct * 1000:.0f} ms (facts only, no roll-up)", ratio=f"{direct / max(seconds, 1e-9):.1f}x",
               target="<= 500 ms", met=seconds <= 0.5)
    seconds, direct = trends["year"]
    result(f"supervision trend by month, whole year, whole city, {total / 1e6:.2g}M cases [{vendor}]",
           f"{seconds * 1000:.0f} ms", peer=f"{direct * 1000:.0f} ms (facts only, no roll-up)",
           ratio=f"{direct / max(seconds, 1e-9):.1f}x", target="<= 500 ms", met=seconds <= 0.5)
    check(same, "every summary and trend reads the same figures from the roll-up as from the facts alone")
    with CaptureQueriesContext(connection) as queries:
        selectors.summary(year, dim="office")
    check(len(queries) <= 6, f"summary ran {len(queries)} queries (at most 6, whatever the number of cases)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
