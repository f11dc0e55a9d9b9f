"""Every change to a case. Keyword-only, typed, one transaction, one guarded transition.

Roles and offices are checked here, not in the views, so the API, the web UI and the scheduler
obey the same rules. ``_transition`` is the only place that changes ``Case.status``: it is a
compare-and-set on ``lock_version``, so of two clerks pressing a button on the same case at the
same moment exactly one succeeds and the other gets a Conflict.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.models import User as AuthUser
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from shebao.accounts.models import OrgLevel, OrgUnit, Role
from shebao.accounts.selectors import user_org_unit, user_roles
from shebao.catalog.flows import FlowDef, flow_for_item
from shebao.catalog.models import ServiceItem
from shebao.catalog.selectors import catalog_version_in_force, item_for_case
from shebao.core import access
from shebao.core.audit import audit_record
from shebao.core.errors import Conflict, PermissionDenied, ValidationFailed
from shebao.core.identifiers import validate_credit_code, validate_id_number
from shebao.core.sql import compare_and_set, insert_one
from shebao.registry.effects import apply_case_effect, case_route, check_case_preconditions
from shebao.workdays import Pause, countdown, deadline, get_calendar, parse_rule

from .models import (
    OPEN_STATUSES,
    ApplicantType,
    Case,
    CaseEvent,
    CaseMaterial,
    CaseResult,
    CaseStatus,
    CaseStep,
    Channel,
    Notice,
    NoticeKind,
    Rating,
    Rectification,
    StepOutcome,
    StepStatus,
    WarningLevel,
)
from .numbering import case_number, notice_number

# Actors are signed-in users; AnonymousUser only reaches the permission checks, which refuse it.
User = AuthUser | AnonymousUser
# Role sets come from the policy table, so the API's gate and these checks are one rule.
WINDOW_ROLES = access.CASE_WINDOW.roles or frozenset()
INTERNAL_ROLES = access.CASE_INTERNAL.roles or frozenset()
CLOCK_ROLES = access.CASE_CLOCK.roles or frozenset()
REMEDIES = (
    "如不服本决定，可自收到本通知书之日起六十日内向武汉市人民政府或湖北省人力资源和社会保障厅申请行政复议，"
    "或者自收到本通知书之日起六个月内向人民法院提起行政诉讼。"
)
DEEMED_ACCEPTANCE_WORKING_DAYS = 5


@dataclass(frozen=True)
class MaterialCheck:
    """What the window saw of one material: 原件, 复印件, or not needed in this case."""

    original: bool = False
    copy: bool = False
    not_applicable: bool = False
    note: str = ""


# --------------------------------------------------------------------------- helpers


def _actor_name(actor: User | None) -> str:
    if actor is None:
        return "system"
    return str(getattr(actor, "username", "")) or "anonymous"


def _require_role(actor: User, roles: Iterable[str], what: str) -> frozenset[str]:
    held = user_roles(actor)
    if not held & set(roles) and Role.ADMIN not in held:
        raise PermissionDenied(f"您没有权限{what}")
    return held


def _signed_in(actor: User | None) -> AuthUser | None:
    return actor if isinstance(actor, AuthUser) else None


def _is_applicant_of(actor: User, case: Case) -> bool:
    return bool(getattr(actor, "is_authenticated", False)) and case.applicant_user_id == getattr(actor, "pk", None)


def _unit_serves(unit: OrgUnit | None, target: OrgUnit | None) -> bool:
    """A unit may act for ``target`` if it is that unit, or its district office (parent)."""
    if unit is None or target is None:
        return False
    return unit.pk == target.pk or (target.parent_id is not None and unit.pk == target.parent_id)


def _require_window(actor: User, case: Case, what: str) -> None:
    roles = _require_role(actor, WINDOW_ROLES, what)
    if Role.ADMIN in roles:
        return
    if not _unit_serves(user_org_unit(actor), case.org_unit):
        raise PermissionDenied(f"该办件由{case.org_unit.name}受理，您所在机构不能{what}")


def _lock_case(case: Case) -> None:
    """Take the case's row lock first in the transaction, before anything else (the audit chain's
    lock included). Two actions on one case then queue here instead of deadlocking on PostgreSQL
    (one holding the case row and waiting for the audit lock, the other the reverse); the one that
    waited finds the case changed and gets the Conflict. On SQLite the IMMEDIATE write transaction
    already serialises writers (and the compare-and-set catches a stale case), so no statement."""
    if connection.vendor != "postgresql":
        return
    current = Case.objects.select_for_update().filter(pk=case.pk).values_list("lock_version", "status").first()
    if current is None or current[0] != case.lock_version:
        raise Conflict("办件已被他人处理，请刷新后重试", extra={"status": current[1] if current else case.status})


def _transition(
    *, case: Case, actor: User | None, action: str, allowed_from: Iterable[str], to_status: str | None = None,
    detail: Mapping[str, Any] | None = None, **fields: Any,
) -> Case:
    """Compare-and-set the case from one of ``allowed_from`` to ``to_status`` (or keep the status),
    write the timeline event and the audit event. Raises Conflict if someone else changed it."""
    allowed = list(allowed_from)
    _require_status(case, allowed, action)
    new_status = to_status or case.status
    updated = compare_and_set(Case, pk=case.pk, lock_version=case.lock_version, allowed=allowed,
                              status=new_status, fields=fields)
    if updated != 1:
        raise Conflict("办件已被他人处理，请刷新后重试", extra={"status": case.status})
    before = case.status
    # The compare-and-set succeeded, so the row now holds exactly these values: no re-read needed.
    case.status = new_status
    case.lock_version += 1
    for name, value in fields.items():
        setattr(case, name, value)
    now = timezone.now()
    payload = {"status_before": before, "status_after": new_status, **(detail or {})}
    insert_one(CaseEvent, {
        "case": case.pk, "at": now, "actor": _actor_name(actor), "action": action, "status_before": before,
        "status_after": new_status, "detail": dict(detail or {}),
    })
    audit_record(actor=_actor_name(actor), action=f"case.{action}", object_type="case", object_id=str(case.public_id),
                 payload=payload)
    return case


def _require_status(case: Case, allowed: Iterable[str], action: str) -> None:
    if case.status not in set(allowed):
        raise Conflict(
            f"办件当前状态为“{case.get_status_display()}”，不能{action_label(action)}",
            extra={"status": case.status},
        )


ACTION_LABELS = {
    "submitted": "提交申请", "materials_checked": "核对材料", "incomplete_notified": "出具一次性告知书",
    "supplemented": "补正材料", "accepted": "受理", "refused": "不予受理", "step_completed": "办理环节",
    "event_recorded": "登记外部事项", "suspended": "中止", "resumed": "恢复办理", "withdrawn": "撤回",
    "completed": "办结", "rated": "评价", "deemed_accepted": "视为受理", "extended": "延期",
}


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action)


def _issue_notice(*, case: Case, kind: str, actor: User | None, content: dict[str, Any]) -> Notice:
    today = timezone.localdate()
    return Notice.objects.create(
        case=case, kind=kind, number=notice_number(office_code=case.org_unit.code, kind=kind, day=today),
        issued_at=timezone.now(), issued_by=_signed_in(actor),
        content={"item_code": case.item.code, "item_name": case.item.name, "applicant": case.applicant_name,
                 "office": case.org_unit.name, "catalog_version": case.item.version.number, **content},
    )


# --------------------------------------------------------------------------- submission


def case_submit(
    *,
    item_code: str,
    channel: str,
    org_unit: OrgUnit,
    submitted_by: User | None,
    applicant_type: str,
    applicant_name: str,
    applicant_id_number: str = "",
    applicant_credit_code: str = "",
    applicant_phone: str = "",
    agent_name: str = "",
    agent_id_number: str = "",
    idempotency_key: str = "",
    materials: Mapping[int, MaterialCheck] | None = None,
    note: str = "",
) -> Case:
    """An application, online by the applicant or at a window by a clerk on their behalf.

    Retrying with the same ``idempotency_key`` returns the case already created."""
    signed_in = _signed_in(submitted_by)
    if idempotency_key and signed_in is not None:
        existing = Case.objects.filter(submitted_by=signed_in, idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing
    if channel not in Channel.values:
        raise ValidationFailed(f"办理渠道“{channel}”无效", field="channel")
    version = catalog_version_in_force()
    if version is None:
        raise ValidationFailed("尚未发布事项清单，不能申请")
    item: ServiceItem = item_for_case(code=item_code, version=version)
    roles = user_roles(submitted_by) if submitted_by is not None else frozenset()
    if channel == Channel.ONLINE:
        if not item.mode_online:
            raise ValidationFailed(f"“{item.name}”不支持网上办理，请到窗口申请", field="item_code")
        if not roles & {Role.APPLICANT_UNIT, Role.APPLICANT_PERSON, Role.AGENT}:
            raise PermissionDenied("网上申请须以办事单位、办事个人或代办人账号登录")
    elif channel == Channel.COUNTER:
        _require_role(submitted_by or AnonymousUser(), WINDOW_ROLES, "在窗口代为申请")
        if Role.ADMIN not in roles and not _unit_serves(user_org_unit(submitted_by), org_unit):
            raise PermissionDenied("只能以本机构名义受理窗口申请")
    elif channel == Channel.INTERNAL:
        _require_role(submitted_by or AnonymousUser(), INTERNAL_ROLES,
                      "发起内部事项")
    if applicant_type not in ApplicantType.values:
        raise ValidationFailed(f"申请人类型“{applicant_type}”无效，可选 unit/person", field="applicant_type")
    if not applicant_name.strip():
        raise ValidationFailed("请填写申请人名称", field="applicant_name")
    id_number = validate_id_number(applicant_id_number) if applicant_id_number.strip() else ""
    credit_code = validate_credit_code(applicant_credit_code) if applicant_credit_code.strip() else ""
    if applicant_type == ApplicantType.PERSON and not id_number and channel != Channel.INTERNAL:
        raise ValidationFailed("个人申请须填写身份证号", field="applicant_id_number")
    # Employers without a credit code use the 非“统一社会信用代码” items (组织机构代码 + 营业执照).
    needs_credit_code = (
        applicant_type == ApplicantType.UNIT and channel != Channel.INTERNAL and "非“统一社会信用代码”" not in item.name
    )
    if needs_credit_code and not credit_code:
        raise ValidationFailed("单位申请须填写统一社会信用代码", field="applicant_credit_code")
    agent_id = validate_id_number(agent_id_number) if agent_id_number.strip() else ""
    if bool(agent_name.strip()) != bool(agent_id):
        raise ValidationFailed("代办人须同时填写姓名和身份证号", field="agent_id_number")
    applicant_user = signed_in if channel == Channel.ONLINE else None
    related = _first_half_of_pair(item, id_number=id_number, credit_code=credit_code)

    try:
        with transaction.atomic():
            case = Case.objects.create(
                item=item, channel=channel, org_unit=org_unit, applicant_type=applicant_type,
                applicant_name=applicant_name.strip(), applicant_id_number=id_number,
                applicant_credit_code=credit_code, applicant_phone=applicant_phone.strip(),
                applicant_user=applicant_user, agent_name=agent_name.strip(), agent_id_number=agent_id,
                submitted_by=signed_in,
                idempotency_key=idempotency_key, submitted_at=timezone.now(), note=note, related_case=related,
            )
            rows = [
                CaseMaterial(case=case, material=m, position=m.position, text=m.text, conditional=m.conditional)
                for m in item.materials.all()
            ]
            if materials:
                # Checked before the rows are written: one INSERT, no read-back and no UPDATE.
                _check_rows({row.material_id: row for row in rows}, materials)
            CaseMaterial.objects.bulk_create(rows)
            CaseEvent.objects.create(case=case, at=case.submitted_at, actor=_actor_name(submitted_by),
                                     action="submitted", status_after=case.status,
                                     detail={"channel": channel, "item": item.code})
            audit_record(actor=_actor_name(submitted_by), action="case.submitted", object_type="case",
                         object_id=str(case.public_id),
                         payload={"item": item.code, "version": version.number, "channel": channel,
                                  "org_unit": org_unit.key})
    except IntegrityError:
        # A concurrent retry with the same key won the race: hand back its case.
        existing = Case.objects.filter(submitted_by=signed_in, idempotency_key=idempotency_key).first()
        if existing is None:
            raise
        return existing
    return case


def _first_half_of_pair(item: ServiceItem, *, id_number: str, credit_code: str) -> Case | None:
    """A 到账确认 item (SBZX00020-2, 00056-2, 00057-2) continues the 核定 case of the same
    applicant: that case must be 办结 准予 and not yet confirmed by another application."""
    flow = flow_for_item(item)
    first_code = flow.params.get("pair")
    if flow.pattern != "arrival_confirmation" or not isinstance(first_code, str):
        return None
    identity = {"applicant_credit_code": credit_code} if credit_code else {"applicant_id_number": id_number}
    candidates = Case.objects.filter(
        item__code=first_code, status=CaseStatus.COMPLETED, result=CaseResult.GRANTED, **identity
    ).exclude(follow_ups__status__in=[*OPEN_STATUSES, CaseStatus.COMPLETED]).order_by("-closed_at")
    first = candidates.first()
    if first is None:
        raise ValidationFailed(f"须先办结 {first_code}（核定）并缴费后，才能申请到账确认", field="item_code")
    return first


def _apply_material_checks(case: Case, checks: Mapping[int, MaterialCheck]) -> None:
    rows = {row.material_id: row for row in case.materials.all()}
    _check_rows(rows, checks)
    CaseMaterial.objects.bulk_update(
        [rows[key] for key in checks], ["original_received", "copy_received", "not_applicable", "note"]
    )


def _check_rows(rows: Mapping[int, CaseMaterial], checks: Mapping[int, MaterialCheck]) -> None:
    """Apply the window's checks to the checklist rows (in memory); refuse unknown materials and
    a required material marked as not needed."""
    unknown = [key for key in checks if key not in rows]
    if unknown:
        raise ValidationFailed(f"材料 {unknown[0]} 不在本事项的材料清单中", field="materials")
    for material_id, check in checks.items():
        row = rows[material_id]
        if check.not_applicable and not row.conditional:
            raise ValidationFailed(f"“{row.text[:20]}…”是必备材料，不能标为不需要", field="materials")
        row.original_received = check.original
        row.copy_received = check.copy
        row.not_applicable = check.not_applicable
        row.note = check.note[:200]


def _missing_materials(case: Case) -> list[CaseMaterial]:
    return [row for row in case.materials.select_related("material") if not row.received]


@transaction.atomic
def case_check_materials(*, case: Case, actor: User, checks: Mapping[int, MaterialCheck]) -> Case:
    """Record what the window received (原件/复印件) against the guide version's list."""
    _lock_case(case)
    _require_window(actor, case, "核对材料")
    _require_status(case, [CaseStatus.SUBMITTED, CaseStatus.INCOMPLETE], "materials_checked")
    _apply_material_checks(case, checks)
    return _transition(case=case, actor=actor, action="materials_checked",
                       allowed_from=[CaseStatus.SUBMITTED, CaseStatus.INCOMPLETE],
                       detail={"checked": sorted(checks)})


@transaction.atomic
def case_notify_incomplete(*, case: Case, actor: User, note: str = "") -> Notice:
    """一次性告知: one notice listing everything missing.

    The list is what the checklist says is missing; a later notice for the same submission may
    only repeat items of the first one (still missing after a supplement), never add new ones."""
    _lock_case(case)
    _require_window(actor, case, "出具一次性告知书")
    _require_status(case, [CaseStatus.SUBMITTED, CaseStatus.INCOMPLETE], "incomplete_notified")
    missing = _missing_materials(case)
    if not missing:
        raise ValidationFailed("材料已齐全，无需一次性告知，请直接受理", field="materials")
    missing_ids = [row.material_id for row in missing]
    first = case.notices.filter(kind=NoticeKind.INCOMPLETE).order_by("issued_at", "id").first()
    if first is not None:
        first_ids = set(first.content.get("missing_ids", []))
        added = [row for row in missing if row.material_id not in first_ids]
        if added:
            raise Conflict(
                "一次性告知：本次申请已出具告知书，不得再要求告知书以外的材料（"
                + "、".join(row.text[:16] for row in added) + "）",
                extra={"notice": first.number},
            )
        if case.status == CaseStatus.INCOMPLETE and set(missing_ids) == first_ids:
            return first  # the same notice again: nothing new to say
    content = {
        "missing": [{"id": row.material_id, "position": row.position, "text": row.text} for row in missing],
        "missing_ids": missing_ids,
        "note": note,
        "basis": "《中华人民共和国行政许可法》第三十二条",
    }
    notice = _issue_notice(case=case, kind=NoticeKind.INCOMPLETE, actor=actor, content=content)
    _transition(case=case, actor=actor, action="incomplete_notified",
                allowed_from=[CaseStatus.SUBMITTED, CaseStatus.INCOMPLETE], to_status=CaseStatus.INCOMPLETE,
                detail={"notice": notice.number, "missing": missing_ids})
    return notice


@transaction.atomic
def case_supplement(*, case: Case, actor: User, checks: Mapping[int, MaterialCheck]) -> Case:
    """The applicant brings (or uploads) what the notice listed; the case waits for 受理 again."""
    _lock_case(case)
    if not _is_applicant_of(actor, case):
        _require_window(actor, case, "登记补正材料")
    _require_status(case, [CaseStatus.INCOMPLETE], "supplemented")
    _apply_material_checks(case, checks)
    return _transition(case=case, actor=actor, action="supplemented", allowed_from=[CaseStatus.INCOMPLETE],
                       to_status=CaseStatus.SUBMITTED, detail={"checked": sorted(checks)})


# --------------------------------------------------------------------------- acceptance


def _office_for_level(case: Case, level: str) -> OrgUnit | None:
    """Which unit acts at ``level`` for this case: the receiving unit, its district, or none
    (city and bureau steps are picked up by any unit of that level with the right role)."""
    unit = case.org_unit
    if level == unit.level:
        return unit
    if level == OrgLevel.DISTRICT and unit.level == OrgLevel.STREET:
        return unit.parent
    return None


def _after_cutoff_time(flow: FlowDef, now: datetime, day: date) -> date:
    """Items with a same-day cut-off (急制卡: 16:00) count an application after it from the next
    working day; the case is still accepted today."""
    cutoff = flow.params.get("cutoff_time")
    if not isinstance(cutoff, str):
        return day
    hour, minute = (int(part) for part in cutoff.split(":"))
    local = timezone.localtime(now)
    if (local.hour, local.minute) < (hour, minute):
        return day
    return get_calendar().next_working_day(day)


def _route_for(case: Case, flow: FlowDef) -> str:
    """The flow route a case takes: by its channel where the item has such a route, else the
    window route. Online 增员/停保 of employers that are not 网上信用用户 (the registry's flag) take
    ``online_non_credit``: the counter check by the 20th."""
    wanted = case_route(case=case) or {"online": "online", "internal": "internal"}.get(
        case.channel, flow.default_route
    )
    return wanted if wanted in flow.routes else flow.default_route


def _instantiate_steps(case: Case, flow: FlowDef, *, now: datetime) -> list[CaseStep]:
    """Copy the route into CaseStep rows, the first one already active: one INSERT."""
    steps = [
        CaseStep(
            case=case, position=index, key=step.key, name=step.name, role=step.role, level=step.level,
            kind=step.kind, rule=step.rule or "", anchor=step.anchor, event=step.event or "", auto=step.auto,
            emits=getattr(step, "emits", None) or "",
            org_unit=_office_for_level(case, step.level),
        )
        for index, step in enumerate(flow.steps_for(_route_for(case, flow)), start=1)
    ]
    if steps:
        _start(steps[0], now=now)
    return CaseStep.objects.bulk_create(steps)


def _anchor_day(step: CaseStep, today: date) -> date:
    """The day a step's time limit counts from: acceptance, the step's own start, or the date
    of a named event (letter received, batch sent, decision made …) recorded on the case."""
    if step.anchor in {"", "previous"}:
        return today
    recorded = step.case.event_dates.get(step.anchor)
    return date.fromisoformat(recorded) if recorded else today


def _start(step: CaseStep, *, now: datetime) -> None:
    """Make the step the active one (in memory): start time and due date from its anchor."""
    step.status = StepStatus.ACTIVE
    step.started_at = now
    start = _anchor_day(step, timezone.localdate(now))
    step.due = deadline(parse_rule(step.rule), start, pauses=_pauses(step.case)).date if step.rule else None


def _activate(step: CaseStep, *, now: datetime) -> None:
    _start(step, now=now)
    step.save(update_fields=["status", "started_at", "due"])


def _pauses(case: Case) -> list[Pause]:
    """Closed suspensions as pauses: from the day of 中止 to the day before resumption."""
    pauses = []
    for start_text, end_text in case.suspended_days:
        start, resumed = date.fromisoformat(start_text), date.fromisoformat(end_text)
        if resumed > start:
            pauses.append(Pause(start, resumed - timedelta(days=1), reason="中止"))
    return pauses


def _with_event(case: Case, event: str, on: date) -> dict[str, str]:
    return {**case.event_dates, event: on.isoformat()}


@transaction.atomic
def case_accept(*, case: Case, actor: User | None, deemed: bool = False) -> Notice:
    """受理: number the case, copy the flow, compute the due dates, issue the 受理通知书."""
    _lock_case(case)
    if not deemed:
        _require_window(actor or AnonymousUser(), case, "受理")
    _require_status(case, [CaseStatus.SUBMITTED, CaseStatus.INCOMPLETE] if deemed else [CaseStatus.SUBMITTED],
                    "accepted")
    if not deemed:
        missing = _missing_materials(case)
        if missing:
            raise ValidationFailed(
                "材料不齐全，不能受理；请出具一次性告知书。缺少：" + "、".join(row.text[:16] for row in missing),
                field="materials",
            )
    check_case_preconditions(case=case, deemed=deemed)
    now = timezone.now()
    flow = flow_for_item(case.item)  # the flow of the case's own guide version
    # A deemed acceptance dates from receipt (行政许可法第三十二条): "自收到申请材料之日起即为受理".
    accepted_day = timezone.localdate(case.submitted_at) if deemed else timezone.localdate(now)
    weekdays = flow.params.get("intake_weekdays")
    if isinstance(weekdays, list) and not deemed and accepted_day.weekday() not in weekdays:
        names = "、".join("星期" + "一二三四五六日"[d] for d in weekdays)
        raise ValidationFailed(f"本事项仅在{names}受理", field="item_code")
    clock_day = _after_cutoff_time(flow, now, accepted_day)
    legal = deadline(parse_rule(case.item.legal_limit_text), clock_day)
    promised = deadline(parse_rule(case.item.promised_limit_text), clock_day)
    number = case_number(office_code=case.org_unit.code, day=accepted_day)
    _transition(
        case=case, actor=actor, action="deemed_accepted" if deemed else "accepted",
        allowed_from=[CaseStatus.SUBMITTED, CaseStatus.INCOMPLETE] if deemed else [CaseStatus.SUBMITTED],
        to_status=CaseStatus.ACCEPTED,
        detail={"number": number, "legal_due": str(legal.date), "promised_due": str(promised.date)},
        number=number, accepted_at=now, accepted_by=_signed_in(actor),
        deemed_accepted=deemed, legal_due=legal.date, promised_due=promised.date,
        due_provisional=legal.provisional or promised.provisional,
        event_dates=_with_event(case, "accepted", clock_day),
    )
    steps = _instantiate_steps(case, flow, now=now)
    notice = _issue_notice(
        case=case, kind=NoticeKind.ACCEPTANCE, actor=actor,
        content={
            "case_number": number, "accepted_on": accepted_day.isoformat(), "deemed": deemed,
            "legal_limit": case.item.legal_limit_text, "legal_due": legal.date.isoformat() if legal.date else None,
            "promised_limit": case.item.promised_limit_text,
            "promised_due": promised.date.isoformat() if promised.date else None,
            "provisional": legal.provisional or promised.provisional,
            "steps": [s.name for s in steps],
        },
    )
    if not steps:
        _close(case=case, actor=actor, result=CaseResult.GRANTED, text="即时办结")
    return notice


@transaction.atomic
def case_refuse(*, case: Case, actor: User, reasons: str) -> Notice:
    """不予受理, with the reasons and the applicant's remedies."""
    _lock_case(case)
    _require_window(actor, case, "作出不予受理决定")
    _require_status(case, [CaseStatus.SUBMITTED, CaseStatus.INCOMPLETE], "refused")
    if not reasons.strip():
        raise ValidationFailed("请填写不予受理的理由", field="reasons")
    notice = _issue_notice(case=case, kind=NoticeKind.REFUSAL, actor=actor,
                           content={"reasons": reasons.strip(), "remedies": REMEDIES})
    _transition(case=case, actor=actor, action="refused",
                allowed_from=[CaseStatus.SUBMITTED, CaseStatus.INCOMPLETE], to_status=CaseStatus.REFUSED,
                detail={"notice": notice.number, "reasons": reasons.strip()}, closed_at=timezone.now())
    return notice


# --------------------------------------------------------------------------- steps


def _active_step(case: Case) -> CaseStep:
    step = case.steps.filter(status=StepStatus.ACTIVE).select_related("org_unit").first()
    if step is None:
        raise Conflict("该办件没有正在办理的环节", extra={"status": case.status})
    return step


def _case_steps(case: Case) -> tuple[list[CaseStep], CaseStep]:
    """All the case's steps in one read (with their offices), and the active one."""
    steps = list(case.steps.select_related("org_unit").order_by("position"))
    for step in steps:
        if step.status == StepStatus.ACTIVE:
            return steps, step
    raise Conflict("该办件没有正在办理的环节", extra={"status": case.status})


def _require_step_actor(actor: User, step: CaseStep) -> None:
    if step.level in {"system", "external", "applicant"} and not step.role:
        # Recorded at the window by the office that holds the case.
        _require_window(actor, step.case, f"登记“{step.name}”")
        return
    roles = _require_role(actor, {step.role} | {Role.ADMIN}, f"办理“{step.name}”")
    if Role.ADMIN in roles:
        return
    unit = user_org_unit(actor)
    if step.org_unit is not None:
        if not _unit_serves(unit, step.org_unit):
            raise PermissionDenied(f"“{step.name}”由{step.org_unit.name}办理")
    elif unit is None or unit.level != step.level:
        raise PermissionDenied(f"“{step.name}”须由{OrgLevel(step.level).label if step.level in OrgLevel.values else step.level}办理")


@transaction.atomic
def case_step_complete(*, case: Case, actor: User, outcome: str, note: str = "") -> Case:
    """Finish the active step: pass → next step (or 办结), return → back one step, fail → 办结 不予."""
    _lock_case(case)
    if outcome not in StepOutcome.values:
        raise ValidationFailed(f"办理结果“{outcome}”无效，可选 pass/return/fail", field="outcome")
    steps, step = _case_steps(case)
    _require_step_actor(actor, step)
    if step.kind == "await" and outcome == StepOutcome.PASS:
        raise ValidationFailed(f"“{step.name}”须登记外部事项后自动完成", field="outcome")
    if outcome in {StepOutcome.RETURN, StepOutcome.FAIL} and not note.strip():
        raise ValidationFailed("退回或不通过须写明理由", field="note")
    now = timezone.now()
    emitted = step.emits if outcome == StepOutcome.PASS and step.emits else ""
    _transition(case=case, actor=actor, action="step_completed", allowed_from=[CaseStatus.ACCEPTED],
                detail={"step": step.key, "name": step.name, "outcome": outcome, "note": note},
                event_dates=_with_event(case, emitted, timezone.localdate(now)) if emitted else case.event_dates)
    step.status = StepStatus.DONE
    step.outcome = outcome
    step.completed_at = now
    step.completed_by = _signed_in(actor)
    step.note = note
    step.save(update_fields=["status", "outcome", "completed_at", "completed_by", "note"])
    if outcome == StepOutcome.FAIL:
        case.steps.filter(status=StepStatus.PENDING).update(status=StepStatus.SKIPPED)
        _close(case=case, actor=actor, result=CaseResult.DENIED, text=note)
        return case
    if outcome == StepOutcome.RETURN:
        previous = case.steps.filter(position__lt=step.position).order_by("-position").first()
        target = previous or step
        # The returned-to step runs again; the one just finished waits its turn once more.
        CaseStep.objects.filter(pk=step.pk).update(status=StepStatus.PENDING, outcome=StepOutcome.RETURN)
        target.refresh_from_db()
        _activate(target, now=now)
        return case
    _advance(case=case, after=step, actor=actor, now=now, steps=steps)
    if emitted:
        _tell_counterpart(case=case, event=emitted, on=timezone.localdate(now))
    return case


def _advance(*, case: Case, after: CaseStep, actor: User | None, now: datetime,
             steps: list[CaseStep] | None = None) -> None:
    """Activate the next pending step, or close the case. ``steps``: the case's steps as read
    earlier in this transaction; every change to steps comes with a compare-and-set on the case,
    so if they changed since, this transaction's own compare-and-set has already failed."""
    if steps is None:
        following = case.steps.filter(position__gt=after.position, status=StepStatus.PENDING) \
            .order_by("position").first()
    else:
        following = next((s for s in steps if s.position > after.position and s.status == StepStatus.PENDING), None)
    if following is None:
        _close(case=case, actor=actor, result=CaseResult.GRANTED, text=after.note or after.name)
    else:
        _activate(following, now=now)


@transaction.atomic
def system_step_complete(*, case: Case, step_id: int, note: str) -> Case:
    """The scheduler finishes an automatic step (batch sent, next-day confirmation)."""
    _lock_case(case)
    step = _active_step(case)
    if step.pk != step_id or not step.auto:
        raise Conflict("该环节已不是待自动办理的环节")
    now = timezone.now()
    emitted = step.emits
    _transition(case=case, actor=None, action="step_completed", allowed_from=[CaseStatus.ACCEPTED],
                detail={"step": step.key, "name": step.name, "outcome": StepOutcome.PASS, "note": note,
                        "automatic": True},
                event_dates=_with_event(case, emitted, timezone.localdate(now)) if emitted else case.event_dates)
    step.status = StepStatus.DONE
    step.outcome = StepOutcome.PASS
    step.completed_at = now
    step.note = note
    step.save(update_fields=["status", "outcome", "completed_at", "note"])
    _advance(case=case, after=step, actor=None, now=now)
    return case


@transaction.atomic
def case_record_event(*, case: Case, actor: User | None, event: str, on: date | None = None, note: str = "") -> Case:
    """An outside event the active 'await' step waits for (联系函 received, funds arrived, paid)."""
    _lock_case(case)
    step = _active_step(case)
    if actor is not None:
        _require_step_actor(actor, step)
    if step.kind != "await" or step.event != event:
        raise ValidationFailed(f"当前环节“{step.name}”不等待该事项（{event}）", field="event")
    now = timezone.now()
    happened = on or timezone.localdate(now)
    if happened > timezone.localdate(now):
        raise ValidationFailed("外部事项的日期不能晚于今天", field="on")
    _transition(case=case, actor=actor, action="event_recorded", allowed_from=[CaseStatus.ACCEPTED],
                detail={"step": step.key, "event": event, "on": happened.isoformat(), "note": note},
                event_dates=_with_event(case, event, happened))
    step.status = StepStatus.DONE
    step.outcome = StepOutcome.PASS
    step.completed_at = now
    step.note = note
    step.save(update_fields=["status", "outcome", "completed_at", "note"])
    _advance(case=case, after=step, actor=actor, now=now)
    return case


# --------------------------------------------------------------------------- clock control


@transaction.atomic
def case_suspend(*, case: Case, actor: User, reason: str) -> Case:
    """中止 (e.g. 工伤认定 awaiting a judicial conclusion): the clock stops until resumed."""
    _lock_case(case)
    _require_role(actor, CLOCK_ROLES, "中止办件")
    if not reason.strip():
        raise ValidationFailed("请填写中止理由", field="reason")
    return _transition(case=case, actor=actor, action="suspended", allowed_from=[CaseStatus.ACCEPTED],
                       to_status=CaseStatus.SUSPENDED, detail={"reason": reason.strip()},
                       suspended_since=timezone.localdate())


@transaction.atomic
def case_resume(*, case: Case, actor: User, reason: str = "") -> Case:
    """Resume after 中止: every due date moves by the working days the case stood still."""
    _lock_case(case)
    _require_role(actor, CLOCK_ROLES, "恢复办理")
    start = case.suspended_since or timezone.localdate()
    today = timezone.localdate()
    calendar = get_calendar()
    # The working days from the day of 中止 up to the day before resumption do not count.
    lost = calendar.working_days_between(start - timedelta(days=1), today - timedelta(days=1))

    def shifted(day: date | None) -> date | None:
        return calendar.add_working_days(day, lost) if day is not None and lost else day

    intervals = [*case.suspended_days, [start.isoformat(), today.isoformat()]]
    for step in case.steps.filter(status=StepStatus.ACTIVE, due__isnull=False):
        step.due = shifted(step.due)
        step.save(update_fields=["due"])
    return _transition(case=case, actor=actor, action="resumed", allowed_from=[CaseStatus.SUSPENDED],
                       to_status=CaseStatus.ACCEPTED, detail={"reason": reason, "working_days_paused": lost},
                       suspended_since=None, suspended_days=intervals,
                       legal_due=shifted(case.legal_due), promised_due=shifted(case.promised_due))


@transaction.atomic
def case_extend(*, case: Case, actor: User, working_days: int, reason: str) -> Case:
    """延期: the office extends the time limits by N working days, for a recorded reason."""
    _lock_case(case)
    _require_role(actor, CLOCK_ROLES, "延长办理期限")
    if not 1 <= working_days <= 60:
        raise ValidationFailed("延长的工作日数须在 1—60 之间", field="working_days")
    if not reason.strip():
        raise ValidationFailed("请填写延期理由", field="reason")
    calendar = get_calendar()

    def later(day: date | None) -> date | None:
        return calendar.add_working_days(day, working_days) if day is not None else None

    return _transition(case=case, actor=actor, action="extended",
                       allowed_from=[CaseStatus.ACCEPTED, CaseStatus.SUSPENDED],
                       detail={"working_days": working_days, "reason": reason.strip(),
                               "legal_due_before": str(case.legal_due), "promised_due_before": str(case.promised_due)},
                       legal_due=later(case.legal_due), promised_due=later(case.promised_due))


@transaction.atomic
def case_withdraw(*, case: Case, actor: User, reason: str = "") -> Case:
    """The applicant (or the window on their written request) withdraws before 办结."""
    _lock_case(case)
    if not _is_applicant_of(actor, case):
        _require_window(actor, case, "撤回办件")
    case.steps.filter(status__in=[StepStatus.ACTIVE, StepStatus.PENDING]).update(status=StepStatus.SKIPPED)
    return _transition(case=case, actor=actor, action="withdrawn", allowed_from=list(
        [CaseStatus.SUBMITTED, CaseStatus.INCOMPLETE, CaseStatus.ACCEPTED, CaseStatus.SUSPENDED]),
        to_status=CaseStatus.WITHDRAWN, detail={"reason": reason}, closed_at=timezone.now())


# A transfer is one matter seen from two offices: the receiving side's letter reaches the sending
# side's case, and the sending side's completion (relationship and funds sent) reaches the
# receiving side's case. Cases are matched by the counterpart item and the person's ID number.
COUNTERPART_EVENTS = {"letter_sent": "letter_received", "transfer_out_done": "funds_received"}


def _tell_counterpart(*, case: Case, event: str, on: date, flow: FlowDef | None = None) -> None:
    counterpart_code = (flow or flow_for_item(case.item)).params.get("counterpart")
    their_event = COUNTERPART_EVENTS.get(event)
    if not isinstance(counterpart_code, str) or their_event is None or not case.applicant_id_number:
        return
    others = Case.objects.filter(
        item__code=counterpart_code, applicant_id_number=case.applicant_id_number, status=CaseStatus.ACCEPTED,
        steps__status=StepStatus.ACTIVE, steps__kind="await", steps__event=their_event,
    ).distinct()
    for other in others:
        case_record_event(case=other, actor=None, event=their_event, on=on,
                          note=f"由{case.org_unit.name}办件 {case.reference} 自动登记")


def _close(*, case: Case, actor: User | None, result: str, text: str) -> None:
    notice = _issue_notice(case=case, kind=NoticeKind.RESULT, actor=actor,
                           content={"result": result, "result_label": CaseResult(result).label, "text": text,
                                    "remedies": REMEDIES if result == CaseResult.DENIED else ""})
    _transition(case=case, actor=actor, action="completed", allowed_from=[CaseStatus.ACCEPTED],
                to_status=CaseStatus.COMPLETED, detail={"result": result, "notice": notice.number},
                closed_at=timezone.now(), result=result, result_text=text)
    if result == CaseResult.GRANTED:
        apply_case_effect(case=case)  # the registries change in the same transaction as the 办结
    if result == CaseResult.GRANTED:
        flow = flow_for_item(case.item)  # read once: the pattern and the counterpart both come from it
        if flow.pattern == "transfer_out_letter":
            _tell_counterpart(case=case, event="transfer_out_done", on=timezone.localdate(), flow=flow)


# --------------------------------------------------------------------------- rating


@transaction.atomic
def case_rate(*, case: Case, actor: User, score: int, comment: str = "") -> Rating:
    """好差评 after 办结. A poor rating (1–2) needs a reason and opens a rectification task."""
    _lock_case(case)
    if not _is_applicant_of(actor, case):
        raise PermissionDenied("只有申请人本人可以评价")
    if case.status != CaseStatus.COMPLETED:
        raise Conflict("办件办结后才能评价")
    if score not in {1, 2, 3, 4, 5}:
        raise ValidationFailed("评分须为 1—5", field="score")
    if score <= 2 and not comment.strip():
        raise ValidationFailed("差评请写明原因", field="comment")
    if Rating.objects.filter(case=case).exists():
        raise Conflict("该办件已评价")
    now = timezone.now()
    rating = Rating.objects.create(case=case, score=score, comment=comment.strip(), rated_at=now)
    if score <= 2:
        Rectification.objects.create(rating=rating, org_unit=case.org_unit, opened_at=now)
    _transition(case=case, actor=actor, action="rated", allowed_from=[CaseStatus.COMPLETED],
                detail={"score": score, "comment": comment.strip()})
    return rating


# --------------------------------------------------------------------------- scheduled work


def cases_deem_accepted(*, today: date | None = None) -> list[Case]:
    """Online applications with no 一次性告知 within 5 working days of receipt count as accepted
    on receipt (行政许可法第三十二条). Idempotent: a case is only ever accepted once."""
    day = today or timezone.localdate()
    calendar = get_calendar()
    accepted: list[Case] = []
    for case in Case.objects.filter(status=CaseStatus.SUBMITTED, channel=Channel.ONLINE).select_related(
        "item__version", "org_unit"
    ):
        if case.notices.filter(kind=NoticeKind.INCOMPLETE).exists():
            continue
        received = timezone.localdate(case.submitted_at)
        if calendar.add_working_days(received, DEEMED_ACCEPTANCE_WORKING_DAYS) < day:
            try:
                case_accept(case=case, actor=None, deemed=True)
            except Conflict:
                continue  # another host got there first
            accepted.append(case)
    return accepted


def case_warning(*, case: Case, on: date) -> str:
    """green / yellow / red against the nearest of the active step's and the promised due date."""
    if case.status not in {CaseStatus.ACCEPTED, CaseStatus.SUSPENDED}:
        return WarningLevel.GREEN
    dues = [d for d in [case.promised_due, *case.steps.filter(status=StepStatus.ACTIVE).values_list("due", flat=True)]
            if d is not None]
    if not dues:
        return WarningLevel.GREEN
    left = countdown(due=min(dues), on=on, suspended_since=case.suspended_since)
    return left.level(yellow_within=settings.SHEBAO_WARNING_YELLOW_WORKING_DAYS)


def cases_recompute_warnings(*, today: date) -> list[tuple[str, str]]:
    """Store each open case's warning level; audit every change. Returns (reference, level) changed."""
    changed: list[tuple[str, str]] = []
    for case in Case.objects.filter(status__in=[CaseStatus.ACCEPTED, CaseStatus.SUSPENDED]).select_related("item"):
        level = case_warning(case=case, on=today)
        if level == case.warning:
            continue
        with transaction.atomic():
            # Not a transition: the warning is derived, so it must not bump lock_version under a clerk's feet.
            if Case.objects.filter(pk=case.pk, warning=case.warning).update(warning=level) != 1:
                continue
            audit_record(actor="system:tick", action="case.warning_changed", object_type="case",
                         object_id=str(case.public_id), payload={"from": case.warning, "to": level,
                                                                 "on": today.isoformat()})
        changed.append((case.reference, level))
    return changed


# --------------------------------------------------------------------------- what may be done now


def _allowed(check: Any) -> bool:
    try:
        check()
    except PermissionDenied:
        return False
    return True


def available_actions(*, case: Case, user: User, steps: Sequence[CaseStep] | None = None) -> list[str]:
    """The actions this user may take on this case now: the buttons a screen shows. ``steps``: the
    case's steps when the caller has them loaded (the API's detail), saving a query."""
    actions: list[str] = []
    is_applicant = _is_applicant_of(user, case)
    window = _allowed(lambda: _require_window(user, case, ""))
    status = case.status
    if status in {CaseStatus.SUBMITTED, CaseStatus.INCOMPLETE} and window:
        actions += ["check_materials", "notify_incomplete", "refuse"]
        if status == CaseStatus.SUBMITTED:
            actions.append("accept")
    if status == CaseStatus.INCOMPLETE and (window or is_applicant):
        actions.append("supplement")
    if status == CaseStatus.ACCEPTED:
        step = (case.steps.filter(status=StepStatus.ACTIVE).first() if steps is None
                else next((s for s in steps if s.status == StepStatus.ACTIVE), None))
        if step is not None and _allowed(lambda: _require_step_actor(user, step)):
            actions.append("record_event" if step.kind == "await" else "complete_step")
        if _allowed(lambda: _require_role(user, CLOCK_ROLES, "")):
            actions.append("suspend")
    if status == CaseStatus.SUSPENDED and _allowed(
        lambda: _require_role(user, CLOCK_ROLES, "")
    ):
        actions.append("resume")
    if status in {CaseStatus.SUBMITTED, CaseStatus.INCOMPLETE, CaseStatus.ACCEPTED, CaseStatus.SUSPENDED} and (
        window or is_applicant
    ):
        actions.append("withdraw")
    if status == CaseStatus.COMPLETED and is_applicant and not Rating.objects.filter(case=case).exists():
        actions.append("rate")
    return actions
