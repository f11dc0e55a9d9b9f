"""Every table of the supervision pages as data: the pages render them, and the same objects are
exported as CSV and XLSX (``exports.py``), so a download always matches the screen."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone

from shebao.cases.models import CaseStatus

from . import selectors
from .models import CaseFact, Finding, FindingKind, OrderLevel, SupervisionOrder
from .selectors import DIMENSIONS, Filters, Row, TrendPoint

STATUS_LABELS = dict(CaseStatus.choices)
WARNING_LABELS = {"green": "正常", "yellow": "临期", "red": "超期"}


@dataclass(frozen=True)
class Col:
    label: str
    kind: str = "text"  # text | int | num | pct | date


@dataclass(frozen=True)
class Cell:
    value: Any
    href: str = ""
    css: str = ""


@dataclass
class Table:
    name: str
    title: str
    cols: list[Col]
    rows: list[list[Any]] = field(default_factory=list)
    foot: list[Any] | None = None
    note: str = ""
    merge_sub: bool = False  # on screen, show the second column under the first (exports keep both)
    short_labels: list[str] = field(default_factory=list)  # shorter headings on screen

    @property
    def display_heads(self) -> list[dict[str, Any]]:
        heads = []
        for index, col in enumerate(self.cols):
            if self.merge_sub and index == 1:
                continue
            short = self.short_labels[index] if index < len(self.short_labels) and self.short_labels[index] else ""
            heads.append({"label": short or col.label, "title": col.label if short else "",
                          "num": col.kind in {"int", "num", "pct"}})
        return heads

    @property
    def display_cols(self) -> list[Col]:
        return [self.cols[0], *self.cols[2:]] if self.merge_sub else self.cols

    def display_rows(self) -> list[list[dict[str, Any]]]:
        return [self._display(row) for row in self.rows]

    def display_foot(self) -> list[dict[str, Any]] | None:
        return self._display(self.foot) if self.foot else None

    def _display(self, row: Sequence[Any]) -> list[dict[str, Any]]:
        out = []
        for value, col in zip(row, self.cols, strict=False):
            cell = value if isinstance(value, Cell) else Cell(value)
            css = f"{cell.css} date".strip() if col.kind == "date" else cell.css
            out.append({"text": display_text(cell.value, col.kind), "href": cell.href, "css": css,
                        "num": col.kind in {"int", "num", "pct"}, "sub": ""})
        if self.merge_sub and len(out) > 1:
            out[0]["sub"] = out[1]["text"]
            out[0]["css"] = f"{out[0]['css']} name".strip()
            del out[1]
        return out

    def plain_rows(self) -> list[list[Any]]:
        rows = [*self.rows, *([self.foot] if self.foot else [])]
        return [[c.value if isinstance(c, Cell) else c for c in row] for row in rows]


def display_text(value: Any, kind: str) -> str:
    if value is None or value == "":
        return "—" if kind != "text" else ""
    if kind == "pct":
        return f"{float(value):.1f}%"
    if kind == "num":
        return f"{float(value):.1f}"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def drill_url(filters: Filters, metric: str, *, dim: str = "", key: Any = None) -> str:
    params = filters.params(metric=metric)
    if dim:
        params["dim"] = dim
        params["key"] = "none" if key is None else str(key)
    return reverse("supervision:cases") + "?" + urlencode(params)


def _n(value: int, filters: Filters, metric: str, dim: str, key: Any, *, link: bool = True) -> Cell:
    if not value or not link:
        return Cell(value)
    return Cell(value, drill_url(filters, metric, dim=dim, key=key) if dim else drill_url(filters, metric))


def _rate_cell(rate: float | None) -> Cell:
    if rate is None:
        return Cell(None)
    return Cell(rate, css="rate-good" if rate >= 95 else ("rate-fair" if rate >= 85 else "rate-poor"))


def _name_col(dim: str) -> list[Col]:
    return {"office": [Col("经办机构"), Col("层级")], "item": [Col("服务事项"), Col("业务编号")],
            "officer": [Col("承办人"), Col("所在机构")]}[dim]


# --------------------------------------------------------------------------- dashboard tables


def summary_table(filters: Filters, dim: str, totals: Row, rows: Sequence[Row]) -> Table:
    cols = [*_name_col(dim), Col("收件", "int"), Col("受理", "int"), Col("不予受理", "int"), Col("办结", "int"),
            Col("承诺时限按时率", "pct"), Col("法定时限按时率", "pct"), Col("当前超期", "int"), Col("当前临期", "int"),
            Col("平均办理工作日", "num"), Col("90%办结工作日", "int"), Col("一次性告知率", "pct"),
            Col("评价数", "int"), Col("好评率", "pct")]
    short = ["", "", "收件", "受理", "不予受理", "办结", "承诺按时率", "法定按时率", "超期", "临期", "平均工作日",
             "P90工作日", "告知率", "评价", "好评率"]

    def line(row: Row, d: str, key: Any) -> list[Any]:
        return [row.label, row.sub,
                _n(row.received, filters, "received", d, key), _n(row.accepted, filters, "accepted", d, key),
                _n(row.refused, filters, "refused", d, key), _n(row.completed, filters, "completed", d, key),
                _rate_cell(row.promised_rate), _rate_cell(row.legal_rate),
                _n(row.overdue, filters, "overdue", d, key), _n(row.yellow, filters, "yellow", d, key),
                None if row.avg_wd is None else round(row.avg_wd, 1), row.p90_wd,
                row.incomplete_share, row.rated, row.good_share]

    table = Table("summary", f"督办统计表（{DIMENSIONS[dim]}）", cols, [line(r, dim, r.key) for r in rows],
                  merge_sub=True)
    table.short_labels = short
    table.foot = line(totals, "", None)
    table.foot[1] = ""
    table.note = ("收件、受理按发生日期统计；不予受理、办结、按时率、办理时长、评价按办结日期统计；"
                  "当前超期、临期为统计时点的在办件。")
    return table


def ontime_table(filters: Filters, dim: str, rows: Sequence[Row]) -> Table:
    cols = [*_name_col(dim)[:1], Col("办结", "int"), Col("承诺时限内", "int"), Col("超承诺时限", "int"),
            Col("承诺时限按时率", "pct"), Col("法定时限内", "int"), Col("超法定时限", "int"), Col("法定时限按时率", "pct")]
    body = [[r.label, _n(r.completed, filters, "completed", dim, r.key), r.promised_ok,
             _n(r.late_promised, filters, "late_promised", dim, r.key), _rate_cell(r.promised_rate), r.legal_ok,
             _n(r.late_legal, filters, "late_legal", dim, r.key), _rate_cell(r.legal_rate)]
            for r in rows if r.completed]
    return Table("ontime", f"按时办结率（{DIMENSIONS[dim]}）", cols, body,
                 note="分母为统计期内办结且有相应时限的办件；中止期间不计，延期后以延长的期限为准。")


def handling_table(dim: str, rows: Sequence[Row]) -> Table:
    cols = [*_name_col(dim)[:1], Col("办结", "int"), Col("平均办理工作日", "num"), Col("90%办结工作日", "int")]
    body = [[r.label, r.completed, round(r.avg_wd, 1) if r.avg_wd is not None else None, r.p90_wd]
            for r in rows if r.completed]
    return Table("handling", f"办理时长（工作日，{DIMENSIONS[dim]}）", cols, body,
                 note="自受理次日起至办结日的工作日数（法定节假日、中止期间不计）；90% 分位按最近秩法计算。")


def ratings_table(filters: Filters, dim: str, totals: Row, rows: Sequence[Row]) -> Table:
    cols = [*_name_col(dim)[:1], *(Col(f"{s}分", "int") for s in range(1, 6)), Col("评价数", "int"),
            Col("平均分", "num"), Col("好评率", "pct")]

    def line(row: Row, d: str, key: Any) -> list[Any]:
        return [row.label, *(_n(row.ratings[s - 1], filters, f"rating{s}", d, key) for s in range(1, 6)),
                row.rated, row.rating_avg, row.good_share]

    table = Table("ratings", f"好差评分布（{DIMENSIONS[dim]}）", cols, [line(r, dim, r.key) for r in rows if r.rated])
    table.foot = line(totals, "", None)
    table.note = "好评率 = 4 分、5 分的评价占全部评价的比例；评价按办件办结日期统计。"
    return table


def trend_table(grain: str, points: Sequence[TrendPoint]) -> Table:
    cols = [Col("日期" if grain == "day" else "月份"), Col("收件", "int"), Col("办结", "int"),
            Col("承诺时限内办结", "int"), Col("承诺时限按时率", "pct")]
    body = [[p.start.isoformat() if grain == "day" else p.label, p.received, p.completed, p.on_time,
             _rate_cell(p.rate)] for p in points]
    return Table("trend", "收件与办结趋势", cols, body)


def warning_office_table(filters: Filters, rows: Iterable[dict[str, Any]]) -> Table:
    cols = [Col("经办机构"), Col("在办", "int"), Col("超期（红牌）", "int"), Col("临期（黄牌）", "int")]
    body = [[r["name"], r["running"], _n(r["red"], filters, "overdue", "office", r["office_id"]),
             _n(r["yellow"], filters, "yellow", "office", r["office_id"])] for r in rows]
    return Table("warning_offices", "超期与临期办件（按机构）", cols, body,
                 note="临期：距承诺期限或当前环节期限不超过 2 个工作日；超期：已过期限仍未办结。")


# --------------------------------------------------------------------------- case lists


def _officer(fact: CaseFact) -> str:
    user = fact.officer
    if user is None:
        return "（系统）"
    profile = getattr(user, "staff_profile", None)
    return str(profile.display_name) if profile is not None else user.username


def case_url(fact_case: Any) -> str:
    try:
        return reverse("web:work_case", args=[fact_case.public_id])
    except Exception:  # the workbench is not installed
        return ""


def cases_table(facts: Iterable[CaseFact], *, today: date | None = None, name: str = "cases",
                title: str = "办件清单") -> Table:
    from shebao.workdays import countdown, get_calendar

    day = today or timezone.localdate()
    calendar = get_calendar()
    cols = [Col("办件编号"), Col("服务事项"), Col("受理机构"), Col("承办人"), Col("状态"), Col("预警"),
            Col("收件日期", "date"), Col("受理日期", "date"), Col("办结日期", "date"), Col("承诺期限", "date"),
            Col("法定期限", "date"), Col("办理工作日", "int"), Col("超期工作日", "int")]
    rows = []
    for f in facts:
        case = f.case
        late = None
        if f.status in selectors.RUNNING and f.promised_due:
            left = countdown(due=f.promised_due, on=day, suspended_since=case.suspended_since)
            late = left.overdue_working_days if left.overdue else None
        elif f.on_time_promised is False and f.promised_due and f.closed_on:
            late = calendar.working_days_between(f.promised_due, f.closed_on)
        warning = WARNING_LABELS.get(f.warning, "") if f.status in selectors.RUNNING else ""
        rows.append([
            Cell(case.reference, case_url(case)), f"{f.item_name}（{f.item_code}）", f.office.name, _officer(f),
            STATUS_LABELS.get(f.status, f.status), Cell(warning, css=f"warn-{f.warning}" if warning else ""),
            f.received_on, f.accepted_on, f.closed_on, f.promised_due, f.legal_due, f.handling_wd, late,
        ])
    return Table(name, title, cols, rows)


def findings_table(findings: Iterable[Finding]) -> Table:
    cols = [Col("发生日期", "date"), Col("问题类型"), Col("严重程度"), Col("办件编号"), Col("经办机构"), Col("业务编号"),
            Col("问题描述"), Col("督办")]
    rows = []
    for f in findings:
        order_href = reverse("supervision:order_new") + "?" + urlencode({"finding": f.pk})
        rows.append([f.found_on, f.get_kind_display(), Cell("★" * f.severity, css=f"sev-{f.severity}"),
                     Cell(f.case.reference, case_url(f.case)), f.office.name, f.item_code, f.detail,
                     Cell("发督办单", order_href, css="nowrap")])
    return Table("findings", "合规检查发现的问题", cols, rows,
                 note="对照办件受理时所依据的办事指南版本：材料清单、法定与承诺时限、运行流程、一次性告知。")


def orders_table(orders: Iterable[SupervisionOrder], *, today: date | None = None) -> Table:
    day = today or timezone.localdate()
    cols = [Col("督办单号"), Col("督办等级"), Col("督办事项"), Col("责任机构"), Col("关联办件"), Col("签发日期", "date"),
            Col("回复期限", "date"), Col("状态")]
    rows = []
    for o in orders:
        overdue = o.status == "issued" and o.reply_due < day
        status = o.get_status_display() + ("（逾期未回复）" if overdue else "")
        rows.append([Cell(o.number, reverse("supervision:order_detail", args=[o.number])),
                     Cell(OrderLevel(o.level).label, css=f"level-{o.level}"), o.subject, o.office.name,
                     o.case.reference if o.case else "", timezone.localdate(o.issued_at), o.reply_due,
                     Cell(status, css="warn-red" if overdue else f"order-{o.status}")])
    return Table("orders", "督办单", cols, rows)


def finding_kind_table(counts: dict[str, int], filters: Filters) -> Table:
    cols = [Col("问题类型"), Col("件数", "int")]
    base = reverse("supervision:findings")
    rows = [[label, Cell(counts.get(kind, 0), f"{base}?{urlencode(filters.params(kind=kind))}"
                         if counts.get(kind) else "")]
            for kind, label in FindingKind.choices]
    return Table("finding_kinds", "合规问题（按类型）", cols, rows)
