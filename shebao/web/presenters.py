"""What the screens show about a case, computed once: due dates with warning colours, the
progress of the flow, and the next thing that happens. No writes, no permission decisions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.utils import timezone

from shebao.cases.models import Case, CaseEvent, CaseStatus, CaseStep, StepStatus
from shebao.cases.services import DEEMED_ACCEPTANCE_WORKING_DAYS, action_label
from shebao.catalog.flows import EVENTS
from shebao.workdays import WorkdaysError, countdown, get_calendar

LEVEL_ORDER = {"red": 0, "yellow": 1, "green": 2, "none": 3}
LEVEL_LABELS = {"red": "超期", "yellow": "临期", "green": "正常", "none": "无时限"}
EXTRA_ACTION_LABELS = {"files_uploaded": "上传材料", "registry_data_set": "登记业务数据",
                       "registry_skipped": "登记簿未变更"}
BUTTON_LABELS = {
    "check_materials": "保存材料核对结果",
    "notify_incomplete": "出具一次性告知书",
    "refuse": "不予受理",
    "accept": "受理",
    "supplement": "登记补正材料",
    "complete_step": "办理本环节",
    "record_event": "登记外部事项",
    "suspend": "中止办理",
    "resume": "恢复办理",
    "withdraw": "撤回申请",
    "rate": "评价",
}


# Short words for "what I may do here" in the queue.
QUEUE_HINTS = {
    "check_materials": "核对材料", "notify_incomplete": "一次性告知", "refuse": "不予受理", "accept": "受理",
    "supplement": "登记补正", "complete_step": "办理环节", "record_event": "登记外部事项", "resume": "恢复办理",
}


@dataclass(frozen=True)
class DueInfo:
    """The due date that matters most now, and how close it is."""

    label: str
    due: date | None
    provisional: bool
    level: str  # red / yellow / green / none
    text: str
    working_days_left: int | None = None
    overdue_days: int | None = None

    @property
    def level_label(self) -> str:
        return LEVEL_LABELS[self.level]

    @property
    def sort_key(self) -> tuple[int, int, date]:
        days = -(self.overdue_days or 0) if self.level == "red" else (self.working_days_left or 0)
        return (LEVEL_ORDER[self.level], days, self.due or date.max)


def _countdown_text(due: date, *, today: date, suspended_since: date | None) -> tuple[str, str, int | None, int | None]:
    try:
        left = countdown(due=due, on=today, suspended_since=suspended_since)
    except WorkdaysError:
        return "none", "日期超出日历范围", None, None
    level = left.level(yellow_within=int(getattr(settings, "SHEBAO_WARNING_YELLOW_WORKING_DAYS", 2)))
    if left.overdue:
        days = left.overdue_working_days
        text = f"已超期 {days} 个工作日" if days else "已超期"
        return level, text, None, days
    if left.working_days_left == 0:
        return level, "今日到期", 0, None
    return level, f"剩 {left.working_days_left} 个工作日", left.working_days_left, None


def intake_due(case: Case) -> date | None:
    """The last day to issue 一次性告知 or accept (行政许可法第三十二条: 5 working days)."""
    try:
        return get_calendar().add_working_days(timezone.localdate(case.submitted_at), DEEMED_ACCEPTANCE_WORKING_DAYS)
    except WorkdaysError:
        return None


def due_info(case: Case, step: CaseStep | None, *, today: date | None = None) -> DueInfo:
    today = today or timezone.localdate()
    if case.status == CaseStatus.SUBMITTED:
        due = intake_due(case)
        label = "受理期限"
    elif case.status == CaseStatus.INCOMPLETE:
        return DueInfo("待补正", None, False, "none", "等待申请人补正材料")
    elif case.status in (CaseStatus.ACCEPTED, CaseStatus.SUSPENDED):
        candidates = [
            (d, name) for d, name in (
                (step.due if step else None, f"本环节（{step.name}）" if step else ""),
                (case.promised_due, "承诺时限"),
                (case.legal_due, "法定时限"),
            ) if d is not None
        ]
        if not candidates:
            return DueInfo("无时限", None, False, "none", "无办理时限")
        due, label = min(candidates, key=lambda pair: pair[0])
    else:
        return DueInfo("已结束", None, False, "none", case.get_status_display())
    if due is None:
        return DueInfo(label, None, False, "none", "—")
    suspended = case.suspended_since if case.status == CaseStatus.SUSPENDED else None
    level, text, left, over = _countdown_text(due, today=today, suspended_since=suspended)
    if suspended is not None:
        text = f"中止中，时限暂停（{text}）"
    return DueInfo(label, due, case.due_provisional, level, text, left, over)


# --------------------------------------------------------------------------- progress


@dataclass(frozen=True)
class Stage:
    name: str
    state: str  # done / current / pending / skipped
    detail: str = ""
    due: date | None = None


def progress(case: Case, steps: list[CaseStep]) -> list[Stage]:
    """The applicant's view of the flow: 申请 → 受理 → the item's steps → 办结."""
    status = case.status
    stages = [Stage("提交申请", "done", timezone.localtime(case.submitted_at).strftime("%Y-%m-%d %H:%M"))]
    if status in (CaseStatus.SUBMITTED, CaseStatus.INCOMPLETE):
        stages.append(Stage("材料核对与受理", "current",
                            "待补正材料" if status == CaseStatus.INCOMPLETE else "等待窗口核对材料"))
    elif status == CaseStatus.REFUSED:
        stages.append(Stage("不予受理", "done"))
    elif status == CaseStatus.WITHDRAWN and case.accepted_at is None:
        stages.append(Stage("已撤回", "done"))
    else:
        accepted = timezone.localtime(case.accepted_at).strftime("%Y-%m-%d") if case.accepted_at else ""
        stages.append(Stage("受理", "done", accepted))
        for step in steps:
            state = {StepStatus.DONE: "done", StepStatus.ACTIVE: "current", StepStatus.SKIPPED: "skipped"}.get(
                StepStatus(step.status), "pending")
            if state == "current" and status == CaseStatus.SUSPENDED:
                detail = "中止中"
            else:
                detail = step.get_outcome_display() if step.outcome and state == "done" else ""
            stages.append(Stage(step.name, state, detail, step.due))
        if status == CaseStatus.WITHDRAWN:
            stages.append(Stage("已撤回", "done"))
    if status == CaseStatus.COMPLETED:
        stages.append(Stage("办结", "done", case.get_result_display()))
    elif status not in (CaseStatus.REFUSED, CaseStatus.WITHDRAWN):
        stages.append(Stage("办结", "pending"))
    return stages


def next_text(case: Case, steps: list[CaseStep]) -> str:
    """One sentence: what happens next, for the applicant."""
    status = case.status
    if status == CaseStatus.SUBMITTED:
        due = intake_due(case)
        when = f"（{due:%Y-%m-%d}前）" if due else ""
        return f"窗口工作人员将核对您的材料{when}，材料齐全即予受理，不齐全会一次性告知需要补正的全部材料。"
    if status == CaseStatus.INCOMPLETE:
        return "请按《一次性告知书》补齐材料：上传补正材料后点击“提交补正材料”，或带齐材料到受理窗口。"
    if status == CaseStatus.ACCEPTED:
        active = next((s for s in steps if s.status == StepStatus.ACTIVE), None)
        following = next((s for s in steps if s.status == StepStatus.PENDING and active and s.position > active.position), None)
        if active is None:
            return "正在办理。"
        text = f"当前环节：{active.name}"
        if active.due:
            text += f"（应于{active.due:%Y-%m-%d}前完成）"
        if active.kind == "await" and active.event:
            text += f"，等待“{EVENTS.get(active.event, active.event)}”"
        text += f"；下一步：{following.name}。" if following else "；完成后即办结。"
        return text
    if status == CaseStatus.SUSPENDED:
        return "办件已中止，中止期间不计算办理时限；中止原因消除后恢复办理。"
    if status == CaseStatus.COMPLETED:
        return f"已办结，办理结果：{case.get_result_display()}。欢迎对本次服务进行评价。"
    if status == CaseStatus.REFUSED:
        return "不予受理。理由和救济途径见《不予受理通知书》。"
    return "申请已撤回。"


# --------------------------------------------------------------------------- timeline


@dataclass(frozen=True)
class TimelineEntry:
    at: Any
    actor: str
    label: str
    status_change: str
    details: list[str]


def _detail_lines(event: CaseEvent) -> list[str]:
    d = event.detail or {}
    lines: list[str] = []
    if d.get("notice"):
        lines.append(f"文书编号：{d['notice']}")
    if d.get("number"):
        lines.append(f"办件编号：{d['number']}")
    if d.get("name"):
        outcome = {"pass": "通过", "return": "退回", "fail": "不通过"}.get(str(d.get("outcome", "")), "")
        lines.append(f"环节：{d['name']}" + (f"，{outcome}" if outcome else ""))
    if d.get("event"):
        lines.append(f"事项：{EVENTS.get(str(d['event']), d['event'])}")
    for key, label in (("reasons", "理由"), ("reason", "理由"), ("note", "说明"), ("comment", "评价")):
        if d.get(key):
            lines.append(f"{label}：{d[key]}")
    if d.get("score"):
        lines.append(f"评分：{d['score']} 分")
    if d.get("missing") and event.action == "incomplete_notified":
        lines.append(f"缺少材料 {len(d['missing'])} 项")
    if d.get("files"):
        lines.append("文件：" + "、".join(str(f.get("name", "")) for f in d["files"]))
    if d.get("channel"):
        lines.append({"online": "网上申请", "counter": "窗口申请", "internal": "内部发起"}.get(str(d["channel"]), ""))
    return [line for line in lines if line]


def timeline(case: Case) -> list[TimelineEntry]:
    labels = dict(CaseStatus.choices)
    entries: list[TimelineEntry] = []
    for event in case.events.all():
        change = ""
        if event.status_before and event.status_after and event.status_before != event.status_after:
            change = f"{labels.get(event.status_before, event.status_before)} → {labels.get(event.status_after, event.status_after)}"
        label = EXTRA_ACTION_LABELS.get(event.action) or action_label(event.action)
        entries.append(TimelineEntry(event.at, event.actor, label, change, _detail_lines(event)))
    return entries
