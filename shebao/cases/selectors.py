"""Reads of cases, always through the reader's visibility.

Applicants see their own cases; window staff and reviewers the cases of their office (and of the
street windows under a district office) and the steps routed to it; city centres and bureau
divisions the cases with a step at their level; supervisors and admins everything.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connection
from django.db.models import Case as CaseWhen
from django.db.models import Count, Exists, F, Field, Model, OuterRef, Q, QuerySet, Value, When

from shebao.accounts.models import OrgLevel, OrgUnit, Role
from shebao.accounts.selectors import user_org_unit, user_roles, user_served_unit_ids
from shebao.catalog.models import CatalogVersion, Material, ServiceItem
from shebao.core.errors import NotFound, ValidationFailed
from shebao.core.reads import Projection, all_fields, fetch, prep, split

from .models import (
    OPEN_STATUSES,
    Case,
    CaseEvent,
    CaseMaterial,
    CaseStatus,
    CaseStep,
    Notice,
    StepStatus,
    WarningLevel,
    applicant_key,
)

READ_ALL_ROLES = {Role.SUPERVISOR, Role.ADMIN}
STAFF_ROLES = {Role.WINDOW_CLERK, Role.REVIEWER, Role.CITY_REVIEWER, Role.FINANCE, Role.BUREAU_APPROVER}
APPLICANT_ROLES = {Role.APPLICANT_UNIT, Role.APPLICANT_PERSON, Role.AGENT}


@dataclass(frozen=True)
class CaseScope:
    """Which cases a user may read, as data: ``visible_cases`` turns it into a filter, ``case_read``
    applies it to one loaded case. One set of rules, two readers (tested to agree)."""

    everything: bool = False
    applicant_user_id: int | None = None
    offices: tuple[int, ...] = ()  # the user's unit and the street windows under a district office
    step_level: str | None = None  # city centres and bureau divisions: steps at their level ...
    step_roles: frozenset[str] = frozenset()  # ... for one of their roles, routed to no named unit


def case_scope(user: object) -> CaseScope | None:
    """The user's ``CaseScope``; None for anonymous or inactive users (nothing)."""
    if not getattr(user, "is_authenticated", False):
        return None
    roles = user_roles(user)
    if roles & READ_ALL_ROLES:
        return CaseScope(everything=True)
    unit = user_org_unit(user)
    staff = unit is not None and bool(roles & STAFF_ROLES)
    # Only accounts that can apply online have cases as applicant (services.case_submit); leaving
    # the term out for staff keeps their queries on the office index (an OR with it makes SQLite
    # scan the case table).
    applicant = getattr(user, "pk", None) if roles & APPLICANT_ROLES or not staff else None
    if unit is None or not staff:
        return CaseScope(applicant_user_id=applicant)
    # Steps are routed to a named unit only when it is the receiving office or its district
    # office (services._office_for_level), so "a step routed to me" adds nothing to the offices
    # served. City and bureau steps are routed by level and role, not to a named unit.
    level = unit.level if unit.level in {OrgLevel.CITY, OrgLevel.BUREAU} else None
    return CaseScope(applicant_user_id=applicant, offices=user_served_unit_ids(user), step_level=level,
                     step_roles=roles if level else frozenset())


def _scope_q(scope: CaseScope) -> Q:
    visible = Q(applicant_user_id=scope.applicant_user_id) if scope.applicant_user_id is not None else Q(pk__in=[])
    if scope.offices:
        # Without a join on the steps (and the DISTINCT it needs) the filter is one IN list on the
        # indexed office column: a million cases cost what one office's cost.
        visible |= Q(org_unit_id__in=scope.offices)
    if scope.step_level:
        visible |= Q(Exists(CaseStep.objects.filter(
            case=OuterRef("pk"), level=scope.step_level, role__in=sorted(scope.step_roles), org_unit__isnull=True)))
    return visible


def scope_allows(scope: CaseScope | None, case: Case, steps: Iterable[CaseStep]) -> bool:
    """``_scope_q`` for one case whose steps are loaded."""
    if scope is None:
        return False
    if scope.everything:
        return True
    if scope.applicant_user_id is not None and case.applicant_user_id == scope.applicant_user_id:
        return True
    if case.org_unit_id in scope.offices:
        return True
    return scope.step_level is not None and any(
        s.level == scope.step_level and s.role in scope.step_roles and s.org_unit_id is None for s in steps)


def visible_cases(user: object) -> QuerySet[Case]:
    cases = Case.objects.select_related("item__version", "org_unit")
    scope = case_scope(user)
    if scope is None:
        return cases.none()
    if scope.everything:
        return cases
    return cases.filter(_scope_q(scope))


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


def search_terms(q: str) -> list[tuple[str, str, str]]:
    """What a clerk types at the window, as (field, "prefix" or "exact", value) terms any of which
    may match: a 办件编号 (or its beginning), an ID number or credit code (exact), or the beginning
    of the applicant's name (folded like ``Case.applicant_key``). Each term is an index range, so
    the search stays fast on a million cases. ``search_q`` and the API's lean list both read these."""
    text = q.strip()
    upper = text.upper().replace(" ", "")
    terms = []
    if applicant_key(text):
        terms.append(("applicant_key", "prefix", applicant_key(text)))
    if _CASE_NUMBER.match(upper):
        terms.append(("number", "prefix", upper))
    if _ID_NUMBER.match(upper):
        terms.append(("applicant_id_number", "exact", upper))
    if _CREDIT_CODE.match(upper):
        terms.append(("applicant_credit_code", "exact", upper))
    return terms


def search_q(q: str) -> Q:
    """``search_terms`` as a filter (nothing matches when there is no term)."""
    found = [_prefix(field, value) if how == "prefix" else Q(**{field: value}) for field, how, value in search_terms(q)]
    if not found:
        return Q(pk__in=[])
    terms = found[0]
    for term in found[1:]:
        terms |= term
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


# --------------------------------------------------------------------------- one case, lean
#
# The API's case detail (``GET /api/v1/cases/{id}`` and the answer to every action) is the hottest
# read: five indexed look-ups, written out once and converted by the fields' own converters
# (``core.reads``), instead of ten statements compiled by the ORM on every request.

_CASE = all_fields(Case, "c")
_ITEM = Projection(ServiceItem, "i", ("id", "code", "name", "version"))
_VERSION = Projection(CatalogVersion, "v", ("id", "number"))
_OFFICE = all_fields(OrgUnit, "ou")
_STEP = all_fields(CaseStep, "s")
_STEP_OFFICE = all_fields(OrgUnit, "so")
_MATERIAL = all_fields(CaseMaterial, "m")
_MATERIAL_COUNTS = Projection(Material, "mt", ("id", "original_count", "copy_count"))
_NOTICE = all_fields(Notice, "n")
_EVENT = all_fields(CaseEvent, "e")


@lru_cache(maxsize=4)
def _read_sql(vendor: str) -> dict[str, str]:
    def t(model: type[Model]) -> str:
        return connection.ops.quote_name(model._meta.db_table)

    return {
        "case": f"SELECT {_CASE.columns()}, {_ITEM.columns()}, {_VERSION.columns()}, {_OFFICE.columns()} "
                f"FROM {t(Case)} c JOIN {t(ServiceItem)} i ON i.id = c.item_id "
                f"JOIN {t(CatalogVersion)} v ON v.id = i.version_id JOIN {t(OrgUnit)} ou ON ou.id = c.org_unit_id "
                f"WHERE c.%s = %%s",
        "steps": f"SELECT {_STEP.columns()}, {_STEP_OFFICE.columns()} FROM {t(CaseStep)} s "
                 f"LEFT JOIN {t(OrgUnit)} so ON so.id = s.org_unit_id WHERE s.case_id = %s ORDER BY s.position",
        "materials": f"SELECT {_MATERIAL.columns()}, {_MATERIAL_COUNTS.columns()} FROM {t(CaseMaterial)} m "
                     f"JOIN {t(Material)} mt ON mt.id = m.material_id WHERE m.case_id = %s ORDER BY m.position, m.id",
        "notices": f"SELECT {_NOTICE.columns()} FROM {t(Notice)} n WHERE n.case_id = %s ORDER BY n.issued_at, n.id",
        "events": f"SELECT {_EVENT.columns()} FROM {t(CaseEvent)} e WHERE e.case_id = %s ORDER BY e.at, e.id",
    }


@dataclass
class CaseRead:
    """A case with everything its detail shows: the item (code, name, version number), the office,
    the checklist, the steps (with their offices), the notices and the timeline, in display order."""

    case: Case
    materials: list[CaseMaterial]
    steps: list[CaseStep]
    notices: list[Notice]
    events: list[CaseEvent]


def _load(by: str, value: Any, user: object | None) -> CaseRead | None:
    sql = _read_sql(connection.vendor)
    rows = fetch(sql["case"] % (by,), [value])
    if not rows:
        return None
    case_values, item_values, version_values, office_values = split(rows[0], _CASE, _ITEM, _VERSION, _OFFICE)
    case, item, version, office = (p.instance(v) for p, v in ((_CASE, case_values), (_ITEM, item_values),
                                                              (_VERSION, version_values), (_OFFICE, office_values)))
    assert isinstance(case, Case) and isinstance(item, ServiceItem) and isinstance(office, OrgUnit)
    item.version = version  # type: ignore[assignment]
    case.item = item
    case.org_unit = office
    steps = []
    for row in fetch(sql["steps"], [case.pk]):
        step_values, step_office_values = split(row, _STEP, _STEP_OFFICE)
        step = _STEP.instance(step_values)
        assert isinstance(step, CaseStep)
        step.case = case
        if step.org_unit_id is not None:
            step.org_unit = _STEP_OFFICE.instance(step_office_values)  # type: ignore[assignment]
        steps.append(step)
    if user is not None and not scope_allows(case_scope(user), case, steps):
        return None
    materials = []
    for row in fetch(sql["materials"], [case.pk]):
        material_values, counts = split(row, _MATERIAL, _MATERIAL_COUNTS)
        material = _MATERIAL.instance(material_values)
        assert isinstance(material, CaseMaterial)
        material.material = _MATERIAL_COUNTS.instance(counts)  # type: ignore[assignment]
        materials.append(material)
    notices = [_NOTICE.instance(row) for row in fetch(sql["notices"], [case.pk])]
    events = [_EVENT.instance(row) for row in fetch(sql["events"], [case.pk])]
    return CaseRead(case=case, materials=materials, steps=steps, notices=notices,  # type: ignore[arg-type]
                    events=events)  # type: ignore[arg-type]


def case_read(*, user: object, public_id: str) -> CaseRead:
    """The case ``public_id`` with its detail, if ``user`` may see it (the rules of ``visible_cases``)."""
    try:
        key = prep(Case, "public_id", public_id)
    except (ValueError, DjangoValidationError):  # a malformed UUID
        raise NotFound("办件不存在，或您无权查看", field="case") from None
    read = _load("public_id", key, user) if case_scope(user) is not None else None
    if read is None:
        raise NotFound("办件不存在，或您无权查看", field="case")
    return read


def case_read_after_write(case: Case) -> CaseRead:
    """The detail of a case a service has just acted on (the service checked who may act)."""
    read = _load("id", case.pk, None)
    if read is None:
        raise NotFound("办件不存在，或您无权查看", field="case")
    return read


# --------------------------------------------------------------------------- a list page, lean
#
# The API's case list (``GET /api/v1/cases``: the window's look-ups, the open cases) written out
# like the detail above: the ORM spent more Python building the page's two statements than the
# database spent answering them (docs/performance.md, "HTTP reads"). The visibility is the same
# ``CaseScope`` and the search the same ``search_terms`` as ``case_list``; a test compares the two
# for every persona and filter.

_SUMMARY_CASE = Projection(Case, "c", ("public_id", "number", "status", "channel", "applicant_name", "submitted_at",
                                        "promised_due", "legal_due", "due_provisional"))
_SUMMARY_ITEM = Projection(ServiceItem, "i", ("code", "name"))
_SUMMARY_OFFICE = Projection(OrgUnit, "ou", ("key",))
# ``SUMMARY_ORDER``: the summary's values as (projection, field) in the order the API's
# ``_summary_of`` takes them.
SUMMARY_ORDER = (
    (_SUMMARY_CASE, "public_id"), (_SUMMARY_CASE, "number"), (_SUMMARY_ITEM, "code"), (_SUMMARY_ITEM, "name"),
    (_SUMMARY_CASE, "status"), (_SUMMARY_CASE, "channel"), (_SUMMARY_OFFICE, "key"),
    (_SUMMARY_CASE, "applicant_name"), (_SUMMARY_CASE, "submitted_at"), (_SUMMARY_CASE, "promised_due"),
    (_SUMMARY_CASE, "legal_due"), (_SUMMARY_CASE, "due_provisional"),
)


@lru_cache(maxsize=4)
def _summary_sql(vendor: str) -> tuple[str, str, str]:
    def t(model: type[Model]) -> str:
        return connection.ops.quote_name(model._meta.db_table)

    select = (f"SELECT {_SUMMARY_CASE.columns()}, {_SUMMARY_ITEM.columns()}, {_SUMMARY_OFFICE.columns()} "
              f"FROM {t(Case)} c JOIN {t(ServiceItem)} i ON i.id = c.item_id JOIN {t(OrgUnit)} ou ON ou.id = c.org_unit_id")
    count = f"SELECT COUNT(*) FROM {t(Case)} c"
    by_item = f"{count} JOIN {t(ServiceItem)} i ON i.id = c.item_id"
    return select, count, by_item


@lru_cache(maxsize=1)
def _summary_positions() -> tuple[int, ...]:
    """Where each of ``SUMMARY_ORDER``'s values sits in a converted row (projections in SELECT order)."""
    offsets, start = {}, 0
    for projection in (_SUMMARY_CASE, _SUMMARY_ITEM, _SUMMARY_OFFICE):
        offsets[projection] = start
        start += projection.width
    return tuple(offsets[p] + p.fields.index(name) for p, name in SUMMARY_ORDER)


def _column(model: type[Model], name: str) -> str:
    field = model._meta.get_field(name)
    assert isinstance(field, Field) and field.column is not None, f"{model.__name__}.{name} is not a column"
    return field.column


def _scope_sql(scope: CaseScope) -> tuple[str, list[Any]] | None:
    """``_scope_q`` written out; None: the scope sees nothing."""
    if scope.everything:
        return "1 = 1", []
    terms: list[str] = []
    params: list[Any] = []
    if scope.applicant_user_id is not None:
        terms.append("c.applicant_user_id = %s")
        params.append(scope.applicant_user_id)
    if scope.offices:
        terms.append(f"c.org_unit_id IN ({', '.join(['%s'] * len(scope.offices))})")
        params += list(scope.offices)
    if scope.step_level and scope.step_roles:
        roles = sorted(scope.step_roles)
        step_table = connection.ops.quote_name(CaseStep._meta.db_table)
        terms.append(f"EXISTS (SELECT 1 FROM {step_table} s WHERE s.case_id = c.id AND s.level = %s "
                     f"AND s.role IN ({', '.join(['%s'] * len(roles))}) AND s.org_unit_id IS NULL)")
        params += [scope.step_level, *roles]
    if not terms:
        return None
    return "(" + " OR ".join(terms) + ")", params


class CaseSummaries:
    """The cases ``case_list`` would give, as summary rows (``SUMMARY_ORDER``), newest first, read a
    page at a time: ``page(offset, limit)`` (or a slice) and ``count()``, each one statement."""

    def __init__(self, *, user: object, status: str = "", item_code: str = "", q: str = "",
                 open_only: bool = False) -> None:
        if status and status not in CaseStatus.values:
            raise ValidationFailed(f"状态“{status}”无效", field="status")
        scope = case_scope(user)
        visible = _scope_sql(scope) if scope is not None else None
        self.nothing = visible is None
        where, params = visible if visible is not None else ("1 = 0", [])
        conditions = [where]
        if status:
            conditions.append("c.status = %s")
            params.append(status)
        if open_only:
            conditions.append(f"c.status IN ({', '.join(['%s'] * len(OPEN_STATUSES))})")
            params += list(OPEN_STATUSES)
        if item_code:
            conditions.append("i.code = %s")
            params.append(item_code.strip().upper())
        if q.strip():
            terms = search_terms(q)
            if not terms:
                self.nothing = True
            found = []
            for field, how, value in terms:
                column = connection.ops.quote_name(_column(Case, field))
                if how == "prefix":
                    found.append(f"(c.{column} >= %s AND c.{column} < %s)")
                    params += [value, value + _TOP]
                else:
                    found.append(f"c.{column} = %s")
                    params.append(value)
            conditions.append("(" + (" OR ".join(found) or "1 = 0") + ")")
        self.by_item = bool(item_code)
        self.where = " AND ".join(conditions)
        self.params = params

    def count(self) -> int:
        if self.nothing:
            return 0
        # The item's table only when the item is filtered on: counting an office's open cases
        # then reads the office index alone.
        _select, count, by_item = _summary_sql(connection.vendor)
        sql = by_item if self.by_item else count
        return int(fetch(f"{sql} WHERE {self.where}", self.params)[0][0])

    def __getitem__(self, window: slice) -> list[tuple[Any, ...]]:
        start = window.start or 0
        assert window.stop is not None, "a page has both ends"
        return self.page(start, window.stop - start)

    def page(self, offset: int, limit: int) -> list[tuple[Any, ...]]:
        if self.nothing or limit <= 0:
            return []
        sql = (f"{_summary_sql(connection.vendor)[0]} WHERE {self.where} "
               "ORDER BY c.submitted_at DESC, c.id DESC LIMIT %s OFFSET %s")
        positions = _summary_positions()
        out = []
        for row in fetch(sql, [*self.params, limit, offset]):
            case_values, item_values, office_values = split(row, _SUMMARY_CASE, _SUMMARY_ITEM, _SUMMARY_OFFICE)
            converted = [*_SUMMARY_CASE.convert(case_values), *_SUMMARY_ITEM.convert(item_values),
                         *_SUMMARY_OFFICE.convert(office_values)]
            out.append(tuple(converted[i] for i in positions))
        return out
