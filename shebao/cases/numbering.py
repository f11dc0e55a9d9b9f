"""办件编号 and notice numbers.

办件编号 = office code + date + 4-digit sequence of that office and day, e.g. ``JA202611280007``:
short enough to read out at a window, unique, and telling which office and day accepted the
case. Notice numbers add the notice type: ``JA-受-20261128-0003``. Sequences are rows in
``DailySequence``, incremented under a row lock so two app servers never hand out one number twice.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.db.models import F

from .models import DailySequence

NOTICE_PREFIX = {"incomplete": "告", "acceptance": "受", "refusal": "不", "result": "结"}


def next_in_sequence(*, scope: str, day: date) -> int:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("sequence numbers must be taken inside the transaction that uses them")
    DailySequence.objects.get_or_create(scope=scope, day=day)
    DailySequence.objects.filter(scope=scope, day=day).update(value=F("value") + 1)
    row = DailySequence.objects.select_for_update().get(scope=scope, day=day)
    return row.value


def case_number(*, office_code: str, day: date) -> str:
    seq = next_in_sequence(scope=f"case:{office_code}", day=day)
    return f"{office_code}{day:%Y%m%d}{seq:04d}"


def notice_number(*, office_code: str, kind: str, day: date) -> str:
    seq = next_in_sequence(scope=f"notice:{office_code}:{kind}", day=day)
    return f"{office_code}-{NOTICE_PREFIX[kind]}-{day:%Y%m%d}-{seq:04d}"
