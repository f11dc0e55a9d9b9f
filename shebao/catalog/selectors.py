"""Read access to the catalog. Views and the API read only through these functions."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from shebao.core.errors import NotFound, ValidationFailed

from .models import ApplicantKind, CatalogVersion, Office, Section, ServiceItem
from .search import fold, looks_like_pinyin

MODE_FIELDS = {"immediate": "mode_immediate", "online": "mode_online", "one_visit": "mode_one_visit"}
_CODE = re.compile(r"^(?P<prefix>[A-Z]+)(?P<digits>\d+)(?P<suffix>-\d)?$")


def catalog_version_in_force(*, on: date | None = None) -> CatalogVersion | None:
    """The newest published version whose effective date has come."""
    day = on or timezone.localdate()
    return (
        CatalogVersion.objects.filter(status=CatalogVersion.Status.PUBLISHED, effective_from__lte=day)
        .order_by("-number")
        .first()
    )


def catalog_version_latest_published() -> CatalogVersion | None:
    """The newest published version, in force or taking effect later (change control builds on it)."""
    return CatalogVersion.objects.filter(status=CatalogVersion.Status.PUBLISHED).order_by("-number").first()


def catalog_version_pending(*, on: date | None = None) -> CatalogVersion | None:
    """The newest published version whose effective date is still to come, if any."""
    day = on or timezone.localdate()
    return (
        CatalogVersion.objects.filter(status=CatalogVersion.Status.PUBLISHED, effective_from__gt=day)
        .order_by("-number")
        .first()
    )


def catalog_version_get(*, number: int | None = None) -> CatalogVersion:
    if number is None:
        version = catalog_version_in_force()
        if version is None:
            raise NotFound("尚未发布事项清单")
        return version
    try:
        return CatalogVersion.objects.get(number=number, status=CatalogVersion.Status.PUBLISHED)
    except CatalogVersion.DoesNotExist:
        raise NotFound(f"清单版本 {number} 不存在或未发布", field="version") from None


def section_list(*, version: CatalogVersion) -> QuerySet[Section]:
    return version.sections.annotate(item_count=Count("items")).order_by("position")


def item_list(
    *,
    version: CatalogVersion,
    q: str = "",
    section: int | None = None,
    category: str = "",
    modes: list[str] | None = None,
    applicant: str = "",
) -> QuerySet[ServiceItem]:
    """Items of a version, filtered. ``q`` matches names, codes, materials and conditions,
    full-width or half-width, with or without spaces, or as pinyin (initials or full)."""
    items = version.items.select_related("section").order_by("position")
    if section is not None:
        items = items.filter(section__position=section)
    if category:
        items = items.filter(Q(category__icontains=category) | Q(list_category__icontains=category))
    for mode in modes or []:
        if mode not in MODE_FIELDS:
            raise ValidationFailed(f"办理类型 {mode} 无效，可选 immediate/online/one_visit", field="mode")
        items = items.filter(**{MODE_FIELDS[mode]: True})
    if applicant:
        if applicant not in ApplicantKind.values:
            raise ValidationFailed(f"办事对象 {applicant} 无效，可选 unit/person", field="applicant")
        # JSON containment is not portable to SQLite; the list holds at most two short values.
        items = items.filter(applicant_kinds__icontains=f'"{applicant}"')
    folded = fold(q)
    if folded:
        match = Q(search_text__contains=folded)
        if looks_like_pinyin(folded):
            match |= Q(pinyin_initials__contains=folded) | Q(pinyin_full__contains=folded)
            if len(folded) >= 3:
                # Initials in order with gaps: dwcb finds 单位职工社会保险新参保及续保.
                match |= Q(name_initials__like_subsequence=folded)
        # Items whose own name matches come first; section and loose matches after them.
        direct = Q(name_text__contains=folded)
        if looks_like_pinyin(folded):
            direct |= Q(name_initials__contains=folded) | Q(pinyin_full__contains=folded)
        items = items.filter(match).annotate(
            rank=Case(When(direct, then=Value(0)), default=Value(1), output_field=IntegerField())
        ).order_by("rank", "position")
    return items


def normalize_item_code(code: str) -> str:
    """Canonical form of a 业务编号: upper-case, and the list's misprinted extra zero dropped
    (``SBZX000062`` → ``SBZX00062``; every code family has five digits)."""
    raw = re.sub(r"\s+", "", unicodedata.normalize("NFKC", code)).upper().replace("—", "-")
    match = _CODE.match(raw)
    if not match:
        return raw
    digits = match.group("digits")
    if len(digits) > 5 and digits.startswith("0" * (len(digits) - 5)):
        digits = digits[-5:]
    return f"{match.group('prefix')}{digits}{match.group('suffix') or ''}"


def item_get(*, code: str, version: CatalogVersion) -> ServiceItem:
    canonical = normalize_item_code(code)
    item = (
        version.items.select_related("section", "version")
        .prefetch_related("materials", "flow_steps", "contacts__office")
        .filter(code=canonical)
        .first()
    )
    if item is None:
        raise NotFound(f"事项编号 {code} 不存在", field="code")
    return item


def item_for_case(*, code: str, version: CatalogVersion) -> ServiceItem:
    """The item a case is opened for: the row and its version, without the guide page's prefetches."""
    item = version.items.select_related("version").filter(code=normalize_item_code(code)).first()
    if item is None:
        raise NotFound(f"事项编号 {code} 不存在", field="code")
    return item


def office_list(*, kind: str = "") -> QuerySet[Office]:
    offices = Office.objects.all()
    if kind:
        if kind not in Office.Kind.values:
            raise ValidationFailed(f"机构类型 {kind} 无效", field="kind")
        offices = offices.filter(kind=kind)
    return offices
