"""The business data of a case (which employee, which grade, which bill …): set by the window or by
the online applicant, validated against the item's schema, kept with the case."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from shebao.accounts.models import Role
from shebao.accounts.selectors import user_roles
from shebao.cases.models import Case, CaseEvent, CaseStatus
from shebao.cases.selectors import visible_cases
from shebao.core.audit import audit_record
from shebao.core.errors import Conflict, PermissionDenied, ValidationFailed

from .effects import evaluate
from .framework import ITEMS, Ctx, last_actor, validate_data
from .models import CaseData
from .rules import Finding

WORKING_ROLES = {Role.WINDOW_CLERK, Role.REVIEWER, Role.CITY_REVIEWER, Role.FINANCE, Role.BUREAU_APPROVER, Role.ADMIN}
OPEN = (CaseStatus.SUBMITTED, CaseStatus.INCOMPLETE, CaseStatus.ACCEPTED, CaseStatus.SUSPENDED)


def _may_set(user: Any, case: Case) -> None:
    roles = user_roles(user)
    if case.applicant_user_id is not None and case.applicant_user_id == getattr(user, "pk", None):
        if case.status not in {CaseStatus.SUBMITTED, CaseStatus.INCOMPLETE}:
            raise PermissionDenied("办件受理后，业务数据由经办机构登记")
        return
    if not roles & WORKING_ROLES:
        raise PermissionDenied("您没有权限登记办件业务数据")
    if Role.ADMIN not in roles and not visible_cases(user).filter(pk=case.pk).exists():
        raise PermissionDenied("该办件不由您所在机构办理")


def may_set_data(user: Any, case: Case) -> bool:
    """Whether ``user`` may set the case's data now (the form is offered only then)."""
    if case.status not in OPEN:
        return False
    try:
        _may_set(user, case)
    except PermissionDenied:
        return False
    return True


def _masked(data: dict[str, Any]) -> list[str]:
    return sorted(data)


@transaction.atomic
def case_data_set(*, case: Case, actor: Any, data: dict[str, Any]) -> tuple[CaseData, list[Finding]]:
    """Validate and store the case's data (replacing what was there). Returns the row and the
    findings of the item's checks on the registry as it is now: blocks say what 受理/办结 will
    refuse, warnings what the clerk should know."""
    case = Case.objects.select_for_update().select_related("item", "org_unit").get(pk=case.pk)
    defn = ITEMS.get(case.item.code)
    if defn is None or defn.schema is None:
        raise ValidationFailed(f"{case.item.code}办结时不需要业务数据", field="data")
    if case.status not in OPEN:
        raise Conflict(f"办件已{case.get_status_display()}，不能再登记业务数据", extra={"status": case.status})
    _may_set(actor, case)
    validated = validate_data(defn.schema, data)
    stored = validated.model_dump(mode="json", exclude_none=True)
    username = str(getattr(actor, "username", "")) or "system"
    row, created = CaseData.objects.get_or_create(
        case=case, defaults={"data": stored, "updated_at": timezone.now(), "updated_by": username})
    if not created:
        row.data = stored
        row.updated_at = timezone.now()
        row.updated_by = username
        row.save(update_fields=["data", "updated_at", "updated_by"])
    if defn.on_data is not None:
        defn.on_data(Ctx(case=case, data=validated, stage="data", actor=username))
    findings = evaluate(case, stage="data")
    CaseData.objects.filter(pk=row.pk).update(findings=[f.as_dict() for f in findings])
    row.findings = [f.as_dict() for f in findings]
    blocks = sum(1 for f in findings if f.level == "block")
    note = f"登记业务数据（{len(stored)}项）" + (f"；核验：{blocks}项不符合办理条件" if blocks else "")
    CaseEvent.objects.create(case=case, at=timezone.now(), actor=username, action="registry_data_set",
                             status_before=case.status, status_after=case.status,
                             detail={"note": note, "fields": _masked(stored)})
    # Personal data stays in the case data; the timeline and the audit chain record who set which fields.
    audit_record(actor=username, action="registry.case_data_set", object_type="case", object_id=str(case.public_id),
                 payload={"item": case.item.code, "fields": _masked(stored), "blocks": blocks})
    return row, findings


def case_data_get(*, case: Case) -> CaseData | None:
    return CaseData.objects.filter(case=case).first()


__all__ = ["case_data_get", "case_data_set", "last_actor", "may_set_data"]
