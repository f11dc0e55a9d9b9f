"""Forms of the workbench and the applicant portal. They check shape (required, length,
choices); the rules of the domain are checked by the services, which raise ApplicationError."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django import forms
from django.http import QueryDict

from shebao.cases.models import ApplicantType, CaseMaterial, StepOutcome
from shebao.cases.services import MaterialCheck
from shebao.core.errors import ValidationFailed

# Names of the fields services and forms report errors on, as the screens label them.
FIELD_LABELS = {
    "materials": "申报材料",
    "material": "材料",
    "reasons": "不予受理理由",
    "reason": "理由",
    "note": "说明",
    "outcome": "办理结果",
    "event": "登记事项",
    "on": "发生日期",
    "score": "评分",
    "comment": "评价意见",
    "file": "上传文件",
    "item_code": "申请事项",
    "applicant_type": "申请人类型",
    "applicant_name": "申请人名称",
    "applicant_id_number": "身份证号",
    "applicant_credit_code": "统一社会信用代码",
    "applicant_phone": "联系电话",
    "agent_name": "代办人姓名",
    "agent_id_number": "代办人身份证号",
    "number": "办件编号",
    "id_tail": "证件号码后六位",
    "org_unit": "受理机构",
    "channel": "办理渠道",
    "case": "办件",
    "action": "操作",
    "status": "办件状态",
    "q": "查询内容",
}


def field_label(field: str | None) -> str:
    return FIELD_LABELS.get(field or "", "")


def _messages(**extra: str) -> dict[str, str]:
    return {"required": "此项必须填写", "max_length": "内容过长（不超过 %(limit_value)d 个字）", **extra}


def form_error(form: forms.Form) -> ValidationFailed:
    """The form's first error as a domain error naming the field (shown like a service error)."""
    for name, errors in form.errors.items():
        if errors:
            field = None if name == "__all__" else name
            return ValidationFailed(str(errors[0]), field=field)
    return ValidationFailed("输入有误")


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=500, required=False, strip=True, error_messages=_messages())


class RequiredReasonForm(forms.Form):
    reason = forms.CharField(max_length=500, strip=True, error_messages=_messages(required="请填写理由"))


class RefuseForm(forms.Form):
    reasons = forms.CharField(max_length=2000, strip=True, error_messages=_messages(required="请填写不予受理的理由"))


class NoticeNoteForm(forms.Form):
    note = forms.CharField(max_length=500, required=False, strip=True, error_messages=_messages())


class StepForm(forms.Form):
    outcome = forms.ChoiceField(choices=StepOutcome.choices,
                                error_messages={"required": "请选择办理结果", "invalid_choice": "办理结果无效"})
    note = forms.CharField(max_length=1000, required=False, strip=True, error_messages=_messages())


class EventForm(forms.Form):
    event = forms.CharField(max_length=40, error_messages=_messages(required="请选择登记的事项"))
    on = forms.DateField(required=False, error_messages={"invalid": "日期格式应为 年-月-日，例如 2026-11-28"})
    note = forms.CharField(max_length=500, required=False, strip=True, error_messages=_messages())

    def clean_on(self) -> date | None:
        value: date | None = self.cleaned_data.get("on")
        return value


class RateForm(forms.Form):
    SCORES = [(5, "非常满意"), (4, "满意"), (3, "基本满意"), (2, "不满意"), (1, "非常不满意")]
    score = forms.TypedChoiceField(choices=SCORES, coerce=int,
                                   error_messages={"required": "请选择评分", "invalid_choice": "评分须为 1—5"})
    comment = forms.CharField(max_length=500, required=False, strip=True, error_messages=_messages())


class TrackForm(forms.Form):
    number = forms.CharField(label="办件编号", max_length=24, strip=True,
                             error_messages=_messages(required="请填写办件编号"))
    id_tail = forms.CharField(label="证件号码后六位", max_length=6, min_length=6, strip=True,
                              error_messages=_messages(required="请填写证件号码后六位",
                                                       min_length="请填写证件号码后六位（6 位）",
                                                       max_length="请填写证件号码后六位（6 位）"))


class QueueFilterForm(forms.Form):
    SHOW = [("all", "全部在办"), ("red", "超期"), ("yellow", "临期"), ("intake", "待受理"),
            ("incomplete", "待补正"), ("accepted", "办理中"), ("suspended", "中止")]
    show = forms.ChoiceField(choices=SHOW, required=False, error_messages={"invalid_choice": "筛选条件无效"})
    q = forms.CharField(max_length=60, required=False, strip=True,
                        error_messages=_messages(max_length="查询内容过长（不超过 %(limit_value)d 个字）"))


class IntakeForm(forms.Form):
    """窗口收件: the clerk registers an application brought to the window."""

    item_code = forms.CharField(label="事项编码", max_length=20, strip=True,
                                error_messages=_messages(required="请填写事项编码，例如 SBZX00016"))
    applicant_type = forms.ChoiceField(label="申请人类型", choices=ApplicantType.choices, initial=ApplicantType.UNIT,
                                       widget=forms.RadioSelect,
                                       error_messages={"required": "请选择申请人类型", "invalid_choice": "申请人类型无效"})
    applicant_name = forms.CharField(label="申请人（单位名称或姓名）", max_length=120, strip=True,
                                     error_messages=_messages(required="请填写申请人名称"))
    applicant_credit_code = forms.CharField(label="统一社会信用代码", max_length=20, required=False, strip=True,
                                            error_messages=_messages())
    applicant_id_number = forms.CharField(label="身份证号", max_length=20, required=False, strip=True,
                                          error_messages=_messages())
    applicant_phone = forms.CharField(label="联系电话", max_length=20, required=False, strip=True,
                                      error_messages=_messages())
    agent_name = forms.CharField(label="代办人姓名", max_length=60, required=False, strip=True,
                                 error_messages=_messages())
    agent_id_number = forms.CharField(label="代办人身份证号", max_length=20, required=False, strip=True,
                                      error_messages=_messages())
    note = forms.CharField(label="备注", max_length=2000, required=False, strip=True, widget=forms.Textarea(attrs={"rows": 2}),
                           error_messages=_messages())


class ApplyForm(forms.Form):
    """网上申请. The applicant's own name and number come from the account; an agent (代办人)
    fills in the person they apply for."""

    org_unit = forms.ChoiceField(label="受理机构", error_messages={"required": "请选择受理机构",
                                                                 "invalid_choice": "受理机构无效，请从列表中选择"})
    applicant_name = forms.CharField(label="申请人姓名", max_length=120, required=False, strip=True,
                                     error_messages=_messages())
    applicant_id_number = forms.CharField(label="申请人身份证号", max_length=20, required=False, strip=True,
                                          error_messages=_messages())
    applicant_phone = forms.CharField(label="联系电话", max_length=20, required=False, strip=True,
                                      error_messages=_messages())
    note = forms.CharField(label="补充说明", max_length=2000, required=False, strip=True,
                           widget=forms.Textarea(attrs={"rows": 3}), error_messages=_messages())
    idempotency_key = forms.CharField(max_length=64, required=False, widget=forms.HiddenInput)

    def __init__(self, *args: object, units: Iterable[tuple[str, str]] = (), **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["org_unit"].choices = [("", "请选择受理机构"), *units]  # type: ignore[attr-defined]


def parse_checklist(data: QueryDict, rows: Iterable[CaseMaterial]) -> dict[int, MaterialCheck]:
    """The checklist's checkboxes (``m<id>-original``, ``-copy``, ``-na``, ``-note``) for the
    case's own materials. Keys of other materials are ignored; a note is cut at 200 characters."""
    checks: dict[int, MaterialCheck] = {}
    for row in rows:
        prefix = f"m{row.material_id}-"
        if f"{prefix}seen" not in data:
            continue  # the row was not on the submitted form
        note = data.get(f"{prefix}note", "").strip()
        if len(note) > 200:
            raise ValidationFailed(f"第 {row.position} 项材料的备注过长（不超过 200 个字）", field="materials")
        checks[row.material_id] = MaterialCheck(
            original=data.get(f"{prefix}original") == "1",
            copy=data.get(f"{prefix}copy") == "1",
            not_applicable=data.get(f"{prefix}na") == "1",
            note=note,
        )
    return checks
