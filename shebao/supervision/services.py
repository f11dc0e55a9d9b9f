"""Every write of supervision: 督办单 (issue, reply, return, close, escalate) and the scheduled
refresh. Keyword-only, typed, one transaction each, one audit event per change of state.

Only supervisors issue, return and close orders; the office an order is addressed to (its staff,
or the district office above a street window) replies. Supervisors change nothing in cases.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.models import User as AuthUser
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from shebao.accounts.models import OrgUnit, Role
from shebao.accounts.selectors import user_org_unit, user_roles
from shebao.cases.models import Case
from shebao.core import access
from shebao.core.audit import audit_record
from shebao.core.errors import Conflict, PermissionDenied, ValidationFailed
from shebao.workdays import get_calendar

from .facts import case_facts_refresh
from .models import Finding, OrderCounter, OrderEvent, OrderLevel, OrderStatus, SupervisionOrder

User = AuthUser | AnonymousUser
OFFICE_ROLES = frozenset({Role.WINDOW_CLERK, Role.REVIEWER, Role.CITY_REVIEWER, Role.FINANCE, Role.BUREAU_APPROVER})
MAX_REPLY_DAYS = 30
ESCALATION_REPLY_DAYS = 3  # working days the office gets after each escalation
ESCALATED_TO = {
    OrderLevel.KEY: "逾期未回复，升级为重点督办，报分管局领导",
    OrderLevel.LISTED: "逾期仍未回复，升级为挂牌督办，全市通报",
}


def _name(actor: User | None) -> str:
    return str(getattr(actor, "username", "")) or "system" if actor is not None else "system"


def is_supervisor(user: object) -> bool:
    return access.SUPERVISION_ISSUERS.allows(user)


def can_read_supervision(user: object) -> bool:
    """The dashboards, lists and exports: supervisors and administrators."""
    return access.SUPERVISION_READERS.allows(user)


def office_may_reply(user: object, order: SupervisionOrder) -> bool:
    """Staff of the addressed office, or of the district office above a street window."""
    if not user_roles(user) & OFFICE_ROLES:
        return False
    unit = user_org_unit(user)
    office = order.office
    return unit is not None and (unit.pk == office.pk or (office.parent_id is not None and unit.pk == office.parent_id))


def _require_supervisor(actor: User, what: str) -> AuthUser:
    if not isinstance(actor, AuthUser) or not is_supervisor(actor):
        raise PermissionDenied(f"只有督办人员可以{what}")
    return actor


def _event(order: SupervisionOrder, *, actor: User | None, action: str, **detail: Any) -> None:
    OrderEvent.objects.create(order=order, at=timezone.now(), actor=_name(actor), action=action, detail=detail)
    audit_record(actor=_name(actor), action=f"supervision.order_{action}", object_type="supervision_order",
                 object_id=order.number, payload={"status": order.status, "level": order.level, **detail})


def _next_number(year: int) -> str:
    counter, _ = OrderCounter.objects.select_for_update().get_or_create(year=year)
    OrderCounter.objects.filter(pk=counter.pk).update(value=F("value") + 1)
    counter.refresh_from_db()
    return f"DB{year}{counter.value:05d}"


def _reply_due(start: date, days: int) -> date:
    return get_calendar().add_working_days(start, days)


def _change(order: SupervisionOrder, *, allowed: set[str], **fields: Any) -> SupervisionOrder:
    """Compare-and-set on lock_version: of two people acting at once, one wins."""
    if order.status not in allowed:
        raise Conflict(f"督办单当前状态为“{order.get_status_display()}”，不能进行此操作",
                       extra={"status": order.status})
    updated = SupervisionOrder.objects.filter(pk=order.pk, lock_version=order.lock_version).update(
        lock_version=F("lock_version") + 1, **fields)
    if updated != 1:
        raise Conflict("督办单已被他人处理，请刷新后重试")
    order.refresh_from_db()
    return order


@transaction.atomic
def order_issue(
    *, actor: User, subject: str, demand: str, reply_days: int, case: Case | None = None,
    office: OrgUnit | None = None, finding: Finding | None = None,
) -> SupervisionOrder:
    """督办单 on a case (addressed to the office that holds it) or on an office."""
    supervisor = _require_supervisor(actor, "签发督办单")
    if finding is not None and case is None:
        case = finding.case
    if case is not None:
        if office is not None and office.pk != case.org_unit_id:
            raise ValidationFailed("办件督办单发给受理该办件的机构", field="office")
        office = case.org_unit
    if office is None:
        raise ValidationFailed("请选择督办的办件或机构", field="office")
    if not subject.strip():
        raise ValidationFailed("请填写督办事项", field="subject")
    if not demand.strip():
        raise ValidationFailed("请填写督办要求", field="demand")
    if not 1 <= reply_days <= MAX_REPLY_DAYS:
        raise ValidationFailed(f"回复期限须为 1—{MAX_REPLY_DAYS} 个工作日", field="reply_days")
    now = timezone.now()
    today = timezone.localdate(now)
    order = SupervisionOrder.objects.create(
        number=_next_number(today.year), case=case, office=office, finding=finding, subject=subject.strip()[:120],
        demand=demand.strip(), reply_days=reply_days, reply_due=_reply_due(today, reply_days),
        issued_by=supervisor, issued_at=now,
    )
    _event(order, actor=actor, action="issued", office=office.key, case=case.reference if case else None,
           reply_due=order.reply_due.isoformat(), subject=order.subject)
    return order


@transaction.atomic
def order_reply(*, order: SupervisionOrder, actor: User, reply: str) -> SupervisionOrder:
    """The office's written reply (整改情况说明)."""
    if not office_may_reply(actor, order):
        raise PermissionDenied(f"该督办单由{order.office.name}回复")
    if not reply.strip():
        raise ValidationFailed("请填写回复内容", field="reply")
    now = timezone.now()
    late = timezone.localdate(now) > order.reply_due
    _change(order, allowed={OrderStatus.ISSUED}, status=OrderStatus.REPLIED, reply=reply.strip(),
            replied_by=actor, replied_at=now, replied_late=late)
    _event(order, actor=actor, action="replied", late=late)
    return order


@transaction.atomic
def order_return(*, order: SupervisionOrder, actor: User, note: str) -> SupervisionOrder:
    """退回: the reply does not satisfy; the office replies again within the same number of days."""
    _require_supervisor(actor, "退回督办回复")
    if not note.strip():
        raise ValidationFailed("请写明退回理由", field="note")
    due = _reply_due(timezone.localdate(), order.reply_days)
    _change(order, allowed={OrderStatus.REPLIED}, status=OrderStatus.ISSUED, reply_due=due)
    _event(order, actor=actor, action="returned", note=note.strip(), reply_due=due.isoformat())
    return order


@transaction.atomic
def order_close(*, order: SupervisionOrder, actor: User, note: str = "") -> SupervisionOrder:
    """办结（销号）: the supervisor accepts the reply."""
    _require_supervisor(actor, "办结督办单")
    _change(order, allowed={OrderStatus.REPLIED}, status=OrderStatus.CLOSED, closed_by=actor,
            closed_at=timezone.now(), close_note=note.strip())
    _event(order, actor=actor, action="closed", note=note.strip())
    return order


def orders_escalate(*, today: date) -> list[str]:
    """Unanswered orders past their reply date go up one level with a new, short reply date.
    Idempotent: an escalated order's new date lies ahead, so a second run that day does nothing."""
    escalated: list[str] = []
    due = SupervisionOrder.objects.filter(status=OrderStatus.ISSUED, reply_due__lt=today,
                                          level__lt=OrderLevel.LISTED).order_by("reply_due", "pk")
    for order in due:
        level = OrderLevel(order.level + 1)
        new_due = _reply_due(today, ESCALATION_REPLY_DAYS)
        with transaction.atomic():
            try:
                _change(order, allowed={OrderStatus.ISSUED}, level=level, reply_due=new_due,
                        escalated_at=timezone.now())
            except Conflict:
                continue  # replied meanwhile, or another host escalated it
            _event(order, actor=None, action="escalated", level=int(level), to=ESCALATED_TO[level],
                   reply_due=new_due.isoformat())
        escalated.append(f"{order.number}→{level.label}")
    return escalated


def supervision_tick(*, today: date) -> list[str]:
    """The scheduled work of supervision: reconcile case facts and findings, escalate orders."""
    refreshed = case_facts_refresh(today=today)
    escalated = orders_escalate(today=today)
    return [refreshed.line(), f"supervision orders escalated: {len(escalated)} {' '.join(escalated)}".rstrip()]
