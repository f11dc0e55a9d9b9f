"""Reads of cases, always through the reader's visibility.

Applicants see their own cases; window staff and reviewers the cases of their office (and of the
street windows under a district office) and the steps routed to it; city centres and bureau
divisions the cases with a step at their level; supervisors and admins everything.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Case as CaseWhen
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Value, When

from shebao.accounts.models import OrgLevel, OrgUnit, Role
from shebao.accounts.selectors import user_org_unit, user_roles
from shebao.core.errors import NotFound, ValidationFailed

from .models import OPEN_STATUSES, Case, CaseStatus, CaseStep, StepStatus, WarningLevel, applicant_key

READ_ALL_ROLES = {Role.SUPERVISOR, Role.ADMIN}
STAFF_ROLES = {Role.WINDOW_CLERK, Role.REVIEWER, Role.CITY_REVIEWER, Role.FINANCE, Role.BUREAU_APPROVER}
APPLICANT_ROLES = {Role.APPLICANT_UNIT, Role.APPLICANT_PERSON, Role.AGENT}


def visible_cases(user: object) -> QuerySet[Case]:
    cases = Case.objects.select_related("item__version", "org_unit")
    if not getattr(user, "is_authenticated", False):
        return cases.none()
    roles = user_roles(user)
    if roles & READ_ALL_ROLES:
        return cases
    unit = user_org_unit(user)
    staff = unit is not None and bool(roles & STAFF_ROLES)
    # Only accounts that can apply online have cases as applicant (services.case_submit); leaving
    # the term out for staff keeps their queries on the office index (an OR with it makes SQLite
    # scan the case table).
    visible = Q(applicant_user=user) if roles & APPLICANT_ROLES or not staff else Q(pk__in=[])
    if unit is not None and staff:
        # Steps are routed to a named unit only when it is the receiving office or its district
        # office (services._office_for_level), so "a step routed to me" adds nothing to the
        # offices served. Without a join on the steps (and the DISTINCT it needs) the filter is
        # one IN list on the indexed office column: a million cases cost what one office's cost.
        served = [unit.pk, *OrgUnit.objects.filter(parent=unit).values_list("pk", flat=True)]
        visible |= Q(org_unit_id__in=served)
        if unit.level in {OrgLevel.CITY, OrgLevel.BUREAU}:
            # City and bureau steps are routed by level and role, not to a named unit.
            visible |= Q(Exists(CaseStep.objects.filter(
                case=OuterRef("pk"), level=unit.level, role__in=list(roles), org_unit__isnull=True)))
    return cases.filter(visible)


# 办件编号: office code (letters, digits) + YYYYMMDD + 4-digit sequence, e.g. JA202611280007.
_CASE_NUMBER = re.compile(r"^[A-Z][A-Z0-9]*\d{6,}$")
_ID_NUMBER = re.compile(r"^(\d{17}[\dX]|\d{15})$")
_CREDIT_CODE = re.compile(r"^[0-9A-Z]{18}$")
# Above every character a key can hold: ``key <= x < key + _TOP`` is "starts with key" as a range
# an ordinary B-tree index serves on SQLite and PostgreSQL alike (LIKE 'x%' needs a special
# operator class on PostgreSQL and is case-insensitive, hence unindexed, on SQLite).
_TOP = "\U0010ffff"


def _prefix(field: str, text: str) -> Q:
    return Q(**{f"{field}__gte": text, f"{field}__lt": text + _TOP})


def search_q(q: str) -> Q:
    """What a clerk types at the window: a 办件编号 (or its beginning), an ID number or credit code
    (exact), or the beginning of the applicant's name (folded like ``Case.applicant_key``). Each
    term is an index range, so the search stays fast on a million cases."""
    text = q.strip()
    upper = text.upper().replace(" ", "")
    terms = _prefix("applicant_key", applicant_key(text)) if applicant_key(text) else Q(pk__in=[])
    if _CASE_NUMBER.match(upper):
        terms |= _prefix("number", upper)
    if _ID_NUMBER.match(upper):
        terms |= Q(applicant_id_number=upper)
    if _CREDIT_CODE.match(upper):
        terms |= Q(applicant_credit_code=upper)
    return terms


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
        cases = cases.filter(search_q(q))
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


URGENCY = ("promised_due", "submitted_at", "pk")


def work_queue_page(*, user: object, offset: int = 0, limit: int = 20) -> tuple[list[Case], int]:
    """One page of ``work_queue`` and the queue's length, for an office with thousands of open cases.

    Ordering the queryset itself makes the database join every open case to its item and office
    before sorting them all. Here the page's keys come first from the office index alone (it holds
    the office, status and both sort columns), then only those rows are read with their joins."""
    queue = work_queue(user=user).order_by(*URGENCY)
    keys = list(queue.values_list("pk", flat=True)[offset:offset + limit])
    rows = {case.pk: case for case in visible_cases(user).filter(pk__in=keys)}
    return [rows[pk] for pk in keys if pk in rows], queue.count()


# The workbench's filters (``/work/?show=…``), each a condition on stored columns: 超期 / 临期 are the
# stored warning level (``Case.warning``, kept by ``shebao tick``), the others the status.
QUEUE_SHOW: dict[str, Q] = {
    "all": Q(),
    "red": Q(warning=WarningLevel.RED),
    "yellow": Q(warning=WarningLevel.YELLOW),
    "intake": Q(status=CaseStatus.SUBMITTED),
    "incomplete": Q(status=CaseStatus.INCOMPLETE),
    "accepted": Q(status=CaseStatus.ACCEPTED),
    "suspended": Q(status=CaseStatus.SUSPENDED),
}
# Most urgent first: red, then yellow (the stored level); then applications waiting at the window
# (their 5-working-day limit for 一次性告知 or 受理 runs from submission, so the oldest first); then
# the other cases being handled, by promised due date (none last); last the cases waiting for the
# applicant's materials (待补正: no clock of ours runs). Ties: the oldest submission first.
QUEUE_RANK = CaseWhen(
    When(warning=WarningLevel.RED, then=Value(0)), When(warning=WarningLevel.YELLOW, then=Value(1)),
    When(status=CaseStatus.SUBMITTED, then=Value(2)), When(status=CaseStatus.INCOMPLETE, then=Value(4)),
    default=Value(3))
QUEUE_ORDER = (QUEUE_RANK, F("promised_due").asc(nulls_last=True), "submitted_at", "pk")


def _queue(user: object, q: str) -> QuerySet[Case]:
    queue = work_queue(user=user)
    if q.strip():
        queue = queue.filter(search_q(q))
    return queue


def work_queue_counts(*, user: object, q: str = "") -> dict[str, int]:
    """The number of open cases under each workbench filter, in one aggregate query."""
    return _queue(user, q).order_by().aggregate(**{
        show: Count("pk", filter=cond) if cond else Count("pk") for show, cond in QUEUE_SHOW.items()})


def work_queue_screen(*, user: object, show: str = "all", q: str = "", offset: int = 0,
                      limit: int = 20) -> list[Case]:
    """One page of the workbench queue in ``QUEUE_ORDER``. The page's keys are sorted and cut in
    the database (a top-N sort over the office's open cases), then only those rows are read with
    their item and office."""
    ordered = _queue(user, q).filter(QUEUE_SHOW[show]).order_by(*QUEUE_ORDER)
    keys = list(ordered.values_list("pk", flat=True)[offset:offset + limit])
    rows = {case.pk: case for case in visible_cases(user).filter(pk__in=keys)}
    return [rows[pk] for pk in keys if pk in rows]


def active_step(case: Case) -> CaseStep | None:
    return case.steps.filter(status=StepStatus.ACTIVE).first()
