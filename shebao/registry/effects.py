"""What completing a case changes in the registries.

The case engine calls ``check_case_preconditions(case=…)`` at the start of 受理 and
``apply_case_effect(case=…)`` inside the transaction that closes a case with 准予. Each item code
has an ``ItemDef`` (``framework.py``; the definitions are in ``items/``): a data schema, checks and
an effect. At 受理 the checks run on the registry as it is; at 办结 they run again (the registry may
have changed meanwhile), then the effect writes through ``services.py``. Any failed check raises
``RegistryRefused`` (a Conflict citing the rule), so the case's transaction rolls back and the
registry is untouched. docs/registry.md lists every item with its effect.

``case_route(case=…)`` tells the engine which flow route an online 增员/停保 takes: employers that
are not 网上信用用户 go through the counter check (``online_non_credit``).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from shebao.cases.models import Case, CaseEvent, CaseStatus
from shebao.core.audit import audit_record
from shebao.core.errors import ValidationFailed
from shebao.core.sql import convert_value, insert_one

from . import items  # noqa: F401  (registers every item)
from .errors import RegistryRefused
from .framework import ITEMS, Ctx, Data, ItemDef, last_actor, refusal, stored_data, validate_data
from .models import CaseData, Employer
from .rules import Finding, block

__all__ = ["apply_case_effect", "case_route", "check_case_preconditions", "definition", "evaluate"]

ONLINE_CREDIT_ITEMS = frozenset({"SBZX00013", "SBZX00014", "SBZX00015"})


REGISTRY_MODES = ("strict", "when_data", "off")


def mode() -> str:
    """``SHEBAO_REGISTRY_EFFECTS``: how completed cases reach the registries.

    * ``strict`` (default) — every item that needs case data refuses 受理/办结 without it (the
      window enters it in the workbench form or through the API); items whose effect runs on
      defaults need no data.
    * ``when_data`` — a case that carries registry data is checked and applied strictly; a case
      without any completes without changing the registries, and its timeline says so
      (``registry_skipped``). For migrating old cases only.
    * ``off`` — both hooks do nothing.
    ``True``/``False`` (older settings) mean ``strict``/``off``."""
    value = getattr(settings, "SHEBAO_REGISTRY_EFFECTS", "strict")
    if value is True:
        return "strict"
    if value is False:
        return "off"
    return str(value)


def enabled() -> bool:
    return mode() != "off"


_UNREAD: Any = object()  # ``raw`` not read yet (None is "read: the case has no data")


def _data_and_skip_note(case: Case) -> tuple[Any, bool]:
    """The case's stored data (None if none) and whether its ``registry_skipped`` note exists:
    one raw statement, as 受理 and 办结 ask both on the case write path."""
    table = connection.ops.quote_name(CaseData._meta.db_table)
    events = connection.ops.quote_name(CaseEvent._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT data FROM {table} WHERE case_id = %s ORDER BY id LIMIT 1), "
            f"EXISTS (SELECT 1 FROM {events} WHERE case_id = %s AND action = %s)",
            [case.pk, case.pk, "registry_skipped"],
        )
        data, noted = cursor.fetchone()
    return (None if data is None else convert_value(CaseData, "data", data)), bool(noted)


def _skipped_for_want_of_data(case: Case) -> tuple[bool, Any]:
    """In ``when_data`` mode a case with no registry data passes through; record that once.
    Returns (skipped, the stored data or ``_UNREAD``) so that the caller need not read it again."""
    if mode() != "when_data":
        return False, _UNREAD
    raw, noted = _data_and_skip_note(case)
    if raw is not None:
        return False, raw
    if not noted:
        note = "未登记业务数据，办结后登记簿不作变更"
        insert_one(CaseEvent, {"case": case.pk, "at": timezone.now(), "actor": "system:registry",
                               "action": "registry_skipped", "status_before": case.status,
                               "status_after": case.status, "detail": {"note": note}})
        audit_record(actor="system:registry", action="registry.effect_skipped", object_type="case",
                     object_id=str(case.public_id), payload={"item": case.item.code, "note": note})
    return True, None


def definition(code: str) -> ItemDef | None:
    return ITEMS.get(code)


def _data(defn: ItemDef, case: Case, *, stage: str, raw: Any = _UNREAD) -> Data | None:
    """The case's validated data; defaults when the schema needs nothing; None when the data
    may still come later (``data_at='close'`` before 办结). Refuses when it is needed and missing."""
    if defn.schema is None:
        return None
    if raw is _UNREAD:
        raw = stored_data(case)
    if raw is None:
        try:
            return validate_data(defn.schema, {})
        except ValidationFailed:
            if stage == "accept" and defn.data_at == "close":
                return None
            when = "受理前" if stage == "accept" else "办结前"
            raise RegistryRefused(
                f"请{when}登记本事项的业务数据（经办工作台办件页“业务数据”，或 POST /api/v1/cases/{case.public_id}/registry-data）",
                rule=f"{case.item.code}：办结时须据以变更登记簿的业务数据", field="data") from None
    try:
        return validate_data(defn.schema, raw)
    except ValidationFailed as exc:
        raise RegistryRefused(exc.message, rule=f"{case.item.code}业务数据", field=exc.field) from None


def _checks(defn: ItemDef, ctx: Ctx) -> list[Finding]:
    if defn.check_fn is None:
        return []
    if ctx.data is None and defn.schema is not None and defn.data_at == "accept":
        return []
    return defn.check_fn(ctx)


def _store_findings(case: Case, findings: list[Finding]) -> None:
    CaseData.objects.filter(case=case).update(findings=[f.as_dict() for f in findings])


def evaluate(case: Case, *, stage: str = "accept", raw: Any = None) -> list[Finding]:
    """Run the item's checks without raising: a refusal becomes a ``block`` finding."""
    defn = ITEMS.get(case.item.code)
    if defn is None:
        return []
    try:
        data = _data(defn, case, stage=stage, raw=_UNREAD if raw is None else raw)
        return _checks(defn, Ctx(case=case, data=data, stage=stage))  # type: ignore[arg-type]
    except RegistryRefused as exc:
        return [block(exc.rule, exc.message.split("（依据：")[0], exc.field or "")]
    except ValidationFailed as exc:
        return [block(f"{case.item.code}业务数据", exc.message, exc.field or "")]


def check_case_preconditions(*, case: Case, deemed: bool = False) -> None:
    """Raise a RegistryRefused citing the rule when the registry state forbids accepting this case.

    A deemed acceptance (行政许可法第三十二条: no 一次性告知 within 5 working days, so the application
    counts as accepted on receipt) is never refused here: the law has already accepted it. Its
    findings are recorded, and the data and the checks are enforced at 办结 instead."""
    defn = ITEMS.get(case.item.code)
    if defn is None or not enabled():
        return
    skipped, raw = _skipped_for_want_of_data(case)
    if skipped:
        return
    if deemed:
        _store_findings(case, evaluate(case, stage="accept", raw=None if raw is _UNREAD else raw))
        return
    try:
        data = _data(defn, case, stage="accept", raw=raw)
        findings = _checks(defn, Ctx(case=case, data=data, stage="accept"))
    except ValidationFailed as exc:
        raise RegistryRefused(exc.message, rule=f"{case.item.code}业务数据", field=exc.field) from None
    _store_findings(case, findings)
    error = refusal(findings)
    if error is not None:
        raise error


def apply_case_effect(*, case: Case) -> None:
    """Apply the item's effect to the registries, inside the transaction that closes the case."""
    defn = ITEMS.get(case.item.code)
    if defn is None or defn.apply_fn is None or not enabled():
        return
    skipped, raw = _skipped_for_want_of_data(case)
    if skipped:
        return
    with transaction.atomic():
        try:
            data = _data(defn, case, stage="close", raw=raw)
            ctx = Ctx(case=case, data=data, stage="close", actor=last_actor(case), today=timezone.localdate())
            findings = _checks(defn, ctx)
            error = refusal(findings)
            if error is not None:
                raise error
            defn.apply_fn(ctx)
        except ValidationFailed as exc:
            # A Conflict, so that a scheduler closing the case automatically retries instead of failing.
            raise RegistryRefused(exc.message, rule=f"{case.item.code}办结", field=exc.field) from None
        _store_findings(case, findings)


def case_route(*, case: Case) -> str | None:
    """The route an online case should take, when the registry decides it: an online 增员/停保 of an
    employer that is not a 网上信用用户 needs the counter check by the 20th (``online_non_credit``).
    None: the engine's default."""
    if case.channel != "online" or case.item.code not in ONLINE_CREDIT_ITEMS:
        return None
    employer = Employer.objects.filter(credit_code=case.applicant_credit_code).only("online_credit").first()
    return "online" if employer is not None and employer.online_credit else "online_non_credit"


def case_open(case: Case) -> bool:
    return case.status in {CaseStatus.SUBMITTED, CaseStatus.INCOMPLETE, CaseStatus.ACCEPTED, CaseStatus.SUSPENDED}
