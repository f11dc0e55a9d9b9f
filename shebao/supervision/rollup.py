"""The monthly roll-up of the supervision facts (``SummaryRollup``), kept exact.

A summary over a year of a city's cases groups a million ``CaseFact`` rows; the same figures for
whole months are sums over a few thousand roll-up rows. The roll-up holds, per month and grain,
what the summary counts (``contribution`` says exactly what one fact adds), with the completed
cases as a histogram over the handling time so the 90th percentile stays exact.

**Invariant.** For every key, the roll-up row equals the sum of the contributions of the facts
as they are now (rows whose measures are all zero are deleted). It holds because:

* ``CaseFact`` is written in one place, ``facts._refresh_chunk``, which in one transaction first
  takes the roll-up lock (``lock``), then reads the facts it is about to replace, writes the new
  ones and applies ``contribution(new) − contribution(old)`` (``apply``). The lock serialises
  every writer of facts (on SQLite every write transaction is already serialised: ``BEGIN
  IMMEDIATE``; on PostgreSQL a transaction-level advisory lock), so the "old" facts read under
  it are the ones being replaced — no other transaction can change them in between, and two
  refreshes of the same case apply their deltas one after the other.
* A fact deleted with its case (``on_delete=CASCADE``) subtracts its contribution in the
  deleting transaction (``signals`` below: read again under the lock, subtracted after the
  delete).
* ``rebuild`` recomputes every row from the facts in bulk SQL (the migration's backfill, and a
  repair after restoring only part of a database); ``verify`` compares the table with that
  recomputation (tests, ``bench/supervision.py``).

The reads (``selectors.summary``) take whole months from here and the days before the first and
after the last whole month from ``CaseFact`` directly, in one SQL statement per figure.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from django.db import connection
from django.db.models import Count, F, Model, Q, QuerySet, Value
from django.db.models.functions import Coalesce, TruncMonth

from shebao.cases.models import CaseStatus

from .models import RollupGrain, SummaryRollup

COUNTS = SummaryRollup.COUNTS
NO_HW = SummaryRollup.NO_HW
KEY_COLUMNS = ("grain", "month", "office_id", "item_code", "officer_id", "hw")
MEASURES = ("received", "incomplete", "accepted", "refused", "completed", "promised_base", "promised_ok",
            "legal_base", "legal_ok", "r1", "r2", "r3", "r4", "r5")
_I = {name: index for index, name in enumerate(MEASURES)}
# The fact's columns a contribution depends on (read before a fact is replaced).
FACT_COLUMNS = ("office_id", "item_code", "officer_id", "status", "received_on", "accepted_on", "closed_on",
                "handling_wd", "on_time_promised", "on_time_legal", "had_incomplete_notice", "rating")
_LOCK_KEY = zlib.crc32(b"shebao-supervision-rollup")
_BATCH = 400  # rows per upsert statement (20 parameters each)

Key = tuple[str, date, int, str, int, int]


def grain_key(grain: str, fact: Mapping[str, Any]) -> tuple[int, str, int]:
    """(office, item, officer) as the grain keeps them; 0 / "" for what it does not keep."""
    if grain == RollupGrain.OFFICE_OFFICER:
        return fact["office_id"], "", fact["officer_id"] or 0
    if grain == RollupGrain.OFFICE_ITEM:
        return fact["office_id"], fact["item_code"], 0
    return 0, fact["item_code"], 0


def contribution(fact: Mapping[str, Any]) -> list[tuple[date, int, list[tuple[int, int]]]]:
    """What one fact adds to the summary, as (month, hw, [(measure index, amount)]) — the same
    conditions as ``selectors.metric_q`` and ``selectors._histogram`` count it under."""
    parts: list[tuple[date, int, list[tuple[int, int]]]] = []
    received = fact["received_on"]
    parts.append((received.replace(day=1), COUNTS,
                  [(_I["received"], 1), (_I["incomplete"], 1 if fact["had_incomplete_notice"] else 0)]))
    if fact["accepted_on"] is not None:
        parts.append((fact["accepted_on"].replace(day=1), COUNTS, [(_I["accepted"], 1)]))
    closed = fact["closed_on"]
    if closed is not None and fact["status"] == CaseStatus.REFUSED:
        parts.append((closed.replace(day=1), COUNTS, [(_I["refused"], 1)]))
    if closed is not None and fact["status"] == CaseStatus.COMPLETED:
        values = [(_I["completed"], 1)]
        for base, ok, flag in (("promised_base", "promised_ok", fact["on_time_promised"]),
                               ("legal_base", "legal_ok", fact["on_time_legal"])):
            if flag is not None:
                values.append((_I[base], 1))
                if flag:
                    values.append((_I[ok], 1))
        if fact["rating"] in (1, 2, 3, 4, 5):
            values.append((_I[f"r{fact['rating']}"], 1))
        hw = fact["handling_wd"]
        parts.append((closed.replace(day=1), NO_HW if hw is None else hw, values))
    return parts


def add(acc: dict[Key, list[int]], fact: Mapping[str, Any], sign: int) -> None:
    """Add (``sign`` 1) or subtract (-1) one fact's contribution to every grain."""
    parts = contribution(fact)
    for grain in RollupGrain.values:
        office, item, officer = grain_key(grain, fact)
        for month, hw, values in parts:
            vector = acc.setdefault((grain, month, office, item, officer, hw), [0] * len(MEASURES))
            for index, amount in values:
                vector[index] += sign * amount


def lock() -> None:
    """Serialise the writers of facts for the rest of the transaction (see the invariant)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])


def as_row(fact: Model) -> dict[str, Any]:
    return {name: getattr(fact, name) for name in FACT_COLUMNS}


def apply(delta: Mapping[Key, list[int]]) -> int:
    """Add the deltas to the roll-up (one upsert per batch), then delete the rows they left all
    zero. Call inside the transaction that holds ``lock()``. Returns the rows touched."""
    rows = [(key, vector) for key, vector in delta.items() if any(vector)]
    if not rows:
        return 0
    qn = connection.ops.quote_name
    table = qn(SummaryRollup._meta.db_table)
    columns = ", ".join(qn(c) for c in (*KEY_COLUMNS, *MEASURES))
    placeholders = "(" + ", ".join(["%s"] * (len(KEY_COLUMNS) + len(MEASURES))) + ")"
    sets = ", ".join(f"{qn(m)} = {table}.{qn(m)} + excluded.{qn(m)}" for m in MEASURES)
    conflict = ", ".join(qn(c) for c in KEY_COLUMNS)
    all_zero = " AND ".join(f"{qn(m)} = 0" for m in MEASURES)
    touched: list[int] = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), _BATCH):
            batch = rows[start:start + _BATCH]
            params: list[Any] = []
            for (grain, month, office, item, officer, hw), vector in batch:
                params += [grain, connection.ops.adapt_datefield_value(month), office, item, officer, hw, *vector]
            cursor.execute(
                f"INSERT INTO {table} ({columns}) VALUES {', '.join([placeholders] * len(batch))}"
                f" ON CONFLICT ({conflict}) DO UPDATE SET {sets} RETURNING id", params)
            touched += [row[0] for row in cursor.fetchall()]
        for start in range(0, len(touched), 1000):
            ids = touched[start:start + 1000]
            cursor.execute(f"DELETE FROM {table} WHERE id IN ({', '.join(['%s'] * len(ids))}) AND {all_zero}", ids)
    return len(rows)


def replace_facts_delta(old: Iterable[Mapping[str, Any]], new: Iterable[Mapping[str, Any]]) -> dict[Key, list[int]]:
    acc: dict[Key, list[int]] = {}
    for fact in old:
        add(acc, fact, -1)
    for fact in new:
        add(acc, fact, 1)
    return acc


# --------------------------------------------------------------------------- rebuild from the facts


def _sources(fact_model: type[Model], grain: str) -> list[QuerySet[Any]]:
    """The GROUP BY queries over the facts that give one grain's rows, one per date counted by:
    received (and 一次性告知), accepted, refused, completed (per handling time)."""
    facts = fact_model.objects.order_by()  # type: ignore[attr-defined]
    keys: dict[str, Any] = {
        "k_grain": Value(grain),
        "k_office": F("office_id") if grain != RollupGrain.ITEM else Value(0),
        "k_item": F("item_code") if grain != RollupGrain.OFFICE_OFFICER else Value(""),
        "k_officer": Coalesce(F("officer_id"), Value(0)) if grain == RollupGrain.OFFICE_OFFICER else Value(0),
    }
    completed = Q(status=CaseStatus.COMPLETED, closed_on__isnull=False)
    return [
        facts.values(**keys, k_month=TruncMonth("received_on"), k_hw=Value(COUNTS)).annotate(
            received=Count("pk"), incomplete=Count("pk", filter=Q(had_incomplete_notice=True))),
        facts.filter(accepted_on__isnull=False).values(
            **keys, k_month=TruncMonth("accepted_on"), k_hw=Value(COUNTS)).annotate(accepted=Count("pk")),
        facts.filter(status=CaseStatus.REFUSED, closed_on__isnull=False).values(
            **keys, k_month=TruncMonth("closed_on"), k_hw=Value(COUNTS)).annotate(refused=Count("pk")),
        facts.filter(completed).values(
            **keys, k_month=TruncMonth("closed_on"), k_hw=Coalesce(F("handling_wd"), Value(NO_HW))).annotate(
            completed=Count("pk"),
            promised_base=Count("pk", filter=Q(on_time_promised__isnull=False)),
            promised_ok=Count("pk", filter=Q(on_time_promised=True)),
            legal_base=Count("pk", filter=Q(on_time_legal__isnull=False)),
            legal_ok=Count("pk", filter=Q(on_time_legal=True)),
            **{f"r{s}": Count("pk", filter=Q(rating=s)) for s in range(1, 6)}),
    ]


_SOURCE_KEYS = ("k_grain", "k_month", "k_office", "k_item", "k_officer", "k_hw")


def rebuild(*, fact_model: type[Model] | None = None, rollup_model: type[Model] | None = None) -> int:
    """Recompute the whole roll-up from the facts in bulk SQL (``INSERT … SELECT … GROUP BY``,
    merged with ``ON CONFLICT DO UPDATE``). Used by the migration (with its historical models) and
    to repair. Holds the lock; returns the number of rows."""
    from .models import CaseFact

    fact_model = fact_model or CaseFact
    rollup_model = rollup_model or SummaryRollup
    qn = connection.ops.quote_name
    table = qn(rollup_model._meta.db_table)
    conflict = ", ".join(qn(c) for c in KEY_COLUMNS)
    lock()
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table}")
        for grain in RollupGrain.values:
            for source in _sources(fact_model, grain):
                sql, params = source.query.sql_with_params()
                given = [m for m in MEASURES if m in source.query.annotations]
                select = ", ".join([f"s.{qn(k)}" for k in _SOURCE_KEYS]
                                   + [f"s.{qn(m)}" if m in given else "0" for m in MEASURES])
                sets = ", ".join(f"{qn(m)} = {table}.{qn(m)} + excluded.{qn(m)}" for m in given)
                cursor.execute(
                    f"INSERT INTO {table} ({', '.join(qn(c) for c in (*KEY_COLUMNS, *MEASURES))})"
                    f" SELECT {select} FROM ({sql}) s WHERE 1 = 1"  # WHERE: SQLite's upsert-after-SELECT rule
                    f" ON CONFLICT ({conflict}) DO UPDATE SET {sets}", params)
        cursor.execute(f"SELECT COUNT(*) FROM {table}")
        return int(cursor.fetchone()[0])


def expected() -> dict[Key, tuple[int, ...]]:
    """The roll-up as ``rebuild`` would make it, computed without writing (for ``verify``)."""
    from .models import CaseFact

    out: dict[Key, list[int]] = {}
    for grain in RollupGrain.values:
        for source in _sources(CaseFact, grain):
            for row in source:
                month = row["k_month"]
                month = month.date() if hasattr(month, "date") and not isinstance(month, date) else month
                key = (row["k_grain"], month, row["k_office"], row["k_item"], row["k_officer"], row["k_hw"])
                vector = out.setdefault(key, [0] * len(MEASURES))
                for name in MEASURES:
                    if name in row:
                        vector[_I[name]] += row[name]
    return {key: tuple(vector) for key, vector in out.items() if any(vector)}


def stored() -> dict[Key, tuple[int, ...]]:
    return {tuple(row[:6]): tuple(row[6:])
            for row in SummaryRollup.objects.values_list(*KEY_COLUMNS, *MEASURES)}


def verify() -> list[str]:
    """The differences between the table and a recomputation from the facts (empty: exact)."""
    have, want = stored(), expected()
    problems = []
    for key in sorted(set(have) | set(want), key=repr):
        if have.get(key) != want.get(key):
            problems.append(f"{key}: stored {have.get(key)}, facts give {want.get(key)}")
    return problems


# --------------------------------------------------------------------------- a fact deleted with its case


def fact_pre_delete(sender: type[Model], instance: Model, **kwargs: Any) -> None:
    """Read the fact again under the lock: the copy the deletion collected may be older."""
    lock()
    instance._rollup_old = (  # type: ignore[attr-defined]
        sender.objects.filter(pk=instance.pk).values(*FACT_COLUMNS).first())  # type: ignore[attr-defined]


def fact_post_delete(sender: type[Model], instance: Model, **kwargs: Any) -> None:
    old = getattr(instance, "_rollup_old", None)
    if old is not None:
        apply(replace_facts_delta([old], []))
