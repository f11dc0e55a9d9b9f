"""The registry's monthly runs (shebao/registry/runs.py) over N retirees, as ``shebao tick`` runs them on
the first working day of a January: last year's 年审 suspension, due resumptions (补审), the year's
pension uprating, the month's payables and the payroll.

Set-up, in bulk SQL (not timed): N retirees drawing a basic pension since 2015–2024; 95% certified
for last year (5% missed the 年审 and will be suspended); 1% already suspended with a 补审 that
resumes them this month (their back-pay is created); an uprating policy effective this month.

Each run is timed, then run again: the second run must change nothing (its count is 0 and a
fingerprint of the tables it touches is unchanged); the script exits non-zero otherwise.

Usage: python bench/monthly_runs.py [--n 1000000]     (DATABASE_URL selects PostgreSQL; use an
empty database of your own: the script migrates it and adds N retirees)
Prints one line per run: ``name | figure | peer | ratio`` (no peer here: '-'), and the RESULT
lines of bench/README.md for `make bench`; a second run that changes something is a failed check.
"""
# bench-databases: sqlite postgresql
# bench-smoke: --n 2000
# bench-args: --n 1000000

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _protocol import check, result

TODAY = date(2027, 1, 4)
LIMIT_SECONDS = 60.0


def _setup() -> None:
    if not os.environ.get("DATABASE_URL"):
        os.environ["SHEBAO_DATA_DIR"] = tempfile.mkdtemp(prefix="shebao-bench-runs-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def _insert_select(model: Any, n: int, exprs: dict[str, str], source: str = "") -> None:
    """INSERT INTO model SELECT …: ``exprs`` maps column → SQL over ``seq.i`` (1…n) or ``src``;
    every other column takes its model default as a literal."""
    from django.db import connection, models

    q = connection.ops.quote_name
    columns, values, params = [], [], []
    for field in model._meta.concrete_fields:
        if isinstance(field, models.AutoField):
            continue
        columns.append(q(field.column))
        if field.column in exprs:
            values.append(exprs[field.column])
        else:
            values.append("%s")
            default = field.get_default()
            params.append(field.get_db_prep_save(default, connection) if default is not None else None)
    if source:
        body = source
    elif connection.vendor == "postgresql":
        body = f"FROM generate_series(1, {n}) AS seq(i)"
    else:
        body = f"FROM (WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {n}) SELECT i FROM s) seq"
    sql = f"INSERT INTO {q(model._meta.db_table)} ({', '.join(columns)}) SELECT {', '.join(values)} {body}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _seed(n: int) -> None:
    from django.db import connection, transaction

    from shebao.registry.models import BenefitDecision, Certification, Person, UpratingPolicy

    pg = connection.vendor == "postgresql"
    q = connection.ops.quote_name
    text = (lambda e: f"CAST({e} AS text)") if pg else (lambda e: f"CAST({e} AS TEXT)")
    day = (lambda y, m: f"make_date({y}, {m}, 1)") if pg else (lambda y, m: f"printf('%04d-%02d-01', {y}, {m})")
    person_table, decision_table = q(Person._meta.db_table), q(BenefitDecision._meta.db_table)
    with transaction.atomic():
        _insert_select(Person, n, {
            "ssn": text("8000000000 + seq.i"), "name": "'退休人员'", "sex": "CASE WHEN seq.i %% 2 = 0 THEN 'F' ELSE 'M' END",
            "birth_date": day("1950 + seq.i %% 12", "1 + seq.i %% 12"), "status": "'retired'",
            "retired_on": day("2015 + seq.i %% 10", "1 + seq.i %% 12"), "created_on": day(2015, 1),
        })
        _insert_select(BenefitDecision, n, {
            "number": ("'BD' || " + text("p.id")), "kind": "'pension'", "person_id": "p.id",
            "monthly_amount": "2000 + (p.id %% 3000)", "status": "'active'", "start_month": "p.retired_on",
            "decided_on": "p.retired_on",
        }, source=f"FROM {person_table} p WHERE p.ssn >= '8000000000'")
        _insert_select(Certification, n, {
            "person_id": "d.person_id", "decision_id": "d.id", "kind": "d.kind", "year": str(TODAY.year - 1),
            "channel": "'app'", "certified_on": f"'{TODAY.year - 1}-06-01'",
        }, source=f"FROM {decision_table} d WHERE d.number LIKE 'BD%%' AND d.id %% 20 <> 0")
        with connection.cursor() as cursor:
            # With parameters, a literal % is written %% on both back ends.
            cursor.execute(
                f"UPDATE {decision_table} SET status = 'suspended', suspended_from = %s, resume_month = %s "
                "WHERE number LIKE %s AND id %% 100 = 1",
                [connection.ops.adapt_datefield_value(date(TODAY.year - 1, 9, 1)),
                 connection.ops.adapt_datefield_value(TODAY.replace(day=1)), "BD%"])
        UpratingPolicy.objects.get_or_create(year=TODAY.year, defaults={
            "effective_month": TODAY.replace(day=1), "percent": 2, "fixed_amount": 30, "basis": "（基准测试）"})
    if pg:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def _fingerprint() -> tuple[Any, ...]:
    from django.db import connection

    from shebao.registry.models import BenefitDecision, FieldChange, Payable, PaymentRun

    q = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT COUNT(*) FROM {q(Payable._meta.db_table)}), "
            f"(SELECT COUNT(*) FROM {q(Payable._meta.db_table)} WHERE status = 'paid'), "
            f"(SELECT SUM(amount) FROM {q(Payable._meta.db_table)}), "
            f"(SELECT COUNT(*) FROM {q(BenefitDecision._meta.db_table)} WHERE status = 'suspended'), "
            f"(SELECT SUM(monthly_amount) FROM {q(BenefitDecision._meta.db_table)}), "
            f"(SELECT COUNT(*) FROM {q(FieldChange._meta.db_table)}), "
            f"(SELECT COUNT(*) FROM {q(PaymentRun._meta.db_table)})")
        return tuple(cursor.fetchone() or ())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="retirees (default 1,000,000)")
    args = parser.parse_args()
    _setup()
    from unittest import mock

    from django.db import connection
    from django.utils import timezone

    from shebao.registry import runs
    from shebao.registry.models import UpratingPolicy

    vendor = connection.vendor
    started = time.perf_counter()
    _seed(args.n)
    print(f"# seeded {args.n} retirees on {vendor} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    now = timezone.make_aware(datetime(TODAY.year, TODAY.month, TODAY.day, 9, 0))
    policy = UpratingPolicy.objects.get(year=TODAY.year)
    month = TODAY.replace(day=1)
    plan = [
        ("certification_suspend", lambda: runs.run_certification_suspend(year=TODAY.year - 1)),
        ("certification_resume", lambda: runs.run_certification_resume(month=month)),
        ("pension_uprating", lambda: runs.run_pension_uprating(policy=policy)),
        ("monthly_payables", lambda: runs.run_monthly_payables(month=month)),
        ("monthly_payment", lambda: runs.run_monthly_payment(month=month)),
    ]
    failed = False
    with mock.patch.object(timezone, "now", return_value=now):
        for name, run in plan:
            t0 = time.perf_counter()
            first = run()
            first_s = time.perf_counter() - t0
            before = _fingerprint()
            t0 = time.perf_counter()
            second = run()
            second_s = time.perf_counter() - t0
            unchanged = second.changed == 0 and _fingerprint() == before
            # A missed time limit shows in the table; only a second run that changes something fails.
            failed |= not unchanged
            label = f"registry.runs.{name} ({vendor}, {args.n} retirees)"
            print(f"{label} | {first_s:.2f} s, {first.changed} changed | - | -")
            print(f"{label} second run | {second_s:.2f} s, {second.changed} changed"
                  f"{'' if unchanged else ', CHANGED SOMETHING'} | - | -")
            sys.stdout.flush()
            result(f"monthly run {name}, {args.n / 1e6:.2g}M retirees [{vendor}]",
                   f"{first_s:.1f} s ({first.changed:,} changed); second run {second_s:.1f} s, {second.changed} changed",
                   target=f"<= {LIMIT_SECONDS:.0f} s, second run changes nothing",
                   met=first_s <= LIMIT_SECONDS and second_s <= LIMIT_SECONDS and unchanged)
            check(unchanged, f"{name}: the second run changed something")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
