"""Forms of the staff screens: an item's guide, field by field, with its materials one by one."""

from __future__ import annotations

from datetime import date
from typing import Any

import yaml
from django import forms
from django.forms import formset_factory

from shebao.core.errors import ApplicationError

from .content import TEXT_FIELDS

_TEXTAREA = {"rows": 3}
_LONG = {"rows": 6}


def _area(label: str, *, rows: int = 3, required: bool = False, help_text: str = "") -> forms.CharField:
    return forms.CharField(label=label, required=required, help_text=help_text, strip=True,
                           widget=forms.Textarea(attrs={"rows": rows}))


class MaterialForm(forms.Form):
    text = forms.CharField(label="材料名称及要求", max_length=1000, required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))
    group = forms.CharField(label="分组", max_length=120, required=False)
    original_count = forms.IntegerField(label="原件份数", min_value=0, max_value=20, required=False)
    copy_count = forms.IntegerField(label="复印件份数", min_value=0, max_value=20, required=False)
    retained = forms.BooleanField(label="拟留件", required=False)
    conditional = forms.BooleanField(label="视情况提供", required=False)


MaterialFormSet = formset_factory(MaterialForm, extra=2, can_delete=True, can_order=True, max_num=80,
                                  validate_max=True)


def materials_from_formset(formset: Any) -> list[dict[str, Any]]:
    """The kept rows in the editor's order (the 顺序 column; unchanged rows keep their place)."""
    rows = []
    for index, form in enumerate(formset.forms):
        data = form.cleaned_data
        if not data or data.get("DELETE") or not (data.get("text") or "").strip():
            continue
        order = data.get("ORDER")
        rows.append(((order if order is not None else index + 1, index), {
            "text": data["text"].strip(), "group": (data.get("group") or "").strip(),
            "original_count": data.get("original_count"), "copy_count": data.get("copy_count"),
            "retained": bool(data.get("retained")), "conditional": bool(data.get("conditional")),
        }))
    return [row for _, row in sorted(rows, key=lambda pair: pair[0])]


def materials_initial(materials: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {"text": m["text"], "group": m.get("group", ""), "original_count": m.get("original_count"),
         "copy_count": m.get("copy_count"), "retained": m.get("retained", False),
         "conditional": m.get("conditional", False), "ORDER": index}
        for index, m in enumerate(materials, start=1)
    ]


class ItemForm(forms.Form):
    """Every field of a guide an editor may change (content.EDITABLE_FIELDS), plus the flow
    definition, the reason and the effective date."""

    name = forms.CharField(label=TEXT_FIELDS["name"], max_length=200)
    list_name = forms.CharField(label=TEXT_FIELDS["list_name"], max_length=200, required=False,
                                help_text="清单汇总表中的名称；与事项名称相同可不填。")
    section = forms.ChoiceField(label="所属栏目")
    category = forms.CharField(label=TEXT_FIELDS["category"], max_length=120)
    list_category = forms.CharField(label=TEXT_FIELDS["list_category"], max_length=120, required=False)
    authority = forms.CharField(label=TEXT_FIELDS["authority"], max_length=100)
    mode_immediate = forms.BooleanField(label="马上办", required=False)
    mode_online = forms.BooleanField(label="网上办", required=False)
    mode_one_visit = forms.BooleanField(label="一次办", required=False)
    applicant_unit = forms.BooleanField(label="单位", required=False)
    applicant_person = forms.BooleanField(label="个人", required=False)
    legal_basis_label = forms.ChoiceField(label="依据名称", choices=[("设定主要依据", "设定主要依据"),
                                                                  ("设定依据", "设定依据")])
    legal_basis = _area("设定依据", rows=4, help_text="每行一部法律法规或文件。")
    conditions = _area("办事条件", rows=4)
    legal_limit = forms.CharField(label="法定时限", max_length=2000, help_text="如“5个工作日”“即时办结”“60日”；没有的填“无”。")
    promised_limit = forms.CharField(label="承诺时限", max_length=2000)
    special_procedure = _area("特别程序及期限", rows=2)
    fee = _area("收费依据及标准", rows=2)
    certificate = _area("证照或批复名称", rows=2)
    flow_steps = _area("运行流程", rows=5, help_text="每行一个步骤，不必写序号。")
    agency = _area("承办机构", rows=2)
    consult = _area("咨询方式", rows=4, help_text="按“机构名称：电话，地址”逐条填写。")
    complaint = _area("监督投诉方式", rows=2)
    remarks = _area("备注", rows=2)
    flow_definition = _area(
        "办理环节定义（经办系统）", rows=8,
        help_text="经办系统按此定义生成办件环节（与 flows.yaml 中 items 下的条目格式相同，见 docs/flows.md）。"
                  "不改动流程的请保持原样。",
    )
    reason = _area("变更理由", rows=3, required=True)
    effective_date = forms.DateField(label="拟生效日期", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def __init__(self, *args: Any, sections: list[str], **kwargs: Any):
        super().__init__(*args, **kwargs)
        section_field = self.fields["section"]
        assert isinstance(section_field, forms.ChoiceField)
        section_field.choices = [(s, s) for s in sections]

    def clean_flow_definition(self) -> Any:
        text = self.cleaned_data.get("flow_definition") or ""
        if not text.strip():
            return None
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise forms.ValidationError(f"不是有效的 YAML：{str(exc).splitlines()[0]}") from exc
        if not isinstance(data, dict):
            raise forms.ValidationError("应为 YAML 映射，至少包含 pattern，如“pattern: counter_4step”")
        return data

    def content(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            **{key: data.get(key, "") for key in TEXT_FIELDS},
            "section": data["section"],
            "modes": {"immediate": data["mode_immediate"], "online": data["mode_online"],
                      "one_visit": data["mode_one_visit"]},
            "applicant_kinds": [k for k in ("unit", "person") if data[f"applicant_{k}"]],
            "legal_basis": data.get("legal_basis", ""),
            "legal_limit": data["legal_limit"],
            "promised_limit": data["promised_limit"],
            "flow_steps": data.get("flow_steps", ""),
        }


def item_initial(item: dict[str, Any], *, flow_definition: dict[str, Any] | None, reason: str = "",
                 effective_date: date | None = None) -> dict[str, Any]:
    """Initial form values from an item dict (build_items shape)."""
    return {
        **{key: item.get(key, "") for key in TEXT_FIELDS},
        "section": item.get("section", ""),
        "mode_immediate": item["modes"]["immediate"], "mode_online": item["modes"]["online"],
        "mode_one_visit": item["modes"]["one_visit"],
        "applicant_unit": "unit" in item.get("applicant_kinds", []),
        "applicant_person": "person" in item.get("applicant_kinds", []),
        "legal_basis": "\n".join(item.get("legal_basis", [])),
        "legal_limit": item["legal_limit"]["text"], "promised_limit": item["promised_limit"]["text"],
        "flow_steps": "\n".join(item.get("flow_steps", [])),
        "flow_definition": flow_yaml(flow_definition),
        "reason": reason, "effective_date": effective_date,
    }


def flow_yaml(definition: dict[str, Any] | None) -> str:
    if not definition:
        return ""
    return str(yaml.safe_dump(definition, allow_unicode=True, sort_keys=False, width=100))


class RetireForm(forms.Form):
    reason = _area("取消理由", rows=3, required=True)
    effective_date = forms.DateField(label="拟生效日期", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))


class EditionForm(forms.Form):
    reason = _area("变更理由", rows=4, required=True)
    effective_date = forms.DateField(label="拟生效日期", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))


class CommentForm(forms.Form):
    comment = _area("审核意见", rows=3)


def apply_error(form: forms.Form, exc: ApplicationError) -> None:
    """Show a service's error on the field it names, or above the form."""
    field = exc.field
    aliases = {"materials": None, "item_code": None, "content": None}
    if field in form.fields and field not in aliases:
        form.add_error(field, exc.message)
    else:
        form.add_error(None, exc.message)
