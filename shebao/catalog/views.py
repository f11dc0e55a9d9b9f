"""The public portal (公开门户) of the catalog: home, item list and search, guides, offices.

Views are thin: they read GET parameters, call the selectors, and render. Nothing here needs a
login, JavaScript or anything from the internet; HTMX only swaps search results in place.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from shebao.core import access
from shebao.core.access import page
from shebao.core.errors import ApplicationError, NotFound
from shebao.workdays import Deadline, WorkdaysError, deadline, parse_rule

from . import selectors
from .models import ApplicantKind, CatalogVersion, Material, Office, Section, ServiceItem

LARGE_TYPE_COOKIE = "shebao_large"
LARGE_TYPE_MAX_AGE = 365 * 24 * 3600

MODE_CHOICES: tuple[tuple[str, str], ...] = (
    ("immediate", "马上办"),
    ("online", "网上办"),
    ("one_visit", "一次办"),
)
APPLICANT_CHOICES: tuple[tuple[str, str], ...] = (
    (ApplicantKind.PERSON.value, "个人办事"),
    (ApplicantKind.UNIT.value, "单位办事"),
)
MAX_QUERY_LENGTH = 60


# --------------------------------------------------------------------------- helpers


def _version_or_unavailable(request: HttpRequest) -> CatalogVersion | HttpResponse:
    version = selectors.catalog_version_in_force()
    if version is None:
        return render(request, "catalog/unavailable.html", status=503)
    return version


def _not_found(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "404.html", {"message": message}, status=404)


@dataclass
class ItemFilters:
    """The list's GET parameters, checked. ``errors`` holds what a reader typed wrong."""

    q: str = ""
    section: Section | None = None
    category: str = ""
    modes: list[str] = field(default_factory=list)
    applicant: str = ""
    errors: list[str] = field(default_factory=list)

    @property
    def active(self) -> bool:
        return bool(self.q or self.section or self.category or self.modes or self.applicant)


def _parse_filters(params: QueryDict, sections: list[Section]) -> ItemFilters:
    filters = ItemFilters()
    filters.q = params.get("q", "").strip()
    if len(filters.q) > MAX_QUERY_LENGTH:
        filters.errors.append(f"搜索词过长（{len(filters.q)} 个字），请不超过 {MAX_QUERY_LENGTH} 个字。")
        filters.q = filters.q[:MAX_QUERY_LENGTH]

    raw_section = params.get("section", "").strip()
    if raw_section:
        if not raw_section.isdigit():
            filters.errors.append(f"栏目参数“{raw_section}”无效，应为栏目序号（数字）。")
        else:
            by_position = {s.position: s for s in sections}
            filters.section = by_position.get(int(raw_section))
            if filters.section is None:
                filters.errors.append(f"没有序号为 {raw_section} 的栏目，现有栏目为 1–{len(sections)}。")

    filters.category = params.get("category", "").strip()[:MAX_QUERY_LENGTH]

    valid_modes = dict(MODE_CHOICES)
    for mode in params.getlist("mode"):
        mode = mode.strip()
        if not mode:
            continue
        if mode not in valid_modes:
            filters.errors.append(f"办理类型“{mode}”无效，可选：马上办、网上办、一次办。")
        elif mode not in filters.modes:
            filters.modes.append(mode)

    applicant = params.get("applicant", "").strip()
    if applicant:
        if applicant not in dict(APPLICANT_CHOICES):
            filters.errors.append(f"办事对象“{applicant}”无效，可选：个人、单位。")
        else:
            filters.applicant = applicant
    return filters


def _item_total(sections: list[Section]) -> int:
    """Items in all sections, from the ``item_count`` that ``section_list`` annotates."""
    return sum(int(getattr(section, "item_count", 0)) for section in sections)


def _categories(version: CatalogVersion) -> list[str]:
    """The 业务类别 of a version in document order, without repeats."""
    seen: OrderedDict[str, None] = OrderedDict()
    for category in selectors.item_list(version=version).values_list("category", flat=True):
        seen.setdefault(category, None)
    return list(seen)


def _filter_summary(filters: ItemFilters) -> list[str]:
    parts = []
    if filters.section:
        parts.append(filters.section.name)
    if filters.category:
        parts.append(filters.category)
    labels = dict(MODE_CHOICES)
    parts.extend(labels[m] for m in filters.modes)
    if filters.applicant:
        parts.append(dict(APPLICANT_CHOICES)[filters.applicant])
    if filters.q:
        parts.append(f"“{filters.q}”")
    return parts


# --------------------------------------------------------------------------- pages


@page(access.PUBLIC)
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The sections as entry points, 个人办事 / 单位办事, and the search box first."""
    version = _version_or_unavailable(request)
    if isinstance(version, HttpResponse):
        return version
    sections = list(selectors.section_list(version=version))
    total = _item_total(sections)
    mode_counts = [
        (key, label, selectors.item_list(version=version, modes=[key]).count()) for key, label in MODE_CHOICES
    ]
    applicant_counts = [
        (key, label, selectors.item_list(version=version, applicant=key).count())
        for key, label in APPLICANT_CHOICES
    ]
    return render(
        request,
        "catalog/home.html",
        {
            "version": version,
            "sections": sections,
            "total": total,
            "mode_counts": mode_counts,
            "applicant_counts": applicant_counts,
        },
    )


@page(access.PUBLIC)
@require_GET
@vary_on_headers("HX-Request")
def item_list(request: HttpRequest) -> HttpResponse:
    """The list, filtered by section, category, 办理类型 and 办事对象, and searched.

    An HTMX request (live search) gets only the results; everything else the whole page.
    """
    version = _version_or_unavailable(request)
    if isinstance(version, HttpResponse):
        return version
    sections = list(selectors.section_list(version=version))
    filters = _parse_filters(request.GET, sections)
    categories = _categories(version)
    items: list[ServiceItem] = []
    if not filters.errors:
        try:
            found = selectors.item_list(
                version=version,
                q=filters.q,
                section=filters.section.position if filters.section else None,
                category=filters.category,
                modes=filters.modes,
                applicant=filters.applicant,
            )
            if filters.category in categories:
                # The form offers exact 业务类别 while the selector matches substrings, which
                # would bring 生育保险业务（社保处办理） into 生育保险业务: narrow to the choice.
                found = found.filter(category=filters.category)
            items = list(found)
        except ApplicationError as exc:
            filters.errors.append(exc.message)
    context: dict[str, Any] = {
        "version": version,
        "sections": sections,
        "categories": categories,
        "filters": filters,
        "summary": _filter_summary(filters),
        "items": items,
        "mode_choices": MODE_CHOICES,
        "applicant_choices": APPLICANT_CHOICES,
        "total": _item_total(sections),
    }
    status = 400 if filters.errors else 200
    htmx = getattr(request, "htmx", None)
    if htmx and not htmx.history_restore_request:
        return render(request, "catalog/_results.html", context, status=status)
    return render(request, "catalog/item_list.html", context, status=status)


@dataclass
class MaterialGroup:
    heading: str
    materials: list[Material]


def _material_groups(materials: list[Material]) -> list[MaterialGroup]:
    groups: list[MaterialGroup] = []
    for material in materials:
        if not groups or groups[-1].heading != material.group:
            groups.append(MaterialGroup(material.group, []))
        groups[-1].materials.append(material)
    return groups


def _material_totals(materials: list[Material]) -> dict[str, int]:
    return {
        "count": len(materials),
        "originals": sum(1 for m in materials if m.original_count),
        "copies": sum(1 for m in materials if m.copy_count),
        "retained": sum(1 for m in materials if m.retained),
        "conditional": sum(1 for m in materials if m.conditional),
    }


@page(access.PUBLIC)
@require_GET
def item_detail(request: HttpRequest, code: str) -> HttpResponse:
    """One guide (办事指南), top to bottom in the order an applicant needs it."""
    version = _version_or_unavailable(request)
    if isinstance(version, HttpResponse):
        return version
    return _render_item(request, version, code, archived=False)


@page(access.PUBLIC)
@require_GET
def item_version_detail(request: HttpRequest, number: int, code: str) -> HttpResponse:
    """The guide as a given published version had it (cases keep the version they were
    accepted under; a version taking effect later can be read before it does)."""
    try:
        version = selectors.catalog_version_get(number=number)
    except NotFound:
        return _not_found(request, f"第 {number} 版不存在或尚未发布。")
    in_force = selectors.catalog_version_in_force()
    if in_force is not None and in_force.pk == version.pk:
        return redirect("catalog:item_detail", code=selectors.normalize_item_code(code))
    return _render_item(request, version, code, archived=True)


def _pending_change(item: ServiceItem) -> dict[str, Any] | None:
    """What a published version that takes effect later changes in this item, if anything."""
    pending = selectors.catalog_version_pending()
    if pending is None or pending.pk == item.version_id:
        return None
    from shebao.changes.diff import item_diff  # pure diff code of the change-control app

    from .services import version_items_as_dicts

    before = next(iter(version_items_as_dicts(item.version, codes=[item.code])), None)
    after = next(iter(version_items_as_dicts(pending, codes=[item.code])), None)
    diff = item_diff(before, after)
    if diff is None:
        return None
    return {"version": pending, "diff": diff}


def _render_item(request: HttpRequest, version: CatalogVersion, code: str, *, archived: bool) -> HttpResponse:
    try:
        item = selectors.item_get(code=code, version=version)
    except NotFound:
        return _not_found(request, f"没有找到编号为“{code[:40]}”的服务事项。")
    if item.code != code:
        # SBZX000062 (as misprinted in the list), lower case, full width: one canonical address.
        if archived:
            return redirect("catalog:item_version_detail", number=version.number, code=item.code, permanent=True)
        return redirect("catalog:item_detail", code=item.code, permanent=True)
    estimate = _limit_estimate(item, request.GET.get("accepted", ""))
    materials = list(item.materials.all())
    neighbours = {
        n.position: n
        for n in selectors.item_list(version=version).filter(
            position__in=[item.position - 1, item.position + 1]
        )
    }
    return render(
        request,
        "catalog/item_detail.html",
        {
            "version": selectors.catalog_version_in_force() if archived else version,
            "item_version": version,
            "archived": archived,
            "today": timezone.localdate(),
            "pending_change": None if archived else _pending_change(item),
            "item": item,
            "material_groups": _material_groups(materials),
            "material_totals": _material_totals(materials),
            "flow_steps": list(item.flow_steps.all()),
            "contacts": list(item.contacts.all()),
            "previous": neighbours.get(item.position - 1),
            "next": neighbours.get(item.position + 1),
            "estimate": estimate,
        },
        status=400 if estimate.error else 200,
    )


# Limits whose due date follows from the acceptance date alone; staged limits wait for later
# events (a letter, a batch, an appraisal) and are computed on the case, not on the guide.
_ESTIMABLE_KINDS = {"immediate", "working_days", "days", "months"}


@dataclass
class LimitEstimate:
    """Due dates of the guide's limits for a given acceptance day (today by default)."""

    accepted: date
    accepted_text: str
    legal: Deadline | None = None
    promised: Deadline | None = None
    error: str = ""

    @property
    def shown(self) -> bool:
        return self.legal is not None or self.promised is not None or bool(self.error)


def _limit_estimate(item: ServiceItem, accepted_param: str) -> LimitEstimate:
    today = timezone.localdate()
    text = accepted_param.strip()[:20]
    estimate = LimitEstimate(accepted=today, accepted_text=text)
    if text:
        try:
            estimate.accepted = date.fromisoformat(text)
        except ValueError:
            estimate.error = f"受理日期“{text}”格式不对，请按 年-月-日 填写，如 {today.isoformat()}。"
            return estimate
    try:
        if item.legal_limit_kind in _ESTIMABLE_KINDS:
            estimate.legal = deadline(parse_rule(item.legal_limit_text), estimate.accepted)
        if item.promised_limit_kind in _ESTIMABLE_KINDS:
            estimate.promised = deadline(parse_rule(item.promised_limit_text), estimate.accepted)
    except WorkdaysError:
        estimate.error = f"受理日期 {estimate.accepted.isoformat()} 超出可计算的日历范围（2000—2099 年）。"
        estimate.legal = estimate.promised = None
    return estimate


@dataclass
class OfficeGroup:
    kind: str
    label: str
    offices: list[Office]


@page(access.PUBLIC)
@require_GET
def office_list(request: HttpRequest) -> HttpResponse:
    """The directory of offices named in the guides: phones, addresses, by kind."""
    kind = request.GET.get("kind", "").strip()
    error = ""
    try:
        offices = list(selectors.office_list(kind=kind))
    except ApplicationError:
        error = f"机构类型“{kind[:40]}”无效，请从下方类型中选择。"
        offices = []
    groups = [
        OfficeGroup(value, label, [o for o in offices if o.kind == value])
        for value, label in Office.Kind.choices
    ]
    present = set(selectors.office_list().values_list("kind", flat=True))
    return render(
        request,
        "catalog/office_list.html",
        {
            "groups": [g for g in groups if g.offices],
            "kind": kind if not error else "",
            "kind_choices": [(v, label) for v, label in Office.Kind.choices if v in present],
            "error": error,
            "count": len(offices),
            "version": selectors.catalog_version_in_force(),
        },
        status=400 if error else 200,
    )


@page(access.PUBLIC)
@require_GET
def display_large(request: HttpRequest) -> HttpResponse:
    """Switch the 适老化 large-type mode on (``?on=1``) or off (``?on=0``) and go back.

    A plain link, so it works without JavaScript; the choice lives in a cookie for a year.
    """
    on = request.GET.get("on", "1") != "0"
    target = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=False):
        target = reverse("catalog:home")
    response = HttpResponseRedirect(target)
    if on:
        response.set_cookie(LARGE_TYPE_COOKIE, "1", max_age=LARGE_TYPE_MAX_AGE, samesite="Lax", httponly=True)
    else:
        response.delete_cookie(LARGE_TYPE_COOKIE, samesite="Lax")
    return response


@page(access.PUBLIC)
@require_GET
def accessibility(request: HttpRequest) -> HttpResponse:
    """How to use the portal with a keyboard, a screen reader or large type (无障碍说明)."""
    return render(request, "catalog/accessibility.html", {"version": selectors.catalog_version_in_force()})
