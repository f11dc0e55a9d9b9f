"""Supervision pages: dashboard, drill-down lists, warnings, findings, 督办单, exports, report.

Thin: parse the query, call selectors/services, render. Dashboards, lists and exports are for
supervisors and administrators; the 督办单 pages also for the staff of the office addressed.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header, url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from shebao.accounts.models import OrgUnit
from shebao.accounts.selectors import is_staff_user
from shebao.cases.models import Case
from shebao.cases.selectors import case_get
from shebao.catalog.selectors import catalog_version_in_force
from shebao.core import access
from shebao.core.access import page
from shebao.core.errors import ApplicationError, NotFound, ValidationFailed
from shebao.core.http import as_document

from . import charts, exports, selectors, services, tables
from .facts import case_facts_refresh, facts_catch_up
from .models import Finding, FindingKind, OrderStatus
from .report import monthly_report, render_monthly_pdf
from .selectors import DIMENSIONS, METRICS, Filters

View = Callable[..., HttpResponse]
PAGE_SIZE = 50
EXPORT_LIMIT = 50_000
CHART_ROWS = 15


def _forbidden(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "supervision/forbidden.html", {"message": message}, status=403)


def reader_required(view: View) -> View:
    """Supervisors and administrators (the SUPERVISION_READERS gate); the read model is brought up
    to date first, since the case services leave it to its readers (facts.py)."""

    @page(access.SUPERVISION_READERS, template="supervision/forbidden.html")
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        facts_catch_up()
        return view(request, *args, **kwargs)

    return wrapped  # type: ignore[return-value]


staff_required = page(access.SUPERVISION_ORDERS, template="supervision/forbidden.html")


def _filters(request: HttpRequest) -> tuple[Filters, str]:
    """The page's filters; on bad input the defaults, with the message to show."""
    try:
        return selectors.parse_filters(request.GET), ""
    except ValidationFailed as exc:
        return selectors.parse_filters({}), exc.message


def _filter_context(request: HttpRequest, filters: Filters) -> dict[str, Any]:
    version = catalog_version_in_force()
    items = list(version.items.order_by("position").values_list("code", "name")) if version else []
    return {
        "filters": filters,
        "offices": OrgUnit.objects.order_by("level", "district", "name"),
        "items": items,
        "query": urlencode(filters.params()),
    }


def _bars(rows: list[selectors.Row], attr: str, note: Callable[[selectors.Row], str]) -> list[charts.Bar]:
    return [charts.Bar(r.label, getattr(r, attr), note(r)) for r in rows][:CHART_ROWS]


@require_GET
@reader_required
def dashboard(request: HttpRequest) -> HttpResponse:
    filters, error = _filters(request)
    dim = request.GET.get("dim", "office")
    if dim not in DIMENSIONS:
        dim, error = "office", "分组维度无效，已按机构显示"
    totals, rows = selectors.summary(filters, dim=dim)
    grain, points = selectors.trend(filters)
    warn_rows = selectors.warnings_by_office(filters)
    finding_counts = selectors.finding_counts(filters)
    done = sorted([r for r in rows if r.completed], key=lambda r: (r.promised_rate or 0, r.label))
    slow = sorted([r for r in rows if r.completed], key=lambda r: -(r.p90_wd or 0))
    chart_blocks = [
        {
            "id": "trend", "title": "收件与办结趋势" + ("（按日）" if grain == "day" else "（按月）"),
            "svg": charts.trend_chart([charts.TrendDatum(p.label, p.received, p.completed, p.rate) for p in points],
                                      title="收件与办结趋势"),
            "table": tables.trend_table(grain, points), "wide": True,
        },
        {
            "id": "ontime", "title": f"承诺时限按时办结率（{DIMENSIONS[dim]}，由低到高）",
            "svg": charts.hbar_chart(_bars(done, "promised_rate", lambda r: f"办结{r.completed}件"),
                                     title="承诺时限按时办结率", maximum=100, target=95, target_label="目标 95%"),
            "table": tables.ontime_table(filters, dim, done), "wide": True,
        },
        {
            "id": "warnings", "title": "当前超期与临期办件（按机构）",
            "svg": charts.stacked_chart([(r["name"], [r["red"], r["yellow"]]) for r in warn_rows][:CHART_ROWS],
                                        series=[("超期（红牌）", charts.RED), ("临期（黄牌）", charts.YELLOW)],
                                        title="当前超期与临期办件"),
            "table": tables.warning_office_table(filters, warn_rows), "wide": False,
        },
        {
            "id": "handling", "title": f"90%办结工作日（{DIMENSIONS[dim]}，由长到短）",
            "svg": charts.hbar_chart(_bars(slow, "p90_wd", lambda r: f"平均{(r.avg_wd or 0):.1f}"),
                                     title="90%办结工作日", unit="天", width=600),
            "table": tables.handling_table(dim, slow), "wide": False,
        },
        {
            "id": "ratings", "title": "好差评分布",
            "svg": charts.rating_chart(totals.ratings, title="好差评分布"),
            "table": tables.ratings_table(filters, dim, totals, rows), "wide": False,
        },
        {
            "id": "findings", "title": "合规检查发现的问题（按类型）",
            "svg": charts.hbar_chart([charts.Bar(label, finding_counts.get(k, 0)) for k, label in FindingKind.choices],
                                     title="合规问题（按类型）", unit="个", width=600),
            "table": tables.finding_kind_table(finding_counts, filters), "wide": False, "plain_export": True,
        },
    ]
    context = {
        **_filter_context(request, filters),
        "error": error, "dim": dim, "dimensions": DIMENSIONS, "totals": totals,
        "summary": tables.summary_table(filters, dim, totals, rows),
        "charts": chart_blocks,
        "gauges": [charts.gauge(totals.promised_rate, label="承诺时限按时率"),
                   charts.gauge(totals.legal_rate, label="法定时限按时率"),
                   charts.gauge(totals.good_share, label="好评率")],
        "finding_total": sum(finding_counts.values()),
        "order_counts": selectors.order_counts(user=request.user),
        "refreshed": selectors.last_refresh(),
        "drill": {m: tables.drill_url(filters, m) for m in ("received", "accepted", "refused", "completed",
                                                              "overdue", "yellow", "late_promised", "late_legal",
                                                              "incomplete")},
        "month": filters.date_from.strftime("%Y-%m"),
        "is_supervisor": services.is_supervisor(request.user),
    }
    return render(request, "supervision/dashboard.html", context)


@require_GET
@reader_required
def case_list(request: HttpRequest) -> HttpResponse:
    filters, error = _filters(request)
    metric = request.GET.get("metric", "received")
    dim, key = request.GET.get("dim", ""), request.GET.get("key", "")
    if metric not in METRICS:
        return render(request, "supervision/forbidden.html", {"message": f"统计口径“{metric}”无效。"}, status=400)
    try:
        facts = selectors.drill_down(filters, metric=metric, dim=dim, key=key)
    except ValidationFailed as exc:
        return render(request, "supervision/forbidden.html", {"message": exc.message}, status=400)
    page = Paginator(facts, PAGE_SIZE).get_page(request.GET.get("page"))
    group_label = _group_label(dim, key)
    table = tables.cases_table(page.object_list, title=f"{METRICS[metric]}办件")
    extra = {"metric": metric, "dim": dim, "key": key}
    return render(request, "supervision/cases.html", {
        **_filter_context(request, filters), "error": error, "metric": metric, "metric_label": METRICS[metric],
        "group_label": group_label, "page": page, "table": table,
        "export_query": urlencode(filters.params(**extra)),
        "page_query": urlencode({k: v for k, v in request.GET.items() if k != "page"}),
        "back": reverse("supervision:dashboard") + "?" + urlencode(filters.params(dim=dim or "office")),
    })


def _group_label(dim: str, key: str) -> str:
    if not dim or not key:
        return ""
    if dim == "office":
        unit = OrgUnit.objects.filter(pk=int(key)).first() if key.isdigit() else None
        return unit.name if unit else key
    if dim == "item":
        return key
    if dim == "officer":
        if not key.isdigit():
            return "（系统/未分配）"
        from django.contrib.auth.models import User

        user = User.objects.filter(pk=int(key)).select_related("staff_profile").first()
        profile = getattr(user, "staff_profile", None) if user else None
        return profile.display_name if profile else (user.username if user else key)
    return ""


@require_GET
@reader_required
def warnings(request: HttpRequest) -> HttpResponse:
    filters, error = _filters(request)
    level = request.GET.get("level", "")
    facts = selectors.warning_lists(filters)
    if level in {"red", "yellow"}:
        facts = facts.filter(warning=level)
    page = Paginator(facts, PAGE_SIZE).get_page(request.GET.get("page"))
    warn_rows = selectors.warnings_by_office(filters)
    return render(request, "supervision/warnings.html", {
        **_filter_context(request, filters), "error": error, "level": level, "page": page,
        "table": tables.cases_table(page.object_list, name="warnings", title="超期与临期办件清单"),
        "office_table": tables.warning_office_table(filters, warn_rows),
        "chart": charts.stacked_chart([(r["name"], [r["red"], r["yellow"]]) for r in warn_rows][:CHART_ROWS],
                                      series=[("超期（红牌）", charts.RED), ("临期（黄牌）", charts.YELLOW)],
                                      title="当前超期与临期办件", width=1180),
        "red_total": sum(r["red"] for r in warn_rows), "yellow_total": sum(r["yellow"] for r in warn_rows),
        "export_query": urlencode(filters.params(level=level)),
        "page_query": urlencode({k: v for k, v in request.GET.items() if k != "page"}),
    })


@require_GET
@reader_required
def findings(request: HttpRequest) -> HttpResponse:
    filters, error = _filters(request)
    kind = request.GET.get("kind", "")
    if kind and kind not in FindingKind.values:
        kind, error = "", "问题类型无效"
    found = selectors.finding_list(filters, kind=kind)
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    counts = selectors.finding_counts(filters)
    return render(request, "supervision/findings.html", {
        **_filter_context(request, filters), "error": error, "kind": kind, "kinds": FindingKind.choices,
        "page": page, "table": tables.findings_table(page.object_list),
        "kind_table": tables.finding_kind_table(counts, filters),
        "chart": charts.hbar_chart([charts.Bar(label, counts.get(k, 0)) for k, label in FindingKind.choices],
                                   title="合规问题（按类型）", unit="个"),
        "export_query": urlencode(filters.params(kind=kind)),
        "page_query": urlencode({k: v for k, v in request.GET.items() if k != "page"}),
        "is_supervisor": services.is_supervisor(request.user),
    })


# --------------------------------------------------------------------------- 督办单


@require_GET
@staff_required
def order_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    if status not in OrderStatus.values:
        status = ""
    overdue = request.GET.get("overdue") == "1"
    orders = selectors.order_list(user=request.user, status=status, overdue_only=overdue)
    page = Paginator(orders, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "supervision/orders.html", {
        "page": page, "table": tables.orders_table(page.object_list), "status": status, "overdue": overdue,
        "statuses": OrderStatus.choices, "counts": selectors.order_counts(user=request.user),
        "is_supervisor": services.is_supervisor(request.user),
        "office_only": not services.can_read_supervision(request.user),
        "export_query": urlencode({"status": status, "overdue": "1" if overdue else ""}),
    })


@staff_required
def order_new(request: HttpRequest) -> HttpResponse:
    if not services.is_supervisor(request.user):
        return _forbidden(request, "只有督办人员可以签发督办单。")
    source = request.POST if request.method == "POST" else request.GET
    case: Case | None = None
    office: OrgUnit | None = None
    finding: Finding | None = None
    error = ""
    try:
        if source.get("finding"):
            finding = Finding.objects.select_related("case__org_unit", "case__item").filter(
                pk=int(source["finding"]) if str(source["finding"]).isdigit() else 0).first()
            if finding is None:
                raise NotFound("合规问题不存在", field="finding")
            case = finding.case
        elif source.get("case"):
            case = case_get(user=request.user, public_id=str(source["case"]))
        elif source.get("office"):
            office = OrgUnit.objects.filter(key=source["office"]).first()
            if office is None:
                raise NotFound("机构不存在", field="office")
    except ApplicationError as exc:
        error = exc.message
    subject, demand = _order_defaults(case, finding)
    form = {"subject": source.get("subject", subject), "demand": source.get("demand", demand),
            "reply_days": source.get("reply_days", "3")}
    if request.method == "POST" and not error:
        try:
            days = int(form["reply_days"]) if str(form["reply_days"]).isdigit() else 0
            order = services.order_issue(actor=request.user, subject=form["subject"], demand=form["demand"],
                                         reply_days=days, case=case, office=office, finding=finding)
        except ApplicationError as exc:
            error = exc.message
        else:
            messages.success(request, f"督办单 {order.number} 已签发，{order.office.name}须于"
                                      f"{order.reply_due:%Y年%m月%d日}前回复。")
            return redirect("supervision:order_detail", number=order.number)
    status = 422 if error and request.method == "POST" else 200
    return render(request, "supervision/order_form.html", {
        "case": case, "office": office, "finding": finding, "form": form, "error": error,
        "offices": OrgUnit.objects.order_by("level", "district", "name"),
        "case_url": tables.case_url(case) if case else "",
    }, status=status)


def _order_defaults(case: Case | None, finding: Finding | None) -> tuple[str, str]:
    if finding is not None:
        return (f"{finding.get_kind_display()}：{finding.case.reference}",
                f"经合规检查，办件{finding.case.reference}（{finding.case.item.name}）存在以下问题：{finding.detail}。"
                "请核实情况，立即整改，并书面回复整改结果和防止再次发生的措施。")
    if case is not None:
        return (f"办件督办：{case.reference}",
                f"请加快办理办件{case.reference}（{case.item.name}），说明未按期办结的原因，"
                "并书面回复办理结果和预计办结日期。")
    return ("", "")


@require_GET
@staff_required
def order_detail(request: HttpRequest, number: str) -> HttpResponse:
    try:
        order = selectors.order_get(user=request.user, number=number)
    except NotFound as exc:
        return render(request, "supervision/forbidden.html", {"message": exc.message}, status=404)
    user = request.user
    today = timezone.localdate()
    return render(request, "supervision/order_detail.html", {
        "order": order, "events": order.events.all(),
        "can_reply": order.status == OrderStatus.ISSUED and services.office_may_reply(user, order),
        "can_review": order.status == OrderStatus.REPLIED and services.is_supervisor(user),
        "overdue": order.status == OrderStatus.ISSUED and order.reply_due < today,
        "case_url": tables.case_url(order.case) if order.case else "",
        "is_supervisor": services.is_supervisor(user),
        "office_only": not services.can_read_supervision(user),
    })


@require_POST
@staff_required
def order_act(request: HttpRequest, number: str) -> HttpResponse:
    try:
        order = selectors.order_get(user=request.user, number=number)
        action = request.POST.get("action", "")
        if action == "reply":
            services.order_reply(order=order, actor=request.user, reply=request.POST.get("reply", ""))
            messages.success(request, "回复已提交，等待督办人员审核。")
        elif action == "return":
            services.order_return(order=order, actor=request.user, note=request.POST.get("note", ""))
            messages.success(request, "已退回，责任机构须重新回复。")
        elif action == "close":
            services.order_close(order=order, actor=request.user, note=request.POST.get("note", ""))
            messages.success(request, "督办单已办结销号。")
        else:
            raise ValidationFailed("未知操作", field="action")
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("supervision:order_detail", number=number)


# --------------------------------------------------------------------------- refresh, exports, report


@require_POST
@reader_required
def refresh(request: HttpRequest) -> HttpResponse:
    result = case_facts_refresh()
    messages.success(request, f"统计数据已更新：重新计算 {result.facts} 件，新发现问题 {result.findings_added} 个。")
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("supervision:dashboard")
    return HttpResponseRedirect(target)


def _export_table(request: HttpRequest, name: str) -> tuple[tables.Table, str]:
    filters = selectors.parse_filters(request.GET)
    period = f"{filters.date_from:%Y-%m-%d}至{filters.date_to:%Y-%m-%d}"
    dim = request.GET.get("dim", "office") or "office"
    if name in {"summary", "ontime", "handling", "ratings"}:
        if dim not in DIMENSIONS:
            raise ValidationFailed("分组维度无效", field="dim")
        totals, rows = selectors.summary(filters, dim=dim)
        done = [r for r in rows if r.completed]
        table = {
            "summary": lambda: tables.summary_table(filters, dim, totals, rows),
            "ontime": lambda: tables.ontime_table(filters, dim, sorted(done, key=lambda r: (r.promised_rate or 0))),
            "handling": lambda: tables.handling_table(dim, sorted(done, key=lambda r: -(r.p90_wd or 0))),
            "ratings": lambda: tables.ratings_table(filters, dim, totals, rows),
        }[name]()
    elif name == "trend":
        grain, points = selectors.trend(filters)
        table = tables.trend_table(grain, points)
    elif name == "warning_offices":
        table = tables.warning_office_table(filters, selectors.warnings_by_office(filters))
    elif name == "finding_kinds":
        table = tables.finding_kind_table(selectors.finding_counts(filters), filters)
    elif name == "cases":
        metric = request.GET.get("metric", "received")
        facts = selectors.drill_down(filters, metric=metric, dim=request.GET.get("dim", ""),
                                     key=request.GET.get("key", ""))
        label = METRICS.get(metric, metric)
        table = tables.cases_table(facts[:EXPORT_LIMIT], title=f"{label}办件")
    elif name == "warnings":
        facts = selectors.warning_lists(filters)
        if request.GET.get("level") in {"red", "yellow"}:
            facts = facts.filter(warning=request.GET["level"])
        table = tables.cases_table(facts[:EXPORT_LIMIT], name="warnings", title="超期与临期办件清单")
        period = f"截至{timezone.localdate():%Y-%m-%d}"
    elif name == "findings":
        table = tables.findings_table(selectors.finding_list(filters, kind=request.GET.get("kind", ""))[:EXPORT_LIMIT])
        table.cols = table.cols[:-1]
        table.rows = [row[:-1] for row in table.rows]
    elif name == "orders":
        status = request.GET.get("status", "")
        table = tables.orders_table(selectors.order_list(user=request.user, status=status if status in
                                                         OrderStatus.values else "",
                                                         overdue_only=request.GET.get("overdue") == "1"))
        period = f"截至{timezone.localdate():%Y-%m-%d}"
    else:
        raise NotFound(f"没有名为“{name}”的统计表", field="table")
    return table, f"{table.title}（{period}）"


@require_GET
@page(access.SIGNED_IN)
def export(request: HttpRequest, table: str, fmt: str) -> HttpResponse:
    if table == "orders":
        if not is_staff_user(request.user):
            return _forbidden(request, "督办单仅供工作人员导出。")
    elif not services.can_read_supervision(request.user):
        return _forbidden(request, "督办统计仅供督办人员和系统管理员导出。")
    if fmt not in {"csv", "xlsx"}:
        return render(request, "supervision/forbidden.html", {"message": "导出格式应为 csv 或 xlsx。"}, status=404)
    try:
        data, caption = _export_table(request, table)
    except ApplicationError as exc:
        return render(request, "supervision/forbidden.html", {"message": exc.message}, status=exc.http_status)
    stamp = timezone.localdate().strftime("%Y%m%d")
    filename = f"督办-{data.title}-{stamp}.{fmt}".replace("/", "-")
    if fmt == "csv":
        response = HttpResponse(exports.table_csv(data, caption=caption), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(
            exports.table_xlsx(data, caption=caption),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = content_disposition_header(True, filename) or "attachment"
    return response


@require_GET
@reader_required
def report_pdf(request: HttpRequest) -> HttpResponse:
    try:
        filters = selectors.month_filters(request.GET.get("month"))
    except ValidationFailed as exc:
        return render(request, "supervision/forbidden.html", {"message": exc.message}, status=422)
    pdf = render_monthly_pdf(monthly_report(filters, user=request.user))
    response = HttpResponse(pdf, content_type="application/pdf")
    name = f"社会保险经办服务督办月报-{filters.date_from:%Y年%m月}.pdf"
    inline = request.GET.get("download") != "1"
    response["Content-Disposition"] = content_disposition_header(not inline, name) or "inline"
    return as_document(response)
