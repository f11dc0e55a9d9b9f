"""The registry panel of the workbench case page: what the item changes in the registries, its
preconditions, the business-data form, the current eligibility findings, and — after 办结 — what
the case changed (its field history). Reads only; saving goes through
``shebao.registry.casedata.case_data_set``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist

from shebao.cases.models import Case, CaseEvent, CaseStatus
from shebao.registry import dataform
from shebao.registry.casedata import may_set_data
from shebao.registry.effects import definition, enabled, evaluate, mode
from shebao.registry.framework import stored_data
from shebao.registry.labels import choice_label, path_label
from shebao.registry.models import FieldChange
from shebao.registry.rules import Finding

MODEL_LABELS = {
    "employer": "参保单位", "person": "参保人员", "relationship": "参保关系", "bill": "核定单", "card": "社会保障卡",
    "benefitdecision": "待遇核定", "payable": "应付帐", "filing": "登记备案", "certification": "社保年审",
    "transfer": "关系转移", "flexibleaccount": "灵活就业账户", "flexiblegrade": "缴费档次", "wagedeclaration": "缴费工资申报",
    "onlineaccount": "网上办事大厅账户", "paymentrun": "支付批次",
}


@dataclass
class ChangeRow:
    what: str
    key: str
    field: str
    old: str
    new: str


@dataclass
class RegistryPanel:
    effect: str
    precondition: str
    data_at: str
    form: dataform.DataForm | None
    editable: bool
    stored: list[tuple[str, str]]
    findings: list[Finding]
    changes: list[ChangeRow] = field(default_factory=list)
    skipped: str = ""
    enforced: bool = True
    stage_label: str = ""

    @property
    def blocks(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "block"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "warn"]


def _field_label(model: str, name: str) -> str:
    if name == "*":
        return "新建"
    try:
        verbose = apps.get_model("registry", model)._meta.get_field(name).verbose_name
    except (LookupError, FieldDoesNotExist):
        verbose = ""
    text = str(verbose)
    return text if text and not text.replace(" ", "").isascii() else path_label(name)


def _changes(case: Case) -> list[ChangeRow]:
    rows = []
    for change in FieldChange.objects.filter(case=case).order_by("id")[:200]:
        created = change.field == "*"
        rows.append(ChangeRow(MODEL_LABELS.get(change.model, change.model), change.object_id,
                              _field_label(change.model, change.field), "" if created else _shown(change.old),
                              "新建记录" if created else _shown(change.new)))
    return rows


def _shown(value: str) -> str:
    return choice_label(value) if value in {"M", "F", "true", "false"} else value


def _flatten(data: Any, prefix: str = "") -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if isinstance(data, dict):
        for key, value in data.items():
            out += _flatten(value, f"{prefix}{key}.")
    elif isinstance(data, list) and data and all(isinstance(v, dict) for v in data):
        for index, value in enumerate(data):
            out += _flatten(value, f"{prefix}{index}.")
    else:
        if isinstance(data, list):
            text = "、".join(choice_label(v) for v in data)
        elif isinstance(data, bool):
            text = "是" if data else "否"
        else:
            text = choice_label(data) if data is not None else ""
        out.append((path_label(prefix.rstrip(".")), text))
    return out


def _plain(finding: Finding) -> Finding:
    """The missing-data refusal names the API for API clients; the window reads it plainly."""
    if finding.field == "data" and finding.message.startswith(("请受理前登记", "请办结前登记")):
        when = "受理" if finding.message.startswith("请受理前") else "办结"
        return Finding(finding.level, finding.rule, f"尚未登记本事项的业务数据，{when}前须在下方登记", finding.field)
    return finding


def registry_panel(case: Case, user: Any, *, values: dict[str, Any] | None = None,
                   problems: list[dict[str, str]] | None = None) -> RegistryPanel | None:
    defn = definition(case.item.code)
    if defn is None:
        return None
    stored = stored_data(case)
    open_case = case.status in {CaseStatus.SUBMITTED, CaseStatus.INCOMPLETE, CaseStatus.ACCEPTED,
                                CaseStatus.SUSPENDED}
    editable = open_case and defn.schema is not None and may_set_data(user, case)
    findings: list[Finding] = []
    stage_label = ""
    if open_case and enabled():
        stage = "accept" if case.status in {CaseStatus.SUBMITTED, CaseStatus.INCOMPLETE} else "close"
        stage_label = "受理" if stage == "accept" else "办结"
        findings = [_plain(f) for f in evaluate(case, stage=stage)]
    skipped = CaseEvent.objects.filter(case=case, action="registry_skipped").values_list("detail", flat=True).first()
    return RegistryPanel(
        effect=defn.effect, precondition=defn.precondition,
        data_at="受理前" if defn.data_at == "accept" else "办结前",
        form=dataform.build(case.item.code, case=case, values=values, problems=problems) if editable else None,
        editable=editable, stored=_flatten(stored) if stored else [], findings=findings,
        changes=_changes(case) if case.status == CaseStatus.COMPLETED else [],
        skipped=(skipped or {}).get("note", "") if skipped is not None else "",
        enforced=mode() == "strict", stage_label=stage_label,
    )
