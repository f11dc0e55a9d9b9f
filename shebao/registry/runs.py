"""The registry's scheduled runs, called by ``shebao tick``: monthly payables and the payroll of the
benefits paid by social distribution (社会化发放), 年审 suspension of those who missed the annual
certification, resumption of those who certified late (补审) by the document's day-of-month rules,
and the annual pension uprating.

Each run is a handful of set-based SQL statements (``INSERT … SELECT``, ``UPDATE … WHERE``): memory
stays constant however many retirees there are (bench/monthly_runs.py runs them over 1,000,000).
Each is idempotent — the condition that selects a row is false once the row has been changed — and
a second run changes nothing. Payables cannot be created twice (unique per decision, month and
kind; ``ON CONFLICT DO NOTHING``) nor paid twice (pending → paid is a guarded update, and a paid
payable must carry its run: a check constraint).

Auditing: a run that changes something writes one audit-chain event with its counts; changes to
benefit decisions (suspension, resumption, uprating) also get their field history
(``FieldChange`` rows written by the same statements). Payables created or paid in bulk carry
their run (``run``, ``note``, ``created_at``) instead of one history row each.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from shebao.core.audit import audit_record

from . import services
from .models import (
    CERTIFIED_KINDS,
    BenefitDecision,
    BenefitKind,
    Certification,
    DecisionStatus,
    FieldChange,
    Payable,
    PayableStatus,
    PaymentRun,
    UpratingPolicy,
)

ACTOR = "system:registry-run"

# Monthly benefits that get a payable every month.
MONTHLY_KINDS: tuple[str, ...] = (
    BenefitKind.PENSION, BenefitKind.RESIDENT_PENSION, BenefitKind.SURVIVOR_ALLOWANCE,
    BenefitKind.INJURY_DISABILITY_ALLOWANCE, BenefitKind.INJURY_NURSING, BenefitKind.DEPENDANT_PENSION,
    BenefitKind.UNEMPLOYMENT,
)
# Of those, the ones paid by the monthly payroll run. 失业保险金 is paid by the SYB00005 case.
PAYROLL_KINDS: tuple[str, ...] = tuple(k for k in MONTHLY_KINDS if k != BenefitKind.UNEMPLOYMENT)

# 年审 of year Y closes on 31 December (SBZX00073: the certification form “于12月31日前寄回”); a
# benefit without a certification for Y is suspended from January of Y+1. Benefits that started
# in Y itself are not due for Y (the retirement approval was that year's check).
CERTIFICATION_RULE = "SBZX00071—00074：未按规定办理社保年审的，暂停发放待遇；补审后按分界日规则恢复并补发"


@dataclass
class RunResult:
    name: str
    changed: int
    detail: dict[str, Any]

    def line(self) -> str:
        extra = " ".join(f"{k}={v}" for k, v in self.detail.items())
        return f"{self.name}: {self.changed} {extra}".rstrip()


# --------------------------------------------------------------------------- SQL helpers


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _t(model: type[Any]) -> str:
    return _q(model._meta.db_table)


def _d(day: date) -> Any:
    return connection.ops.adapt_datefield_value(day)


def _ts(moment: datetime) -> Any:
    return connection.ops.adapt_datetimefield_value(moment)


def _pg() -> bool:
    return connection.vendor == "postgresql"


def _number_sql(prefix: str, expr: str) -> str:
    """A registry number (prefix + 10 digits) from an integer SQL expression."""
    if _pg():
        return f"('{prefix}' || lpad(CAST({expr} AS text), 10, '0'))"
    return f"printf('{prefix}%010d', {expr})"


def _month_index(expr: str) -> str:
    if _pg():
        return f"(EXTRACT(YEAR FROM {expr}) * 12 + EXTRACT(MONTH FROM {expr}))"
    return f"(CAST(strftime('%Y', {expr}) AS INTEGER) * 12 + CAST(strftime('%m', {expr}) AS INTEGER))"


def _money_text(expr: str) -> str:
    return f"CAST({expr} AS text)" if _pg() else f"printf('%.2f', {expr})"


def _exec(sql: str, params: list[Any]) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return max(cursor.rowcount, 0)


def _scalar(sql: str, params: list[Any]) -> Any:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return row[0] if row else None


def _lock(name: str) -> None:
    """Serialise one run across hosts on PostgreSQL (SQLite serialises writers itself)."""
    if _pg():
        _exec("SELECT pg_advisory_xact_lock(%s)", [zlib.crc32(f"registry-run:{name}".encode())])


def _fresh_statistics(model: type[Any]) -> None:
    """PostgreSQL: re-sample the table's statistics before a run joins a million rows against it.

    A new month's rows are never in the statistics (autovacuum samples after the fact), and with
    a few back-paid payables of the month already written the planner, expecting two rows, once
    chose a nested loop over them for every pension: 400 million comparisons, a minute per run
    at 200,000 retirees (docs/registry.md). ANALYZE samples a fixed number of rows: well under a
    second at any size. SQLite's planner does not work from such samples: nothing to do."""
    if _pg():
        _exec(f"ANALYZE {_t(model)}", [])


def _in(values: tuple[str, ...]) -> tuple[str, list[Any]]:
    return ", ".join(["%s"] * len(values)), [str(v) for v in values]


def _insert_payables(*, source: str, params: list[Any], kind_sql: str, period: date, amount_sql: str,
                     note: str, now: datetime, case_id: int | None = None) -> int:
    """Insert one payable per row of ``source`` (a SELECT of decisions aliased ``d``), numbered from a
    block reserved up front. Rows whose payable exists already are skipped by the unique constraint."""
    count = int(_scalar(f"SELECT COUNT(*) FROM ({source}) s", params) or 0)
    if count == 0:
        return 0
    base = services.allocate("payable", count) - 1
    p = Payable._meta
    columns = ["number", "decision_id", "kind", "person_id", "employer_id", "period", "amount", "status", "due_on",
               "created_at", "paid_at", "run_id", "note", "case_id"]
    assert {f.column for f in p.concrete_fields if f.column != "id"} == set(columns)
    sql = (
        f"INSERT INTO {_t(Payable)} ({', '.join(_q(c) for c in columns)}) "
        f"SELECT {_number_sql('YF', f'{base} + s.rn')}, s.id, {kind_sql}, s.person_id, s.employer_id, %s, "
        f"{amount_sql}, %s, NULL, %s, NULL, NULL, %s, %s "
        f"FROM (SELECT d.*, ROW_NUMBER() OVER (ORDER BY d.id) AS rn FROM ({source}) d) s "
        f"WHERE s.rn <= %s ON CONFLICT DO NOTHING"
    )
    return _exec(sql, [_d(period), PayableStatus.PENDING, _ts(now), note, case_id, *params, count])


def _history_columns() -> str:
    names = ("model", "object_id", "field", "old", "new", "at", "actor", "action")
    return ", ".join(_q(str(FieldChange._meta.get_field(n).column)) for n in names)  # type: ignore[union-attr]


def _history(*, source: str, params: list[Any], fields: list[tuple[str, str, str]], action: str,
             now: datetime, actor: str) -> None:
    """FieldChange rows (field, old SQL, new SQL) for every decision selected by ``source``."""
    cols = _history_columns()
    for name, old_sql, new_sql in fields:
        _exec(f"INSERT INTO {_t(FieldChange)} ({cols}) "
              f"SELECT 'benefitdecision', d.number, %s, COALESCE({old_sql}, ''), COALESCE({new_sql}, ''), %s, %s, %s "
              f"FROM ({source}) d", [name, _ts(now), actor, action, *params])


def _update_logged(*, source: str, params: list[Any], set_sql: str, set_params: list[Any],
                   fields: list[tuple[str, str, str]], action: str, now: datetime, actor: str) -> int:
    """UPDATE the decisions selected by ``source`` (``SET set_sql``) and write their field history.
    On PostgreSQL one statement does both (the update's RETURNING feeds the history), so a million
    rows are read once; SQLite writes the history first, then updates, in the same transaction."""
    table = _t(BenefitDecision)
    if not _pg():
        _history(source=source, params=params, fields=fields, action=action, now=now, actor=actor)
        return _exec(f"UPDATE {table} SET {set_sql} WHERE id IN (SELECT id FROM ({source}) s)", [*set_params, *params])
    cols = _history_columns()
    picked = ", ".join(f"CAST({old} AS text) AS o{i}, CAST({new} AS text) AS n{i}"
                       for i, (_name, old, new) in enumerate(fields))
    rows = ", ".join(f"('{name}', COALESCE(u.o{i}, ''), COALESCE(u.n{i}, ''))" for i, (name, _o, _n) in enumerate(fields))
    sql = (f"WITH src AS (SELECT d.id, d.number, {picked} FROM ({source}) d), "
           f"upd AS (UPDATE {table} SET {set_sql} FROM src WHERE {table}.id = src.id RETURNING src.*) "
           f"INSERT INTO {_t(FieldChange)} ({cols}) SELECT 'benefitdecision', u.number, v.f, v.o, v.n, %s, %s, %s "
           f"FROM upd u CROSS JOIN LATERAL (VALUES {rows}) AS v(f, o, n)")
    return _exec(sql, [*params, *set_params, _ts(now), actor, action]) // len(fields)


def _audit(result: RunResult, *, actor: str, rule: str = "") -> RunResult:
    """One audit-chain event for a run that changed something (a run that changed nothing leaves none)."""
    if result.changed:
        audit_record(actor=actor, action=f"registry.run.{result.name}", object_type="registry_run",
                     object_id=result.name, payload={"changed": result.changed, **result.detail,
                                                     **({"rule": rule} if rule else {})})
    return result


# --------------------------------------------------------------------------- monthly payables


def _decisions_due(month: date) -> tuple[str, list[Any]]:
    kinds, kind_params = _in(MONTHLY_KINDS)
    sql = (
        f"SELECT d.* FROM {_t(BenefitDecision)} d WHERE d.kind IN ({kinds}) AND d.status = %s "
        "AND d.monthly_amount IS NOT NULL AND d.monthly_amount > 0 AND d.start_month <= %s "
        "AND (d.end_month IS NULL OR d.end_month >= %s) "
        f"AND NOT EXISTS (SELECT 1 FROM {_t(Payable)} p WHERE p.decision_id = d.id AND p.period = %s "
        "AND p.kind = d.kind) "
        f"AND (d.months_total IS NULL OR (SELECT COUNT(*) FROM {_t(Payable)} q WHERE q.decision_id = d.id "
        "AND q.period IS NOT NULL AND q.kind = d.kind) < d.months_total)"
    )
    return sql, [*kind_params, DecisionStatus.ACTIVE, _d(month), _d(month), _d(month)]


@transaction.atomic
def run_monthly_payables(*, month: date, actor: str = ACTOR) -> RunResult:
    """The payables of ``month`` for every active monthly benefit (suspended and ended ones get
    none; 失业保险金 stops when its months are used). Idempotent."""
    month = services.month_start(month)
    _lock("monthly_payables")
    _fresh_statistics(Payable)
    source, params = _decisions_due(month)
    created = _insert_payables(source=source, params=params, kind_sql="s.kind", period=month,
                               amount_sql="s.monthly_amount", note=f"{month:%Y年%m月}待遇（月度应付）",
                               now=timezone.now())
    return _audit(RunResult("monthly_payables", created, {"month": f"{month:%Y-%m}"}), actor=actor)


@transaction.atomic
def run_monthly_payment(*, month: date, actor: str = ACTOR) -> RunResult:
    """Pay ``month``'s pending payables of the payroll kinds in one payment run (社会化发放). A
    payable is moved pending → paid once; a second run finds nothing pending and creates no run."""
    month = services.month_start(month)
    _lock("monthly_payment")
    kinds, kind_params = _in(PAYROLL_KINDS)
    where = f"status = %s AND period = %s AND kind IN ({kinds})"
    where_params = [PayableStatus.PENDING, _d(month), *kind_params]
    if not _scalar(f"SELECT 1 FROM {_t(Payable)} WHERE {where} LIMIT 1", where_params):
        return RunResult("monthly_payment", 0, {"month": f"{month:%Y-%m}"})
    now = timezone.now()
    run = PaymentRun.objects.create(number=services.number("run", "ZF", 8), title=f"{month:%Y年%m月}待遇社会化发放",
                                    run_at=now, actor=actor)
    paid, total = _pay(where, where_params, run_id=run.pk, now=now)
    PaymentRun.objects.filter(pk=run.pk).update(total=total, count=paid)
    return _audit(RunResult("monthly_payment", paid, {"month": f"{month:%Y-%m}", "run": run.number,
                                                       "total": str(total)}), actor=actor)


def _pay(where: str, where_params: list[Any], *, run_id: int, now: datetime) -> tuple[int, Decimal]:
    """Mark the pending payables selected by ``where`` paid by the run; their count and total.

    The total is taken from exactly the rows the UPDATE changed, without reading them back by
    ``run_id`` (deliberately not indexed: see ``Payable``). On PostgreSQL the UPDATE's RETURNING
    feeds the sum in the same statement; SQLite has no data-modifying CTE, but its write
    transaction holds the database's only write lock, so the same WHERE summed first is the same rows.
    """
    set_sql = f"UPDATE {_t(Payable)} SET status = %s, paid_at = %s, run_id = %s WHERE {where}"
    set_params = [PayableStatus.PAID, _ts(now), run_id, *where_params]
    if _pg():
        with connection.cursor() as cursor:
            cursor.execute(f"WITH paid AS ({set_sql} RETURNING amount) SELECT COUNT(*), SUM(amount) FROM paid",
                           set_params)
            count, total = cursor.fetchone()
    else:
        total = _scalar(f"SELECT SUM(amount) FROM {_t(Payable)} WHERE {where}", where_params)
        count = _exec(set_sql, set_params)
    return int(count or 0), Decimal(str(total or 0)).quantize(Decimal("0.01"))


# --------------------------------------------------------------------------- 年审


def _uncertified(year: int) -> tuple[str, list[Any]]:
    kinds, kind_params = _in(tuple(str(k) for k in CERTIFIED_KINDS))
    sql = (
        f"SELECT d.* FROM {_t(BenefitDecision)} d WHERE d.kind IN ({kinds}) AND d.status = %s "
        "AND d.person_id IS NOT NULL AND (d.start_month IS NULL OR d.start_month < %s) "
        f"AND NOT EXISTS (SELECT 1 FROM {_t(Certification)} c WHERE c.person_id = d.person_id "
        "AND c.kind = d.kind AND c.year = %s)"
    )
    return sql, [*kind_params, DecisionStatus.ACTIVE, _d(date(year, 1, 1)), year]


@transaction.atomic
def run_certification_suspend(*, year: int, since: date | None = None, actor: str = ACTOR) -> RunResult:
    """Suspend, from ``since`` (default January of ``year`` + 1), every benefit that needs 年审 and
    has no certification for ``year``. Idempotent: a suspended benefit is no longer selected, a
    certified one never was."""
    _lock("certification_suspend")
    source, params = _uncertified(year)
    since = services.month_start(since) if since is not None else date(year + 1, 1, 1)
    now = timezone.now()
    changed = _update_logged(
        source=source, params=params, set_sql="status = %s, suspended_from = %s",
        set_params=[DecisionStatus.SUSPENDED, _d(since)], now=now, actor=actor, action="benefit_suspended_uncertified",
        fields=[("status", "d.status", f"'{DecisionStatus.SUSPENDED}'"),
                ("suspended_from", "d.suspended_from", f"'{since.isoformat()}'")])
    return _audit(RunResult("certification_suspend", changed, {"year": year, "from": since.isoformat()}), actor=actor,
                  rule=CERTIFICATION_RULE)


def _resumable(month: date, decision_ids: list[int] | None) -> tuple[str, list[Any]]:
    sql = (f"SELECT d.* FROM {_t(BenefitDecision)} d WHERE d.status = %s AND d.resume_month IS NOT NULL "
           "AND d.resume_month <= %s")
    params: list[Any] = [DecisionStatus.SUSPENDED, _d(month)]
    if decision_ids is not None:
        sql += f" AND d.id IN ({', '.join(['%s'] * len(decision_ids)) or 'NULL'})"
        params += decision_ids
    return sql, params


@transaction.atomic
def run_certification_resume(*, month: date, actor: str = ACTOR, decision_ids: list[int] | None = None,
                             case: Any = None) -> RunResult:
    """Resume the benefits whose 补审 set a resumption month that has come (the certification's
    effect computes it by the document's rule: SBZX00071 before the 20th → that month, else the
    next; SBZX00072–00074 before the 22nd → the next month, else the third). The months from the
    suspension to the month before resumption are back-paid as one payable (unique per decision
    and resumption month). ``decision_ids`` limits the run (the certification case resumes its own
    benefit at once when the month has already come)."""
    month = services.month_start(month)
    _lock("certification_resume")
    source, params = _resumable(month, decision_ids)
    now = timezone.now()
    months = f"({_month_index('s.resume_month')} - {_month_index('s.suspended_from')})"
    backpay_source = f"{source} AND d.suspended_from IS NOT NULL AND d.suspended_from < d.resume_month " \
                     "AND d.monthly_amount > 0"
    # One statement per resumption month keeps the payable's period (the key) a plain value.
    backpaid = 0
    for (resume,) in _rows(f"SELECT DISTINCT s.resume_month FROM ({backpay_source}) s", params):
        resume_day = resume if isinstance(resume, date) else date.fromisoformat(str(resume)[:10])
        backpaid += _insert_payables(
            source=f"{backpay_source} AND d.resume_month = %s", params=[*params, _d(resume_day)],
            kind_sql=f"'{BenefitKind.BACKPAY}'", period=resume_day, amount_sql=f"s.monthly_amount * {months}",
            note=f"年审后补发（{resume_day:%Y-%m}恢复）", now=now, case_id=case.pk if case is not None else None)
    changed = _update_logged(
        source=source, params=params, set_sql="status = %s, suspended_from = NULL, resume_month = NULL",
        set_params=[DecisionStatus.ACTIVE], now=now, actor=actor, action="benefit_resumed",
        fields=[("status", "d.status", f"'{DecisionStatus.ACTIVE}'"), ("suspended_from", "d.suspended_from", "''"),
                ("resume_month", "d.resume_month", "''")])
    return _audit(RunResult("certification_resume", changed, {"month": f"{month:%Y-%m}", "backpay": backpaid}),
                  actor=actor)


def _rows(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


# --------------------------------------------------------------------------- uprating


def _upratable(policy: UpratingPolicy) -> tuple[str, list[Any]]:
    sql = (f"SELECT d.* FROM {_t(BenefitDecision)} d WHERE d.kind = %s AND d.status IN (%s, %s) "
           "AND d.monthly_amount IS NOT NULL AND d.start_month < %s "
           "AND (d.uprated_year IS NULL OR d.uprated_year < %s)")
    return sql, [BenefitKind.PENSION, DecisionStatus.ACTIVE, DecisionStatus.SUSPENDED,
                 _d(policy.effective_month), policy.year]


@transaction.atomic
def run_pension_uprating(*, policy: UpratingPolicy, actor: str = ACTOR) -> RunResult:
    """Apply a year's uprating to every basic pension that started before its effective month:
    new amount = amount + round(amount × percent + fixed, 2); the months already paid (or owed)
    at the old amount since the effective month are back-paid as one 调整补付 payable. Marks the
    decision's ``uprated_year``, so neither this run nor SBZX00068 applies the year twice."""
    _lock("pension_uprating")
    policy = UpratingPolicy.objects.select_for_update().get(pk=policy.pk)
    source, params = _upratable(policy)
    effective = services.month_start(policy.effective_month)
    now = timezone.now()
    pct, fixed = Decimal(policy.percent), Decimal(policy.fixed_amount)
    increase = f"ROUND(s.monthly_amount * {pct} / 100 + {fixed}, 2)"
    old_months = (f"(SELECT COUNT(*) FROM {_t(Payable)} q WHERE q.decision_id = s.id AND q.kind = s.kind "
                  f"AND q.period >= %s)")
    backpay_source = (f"SELECT d.* FROM ({source}) d WHERE EXISTS (SELECT 1 FROM {_t(Payable)} q "
                      "WHERE q.decision_id = d.id AND q.kind = d.kind AND q.period >= %s)")
    backpaid = 0
    if pct or fixed:
        backpaid = _insert_payables(
            source=backpay_source, params=[*params, _d(effective)], kind_sql=f"'{BenefitKind.UPRATING_BACKPAY}'",
            period=effective, amount_sql=f"{increase} * {old_months.replace('%s', _literal_date(effective))}",
            note=f"{policy.year}年基本养老金调整补付", now=now)
    # One history row per pension (the amount); the year is the run's, recorded in its audit event.
    changed = _update_logged(
        source=source, params=params, now=now, actor=actor, action="benefit_uprated",
        set_sql=f"monthly_amount = monthly_amount + ROUND(monthly_amount * {pct} / 100 + {fixed}, 2), uprated_year = %s",
        set_params=[policy.year],
        fields=[("monthly_amount", _money_text("d.monthly_amount"),
                 _money_text(f"d.monthly_amount + ROUND(d.monthly_amount * {pct} / 100 + {fixed}, 2)"))])
    if changed or policy.applied_at is None:
        UpratingPolicy.objects.filter(pk=policy.pk).update(applied_at=now, applied_count=policy.applied_count + changed)
    return _audit(RunResult("pension_uprating", changed, {"year": policy.year, "percent": str(pct),
                                                          "fixed": str(fixed), "backpay": backpaid}), actor=actor)


def _literal_date(day: date) -> str:
    # A date literal both back ends compare correctly with a date column (SQLite stores ISO text).
    return f"DATE '{day.isoformat()}'" if _pg() else f"'{day.isoformat()}'"


# --------------------------------------------------------------------------- schedule


def scheduled_runs(*, today: date, actor: str = ACTOR) -> list[RunResult]:
    """What ``shebao tick`` runs every time (each run is cheap when there is nothing to do):
    last year's 年审 suspension, due resumptions, this month's payables and payroll, and any
    published uprating whose month has come."""
    month = services.month_start(today)
    results = [
        run_certification_suspend(year=today.year - 1, actor=actor),
        run_certification_resume(month=month, actor=actor),
    ]
    for policy in UpratingPolicy.objects.filter(applied_at__isnull=True, effective_month__lte=today):
        results.append(run_pension_uprating(policy=policy, actor=actor))
    results.append(run_monthly_payables(month=month, actor=actor))
    results.append(run_monthly_payment(month=month, actor=actor))
    return results
