"""Scheduled work for cases, run by ``shebao tick``. Every job is idempotent and safe to run
from several hosts at once: each change is a guarded transition (compare-and-set), and batches
are unique per (office, step, cut-off day).

Jobs:
* deemed acceptance of online applications left without 一次性告知 for 5 working days;
* monthly batches: active batch steps whose cut-off day has come are sent as one batch per office;
* automatic steps that are due (next-day arrival confirmation, month close), and those with no
  due date at once (网上办事大厅自助办理);
* warning levels (yellow / red) against the nearest due date;
* the registry's monthly runs (payables, payroll, 年审 suspension and resumption, uprating: shebao.registry.runs).

``shebao tick`` runs inside ``tick_lock()`` (a PostgreSQL advisory lock, or a file lock beside the
SQLite database), so two hosts starting it at once take turns instead of racing.
"""

from __future__ import annotations

import calendar as pycalendar
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from shebao.core.errors import Conflict
from shebao.core.locks import exclusive

from . import services
from .models import Batch, Case, CaseStatus, CaseStep, StepStatus

SYSTEM_EVENTS_AT_MONTH_END = {"month_closed"}


@dataclass
class TickReport:
    now: datetime
    deemed_accepted: list[str] = field(default_factory=list)
    batches: list[str] = field(default_factory=list)
    auto_steps: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    registry_runs: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        return [
            f"tick at {self.now.isoformat()}",
            f"deemed accepted: {len(self.deemed_accepted)} {' '.join(self.deemed_accepted)}".rstrip(),
            f"batches sent: {len(self.batches)} {' '.join(self.batches)}".rstrip(),
            f"automatic steps done: {len(self.auto_steps)} {' '.join(self.auto_steps)}".rstrip(),
            f"warnings changed: {len(self.warnings)} {' '.join(self.warnings)}".rstrip(),
            *(f"registry {line}" for line in self.registry_runs),
        ]


def _month_end(day: date) -> date:
    return day.replace(day=pycalendar.monthrange(day.year, day.month)[1])


def _send_batches(today: date, report: TickReport) -> None:
    due_steps = (
        CaseStep.objects.filter(status=StepStatus.ACTIVE, kind="batch", auto=True, due__lte=today,
                                case__status=CaseStatus.ACCEPTED)
        .select_related("case__org_unit")
        .order_by("case__org_unit_id", "key", "due")
    )
    for step in due_steps:
        sender = step.org_unit or step.case.org_unit
        cutoff = step.due or today
        try:
            with transaction.atomic():
                batch, created = Batch.objects.get_or_create(
                    org_unit=sender, step_key=step.key, cutoff=cutoff, defaults={"sent_at": timezone.now()}
                )
        except IntegrityError:  # another host created it between our read and write
            batch, created = Batch.objects.get(org_unit=sender, step_key=step.key, cutoff=cutoff), False
        if created:
            report.batches.append(f"{sender.code}-{cutoff:%Y%m%d}-{step.key}")
        CaseStep.objects.filter(pk=step.pk, batch__isnull=True).update(batch=batch)
        _complete_automatically(step, report, note=f"随{cutoff:%Y年%m月}批次报送")


def _complete_automatically(step: CaseStep, report: TickReport, *, note: str) -> None:
    case = Case.objects.get(pk=step.case_id)
    try:
        services.system_step_complete(case=case, step_id=step.pk, note=note)
    except Conflict:
        return  # done by another host, or the case moved on
    report.auto_steps.append(f"{case.reference}:{step.key}")


def _run_auto_steps(today: date, report: TickReport) -> None:
    for step in CaseStep.objects.filter(status=StepStatus.ACTIVE, auto=True, case__status=CaseStatus.ACCEPTED) \
            .exclude(kind="batch").select_related("case"):
        if step.kind == "await" and step.event in SYSTEM_EVENTS_AT_MONTH_END:
            closed_on = _month_end(timezone.localdate(step.started_at or timezone.now()))
            if today > closed_on:
                case = Case.objects.get(pk=step.case_id)
                try:
                    services.case_record_event(case=case, actor=None, event=step.event, on=closed_on,
                                               note="月结（系统）")
                except Conflict:
                    continue
                report.auto_steps.append(f"{case.reference}:{step.key}")
            continue
        # A step with a due date waits for it (the next-day arrival confirmation); one without
        # (网上办事大厅自助办理, a summary the system generates) has nothing to wait for: it is done
        # at the first tick after it became active.
        if step.kind != "await" and (step.due is None or step.due <= today):
            _complete_automatically(step, report, note="系统自动办理")


def tick(*, now: datetime | None = None) -> TickReport:
    moment = now or timezone.now()
    today = timezone.localdate(moment)
    report = TickReport(now=moment)
    report.deemed_accepted = [c.reference for c in services.cases_deem_accepted(today=today)]
    _send_batches(today, report)
    _run_auto_steps(today, report)
    report.warnings = [f"{ref}={level}" for ref, level in services.cases_recompute_warnings(today=today)]
    from shebao.registry.runs import scheduled_runs  # the registry builds on cases, not the other way round

    report.registry_runs = [run.line() for run in scheduled_runs(today=today)]
    return report


TICK_LOCK = "shebao.tick"


@contextmanager
def tick_lock(*, timeout: float = 600.0) -> Iterator[float]:
    """Serialise scheduled work across processes and hosts: ``shebao tick`` started on two hosts at
    once runs one after the other (the second finds the work done). Yields the seconds waited.

    A wrapper, so ``tick`` itself (and what other apps add to it) stays a plain function."""
    with exclusive(TICK_LOCK, timeout=timeout) as waited:
        yield waited


def parse_now(text: str | None) -> datetime | None:
    if not text:
        return None
    moment = datetime.fromisoformat(text)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment

