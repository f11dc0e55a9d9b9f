"""Reads of the registries, for the staff pages and the API: search by code, ID, name or pinyin,
and the one-page overview of an employer or a person. Visibility: bureau staff see everything;
an employer's online account sees its own unit; a person sees themself."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Case as DjCase
from django.db.models import Max, Q, QuerySet, Value, When

from shebao.accounts.models import ApplicantProfile
from shebao.accounts.selectors import is_staff_user, user_roles
from shebao.cases.models import Case
from shebao.catalog.search import fold, looks_like_pinyin
from shebao.core import access
from shebao.core.errors import NotFound, PermissionDenied, ValidationFailed
from shebao.core.identifiers import validate_id_number

from .models import (
    BenefitDecision,
    Bill,
    Card,
    Certification,
    Employer,
    FieldChange,
    Filing,
    FlexibleAccount,
    InsuranceType,
    Payable,
    Person,
    Relationship,
    Transfer,
)

TYPE_ORDER = [t.value for t in InsuranceType]
_ID = re.compile(r"^(\d{15}|\d{17}[\dXx])$")
_CREDIT = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{18}$")
_ORG = re.compile(r"^[0-9A-Z]{8}-?[0-9X]$")


def _profile(user: Any) -> ApplicantProfile | None:
    pk = getattr(user, "pk", None)
    return ApplicantProfile.objects.filter(user_id=pk).first() if pk is not None else None


def require_staff(user: Any) -> None:
    access.REGISTRY_STAFF.require(user)


def _clean(query: str) -> str:
    return re.sub(r"\s+", "", query.strip())


def employer_search(*, user: Any, q: str, limit: int = 50) -> list[Employer]:
    require_staff(user)
    text = _clean(q).upper()
    if not text:
        return list(Employer.objects.order_by("-registered_on", "-id")[:limit])
    exact = Employer.objects.filter(Q(code=text) | Q(credit_code=text) | Q(org_code=text.replace("-", "")))
    if exact.exists():
        return list(exact[:limit])
    folded = fold(q)
    query = Q(name__icontains=q.strip()) | Q(name__icontains=folded)
    if looks_like_pinyin(folded):
        query |= Q(name_initials__startswith=folded) | Q(name_initials__contains=folded)
    return list(Employer.objects.filter(query).order_by("name")[:limit])


def person_search(*, user: Any, q: str, limit: int = 50) -> list[Person]:
    require_staff(user)
    text = _clean(q).upper()
    if not text:
        return list(Person.objects.order_by("-id")[:limit])
    if _ID.match(text):
        try:
            number = validate_id_number(text)
        except ValidationFailed:
            number = text
        return list(Person.objects.filter(id_number=number).order_by("-primary", "ssn")[:limit])
    exact = Person.objects.filter(Q(ssn=text) | Q(passport_number=text) | Q(cards__number=text)).distinct()
    if exact.exists():
        return list(exact[:limit])
    folded = fold(q)
    query = Q(name__icontains=q.strip())
    if looks_like_pinyin(folded):
        query |= Q(name_initials__startswith=folded) | Q(name_pinyin__startswith=folded)
    return list(Person.objects.filter(query).order_by("name", "ssn")[:limit])


def registry_search(*, user: Any, q: str, limit: int = 30) -> tuple[list[Employer], list[Person]]:
    """One box: codes, credit codes, ID numbers, 社保编号, card numbers, names and pinyin initials."""
    text = _clean(q).upper()
    if _ID.match(text):
        return [], person_search(user=user, q=q, limit=limit)
    if _CREDIT.match(text) or _ORG.match(text) or text.startswith("DW"):
        found = employer_search(user=user, q=q, limit=limit)
        if found:
            return found, []
    return employer_search(user=user, q=q, limit=limit), person_search(user=user, q=q, limit=limit)


# --------------------------------------------------------------------------- one record


def employer_get(*, user: Any, code: str) -> Employer:
    text = _clean(code).upper()
    employer = Employer.objects.select_related("office", "account").filter(
        Q(code=text) | Q(credit_code=text) | Q(org_code=text)).first()
    if employer is None:
        raise NotFound(f"单位{code}不存在", field="code")
    if not is_staff_user(user):
        profile = _profile(user)
        own = employer.account_id == getattr(user, "pk", None) or (
            profile is not None and profile.credit_code and profile.credit_code == employer.credit_code)
        if not own:
            raise PermissionDenied("只能查看本单位的登记信息")
    return employer


def person_get(*, user: Any, key: str) -> Person:
    text = _clean(key).upper()
    person = Person.objects.filter(ssn=text).first()
    if person is None and _ID.match(text):
        person = Person.objects.filter(id_number=validate_id_number(text), primary=True).first()
    if person is None:
        raise NotFound(f"参保人员{key}不存在", field="person")
    if not is_staff_user(user):
        profile = _profile(user)
        if profile is None or not profile.id_number or profile.id_number != person.id_number:
            employer_ids = set(Employer.objects.filter(
                Q(account_id=getattr(user, "pk", None)) | Q(credit_code=profile.credit_code if profile and
                                                            profile.credit_code else "-")).values_list("pk", flat=True))
            if not employer_ids or not Relationship.objects.filter(person=person, employer_id__in=employer_ids).exists():
                raise PermissionDenied("只能查看本人或本单位职工的登记信息")
    return person


@dataclass
class PersonOverview:
    person: Person
    relationships: list[Relationship]
    flexible: FlexibleAccount | None
    cards: list[Card]
    bills: list[Bill]
    benefits: list[BenefitDecision]
    payables: list[Payable]
    filings: list[Filing]
    transfers: list[Transfer]
    certifications: list[Certification]
    cases: list[Case]
    history: list[FieldChange]
    duplicates: list[Person] = field(default_factory=list)


def person_overview(*, user: Any, key: str) -> PersonOverview:
    person = person_get(user=user, key=key)
    staff = is_staff_user(user)
    ids = [person.id_number] if person.id_number else []
    cases = list(Case.objects.select_related("item", "org_unit").filter(applicant_id_number__in=ids)
                 .order_by("-submitted_at")[:50]) if staff else []
    merged = list(Person.objects.filter(merged_into=person))
    duplicates = list(Person.objects.filter(id_number=person.id_number, primary=False, merged_into__isnull=True)
                      .exclude(pk=person.pk)) if person.id_number else []
    keys = [person.ssn, *[m.ssn for m in merged]]
    return PersonOverview(
        person=person,
        relationships=sorted(person.relationships.select_related("employer"),
                             key=lambda r: (r.status != "active", -r.start_on.toordinal(), TYPE_ORDER.index(r.insurance_type))),
        flexible=FlexibleAccount.objects.filter(person=person).first(),
        cards=list(person.cards.order_by("-applied_on", "-id")),
        bills=list(person.bills.select_related("office").order_by("-issued_at")[:50]),
        benefits=list(person.benefits.order_by("-decided_on", "-id")),
        payables=list(person.payables.order_by("-created_at")[:50]),
        filings=list(person.filings.order_by("-valid_from")),
        transfers=list(person.transfers.all()),
        certifications=list(person.certifications.order_by("-year")),
        cases=cases,
        history=list(FieldChange.objects.filter(model="person", object_id__in=keys).order_by("-at", "-id")[:100])
        if staff else [],
        duplicates=duplicates,
    )


@dataclass
class EmployerOverview:
    employer: Employer
    employees: list[Relationship]
    employee_count: int
    bills: list[Bill]
    filings: list[Filing]
    payables: list[Payable]
    cases: list[Case]
    history: list[FieldChange]
    relationship_count: int = 0  # all of them; ``employees`` holds the first ``limit``


def employer_relationships(employer: Employer) -> QuerySet[Relationship]:
    """Every relationship with ``employer``, by the person's name (then person, 险种 and id, so a
    page boundary never moves): the API's list and its pages."""
    return Relationship.objects.filter(employer=employer).select_related("person").order_by(
        "person__name", "person_id", "insurance_type", "id")


def employer_overview(*, user: Any, code: str, limit: int = 200) -> EmployerOverview:
    """The employer with its recent records. ``employees`` holds its first ``limit`` relationships
    by name (the API's detail; 0 reads none) and ``relationship_count`` how many there are in all:
    the API pages the rest at ``/registry/employers/{code}/relationships``; the staff page pages
    persons with ``employer_employees_page``."""
    employer = employer_get(user=user, code=code)
    active = employer_relationships(employer)
    staff = is_staff_user(user)
    identifiers = [c for c in (employer.credit_code,) if c]
    employees = list(active[:limit]) if limit else []
    return EmployerOverview(
        employer=employer,
        employees=employees,
        # A short list is all of them: no COUNT for the usual employer.
        relationship_count=(len(employees) if len(employees) < limit else active.count()) if limit else 0,
        employee_count=active.filter(status="active").values("person").distinct().count(),
        bills=list(employer.bills.order_by("-issued_at")[:50]),
        filings=list(employer.filings.order_by("-valid_from")[:50]),
        payables=list(employer.payables.order_by("-created_at")[:50]),
        cases=list(Case.objects.select_related("item", "org_unit").filter(
            Q(applicant_credit_code__in=identifiers) | Q(pk=employer.case_id or 0)).order_by("-submitted_at")[:50])
        if staff else [],
        history=list(FieldChange.objects.filter(model="employer", object_id=employer.code)[:100]) if staff else [],
    )


EMPLOYEES_PER_PAGE = 50


@dataclass
class EmployeeRow:
    """One person on an employer's staff list: their relationships with it, one per 险种."""

    person: Person
    relationships: list[Relationship]

    @property
    def active(self) -> bool:
        return any(rel.status == "active" for rel in self.relationships)

    @property
    def start(self) -> Any:
        return min(rel.start_on for rel in self.relationships)

    @property
    def last_stop(self) -> Relationship:
        return max(self.relationships, key=lambda rel: (rel.stop_on is not None, rel.stop_on or rel.start_on))


def employer_employees_page(*, employer: Employer, page: Any = 1,
                            per_page: int = EMPLOYEES_PER_PAGE) -> tuple[Page, list[EmployeeRow]]:
    """A page of an employer's staff list, one row per person: those insured with it first, then
    the ones who left, each group by name. Persons are paged in the database (an employer may
    have tens of thousands of relationships); only the page's relationships are read."""
    people = (Relationship.objects.filter(employer=employer).values("person_id", "person__name")
              .annotate(active=Max(DjCase(When(status="active", then=Value(1)), default=Value(0))))
              .order_by("-active", "person__name", "person_id"))
    current = Paginator(people, per_page).get_page(page)
    ids = [row["person_id"] for row in current.object_list]
    by_person: dict[int, EmployeeRow] = {}
    for rel in Relationship.objects.filter(employer=employer, person_id__in=ids).select_related("person") \
            .order_by("insurance_type", "-start_on"):
        by_person.setdefault(rel.person_id, EmployeeRow(person=rel.person, relationships=[])).relationships.append(rel)
    return current, [by_person[pk] for pk in ids if pk in by_person]


def field_history(*, model: str, object_id: str) -> QuerySet[FieldChange]:
    return FieldChange.objects.filter(model=model, object_id=object_id)


def can_read_all(user: Any) -> bool:
    return bool(user_roles(user)) and is_staff_user(user)
