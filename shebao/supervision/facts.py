"""Keeping ``CaseFact`` and ``Finding`` in step with the cases.

``case_facts_refresh`` is idempotent: it finds the stale cases in SQL (no fact yet, the case's
``lock_version`` moved since the fact was computed, the warning level changed, or an open case is
overdue and was last looked at before today), recomputes their facts and findings in chunks,
and upserts them. Running it twice changes nothing the second time. The per-case work is the
calendar arithmetic SQL cannot do; the dashboards then aggregate the facts in the database.

Besides ``shebao tick`` (``services.supervision_tick``), ``facts_catch_up`` refreshes the facts of
the cases with new timeline events before every supervision read, so the dashboard is live. Every
write of a fact also moves the monthly roll-up (``rollup.py``) in the same transaction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Count, Exists, F, IntegerField, Max, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from shebao.cases.models import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    Case,
    CaseEvent,
    CaseMaterial,
    CaseResult,
    CaseStatus,
    CaseStep,
    Channel,
    Notice,
    NoticeKind,
    StepStatus,
)
from shebao.catalog.models import Material
from shebao.workdays import WorkCalendar, get_calendar
from shebao.workdays.errors import DateOutOfRange

from . import rollup
from .models import CaseFact, Finding, FindingKind, RefreshState

CHUNK = 1000
NOTICE_WORKING_DAYS = 5  # 行政许可法第三十二条: 一次性告知 on the spot or within five days
RUNNING = (CaseStatus.ACCEPTED, CaseStatus.SUSPENDED)
FACT_FIELDS = [
    "case_version", "office", "item_code", "item_name", "officer", "channel", "status", "warning", "result",
    "received_on", "accepted_on", "closed_on", "legal_due", "promised_due", "handling_wd", "suspended_wd",
    "on_time_promised", "on_time_legal", "had_incomplete_notice", "incomplete_notices", "deemed_accepted",
    "suspended", "extended", "rating", "refreshed_at",
]


@dataclass
class RefreshResult:
    facts: int = 0
    findings_added: int = 0
    findings_removed: int = 0

    def line(self) -> str:
        return (f"supervision facts refreshed: {self.facts}; findings added: {self.findings_added}, "
                f"removed: {self.findings_removed}")


def _local(moment: datetime | None) -> date | None:
    return timezone.localdate(moment) if moment is not None else None


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


RECENTLY_CLOSED_DAYS = 7  # closed cases still watched by the quick pass (ratings come after 办结)


def stale_case_ids(*, today: date, since: datetime | None = None, full: bool = True) -> list[int]:
    """Cases whose fact is missing or out of date, found in one SQL query.

    ``full``: every case is compared with its fact (a scan of the case table). Otherwise only the
    candidates a change can touch, each found through an index: cases newer than the newest fact,
    open cases, facts still open, and facts closed in the last ``RECENTLY_CLOSED_DAYS``."""
    fact = CaseFact.objects.filter(case=OuterRef("pk"))
    current = fact.filter(case_version=OuterRef("lock_version"), warning=OuterRef("warning"))
    looked_today = fact.filter(refreshed_at__gte=_start_of(today))
    overdue_open = Q(status__in=RUNNING) & (Q(warning="red") | Q(legal_due__lt=today) | Q(promised_due__lt=today))
    cases = Case.objects.all()
    if since is not None:
        cases = cases.filter(pk__in=CaseEvent.objects.filter(at__gte=since).values("case_id"))
    if not full:
        # Each candidate set through its own index; an OR of them would make SQLite scan the table.
        newest = CaseFact.objects.aggregate(newest=Max("case_id"))["newest"] or 0
        candidates = set(Case.objects.filter(pk__gt=newest).values_list("pk", flat=True))
        candidates.update(Case.objects.filter(status__in=OPEN_STATUSES).values_list("pk", flat=True))
        candidates.update(CaseFact.objects.filter(status__in=OPEN_STATUSES).values_list("case_id", flat=True))
        candidates.update(CaseFact.objects.filter(
            status__in=CLOSED_STATUSES, closed_on__gte=today - timedelta(days=RECENTLY_CLOSED_DAYS),
        ).values_list("case_id", flat=True))
        stale_ids: list[int] = []
        ordered = sorted(candidates)
        for start in range(0, len(ordered), 5000):
            part = cases.filter(pk__in=ordered[start:start + 5000])
            stale_ids += part.filter(~Exists(current) | (overdue_open & ~Exists(looked_today))) \
                .values_list("pk", flat=True)
        return sorted(stale_ids)
    stale = cases.filter(~Exists(current) | (overdue_open & ~Exists(looked_today)))
    return list(stale.order_by("pk").values_list("pk", flat=True))


def case_facts_refresh(
    *, since: datetime | None = None, today: date | None = None, case_ids: Iterable[int] | None = None,
    full: bool | None = None,
) -> RefreshResult:
    """Recompute the facts (and compliance findings) of every stale case; idempotent.

    ``since`` limits the search to cases with a timeline event at or after that moment;
    ``case_ids`` refreshes exactly those cases (the live path). ``full`` compares every case with
    its fact; by default that happens on the first run of each day, and later runs that day take
    the quick, index-only pass."""
    day = today or timezone.localdate()
    last_full = RefreshState.objects.filter(name="facts_full").first()
    if full is None:
        full = last_full is None or last_full.detail.get("today", "") < day.isoformat()
    ids = sorted(set(case_ids)) if case_ids is not None else stale_case_ids(today=day, since=since, full=full)
    result = RefreshResult()
    calendar = get_calendar()
    for start in range(0, len(ids), CHUNK):
        with transaction.atomic():
            _refresh_chunk(ids[start:start + CHUNK], day=day, calendar=calendar, result=result)
    if case_ids is None:
        state = {"at": timezone.now(), "detail": {"today": day.isoformat(), "facts": result.facts, "full": full}}
        RefreshState.objects.update_or_create(name="facts", defaults=state)
        if full and since is None:
            RefreshState.objects.update_or_create(name="facts_full", defaults=state)
    return result


# --------------------------------------------------------------------------- one chunk


def _chunk_rows(ids: Sequence[int]) -> list[dict[str, Any]]:
    incomplete = (Notice.objects.filter(case=OuterRef("pk"), kind=NoticeKind.INCOMPLETE).order_by()
                  .values("case").annotate(n=Count("pk")).values("n"))
    refuser = Notice.objects.filter(case=OuterRef("pk"), kind=NoticeKind.REFUSAL).values("issued_by")[:1]
    return list(
        Case.objects.filter(pk__in=ids).order_by().annotate(
            n_incomplete=Coalesce(Subquery(incomplete, output_field=IntegerField()), 0),
            refused_by_id=Subquery(refuser),
            score=F("rating__score"),
            was_extended=Exists(CaseEvent.objects.filter(case=OuterRef("pk"), action="extended")),
            item_code=F("item__code"), item_name=F("item__name"),
        ).values(
            "pk", "lock_version", "org_unit_id", "item_id", "item_code", "item_name", "accepted_by_id",
            "submitted_by_id", "channel", "status", "warning", "result", "submitted_at", "accepted_at",
            "closed_at", "deemed_accepted", "legal_due", "promised_due", "event_dates", "suspended_since",
            "suspended_days", "n_incomplete", "refused_by_id", "score", "was_extended", "number",
        )
    )


def _working_days(calendar: WorkCalendar, start: date, end: date) -> int:
    try:
        return calendar.working_days_between(start, end)
    except DateOutOfRange:
        return (end - start).days


def suspended_working_days(calendar: WorkCalendar, intervals: Iterable[Sequence[str]]) -> int:
    """Working days of closed suspensions: from the day of 中止 to the day before resumption
    (the same count ``case_resume`` moves the due dates by)."""
    total = 0
    for start_text, end_text in intervals:
        start, resumed = date.fromisoformat(start_text), date.fromisoformat(end_text)
        if resumed > start:
            total += _working_days(calendar, start - timedelta(days=1), resumed - timedelta(days=1))
    return total


def _fact(row: dict[str, Any], *, calendar: WorkCalendar, now: datetime) -> CaseFact:
    received = _local(row["submitted_at"])
    assert received is not None
    accepted = received if row["deemed_accepted"] else _local(row["accepted_at"])
    closed = _local(row["closed_at"])
    completed = row["status"] == CaseStatus.COMPLETED
    paused = suspended_working_days(calendar, row["suspended_days"])
    handling = None
    if completed and accepted is not None and closed is not None:
        clock = row["event_dates"].get("accepted")
        start = date.fromisoformat(clock) if clock else accepted
        handling = max(0, _working_days(calendar, start, closed) - paused)
    officer = row["accepted_by_id"] or row["refused_by_id"]
    if officer is None and row["channel"] == Channel.COUNTER:
        officer = row["submitted_by_id"]
    return CaseFact(
        case_id=row["pk"], case_version=row["lock_version"], office_id=row["org_unit_id"],
        item_code=row["item_code"], item_name=row["item_name"], officer_id=officer, channel=row["channel"],
        status=row["status"], warning=row["warning"], result=row["result"], received_on=received,
        accepted_on=accepted, closed_on=closed, legal_due=row["legal_due"], promised_due=row["promised_due"],
        handling_wd=handling, suspended_wd=paused,
        on_time_promised=(closed <= row["promised_due"]) if completed and closed and row["promised_due"] else None,
        on_time_legal=(closed <= row["legal_due"]) if completed and closed and row["legal_due"] else None,
        had_incomplete_notice=row["n_incomplete"] > 0, incomplete_notices=min(row["n_incomplete"], 32767),
        deemed_accepted=row["deemed_accepted"], suspended=bool(row["suspended_days"] or row["suspended_since"]),
        extended=row["was_extended"], rating=row["score"], refreshed_at=now,
    )


def _refresh_chunk(ids: Sequence[int], *, day: date, calendar: WorkCalendar, result: RefreshResult) -> None:
    rows = _chunk_rows(ids)
    if not rows:
        return
    now = timezone.now()
    facts = [_fact(row, calendar=calendar, now=now) for row in rows]
    # The monthly roll-up moves with the facts, exactly: under its lock, read the facts being
    # replaced, write the new ones, add new − old (rollup.py states the invariant).
    rollup.lock()
    old = CaseFact.objects.filter(case_id__in=[f.case_id for f in facts]).values(*rollup.FACT_COLUMNS)
    delta = rollup.replace_facts_delta(old, (rollup.as_row(f) for f in facts))
    CaseFact.objects.bulk_create(facts, update_conflicts=True, unique_fields=["case"], update_fields=FACT_FIELDS)
    rollup.apply(delta)
    result.facts += len(facts)
    found = _findings(rows, day=day, calendar=calendar)
    _sync_findings(rows, found, day=day, result=result)


# --------------------------------------------------------------------------- compliance findings

_Found = dict[tuple[int, str, str], tuple[str, date]]


def _late_detail(calendar: WorkCalendar, label: str, due: date, until: date, done: bool) -> str:
    late = max(1, _working_days(calendar, due, until))
    when = f"于{until:%Y-%m-%d}办结" if done else "至今未办结"
    return f"{label}至{due:%Y-%m-%d}，{when}，超出{late}个工作日"


def _findings(rows: list[dict[str, Any]], *, day: date, calendar: WorkCalendar) -> _Found:
    ids = [row["pk"] for row in rows]
    found: _Found = {}
    notices: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for notice_row in Notice.objects.filter(case_id__in=ids, kind=NoticeKind.INCOMPLETE) \
            .order_by("issued_at", "id").values("case_id", "number", "issued_at", "content"):
        notices[notice_row["case_id"]].append(dict(notice_row))
    steps: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for step_row in CaseStep.objects.filter(case_id__in=ids).order_by("position").values(
            "case_id", "key", "name", "status", "due", "completed_at", "auto"):
        steps[step_row["case_id"]].append(dict(step_row))
    foreign: dict[int, list[str]] = defaultdict(list)
    for cm in CaseMaterial.objects.filter(case_id__in=ids).exclude(material__item_id=F("case__item_id")) \
            .values("case_id", "text"):
        foreign[cm["case_id"]].append(cm["text"])
    guide_materials: dict[int, set[int]] = defaultdict(set)
    for mid, item_id in Material.objects.filter(item_id__in={row["item_id"] for row in rows}) \
            .values_list("id", "item_id"):
        guide_materials[item_id].add(mid)

    for row in rows:
        pk = row["pk"]
        status = row["status"]
        closed = _local(row["closed_at"])
        completed = status == CaseStatus.COMPLETED
        running = status in RUNNING
        counted = day
        if row["suspended_since"] is not None and row["suspended_since"] <= day:
            counted = row["suspended_since"] - timedelta(days=1)  # the clock stands still while suspended
        until = closed if completed else counted
        for kind, label, due in ((FindingKind.OVER_LEGAL, "法定时限", row["legal_due"]),
                                 (FindingKind.OVER_PROMISED, "承诺时限", row["promised_due"])):
            if due is not None and until is not None and (completed or running) and until > due:
                found[(pk, kind, "")] = (_late_detail(calendar, label, due, until, completed),
                                         until if completed else due + timedelta(days=1))
        for step in steps[pk]:
            if step["due"] is None or step["auto"]:
                continue
            done_on = _local(step["completed_at"]) if step["status"] == StepStatus.DONE else None
            if done_on is not None and done_on > step["due"]:
                late = _working_days(calendar, step["due"], done_on)
                found[(pk, FindingKind.STEP_OVERDUE, step["key"])] = (
                    f"环节“{step['name']}”应于{step['due']:%Y-%m-%d}前完成，实际{done_on:%Y-%m-%d}完成，"
                    f"超出{max(1, late)}个工作日", done_on)
            elif step["status"] == StepStatus.ACTIVE and running and counted > step["due"]:
                late = _working_days(calendar, step["due"], counted)
                found[(pk, FindingKind.STEP_OVERDUE, step["key"])] = (
                    f"环节“{step['name']}”应于{step['due']:%Y-%m-%d}前完成，至今未完成，超出{max(1, late)}个工作日",
                    step["due"] + timedelta(days=1))
        if completed and row["result"] == CaseResult.GRANTED:
            undone = [s["name"] for s in steps[pk] if s["status"] != StepStatus.DONE]
            if undone:
                found[(pk, FindingKind.STEP_SKIPPED, "")] = (
                    "办结（准予）时以下环节未办理：" + "、".join(undone), closed or day)
        received = _local(row["submitted_at"])
        assert received is not None
        listed = guide_materials[row["item_id"]]
        extra = [f"“{text[:30]}”" for text in foreign[pk]]
        extra_on = received
        for notice in notices[pk]:
            asked = [m for m in notice["content"].get("missing_ids", []) if m not in listed]
            if asked:
                extra.append(f"告知书{notice['number']}所列材料（编号 {', '.join(str(m) for m in asked)}）")
                extra_on = _local(notice["issued_at"]) or received
        if extra:
            found[(pk, FindingKind.EXTRA_MATERIAL, "")] = (
                "要求提交本事项指南（受理时版本）材料清单以外的材料：" + "；".join(extra), extra_on)
        if len(notices[pk]) > 1:
            found[(pk, FindingKind.SECOND_NOTICE, "")] = (
                f"同一申请出具了{len(notices[pk])}份一次性告知书：" + "、".join(n["number"] for n in notices[pk]),
                _local(notices[pk][1]["issued_at"]) or received)
        if notices[pk]:
            first_on = _local(notices[pk][0]["issued_at"])
            assert first_on is not None
            taken = _working_days(calendar, received, first_on)
            if taken > NOTICE_WORKING_DAYS:
                found[(pk, FindingKind.LATE_NOTICE, "")] = (
                    f"{received:%Y-%m-%d}收件，{first_on:%Y-%m-%d}才作出一次性告知（第{taken}个工作日），"
                    f"超过法定{NOTICE_WORKING_DAYS}个工作日", first_on)
        if row["deemed_accepted"]:
            found[(pk, FindingKind.DEEMED_ACCEPTED, "")] = (
                f"{received:%Y-%m-%d}收件后{NOTICE_WORKING_DAYS}个工作日内未受理也未一次性告知，依法自收件之日起视为受理",
                _local(row["accepted_at"]) or received)
    return found


def _sync_findings(rows: list[dict[str, Any]], found: _Found, *, day: date, result: RefreshResult) -> None:
    by_pk = {row["pk"]: row for row in rows}
    existing = {(f.case_id, f.kind, f.key): f for f in Finding.objects.filter(case_id__in=list(by_pk))}
    stale = [f.pk for key, f in existing.items() if key not in found]
    if stale:
        Finding.objects.filter(pk__in=stale).delete()
        result.findings_removed += len(stale)
    changed = []
    new = []
    for key, (detail, on) in found.items():
        if key in existing:
            if (existing[key].detail, existing[key].found_on) != (detail, on):
                existing[key].detail, existing[key].found_on = detail, on
                changed.append(existing[key])
            continue
        row = by_pk[key[0]]
        new.append(Finding(case_id=key[0], kind=key[1], key=key[2], office_id=row["org_unit_id"],
                           item_code=row["item_code"], detail=detail, found_on=on))
    if changed:
        Finding.objects.bulk_update(changed, ["detail", "found_on"])
    if new:
        Finding.objects.bulk_create(new, ignore_conflicts=True)
        result.findings_added += len(new)


# --------------------------------------------------------------------------- catch-up before reading

LIVE_STATE = "facts_live"
# Event ids are handed out when a row is inserted but become visible when its transaction commits,
# so a later id can be seen before an earlier one. Each catch-up looks this many ids behind its
# mark again; a transaction that stays open longer than that many events is left to the tick.
CATCH_UP_MARGIN = 1000


def facts_catch_up(*, today: date | None = None) -> RefreshResult:
    """Bring the facts up to date with the cases' timelines, just before they are read.

    Every case transition writes a ``CaseEvent``; the cases with events past the last mark whose
    fact is out of date (``lock_version`` or warning moved) are refreshed. The case services do
    no supervision work at all (that would cost a second transaction per transition); the
    dashboards and the supervision API call this first, so what they show is current. When
    nothing changed it costs a few indexed reads. ``shebao tick`` still reconciles everything."""
    state = RefreshState.objects.filter(name=LIVE_STATE).first()
    top = CaseEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    mark = int(state.detail.get("event_id", 0)) if state is not None else max(0, top - CATCH_UP_MARGIN)
    lower = max(0, min(mark, top) - CATCH_UP_MARGIN)
    candidates = sorted(set(CaseEvent.objects.filter(pk__gt=lower).values_list("case_id", flat=True)))
    result = RefreshResult()
    if candidates:
        current = CaseFact.objects.filter(case=OuterRef("pk"), case_version=OuterRef("lock_version"),
                                          warning=OuterRef("warning"))
        stale: list[int] = []
        for start in range(0, len(candidates), CHUNK):
            stale += Case.objects.filter(pk__in=candidates[start:start + CHUNK]).filter(~Exists(current)) \
                .values_list("pk", flat=True)
        if stale:
            result = case_facts_refresh(case_ids=stale, today=today)
    if state is None or mark != top:
        RefreshState.objects.update_or_create(name=LIVE_STATE, defaults={
            "at": timezone.now(), "detail": {"event_id": top}})
    return result
