"""Reads of supervision: every figure is aggregated in the database over ``CaseFact``.

Definitions (docs/supervision.md) for a period [date_from, date_to]:

* 收件 received: submitted in the period; 受理 accepted: accepted in the period (a deemed
  acceptance on its receipt date); 不予受理 refused and 办结 completed: closed so in the period.
* On-time rates: of the cases completed in the period that have such a limit, the share closed
  on or before the promised (resp. statutory) due date — the due dates as moved by 中止 and 延期.
* 超期 / 临期 now: running cases (办理中 or 中止) whose warning is red / yellow now.
* Handling time: working days from 受理 (the day itself not counted) to 办结, suspensions not
  counted; average and 90th percentile (nearest rank) of the cases completed in the period.
* 一次性告知 share: of the cases received in the period, those with a 一次性告知书.
* 好差评: scores of the cases completed in the period.

The same ``metric_q`` filters feed the aggregates and the drill-down lists, so a number and the
list behind it always agree.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db import connection
from django.db.models import Count, F, Q, QuerySet, Sum, Value
from django.db.models.functions import NullIf
from django.utils import timezone

from shebao.accounts.models import OrgUnit, StaffProfile
from shebao.accounts.selectors import org_unit_subtree_ids, user_org_unit, user_roles
from shebao.cases.models import CaseStatus
from shebao.catalog.models import ServiceItem
from shebao.core.errors import NotFound, ValidationFailed

from .models import (
    CaseFact,
    Finding,
    FindingKind,
    OrderStatus,
    RefreshState,
    RollupGrain,
    SummaryRollup,
    SupervisionOrder,
)
from .services import can_read_supervision

RUNNING = (CaseStatus.ACCEPTED, CaseStatus.SUSPENDED)
DIMENSIONS = {"office": "按机构", "item": "按事项", "officer": "按承办人"}
GROUP_FIELD = {"office": "office_id", "item": "item_code", "officer": "officer_id"}
METRICS = {
    "received": "收件", "accepted": "受理", "refused": "不予受理", "completed": "办结",
    "late_promised": "超承诺时限办结", "late_legal": "超法定时限办结", "overdue": "当前超期（红牌）",
    "yellow": "当前临期（黄牌）", "incomplete": "一次性告知", "rating1": "1分（非常不满意）", "rating2": "2分（不满意）",
    "rating3": "3分（基本满意）", "rating4": "4分（满意）", "rating5": "5分（非常满意）", "open": "在办",
    "deemed": "视为受理", "suspended": "有中止", "extended": "有延期",
}
MAX_RANGE_DAYS = 3 * 366


# --------------------------------------------------------------------------- filters


@dataclass(frozen=True)
class Filters:
    date_from: date
    date_to: date
    office: OrgUnit | None = None
    item_code: str = ""
    officer_id: int | None = None

    @property
    def span(self) -> tuple[date, date]:
        return (self.date_from, self.date_to)

    def params(self, **extra: Any) -> dict[str, str]:
        """The query-string form (for links and exports)."""
        out = {"from": self.date_from.isoformat(), "to": self.date_to.isoformat()}
        if self.office is not None:
            out["office"] = self.office.key
        if self.item_code:
            out["item"] = self.item_code
        if self.officer_id:
            out["officer"] = str(self.officer_id)
        out.update({k: str(v) for k, v in extra.items() if v not in (None, "")})
        return out


def default_period(today: date | None = None) -> tuple[date, date]:
    """This month up to today."""
    day = today or timezone.localdate()
    return day.replace(day=1), day


def _date(text: str | None, field_name: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValidationFailed(f"日期“{text}”格式应为 YYYY-MM-DD", field=field_name) from None


def parse_filters(params: Any, *, today: date | None = None) -> Filters:
    """From a query dict (``from``, ``to``, ``office`` key, ``item`` code, ``officer`` id)."""
    start, end = default_period(today)
    date_from = _date(params.get("from"), "from") or start
    date_to = _date(params.get("to"), "to") or end
    if date_to < date_from:
        raise ValidationFailed("结束日期不能早于开始日期", field="to")
    if (date_to - date_from).days > MAX_RANGE_DAYS:
        raise ValidationFailed("统计区间不能超过三年", field="from")
    office = None
    key = (params.get("office") or "").strip()
    if key:
        office = OrgUnit.objects.filter(key=key).first()
        if office is None:
            raise ValidationFailed(f"机构“{key}”不存在", field="office")
    officer_text = (params.get("officer") or "").strip()
    officer_id = None
    if officer_text:
        if not officer_text.isdigit():
            raise ValidationFailed("承办人参数无效", field="officer")
        officer_id = int(officer_text)
    return Filters(date_from, date_to, office, (params.get("item") or "").strip().upper(), officer_id)


def _filtered(rows: QuerySet[Any], filters: Filters) -> QuerySet[Any]:
    """Office (with the units under it), item and officer filters: the facts and the roll-up rows
    carry the same three columns."""
    if filters.office is not None:
        rows = rows.filter(office_id__in=org_unit_subtree_ids(filters.office))
    if filters.item_code:
        rows = rows.filter(item_code=filters.item_code)
    if filters.officer_id:
        rows = rows.filter(officer_id=filters.officer_id)
    return rows


def _scope(filters: Filters) -> QuerySet[CaseFact]:
    return _filtered(CaseFact.objects.all(), filters)


def metric_q(metric: str, filters: Filters) -> Q:
    span = filters.span
    received = Q(received_on__range=span)
    completed = Q(status=CaseStatus.COMPLETED, closed_on__range=span)
    if metric == "received":
        return received
    if metric == "accepted":
        return Q(accepted_on__range=span)
    if metric == "refused":
        return Q(status=CaseStatus.REFUSED, closed_on__range=span)
    if metric == "completed":
        return completed
    if metric == "late_promised":
        return completed & Q(on_time_promised=False)
    if metric == "late_legal":
        return completed & Q(on_time_legal=False)
    if metric == "overdue":
        return Q(status__in=RUNNING, warning="red")
    if metric == "yellow":
        return Q(status__in=RUNNING, warning="yellow")
    if metric == "open":
        return Q(status__in=[CaseStatus.SUBMITTED, CaseStatus.INCOMPLETE, *RUNNING])
    if metric == "incomplete":
        return received & Q(had_incomplete_notice=True)
    if metric == "deemed":
        return Q(accepted_on__range=span, deemed_accepted=True)
    if metric == "suspended":
        return completed & Q(suspended=True)
    if metric == "extended":
        return completed & Q(extended=True)
    if metric.startswith("rating") and metric[6:] in {"1", "2", "3", "4", "5"}:
        return completed & Q(rating=int(metric[6:]))
    raise ValidationFailed(f"统计口径“{metric}”无效", field="metric")


# --------------------------------------------------------------------------- summary


@dataclass
class Row:
    key: Any
    label: str
    sub: str = ""
    received: int = 0
    accepted: int = 0
    refused: int = 0
    completed: int = 0
    promised_base: int = 0
    promised_ok: int = 0
    legal_base: int = 0
    legal_ok: int = 0
    overdue: int = 0
    yellow: int = 0
    avg_wd: float | None = None
    p90_wd: int | None = None
    incomplete: int = 0
    ratings: list[int] = field(default_factory=lambda: [0, 0, 0, 0, 0])

    @staticmethod
    def _rate(ok: int, base: int) -> float | None:
        return round(100.0 * ok / base, 1) if base else None

    @property
    def promised_rate(self) -> float | None:
        return self._rate(self.promised_ok, self.promised_base)

    @property
    def legal_rate(self) -> float | None:
        return self._rate(self.legal_ok, self.legal_base)

    @property
    def incomplete_share(self) -> float | None:
        return self._rate(self.incomplete, self.received)

    @property
    def rated(self) -> int:
        return sum(self.ratings)

    @property
    def rating_avg(self) -> float | None:
        return round(sum((i + 1) * n for i, n in enumerate(self.ratings)) / self.rated, 2) if self.rated else None

    @property
    def good_share(self) -> float | None:
        """好评率: 4 and 5 of all rated."""
        return self._rate(self.ratings[3] + self.ratings[4], self.rated)

    @property
    def late_promised(self) -> int:
        return self.promised_base - self.promised_ok

    @property
    def late_legal(self) -> int:
        return self.legal_base - self.legal_ok


# --------------------------------------------------------------------------- whole months from the roll-up


@dataclass(frozen=True)
class Plan:
    """Where a period's figures come from: the whole months ``months`` (first days, inclusive)
    from the roll-up at ``grain``, and the days in ``spans`` directly from ``CaseFact``."""

    grain: str | None
    months: tuple[date, date] | None
    spans: tuple[tuple[date, date], ...]


def plan(filters: Filters, *, dim: str | None, use_rollup: bool = True) -> Plan:
    """The roll-up grain that keeps the grouping and every filter (``None``: read the facts), the
    whole months of the period, and the days outside them."""
    need = {dim} if dim else set()
    need |= {name for name, on in (("office", filters.office is not None), ("item", bool(filters.item_code)),
                                   ("officer", bool(filters.officer_id))) if on}
    grain: str | None = None
    if need <= {"item"}:
        grain = RollupGrain.ITEM
    elif need <= {"office", "officer"}:
        grain = RollupGrain.OFFICE_OFFICER
    elif need <= {"office", "item"}:
        grain = RollupGrain.OFFICE_ITEM
    first = filters.date_from if filters.date_from.day == 1 else _next_month(filters.date_from)
    last = _next_month(filters.date_to) - timedelta(days=1)
    if last != filters.date_to:
        last = filters.date_to.replace(day=1) - timedelta(days=1)
    if not use_rollup or grain is None or first > last:
        return Plan(None, None, (filters.span,))
    spans = []
    if filters.date_from < first:
        spans.append((filters.date_from, first - timedelta(days=1)))
    if last < filters.date_to:
        spans.append((last + timedelta(days=1), filters.date_to))
    return Plan(grain, (first, last.replace(day=1)), tuple(spans))


def _next_month(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


ROLLUP_GROUP = {"office": F("office_id"), "item": F("item_code"), "officer": NullIf(F("officer_id"), Value(0))}


def _rollup_rows(filters: Filters, how: Plan, dim: str | None) -> QuerySet[SummaryRollup]:
    assert how.grain is not None and how.months is not None
    return _filtered(SummaryRollup.objects.filter(grain=how.grain, month__range=how.months).order_by(), filters)


def _union(parts: list[QuerySet[Any]], keys: list[str], sums: list[str]) -> tuple[str, list[Any]]:
    """``SELECT keys, SUM(sums) FROM (part UNION ALL part …) GROUP BY keys`` — each part a
    ``values().annotate()`` query with those column names."""
    selects, params = [], []
    for part in parts:
        sql, part_params = part.query.sql_with_params()
        selects.append(f"SELECT {', '.join(f'p.{c}' for c in keys + sums)} FROM ({sql}) p")
        params += list(part_params)
    union = " UNION ALL ".join(selects)
    group = f" GROUP BY {', '.join(f'u.{k}' for k in keys)}" if keys else ""
    columns = [f"u.{k}" for k in keys] + [f"SUM(u.{c}) AS {c}" for c in sums]
    return f"SELECT {', '.join(columns)} FROM ({union}) u{group}", params


def _grouped(filters: Filters, how: Plan, dim: str, metric: str, **counts: Q | None) -> dict[Any, dict[str, int]]:
    """One figure per group in one statement: the whole months' roll-up counts (the counts row of
    each key) plus the facts of the days outside them. ``counts``: column → the facts' filter
    beyond the metric's (None: every fact of the metric)."""
    names = list(counts)
    columns = [f"c{i}" for i in range(len(names))]  # not the roll-up's own column names
    parts: list[QuerySet[Any]] = []
    if how.grain is not None:
        parts.append(_rollup_rows(filters, how, dim).filter(hw=SummaryRollup.COUNTS)
                     .values(g=ROLLUP_GROUP[dim]).annotate(**{c: Sum(n) for c, n in zip(columns, names, strict=True)}))
    for span in how.spans:
        part = replace(filters, date_from=span[0], date_to=span[1])
        parts.append(_scope(part).filter(metric_q(metric, part)).order_by().values(g=F(GROUP_FIELD[dim])).annotate(
            **{c: Count("office") if counts[n] is None else Count("office", filter=counts[n])
               for c, n in zip(columns, names, strict=True)}))
    sql, params = _union(parts, ["g"], columns)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {row[0]: {name: int(value or 0) for name, value in zip(names, row[1:], strict=True)}
                for row in cursor.fetchall()}


HISTOGRAM = ["hn", "pb", "pok", "lb", "lok", "q1", "q2", "q3", "q4", "q5"]  # not the roll-up's column names


def _histogram(filters: Filters, group: str | None, *, use_rollup: bool = True) -> list[dict[str, Any]]:
    """The completed cases of the period as a histogram per (group, handling time), with the
    90th percentile marked in SQL.

    The histogram is the whole months' roll-up rows (one per key and handling time) plus an
    ordinary GROUP BY (group, handling_wd) over the facts of the days outside them, summed per
    (group, handling time). Window functions over that histogram give, per group, the cumulative
    count up to each handling time (``cum``) and the group's total (``tot``), and the same over
    all groups (``cum_all``, ``tot_all``, with ``n_hw`` the count at that handling time across
    groups). The 90th percentile (nearest rank: the value at rank ceil(0.9·n)) is the bucket where
    the cumulative count first reaches 90 %: ``cum·10 ≥ tot·9`` and ``(cum − n)·10 < tot·9``.
    Integer arithmetic, standard window functions: the same SQL runs on SQLite (3.28+) and
    PostgreSQL, and sorts only the histogram's buckets, never the cases."""
    dim = next((d for d, f in GROUP_FIELD.items() if f == group), None) if group else None
    how = plan(filters, dim=dim, use_rollup=use_rollup)
    parts: list[QuerySet[Any]] = []
    if how.grain is not None:
        parts.append(
            _rollup_rows(filters, how, dim).exclude(hw=SummaryRollup.COUNTS)
            .values(g=ROLLUP_GROUP[dim] if dim else Value(0), hw_=NullIf(F("hw"), Value(SummaryRollup.NO_HW)))
            .annotate(hn=Sum("completed"), pb=Sum("promised_base"), pok=Sum("promised_ok"), lb=Sum("legal_base"),
                      lok=Sum("legal_ok"), **{f"q{s}": Sum(f"r{s}") for s in range(1, 6)}))
    for span in how.spans:
        part = replace(filters, date_from=span[0], date_to=span[1])
        parts.append(
            _scope(part).filter(metric_q("completed", part)).order_by()
            .values(g=F(group) if group else Value(0), hw_=F("handling_wd"))
            .annotate(
                hn=Count("*"),
                pb=Count("office", filter=Q(on_time_promised__isnull=False)),
                pok=Count("office", filter=Q(on_time_promised=True)),
                lb=Count("office", filter=Q(on_time_legal__isnull=False)), lok=Count("office", filter=Q(on_time_legal=True)),
                **{f"q{s}": Count("office", filter=Q(rating=s)) for s in range(1, 6)},
            ))
    sql, params = _union(parts, ["g", "hw_"], HISTOGRAM)
    columns = ["g", "hw", "n", "pb", "pok", "lb", "lok", "r1", "r2", "r3", "r4", "r5"]
    query = (
        "SELECT w.g, w.hw, w.n, w.pb, w.pok, w.lb, w.lok, w.r1, w.r2, w.r3, w.r4, w.r5,"
        " CASE WHEN w.cum * 10 >= w.tot * 9 AND (w.cum - w.n) * 10 < w.tot * 9 THEN 1 ELSE 0 END,"
        " CASE WHEN w.cum_all * 10 >= w.tot_all * 9 AND (w.cum_all - w.n_hw) * 10 < w.tot_all * 9 THEN 1 ELSE 0 END"
        " FROM (SELECT h.*,"
        " SUM(h.n) OVER (PARTITION BY h.g ORDER BY h.hw) AS cum,"
        " SUM(h.n) OVER (PARTITION BY h.g) AS tot,"
        " SUM(h.n) OVER (ORDER BY h.hw) AS cum_all,"
        " SUM(h.n) OVER () AS tot_all,"
        " SUM(h.n) OVER (PARTITION BY h.hw) AS n_hw"
        f" FROM (SELECT b.g, b.hw_ AS hw, {', '.join(f'b.{c} AS {o}' for c, o in zip(HISTOGRAM, columns[2:], strict=True))}"
        f" FROM ({sql}) b) h) w"
    )
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        rows = cursor.fetchall()
    out = []
    for row in rows:
        values = dict(zip(columns, row[:12], strict=True))
        for name in columns[1:]:
            values[name] = int(values[name]) if values[name] is not None else None
        values["p90"], values["p90_all"] = bool(row[12]), bool(row[13])
        out.append(values)
    return out


def p90_handling(filters: Filters, group: str | None) -> dict[Any, int]:
    """90th percentile of the handling time (nearest rank) per group, or overall under None."""
    out: dict[Any, int] = {}
    for bucket in _histogram(filters, group):
        if bucket["p90"]:
            out[bucket["g"] if group else None] = bucket["hw"]
    return out


def _labels(dim: str, keys: Iterable[Any]) -> dict[Any, tuple[str, str]]:
    keys = [k for k in keys if k is not None]
    if dim == "office":
        return {u.pk: (u.name, u.get_level_display()) for u in OrgUnit.objects.filter(pk__in=keys)}
    if dim == "officer":
        labels: dict[Any, tuple[str, str]] = {
            u.pk: (u.get_full_name() or u.username, "") for u in User.objects.filter(pk__in=keys)}
        for p in StaffProfile.objects.filter(user_id__in=keys).select_related("org_unit"):
            labels[p.user_id] = (p.display_name, p.org_unit.name)
        return labels
    if dim == "item":
        names: dict[Any, tuple[str, str]] = {}
        for code, name in ServiceItem.objects.filter(code__in=keys).order_by("version__number") \
                .values_list("code", "name"):
            names[code] = (name, code)  # the newest version's name wins
        return names
    return {}


def summary(filters: Filters, *, dim: str = "office", use_rollup: bool = True) -> tuple[Row, list[Row]]:
    """The totals and one row per office / item / officer (ordered by volume).

    Five queries, each on the index of its own date (收件, 受理, 不予受理, the completed-cases
    histogram with the p90 windows, the running red/yellow cases); the totals are the sums of the
    groups, except the overall p90, which the histogram query marks too. The whole months of the
    period are read from the monthly roll-up (``rollup.py``), the other days from the facts, in
    the same statement; ``use_rollup=False`` reads everything from the facts (the same figures:
    tested)."""
    if dim not in GROUP_FIELD:
        raise ValidationFailed(f"分组维度“{dim}”无效，可选 office/item/officer", field="dim")
    group = GROUP_FIELD[dim]
    how = plan(filters, dim=dim, use_rollup=use_rollup)
    received = _grouped(filters, how, dim, "received", received=None, incomplete=Q(had_incomplete_notice=True))
    accepted = _grouped(filters, how, dim, "accepted", accepted=None)
    refused = _grouped(filters, how, dim, "refused", refused=None)
    # A snapshot of the running cases, not limited to the period: always from the facts.
    running = {row.pop("g"): row for row in _scope(filters).filter(status__in=RUNNING, warning__in=["red", "yellow"])
               .order_by().values(g=F(group)).annotate(overdue=Count("office", filter=Q(warning="red")),
                                                       yellow=Count("office", filter=Q(warning="yellow")))}
    rows: dict[Any, Row] = {}

    def row_for(key: Any) -> Row:
        if key not in rows:
            rows[key] = Row(key=key, label="")
        return rows[key]

    for table in (received, accepted, refused, running):
        for key, values in table.items():
            row = row_for(key)
            for name, value in values.items():
                setattr(row, name, value or 0)
    totals = Row(key=None, label="合计")
    handling_sum: dict[Any, int] = {}
    for bucket in _histogram(filters, group, use_rollup=use_rollup):
        row = row_for(bucket["g"])
        for target in (row, totals):
            target.completed += bucket["n"]
            target.promised_base += bucket["pb"]
            target.promised_ok += bucket["pok"]
            target.legal_base += bucket["lb"]
            target.legal_ok += bucket["lok"]
            for score in range(5):
                target.ratings[score] += bucket[f"r{score + 1}"]
        hw = bucket["hw"] or 0
        handling_sum[bucket["g"]] = handling_sum.get(bucket["g"], 0) + hw * bucket["n"]
        handling_sum["__all__"] = handling_sum.get("__all__", 0) + hw * bucket["n"]
        if bucket["p90"]:
            row.p90_wd = bucket["hw"]
        if bucket["p90_all"]:
            totals.p90_wd = bucket["hw"]
    for key, row in rows.items():
        if row.completed:
            row.avg_wd = handling_sum.get(key, 0) / row.completed
        for name in ("received", "accepted", "refused", "overdue", "yellow", "incomplete"):
            setattr(totals, name, getattr(totals, name) + getattr(row, name))
    if totals.completed:
        totals.avg_wd = handling_sum["__all__"] / totals.completed
    labels = _labels(dim, rows)
    for key, row in rows.items():
        if dim == "item":
            row.label, row.sub = labels.get(key, (key, ""))[0], key
        elif key is None:
            row.label, row.sub = "（系统/未分配）", "视为受理等"
        else:
            row.label, row.sub = labels.get(key, (str(key), ""))
    # The key last: two officers can share a display name; the order must not depend on the plan.
    ordered = sorted(rows.values(), key=lambda r: (-(r.received + r.completed + r.overdue), r.label, str(r.key)))
    return totals, ordered


# --------------------------------------------------------------------------- trend


@dataclass
class TrendPoint:
    label: str
    start: date
    end: date
    received: int = 0
    completed: int = 0
    on_time: int = 0
    rated_base: int = 0

    @property
    def rate(self) -> float | None:
        return round(100.0 * self.on_time / self.rated_base, 1) if self.rated_base else None


def trend(filters: Filters, *, use_rollup: bool = True) -> tuple[str, list[TrendPoint]]:
    """Received and completed per day (ranges up to 62 days) or per month, with the promised
    on-time rate of each bucket. Per month, the whole months come from the monthly roll-up (a few
    rows per month whatever the number of cases) and the days of a cut month from the facts;
    ``use_rollup=False`` reads everything from the facts (tests compare the two)."""
    daily = (filters.date_to - filters.date_from).days <= 62
    points: list[TrendPoint] = []
    if daily:
        day = filters.date_from
        while day <= filters.date_to:
            points.append(TrendPoint(f"{day.month}/{day.day}", day, day))
            day += timedelta(days=1)
    else:
        month = filters.date_from.replace(day=1)
        while month <= filters.date_to:
            nxt = (month + timedelta(days=32)).replace(day=1)
            points.append(TrendPoint(f"{month.year}-{month.month:02d}", max(month, filters.date_from),
                                     min(nxt - timedelta(days=1), filters.date_to)))
            month = nxt
    # Counted per day (or month) in SQL, then put into the buckets here: at most a few hundred
    # rows whatever the number of cases.
    bucket_of: dict[date, TrendPoint] = {}
    for bucket in points:
        day = bucket.start
        while day <= bucket.end:
            bucket_of[day] = bucket
            day += timedelta(days=1)
    how = plan(filters, dim=None, use_rollup=use_rollup and not daily)
    if how.grain is not None:
        rows = _rollup_rows(filters, how, None)
        for row in rows.filter(hw=SummaryRollup.COUNTS).values("month").annotate(n=Sum("received")):
            bucket_of[row["month"]].received += row["n"] or 0
        for row in rows.exclude(hw=SummaryRollup.COUNTS).values("month").annotate(
                n=Sum("completed"), ok=Sum("promised_ok"), base=Sum("promised_base")):
            point = bucket_of[row["month"]]
            point.completed += row["n"] or 0
            point.on_time += row["ok"] or 0
            point.rated_base += row["base"] or 0
    for span in how.spans:
        _trend_from_facts(replace(filters, date_from=span[0], date_to=span[1]), bucket_of)
    return ("day" if daily else "month"), points


def _trend_from_facts(filters: Filters, bucket_of: dict[date, TrendPoint]) -> None:
    """Add the facts of ``filters``' period to the trend's buckets (streaming along the date
    indexes, no sort)."""
    scope = _scope(filters)
    for row in (scope.filter(metric_q("received", filters)).order_by().values("received_on")
                .annotate(n=Count("*"))):
        point = bucket_of.get(row["received_on"])
        if point:
            point.received += row["n"]
    for row in (scope.filter(metric_q("completed", filters)).order_by().values("closed_on").annotate(
            n=Count("*"), ok=Count("office", filter=Q(on_time_promised=True)),
            base=Count("office", filter=Q(on_time_promised__isnull=False)))):
        point = bucket_of.get(row["closed_on"])
        if point:
            point.completed += row["n"]
            point.on_time += row["ok"]
            point.rated_base += row["base"]


# --------------------------------------------------------------------------- drill-down and lists


def drill_down(filters: Filters, *, metric: str, dim: str = "", key: str = "") -> QuerySet[CaseFact]:
    """The cases behind one number: the metric's filter plus the row's group."""
    facts = _scope(filters).filter(metric_q(metric, filters))
    if dim and key:
        if dim == "office":
            facts = facts.filter(office_id=int(key)) if key.isdigit() else facts.filter(office__key=key)
        elif dim == "item":
            facts = facts.filter(item_code=key)
        elif dim == "officer":
            facts = facts.filter(officer_id=int(key)) if key.isdigit() else facts.filter(officer__isnull=True)
        else:
            raise ValidationFailed(f"分组维度“{dim}”无效", field="dim")
    if metric in {"overdue", "yellow", "open"}:
        order = ["promised_due", "case_id"]
    elif metric in {"received", "incomplete"}:
        order = ["-received_on", "-case_id"]
    elif metric in {"accepted", "deemed"}:
        order = ["-accepted_on", "-case_id"]
    else:
        order = ["-closed_on", "-case_id"]
    return facts.select_related("case", "office", "officer", "officer__staff_profile").order_by(*order)


def warning_lists(filters: Filters) -> QuerySet[CaseFact]:
    """Running cases that are red or yellow now, reddest and most overdue first."""
    return (_scope(filters).filter(status__in=RUNNING, warning__in=["red", "yellow"])
            .select_related("case", "office", "officer", "officer__staff_profile")
            .order_by(F("warning").asc(), "promised_due", "case_id"))


def warnings_by_office(filters: Filters) -> list[dict[str, Any]]:
    rows = list(_scope(filters).filter(status__in=RUNNING).order_by().values("office_id").annotate(
        red=Count("office", filter=Q(warning="red")), yellow=Count("office", filter=Q(warning="yellow")),
        running=Count("*")).filter(Q(red__gt=0) | Q(yellow__gt=0)))
    names = _labels("office", (r["office_id"] for r in rows))
    for r in rows:
        r["name"] = names.get(r["office_id"], ("", ""))[0]
    rows.sort(key=lambda r: (-r["red"], -r["yellow"], r["name"]))
    return rows


def finding_list(filters: Filters, *, kind: str = "") -> QuerySet[Finding]:
    findings = Finding.objects.select_related("case", "office")
    if kind:
        if kind not in FindingKind.values:
            raise ValidationFailed(f"问题类型“{kind}”无效", field="kind")
        findings = findings.filter(kind=kind)
    if filters.office is not None:
        findings = findings.filter(office_id__in=org_unit_subtree_ids(filters.office))
    if filters.item_code:
        findings = findings.filter(item_code=filters.item_code)
    return findings.filter(found_on__range=filters.span)


def finding_counts(filters: Filters) -> dict[str, int]:
    counts = {k: 0 for k in FindingKind.values}
    for row in finding_list(filters).order_by().values("kind").annotate(n=Count("pk")):
        counts[row["kind"]] = row["n"]
    return counts


def last_refresh() -> RefreshState | None:
    return RefreshState.objects.filter(name="facts").first()


# --------------------------------------------------------------------------- orders


def visible_orders(user: object) -> QuerySet[SupervisionOrder]:
    """Supervisors and admins see every order; office staff the orders addressed to their office
    (a district office also those of its street windows)."""
    orders = SupervisionOrder.objects.select_related("office", "case", "issued_by")
    if can_read_supervision(user):
        return orders
    unit = user_org_unit(user)
    if unit is None or not user_roles(user):
        return orders.none()
    return orders.filter(Q(office=unit) | Q(office__parent=unit))


def order_get(*, user: object, number: str) -> SupervisionOrder:
    order = visible_orders(user).filter(number=number).first()
    if order is None:
        raise NotFound("督办单不存在，或您无权查看", field="number")
    return order


def order_list(*, user: object, status: str = "", overdue_only: bool = False,
               today: date | None = None) -> QuerySet[SupervisionOrder]:
    orders = visible_orders(user)
    if status:
        if status not in OrderStatus.values:
            raise ValidationFailed(f"状态“{status}”无效", field="status")
        orders = orders.filter(status=status)
    if overdue_only:
        orders = orders.filter(status=OrderStatus.ISSUED, reply_due__lt=today or timezone.localdate())
    return orders


def order_counts(*, user: object, today: date | None = None) -> dict[str, int]:
    day = today or timezone.localdate()
    return visible_orders(user).aggregate(
        issued=Count("pk", filter=Q(status=OrderStatus.ISSUED)),
        replied=Count("pk", filter=Q(status=OrderStatus.REPLIED)),
        closed=Count("pk", filter=Q(status=OrderStatus.CLOSED)),
        overdue=Count("pk", filter=Q(status=OrderStatus.ISSUED, reply_due__lt=day)),
        escalated=Count("pk", filter=Q(level__gt=1) & ~Q(status=OrderStatus.CLOSED)),
    )


def month_filters(month: str | None, *, today: date | None = None) -> Filters:
    """``YYYY-MM`` → the whole month (the current month up to today)."""
    day = today or timezone.localdate()
    if month:
        try:
            year, mon = (int(part) for part in month.split("-"))
            start = date(year, mon, 1)
        except ValueError:
            raise ValidationFailed(f"月份“{month}”格式应为 YYYY-MM", field="month") from None
    else:
        start = day.replace(day=1)
    end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return Filters(start, end)

