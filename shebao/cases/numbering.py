"""办件编号 and notice numbers.

办件编号 = office code + date + 4-digit sequence of that office and day, e.g. ``JA202611280007``:
short enough to read out at a window, unique, and telling which office and day accepted the
case. Notice numbers add the notice type: ``JA-受-20261128-0003``. Sequences are rows in
``DailySequence``, incremented under a row lock so two app servers never hand out one number twice.
"""

from __future__ import annotations

from datetime import date

from django.db import connection, transaction

from .models import DailySequence

NOTICE_PREFIX = {"incomplete": "告", "acceptance": "受", "refusal": "不", "result": "结"}


def next_in_sequence(*, scope: str, day: date) -> int:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("sequence numbers must be taken inside the transaction that uses them")
    # One statement instead of get_or_create + UPDATE + SELECT FOR UPDATE: the upsert takes the
    # row lock (PostgreSQL) or runs under the write lock (SQLite, IMMEDIATE transactions), and
    # RETURNING hands back the value this transaction incremented it to. Same SQL on SQLite
    # (3.35+) and PostgreSQL; the conflict target is the (scope, day) unique constraint.
    table = connection.ops.quote_name(DailySequence._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (scope, day, value) VALUES (%s, %s, 1) "
            f"ON CONFLICT (scope, day) DO UPDATE SET value = {table}.value + 1 RETURNING value",
            [scope, connection.ops.adapt_datefield_value(day)],
        )
        row = cursor.fetchone()
    return int(row[0])


def case_number(*, office_code: str, day: date) -> str:
    seq = next_in_sequence(scope=f"case:{office_code}", day=day)
    return f"{office_code}{day:%Y%m%d}{seq:04d}"


def notice_number(*, office_code: str, kind: str, day: date) -> str:
    seq = next_in_sequence(scope=f"notice:{office_code}:{kind}", day=day)
    return f"{office_code}-{NOTICE_PREFIX[kind]}-{day:%Y%m%d}-{seq:04d}"
