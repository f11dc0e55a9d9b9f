"""The screens of case handling: the staff workbench, the applicant portal, the public
progress lookup, notices and uploaded files.

Views are thin: they parse forms, call ``shebao.cases`` services and selectors (which decide
who may see and do what), and render. A domain error (``ApplicationError``) is shown on the
page it came from, naming the field, with its HTTP status; nothing has changed then, because
each action runs in one transaction.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Page, Paginator
from django.db import transaction
from django.db.models import Prefetch
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_ratelimit.core import is_ratelimited

from shebao.accounts.models import ApplicantProfile, Role
from shebao.accounts.selectors import is_applicant, is_staff_user, user_org_unit, user_roles
from shebao.cases import selectors as case_selectors
from shebao.cases import services as case_services
from shebao.cases.models import Case, CaseMaterial, CaseStatus, CaseStep, Channel, Notice, StepStatus
from shebao.catalog.flows import EVENTS
from shebao.catalog.selectors import catalog_version_in_force, item_get
from shebao.core import access
from shebao.core.access import page
from shebao.core.errors import (
    ApplicationError,
    Conflict,
    NotFound,
    PermissionDenied,
    TooManyRequests,
    ValidationFailed,
)
from shebao.core.http import as_document
from shebao.documents.notices import notice_sheet
from shebao.privacy.models import SubjectKind
from shebao.privacy.services import personal_data_read
from shebao.registry import dataform
from shebao.registry.casedata import case_data_set

from . import forms, presenters, selectors, services
from .models import CaseFile
from .registry import registry_panel

View = Callable[..., HttpResponseBase]
PAGE_SIZE = 50
STAFF_ACTIONS = frozenset({
    "check_materials", "notify_incomplete", "accept", "supplement", "refuse", "complete_step", "record_event",
    "suspend", "resume", "withdraw",
})
APPLICANT_ACTIONS = frozenset({"withdraw", "rate", "supplement"})


# --------------------------------------------------------------------------- helpers


def _forbidden(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "web/forbidden.html", {"message": message}, status=403)


def _not_found(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "404.html", {"message": message}, status=404)


def visible_case(view: Callable[[HttpRequest, Case], HttpResponse]) -> Callable[..., HttpResponse]:
    """Resolve the URL's ``case_id`` to a case the signed-in user may see, or show the 404 page.

    Cases another office or applicant owns answer 404, not 403: their existence is not disclosed.
    """

    @functools.wraps(view)
    def with_case(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
        try:
            case = case_selectors.case_get(user=request.user, public_id=str(case_id))
        except NotFound as exc:
            return _not_found(request, exc.message)
        return view(request, case)

    return with_case


staff_required = page(access.STAFF, template="web/forbidden.html")
applicant_required = page(access.APPLICANTS, template="web/forbidden.html")
signed_in = page(access.SIGNED_IN)


def _error(exc: ApplicationError) -> dict[str, Any]:
    label = forms.field_label(exc.field)
    return {"message": exc.message, "field": exc.field or "", "label": label, "status": exc.http_status}


def _check_version(request: HttpRequest, case: Case) -> None:
    """The page the button was pressed on must show the case as it is now (compare-and-set)."""
    seen = request.POST.get("version", "")
    if seen and seen != str(case.lock_version):
        raise Conflict("办件已被他人处理，页面内容已过期，请刷新后重试", field="case")


def _steps(case: Case) -> list[CaseStep]:
    return list(case.steps.select_related("org_unit", "completed_by").order_by("position"))


@dataclass
class MaterialRow:
    row: CaseMaterial
    files: list[CaseFile]
    original: bool = False
    copy: bool = False
    na: bool = False
    note: str = ""

    @property
    def needs_original(self) -> bool:
        return bool(self.row.material.original_count)

    @property
    def needs_copy(self) -> bool:
        return bool(self.row.material.copy_count)


def _material_rows(case: Case, values: dict[str, Any] | None = None) -> list[MaterialRow]:
    """The checklist as shown: the case's ticks, or what was just posted when it was refused."""
    files: dict[int, list[CaseFile]] = {}
    for record in CaseFile.objects.filter(case=case).order_by("uploaded_at", "id"):
        files.setdefault(record.material_id or 0, []).append(record)
    rows = []
    for row in case.materials.select_related("material"):
        prefix = f"m{row.material_id}-"
        if values and f"{prefix}seen" in values:
            shown = MaterialRow(row, files.get(row.pk, []), values.get(f"{prefix}original") == "1",
                                values.get(f"{prefix}copy") == "1", values.get(f"{prefix}na") == "1",
                                str(values.get(f"{prefix}note", ""))[:200])
        else:
            shown = MaterialRow(row, files.get(row.pk, []), row.original_received, row.copy_received,
                                row.not_applicable, row.note)
        rows.append(shown)
    return rows


def _other_files(case: Case) -> list[CaseFile]:
    return list(CaseFile.objects.filter(case=case, material__isnull=True).order_by("uploaded_at", "id"))


def _case_common(request: HttpRequest, case: Case, values: dict[str, Any] | None = None) -> dict[str, Any]:
    steps = _steps(case)
    active = next((s for s in steps if s.status == StepStatus.ACTIVE), None)
    rows = _material_rows(case, values)
    notices = list(case.notices.all())
    highlight = request.GET.get("notice", "")
    return {
        "case": case,
        "steps": steps,
        "active_step": active,
        "active_event_label": EVENTS.get(active.event, active.event) if active and active.event else "",
        "due": presenters.due_info(case, active),
        "materials": rows,
        "missing_count": sum(1 for r in rows if not r.row.received),
        "other_files": _other_files(case),
        "notices": notices,
        "new_notice": next((n for n in notices if str(n.pk) == highlight), None),
        "timeline": presenters.timeline(case),
        "progress": presenters.progress(case, steps),
        "next_text": presenters.next_text(case, steps),
        "rating": getattr(case, "rating", None) if case.status == CaseStatus.COMPLETED else None,
        "actions": case_services.available_actions(case=case, user=request.user),
        "button_labels": presenters.BUTTON_LABELS,
        "may_upload": services.may_upload(case=case, actor=request.user),
        "max_upload_mb": services.max_upload_bytes() // (1024 * 1024),
        "rate_form": forms.RateForm(),
        "today": timezone.localdate(),
    }


def _problems(exc: ApplicationError) -> list[dict[str, str]]:
    """The per-field problems of a business-data error (``extra.problems``), or the error itself."""
    listed = (exc.extra or {}).get("problems")
    if isinstance(listed, list) and listed:
        return [dict(p) for p in listed if isinstance(p, dict)]
    return [{"field": exc.field or "", "message": exc.message}]


def _case_page(
    request: HttpRequest, case: Case, template: str, *, error: ApplicationError | None = None,
    values: dict[str, Any] | None = None, registry_values: dict[str, Any] | None = None,
) -> HttpResponse:
    case.refresh_from_db()
    context = _case_common(request, case, values)
    context["error"] = _error(error) if error else None
    context["values"] = values or {}
    context["error_action"] = (values or {}).get("action", "")
    if template == "web/work_case.html":
        problems = None
        if error is not None and (values or {}).get("action") == "registry_data":
            problems = _problems(error)
        context["registry"] = registry_panel(case, request.user, values=registry_values, problems=problems)
        if problems is not None:  # the form lists the problems by field; the banner only says so
            context["error"] = {"message": "请按“业务数据与登记簿变更”栏中标出的项目更正后重新保存。", "label": "业务数据未保存",
                                "field": "data", "status": error.http_status if error else 422}
    return render(request, template, context, status=error.http_status if error else 200)


# --------------------------------------------------------------------------- landing


@signed_in
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Where a signed-in user starts: staff at the workbench, applicants at their portal."""
    if is_staff_user(request.user):
        return redirect("web:work_queue")
    if is_applicant(request.user):
        return redirect("web:my_home")
    return redirect("accounts:profile")


# --------------------------------------------------------------------------- staff workbench


@dataclass
class QueueRow:
    case: Case
    step: CaseStep | None
    due: presenters.DueInfo
    actions: list[str] | None = None

    @property
    def mine(self) -> bool:
        return bool(set(self.actions or []) - {"withdraw", "suspend"})

    @property
    def action_labels(self) -> list[str]:
        return [presenters.QUEUE_HINTS[a] for a in (self.actions or []) if a in presenters.QUEUE_HINTS]


class _QueueCases:
    """The queue as Django's ``Paginator`` reads it: its length from the counts already made, a
    page from ``work_queue_screen`` (sorted and cut in the database)."""

    def __init__(self, *, user: Any, show: str, q: str, total: int) -> None:
        self.user, self.show, self.q, self.total = user, show, q, total

    def count(self) -> int:
        return self.total

    def __len__(self) -> int:
        return self.total

    def __getitem__(self, window: slice) -> list[Case]:
        start = window.start or 0
        return case_selectors.work_queue_screen(user=self.user, show=self.show, q=self.q, offset=start,
                                                limit=(window.stop or self.total) - start)


@staff_required
@require_GET
def work_queue(request: HttpRequest) -> HttpResponse:
    """Today's work: the office's open cases, most urgent first, with red/yellow markers.

    Counted and paged in the database (``work_queue_counts``, ``work_queue_screen``): the page
    costs the same few queries whether the office has ten open cases or ten thousand."""
    form = forms.QueueFilterForm(request.GET or None)
    error = None
    show, q = "all", ""
    if form.is_bound:
        if form.is_valid():
            show = form.cleaned_data["show"] or "all"
            q = form.cleaned_data["q"]
        else:
            error = _error(forms.form_error(form))
    today = timezone.localdate()
    counts = case_selectors.work_queue_counts(user=request.user, q=q)
    queue = _QueueCases(user=request.user, show=show, q=q, total=counts[show])
    page: Page[Case] = Paginator(queue, PAGE_SIZE).get_page(request.GET.get("page"))  # type: ignore[arg-type]
    cases: list[Case] = list(page.object_list)
    active: dict[int, CaseStep] = {
        step.case_id: step for step in CaseStep.objects.filter(case__in=cases, status=StepStatus.ACTIVE)}
    rows = []
    for case in cases:
        step = active.get(case.pk)
        row = QueueRow(case, step, presenters.due_info(case, step, today=today))
        row.actions = case_services.available_actions(case=case, user=request.user)
        rows.append(row)
    return render(request, "web/work_queue.html", {
        "page": page, "rows": rows, "counts": counts, "show": show, "q": q, "error": error,
        "filters": forms.QueueFilterForm.SHOW, "today": today, "org_unit": user_org_unit(request.user),
    }, status=error["status"] if error else 200)


@staff_required
@require_GET
def work_cases(request: HttpRequest) -> HttpResponse:
    """Every case the user may see (open and closed), newest first, searchable."""
    status = request.GET.get("status", "")
    q = request.GET.get("q", "").strip()[:60]
    error = None
    try:
        cases = case_selectors.case_list(user=request.user, status=status, q=q)
    except ApplicationError as exc:
        error = _error(exc)
        cases = case_selectors.case_list(user=request.user)
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "web/work_cases.html", {
        "page": page, "status": status, "q": q, "error": error, "statuses": CaseStatus.choices,
    }, status=error["status"] if error else 200)


def _item_choices() -> list[tuple[str, str]]:
    version = catalog_version_in_force()
    if version is None:
        return []
    return list(version.items.order_by("position").values_list("code", "name"))


def _intake_code(request: HttpRequest) -> str:
    source = request.POST if request.method == "POST" else request.GET
    return str(source.get("item_code") or source.get("item") or "").strip().upper()[:20]


@staff_required
@require_http_methods(["GET", "POST"])
def work_intake(request: HttpRequest) -> HttpResponse:
    """窗口收件: register an application brought to the window, with the item's business data if
    the clerk has it at hand (saved in the same transaction: an error in either saves nothing).
    “填写业务数据” (``load``) only redraws the page with the chosen item's data form."""
    unit = user_org_unit(request.user)
    error: ApplicationError | None = None
    code = _intake_code(request)
    schema = dataform.schema_for(code)
    rd_values = dataform.parse(request.POST, schema) if request.method == "POST" and schema is not None else None
    problems = None
    if request.method == "POST" and "load" not in request.POST:
        form = forms.IntakeForm(request.POST)
        try:
            if not form.is_valid():
                raise forms.form_error(form)
            if unit is None:
                raise PermissionDenied("您的账户未设置所在机构，不能窗口收件", field="org_unit")
            data = form.cleaned_data
            with transaction.atomic():
                case = case_services.case_submit(
                    item_code=data["item_code"], channel=Channel.COUNTER, org_unit=unit, submitted_by=request.user,
                    applicant_type=data["applicant_type"], applicant_name=data["applicant_name"],
                    applicant_id_number=data["applicant_id_number"],
                    applicant_credit_code=data["applicant_credit_code"], applicant_phone=data["applicant_phone"],
                    agent_name=data["agent_name"], agent_id_number=data["agent_id_number"], note=data["note"],
                )
                if rd_values:
                    case_data_set(case=case, actor=request.user, data=rd_values)
        except ApplicationError as exc:
            error = exc
            if (exc.field or "").startswith("data"):
                problems = _problems(exc)
        else:
            done = "，业务数据已登记" if rd_values else ""
            messages.success(request, f"已收件：{case.item.name}{done}。请逐项核对申报材料。")
            return redirect("web:work_case", case_id=case.public_id)
    elif request.method == "POST":
        form = forms.IntakeForm(request.POST)
    else:
        form = forms.IntakeForm(initial={"item_code": code})
    rd_form = dataform.build(code, values=rd_values, problems=problems) if schema is not None else None
    shown_error = _error(error) if error and not problems else None
    return render(request, "web/work_intake.html", {
        "form": form, "error": shown_error, "items": _item_choices(), "org_unit": unit, "rd_form": rd_form,
        "rd_code": code if schema is not None else "", "rd_effect": _effect_text(code),
    }, status=error.http_status if error else 200)


def _effect_text(code: str) -> str:
    from shebao.registry.effects import definition

    defn = definition(code) if code else None
    return defn.effect if defn is not None else ""


@staff_required
@require_GET
@visible_case
def work_case(request: HttpRequest, case: Case) -> HttpResponse:
    if case.applicant_id_number or case.agent_id_number:  # the page shows a person's identity
        personal_data_read(request=request, subject_kind=SubjectKind.CASE, subject_key=case.reference,
                           subject_name=case.applicant_name, id_number=case.applicant_id_number or case.agent_id_number)
    return _case_page(request, case, "web/work_case.html")


def _changed_checks(case: Case, checks: dict[int, case_services.MaterialCheck]) -> dict[int, case_services.MaterialCheck]:
    current = {row.material_id: row for row in case.materials.all()}
    changed = {}
    for material_id, check in checks.items():
        row = current[material_id]
        if (row.original_received, row.copy_received, row.not_applicable, row.note) != (
            check.original, check.copy, check.not_applicable, check.note
        ):
            changed[material_id] = check
    return changed


def _staff_perform(request: HttpRequest, case: Case, action: str) -> tuple[str, Notice | None]:
    """Run one action; returns the message to show and the notice issued, if any."""
    user: Any = request.user
    post = request.POST
    checks = forms.parse_checklist(post, case.materials.select_related("material"))
    if action in {"check_materials", "notify_incomplete", "accept"}:
        changed = _changed_checks(case, checks)
        if changed or action == "check_materials":
            case = case_services.case_check_materials(case=case, actor=user, checks=changed)
        if action == "check_materials":
            missing = sum(1 for row in case.materials.select_related("material") if not row.received)
            return (f"已保存材料核对结果：尚缺 {missing} 项材料。" if missing else "已保存材料核对结果：材料齐全，可以受理。"), None
    if action == "notify_incomplete":
        note_form = forms.NoticeNoteForm(post)
        if not note_form.is_valid():
            raise forms.form_error(note_form)
        notice = case_services.case_notify_incomplete(case=case, actor=user, note=note_form.cleaned_data["note"])
        return f"已出具一次性告知书（编号 {notice.number}），请打印交申请人。", notice
    if action == "accept":
        notice = case_services.case_accept(case=case, actor=user)
        case.refresh_from_db()
        return f"已受理，办件编号 {case.number}。受理通知书编号 {notice.number}。", notice
    if action == "supplement":
        case_services.case_supplement(case=case, actor=user, checks=checks)
        return "已登记补正材料，办件回到“待受理”。", None
    if action == "refuse":
        refuse_form = forms.RefuseForm(post)
        if not refuse_form.is_valid():
            raise forms.form_error(refuse_form)
        notice = case_services.case_refuse(case=case, actor=user, reasons=refuse_form.cleaned_data["reasons"])
        return f"已作出不予受理决定（通知书编号 {notice.number}）。", notice
    if action == "complete_step":
        step_form = forms.StepForm(post)
        if not step_form.is_valid():
            raise forms.form_error(step_form)
        step = case_selectors.active_step(case)
        case_services.case_step_complete(case=case, actor=user, outcome=step_form.cleaned_data["outcome"],
                                         note=step_form.cleaned_data["note"])
        case.refresh_from_db()
        done = f"“{step.name}”已办理" if step else "本环节已办理"
        if case.status == CaseStatus.COMPLETED:
            return f"{done}，办件已办结（{case.get_result_display()}）。", case.notices.filter(kind="result").last()
        return f"{done}。", None
    if action == "record_event":
        data = _cleaned(forms.EventForm, post)
        case_services.case_record_event(case=case, actor=user, event=data["event"], on=data["on"], note=data["note"])
        return f"已登记：{EVENTS.get(data['event'], data['event'])}。", None
    if action == "suspend":
        reason = _cleaned(forms.RequiredReasonForm, post)["reason"]
        case_services.case_suspend(case=case, actor=user, reason=reason)
        return "办件已中止，时限暂停计算。", None
    if action == "resume":
        case_services.case_resume(case=case, actor=user, reason=_cleaned(forms.ReasonForm, post)["reason"])
        return "已恢复办理，各项时限已顺延。", None
    if action == "withdraw":
        case_services.case_withdraw(case=case, actor=user, reason=_cleaned(forms.ReasonForm, post)["reason"])
        return "办件已撤回。", None
    raise ValidationFailed(f"操作“{action}”无效", field="action")


def _cleaned(form_class: type[Any], post: Any) -> dict[str, Any]:
    """The form's cleaned data, or the form's first error raised as a ValidationFailed."""
    form = form_class(post)
    if not form.is_valid():
        raise forms.form_error(form)
    return dict(form.cleaned_data)


@staff_required
@require_POST
@visible_case
def work_act(request: HttpRequest, case: Case) -> HttpResponse:
    action = request.POST.get("action", "")
    try:
        if action not in STAFF_ACTIONS:
            raise ValidationFailed("请选择要进行的操作", field="action")
        _check_version(request, case)
        with transaction.atomic():
            message, notice = _staff_perform(request, case, action)
    except ApplicationError as exc:
        return _case_page(request, case, "web/work_case.html", error=exc, values={**request.POST.dict()})
    messages.success(request, message)
    url = reverse("web:work_case", kwargs={"case_id": case.public_id})
    return HttpResponseRedirect(f"{url}?notice={notice.pk}#notices" if notice else url)


@staff_required
@require_POST
@visible_case
def work_registry_data(request: HttpRequest, case: Case) -> HttpResponse:
    """Save the case's business data from the generated form (the same service as the API)."""
    schema = dataform.schema_for(case.item.code)
    data = dataform.parse(request.POST, schema) if schema is not None else {}
    try:
        _check_version(request, case)
        _row, findings = case_data_set(case=case, actor=request.user, data=data)
    except ApplicationError as exc:
        return _case_page(request, case, "web/work_case.html", error=exc, values={"action": "registry_data"},
                          registry_values=data)
    blocks = sum(1 for f in findings if f.level == "block")
    warns = len(findings) - blocks
    summary = "；".join(part for part in (f"{blocks} 项不符合条件" if blocks else "",
                                          f"{warns} 项提示" if warns else "") if part)
    if summary:
        messages.warning(request, f"业务数据已保存。审查结果：{summary}，详见“业务数据与登记簿变更”。")
    else:
        messages.success(request, "业务数据已保存，审查未发现不符合条件的情形。")
    return HttpResponseRedirect(reverse("web:work_case", kwargs={"case_id": case.public_id}) + "#registry")


# --------------------------------------------------------------------------- uploads and files


@signed_in
@require_POST
@visible_case
def case_upload(request: HttpRequest, case: Case) -> HttpResponse:
    """Add files to a case's checklist (the applicant, or the window before 受理)."""
    staff = is_staff_user(request.user)
    template = "web/work_case.html" if staff else "web/my_case.html"
    raw_material = request.POST.get("material", "")
    try:
        material_id = int(raw_material) if raw_material else None
    except ValueError:
        material_id = -1
    try:
        if material_id == -1:
            raise ValidationFailed("所选材料无效", field="material")
        uploads = [services.upload_check(f, material_id=material_id) for f in request.FILES.getlist("files")]
        stored = services.case_files_add(case=case, actor=request.user, uploads=uploads)
    except ApplicationError as exc:
        return _case_page(request, case, template, error=exc, values={"action": "upload", "material": raw_material})
    messages.success(request, f"已上传 {len(stored)} 个文件：" + "、".join(f.original_name for f in stored))
    name = "web:work_case" if staff else "web:my_case"
    return HttpResponseRedirect(reverse(name, kwargs={"case_id": case.public_id}) + "#materials")


@signed_in
@require_GET
def case_file(request: HttpRequest, file_id: uuid.UUID) -> HttpResponseBase:
    """Serve an uploaded file to a reader who may see its case; never from a public URL."""
    try:
        record = selectors.case_file_get(user=request.user, public_id=str(file_id))
    except NotFound as exc:
        return _not_found(request, exc.message)
    response = FileResponse(record.file.open("rb"), content_type=record.content_type)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=request.GET.get("download") == "1", filename=record.original_name) or "inline"
    response["Cache-Control"] = "private, no-store"
    return as_document(response)  # nosniff: the type is the one checked at upload, never sniffed


# --------------------------------------------------------------------------- notices


@signed_in
@require_GET
def notice_print(request: HttpRequest, notice_id: int) -> HttpResponse:
    """The notice as a printable A4 page (``?print=1`` opens the print dialog at once)."""
    try:
        notice = selectors.notice_get(user=request.user, notice_id=notice_id)
    except NotFound as exc:
        return _not_found(request, exc.message)
    back = "web:work_case" if is_staff_user(request.user) else "web:my_case"
    return render(request, "documents/notice.html", {
        "sheet": notice_sheet(notice), "notice": notice, "auto_print": request.GET.get("print") == "1",
        "back_url": reverse(back, kwargs={"case_id": notice.case.public_id}),
        "pdf_url": reverse("web:notice_pdf", kwargs={"notice_id": notice.pk}),
    })


@signed_in
@require_GET
def notice_pdf(request: HttpRequest, notice_id: int) -> HttpResponse:
    from shebao.documents.pdf import render_notice_pdf  # fpdf2 and the font load on first use

    try:
        notice = selectors.notice_get(user=request.user, notice_id=notice_id)
    except NotFound as exc:
        return _not_found(request, exc.message)
    response = HttpResponse(render_notice_pdf(notice), content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=request.GET.get("download") == "1", filename=f"{notice.get_kind_display()}-{notice.number}.pdf",
    ) or "inline"
    response["Cache-Control"] = "private, no-store"
    return as_document(response)


# --------------------------------------------------------------------------- applicant portal


@applicant_required
@require_GET
def my_home(request: HttpRequest) -> HttpResponse:
    cases = list(selectors.my_cases(user=request.user).prefetch_related(
        Prefetch("steps", queryset=CaseStep.objects.order_by("position"), to_attr="all_steps")))
    rows = []
    for case in cases:
        steps = getattr(case, "all_steps", [])
        active = next((s for s in steps if s.status == StepStatus.ACTIVE), None)
        rows.append({"case": case, "next": presenters.next_text(case, steps), "active": active,
                     "rateable": case.status == CaseStatus.COMPLETED and not hasattr(case, "rating")})
    open_count = sum(1 for c in cases if c.status in (CaseStatus.SUBMITTED, CaseStatus.INCOMPLETE,
                                                      CaseStatus.ACCEPTED, CaseStatus.SUSPENDED))
    return render(request, "web/my_home.html", {
        "rows": rows, "open_count": open_count, "profile": _profile(request.user),
        "todo": sum(1 for c in cases if c.status == CaseStatus.INCOMPLETE),
    })


def _profile(user: Any) -> ApplicantProfile | None:
    return ApplicantProfile.objects.filter(user_id=user.pk).first()


def _applicant_kind(user: Any) -> str:
    roles = user_roles(user)
    if Role.APPLICANT_UNIT in roles:
        return "unit"
    return "person"


@applicant_required
@require_GET
def my_apply(request: HttpRequest) -> HttpResponse:
    """Choose a 网上办 item."""
    q = request.GET.get("q", "").strip()[:60]
    error = None
    try:
        items = list(selectors.online_items(q=q, applicant=_applicant_kind(request.user)))
    except ApplicationError as exc:
        error = _error(exc)
        items = []
    return render(request, "web/my_apply.html", {"items": items, "q": q, "error": error},
                  status=error["status"] if error else 200)


def _apply_context(request: HttpRequest, item: Any, form: forms.ApplyForm, error: ApplicationError | None) -> dict[str, Any]:
    return {
        "item": item, "form": form, "error": _error(error) if error else None,
        "materials": list(item.materials.all()), "profile": _profile(request.user),
        "is_agent": Role.AGENT in user_roles(request.user), "max_upload_mb": services.max_upload_bytes() // (1024 * 1024),
    }


@applicant_required
@require_http_methods(["GET", "POST"])
def my_apply_item(request: HttpRequest, code: str) -> HttpResponse:
    """网上申请: the form, the material uploads, and the submission in one transaction."""
    version = catalog_version_in_force()
    try:
        if version is None:
            raise NotFound("事项清单尚未发布")
        item = item_get(code=code, version=version)
        if not item.mode_online:
            raise NotFound(f"“{item.name}”不支持网上办理，请到窗口申请")
    except NotFound as exc:
        return _not_found(request, exc.message)
    units = selectors.receiving_units(item)
    unit_choices = [(u.key, u.name) for u in units]
    user: Any = request.user
    if request.method != "POST":
        form = forms.ApplyForm(units=unit_choices, initial={"idempotency_key": uuid.uuid4().hex})
        return render(request, "web/my_apply_item.html", _apply_context(request, item, form, None))

    form = forms.ApplyForm(request.POST, units=unit_choices)
    profile = _profile(user)
    try:
        if not form.is_valid():
            raise forms.form_error(form)
        if profile is None:
            raise PermissionDenied("您的账户缺少办事人信息，请拨打 12333 或到窗口登记后再网上申请")
        data = form.cleaned_data
        unit = next(u for u in units if u.key == data["org_unit"])
        uploads = []
        for material in item.materials.all():
            for upload in request.FILES.getlist(f"file-{material.pk}"):
                uploads.append(services.upload_check(upload, material_id=material.pk))
        for upload in request.FILES.getlist("file-other"):
            uploads.append(services.upload_check(upload))
        key = data["idempotency_key"]
        if key and case_selectors.visible_cases(user).filter(idempotency_key=key).exists():
            existing = case_selectors.visible_cases(user).get(idempotency_key=key)
            return redirect("web:my_case", case_id=existing.public_id)
        fields: dict[str, str] = {"applicant_phone": data["applicant_phone"] or profile.phone}
        if Role.AGENT in user_roles(user):
            fields.update(applicant_type="person", applicant_name=data["applicant_name"],
                          applicant_id_number=data["applicant_id_number"], agent_name=profile.name,
                          agent_id_number=profile.id_number)
        elif profile.kind == "unit":
            fields.update(applicant_type="unit", applicant_name=profile.name, applicant_credit_code=profile.credit_code)
        else:
            fields.update(applicant_type="person", applicant_name=profile.name, applicant_id_number=profile.id_number)
        with transaction.atomic():
            case = case_services.case_submit(
                item_code=item.code, channel=Channel.ONLINE, org_unit=unit, submitted_by=user,
                idempotency_key=key, note=data["note"], **fields,  # type: ignore[arg-type]
            )
            if uploads:
                services.case_files_add(case=case, actor=user, uploads=uploads)
    except ApplicationError as exc:
        return render(request, "web/my_apply_item.html", _apply_context(request, item, form, exc),
                      status=exc.http_status)
    messages.success(request, "申请已提交。窗口工作人员核对材料后会受理，或一次性告知需要补正的全部材料。")
    return redirect("web:my_case", case_id=case.public_id)


@applicant_required
@require_GET
@visible_case
def my_case(request: HttpRequest, case: Case) -> HttpResponse:
    return _case_page(request, case, "web/my_case.html")


@applicant_required
@require_POST
@visible_case
def my_act(request: HttpRequest, case: Case) -> HttpResponse:
    action = request.POST.get("action", "")
    user: Any = request.user
    try:
        if action not in APPLICANT_ACTIONS:
            raise ValidationFailed("请选择要进行的操作", field="action")
        _check_version(request, case)
        if action == "rate":
            rate_form = forms.RateForm(request.POST)
            if not rate_form.is_valid():
                raise forms.form_error(rate_form)
            case_services.case_rate(case=case, actor=user, score=rate_form.cleaned_data["score"],
                                    comment=rate_form.cleaned_data["comment"])
            message = "感谢您的评价！"
        elif action == "withdraw":
            reason_form = forms.ReasonForm(request.POST)
            if not reason_form.is_valid():
                raise forms.form_error(reason_form)
            case_services.case_withdraw(case=case, actor=user, reason=reason_form.cleaned_data["reason"])
            message = "申请已撤回。"
        else:  # supplement: the window checks the uploaded files before 受理
            case_services.case_supplement(case=case, actor=user, checks={})
            message = "已提交补正材料，等待窗口核对后受理。"
    except ApplicationError as exc:
        return _case_page(request, case, "web/my_case.html", error=exc, values={**request.POST.dict()})
    messages.success(request, message)
    return redirect("web:my_case", case_id=case.public_id)


# --------------------------------------------------------------------------- public progress lookup


@page(access.PUBLIC)
@require_http_methods(["GET", "POST"])
def track(request: HttpRequest) -> HttpResponse:
    """办件进度查询: 办件编号 plus the last six characters of the ID number; no login.

    A POST, so the ID number's tail does not end up in addresses, logs or the browser history."""
    result = None
    error: ApplicationError | None = None
    if request.method == "POST":
        form = forms.TrackForm(request.POST)
        try:
            if track_rate_limited(request):
                window = settings.SHEBAO_TRACK_RATE_WINDOW_SECONDS
                period = f"{window // 60} 分钟" if window % 60 == 0 else f"{window} 秒"
                raise TooManyRequests(
                    f"查询过于频繁：同一网络地址每 {period}最多查询 {settings.SHEBAO_TRACK_RATE_LIMIT} 次，"
                    f"请稍后再试。急需了解进度请拨打 {settings.SHEBAO_HOTLINE}。", field="number")
            if not form.is_valid():
                raise forms.form_error(form)
            case = case_selectors.case_track(number=form.cleaned_data["number"], id_tail=form.cleaned_data["id_tail"])
        except ApplicationError as exc:
            error = exc
        else:
            steps = _steps(case)
            active = next((s for s in steps if s.status == StepStatus.ACTIVE), None)
            result = {"case": case, "progress": presenters.progress(case, steps),
                      "next_text": presenters.next_text(case, steps), "due": presenters.due_info(case, active),
                      "masked_name": _mask_name(case.applicant_name)}
    else:
        form = forms.TrackForm()
    return render(request, "web/track.html", {"form": form, "result": result, "error": _error(error) if error else None},
                  status=error.http_status if error else 200)


def track_rate_limited(request: HttpRequest) -> bool:
    """Count this lookup against the client address (django-ratelimit, fixed window in the cache):
    six characters of an ID number are a small space, so guessing must be slow."""
    limit, window = settings.SHEBAO_TRACK_RATE_LIMIT, settings.SHEBAO_TRACK_RATE_WINDOW_SECONDS
    return bool(is_ratelimited(request, group="web.track", key="ip", rate=f"{limit}/{window}s", method="POST",
                               increment=True))


def _mask_name(name: str) -> str:
    """陈明 → 陈*, 武汉市示例科技有限公司 → 武汉市****有限公司: recognisable, not disclosed."""
    if len(name) <= 1:
        return name
    if len(name) <= 3:
        return name[0] + "*" * (len(name) - 1)
    keep = max(2, len(name) // 3)
    return name[:keep] + "*" * (len(name) - 2 * keep) + name[-keep:] if len(name) > 2 * keep else name[0] + "*" * (len(name) - 1)
