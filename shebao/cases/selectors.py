"""Reads of cases, always through the reader's visibility.

Applicants see their own cases; window staff and reviewers the cases of their office (and of the
street windows under a district office) and the steps routed to it; city centres and bureau
divisions the cases with a step at their level; supervisors and admins everything.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q, QuerySet

from shebao.accounts.models import OrgLevel, Role
from shebao.accounts.selectors import user_org_unit, user_roles
from shebao.core.errors import NotFound, ValidationFailed

from .models import OPEN_STATUSES, Case, CaseStatus, CaseStep, StepStatus

READ_ALL_ROLES = {Role.SUPERVISOR, Role.ADMIN}
STAFF_ROLES = {Role.WINDOW_CLERK, Role.REVIEWER, Role.CITY_REVIEWER, Role.FINANCE, Role.BUREAU_APPROVER}


def visible_cases(user: object) -> QuerySet[Case]:
    cases = Case.objects.select_related("item__version", "org_unit")
    if not getattr(user, "is_authenticated", False):
        return cases.none()
    roles = user_roles(user)
    if roles & READ_ALL_ROLES:
        return cases
    visible = Q(applicant_user=user)
    unit = user_org_unit(user)
    if unit is not None and roles & STAFF_ROLES:
        visible |= Q(org_unit=unit) | Q(org_unit__parent=unit) | Q(steps__org_unit=unit)
        if unit.level in {OrgLevel.CITY, OrgLevel.BUREAU}:
            # City and bureau steps are routed by level and role, not to a named unit.
            visible |= Q(steps__level=unit.level, steps__role__in=list(roles), steps__org_unit__isnull=True)
    return cases.filter(visible).distinct()


def case_list(
    *, user: object, status: str = "", item_code: str = "", q: str = "", open_only: bool = False,
) -> QuerySet[Case]:
    cases = visible_cases(user)
    if status:
        if status not in CaseStatus.values:
            raise ValidationFailed(f"状态“{status}”无效", field="status")
        cases = cases.filter(status=status)
    if open_only:
        cases = cases.filter(status__in=OPEN_STATUSES)
    if item_code:
        cases = cases.filter(item__code=item_code.strip().upper())
    if q.strip():
        text = q.strip()
        cases = cases.filter(Q(number__icontains=text) | Q(applicant_name__icontains=text))
    return cases


def case_get(*, user: object, public_id: str) -> Case:
    try:
        return visible_cases(user).get(public_id=public_id)
    except (Case.DoesNotExist, ValueError, DjangoValidationError):  # malformed UUIDs raise the latter
        raise NotFound("办件不存在，或您无权查看", field="case") from None


def case_track(*, number: str, id_tail: str) -> Case:
    """Public progress lookup: 办件编号 plus the last six characters of the applicant's ID number
    (or credit code). Both must match; the error does not say which one was wrong."""
    tail = id_tail.strip().upper()
    if len(tail) != 6:
        raise ValidationFailed("请输入证件号码后六位", field="id_tail")
    case = Case.objects.select_related("item", "org_unit").filter(number=number.strip().upper()).first()
    if case is None or not (case.applicant_id_number or case.applicant_credit_code).upper().endswith(tail):
        raise NotFound("未找到该办件：请核对办件编号和证件号码后六位", field="number")
    return case


def work_queue(*, user: object) -> QuerySet[Case]:
    """Today's work for a staff member: open cases waiting for their office, most urgent first."""
    cases = visible_cases(user).filter(status__in=[CaseStatus.SUBMITTED, CaseStatus.INCOMPLETE,
                                                   CaseStatus.ACCEPTED, CaseStatus.SUSPENDED])
    return cases.order_by("promised_due", "submitted_at")


def active_step(case: Case) -> CaseStep | None:
    return case.steps.filter(status=StepStatus.ACTIVE).first()
