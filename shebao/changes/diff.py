"""Field-by-field differences between two states of an item, and between two catalogs.

Pure Python (difflib), no database: the callers pass item dicts in the catalog's
``build_items`` shape, optionally with a ``flow_definition`` key (the item's flows.yaml entry).

* Text fields are compared character by character (Chinese has no spaces to split words on).
* List fields — 申报材料, 运行流程 steps, 设定依据, the handling-flow steps — are compared entry by
  entry: each row is kept, inserted, deleted, or replaced (with the characters that changed).
"""

from __future__ import annotations

import difflib
from dataclasses import asdict, dataclass
from dataclasses import field as dc_field
from typing import Any

# Every field a reader may care about, in the order a guide reads, with its Chinese label.
FIELD_LABELS: dict[str, str] = {
    "section": "所属栏目",
    "seq": "清单序号",
    "name": "事项名称",
    "list_name": "清单中名称",
    "category": "业务类别",
    "list_category": "清单中业务类别",
    "list_code": "清单中业务编号",
    "authority": "实施机关",
    "modes": "办理类型",
    "applicant_kinds": "办事对象",
    "legal_basis": "设定依据",
    "conditions": "办事条件",
    "materials": "申报材料",
    "legal_limit": "法定时限",
    "promised_limit": "承诺时限",
    "special_procedure": "特别程序及期限",
    "fee": "收费依据及标准",
    "certificate": "证照或批复名称",
    "flow_steps": "运行流程",
    "flow_text": "运行流程（原文）",
    "agency": "承办机构",
    "consult": "咨询方式",
    "complaint": "监督投诉方式",
    "remarks": "备注",
    "flow_definition": "办理环节（经办系统）",
}
LIST_FIELDS = frozenset({"legal_basis", "materials", "flow_steps", "flow_definition", "applicant_kinds"})
CHANGE_LABELS = {"added": "新增", "removed": "取消", "changed": "修改"}
_MODES = (("immediate", "马上办"), ("online", "网上办"), ("one_visit", "一次办"))
_APPLICANTS = {"unit": "单位", "person": "个人"}

Segment = tuple[str, str]  # ("equal" | "delete" | "insert", text)


@dataclass
class ListRow:
    tag: str  # equal | insert | delete | replace
    before: str | None = None
    after: str | None = None
    before_no: int | None = None  # 1-based position in the old list
    after_no: int | None = None   # 1-based position in the new list
    before_segments: list[Segment] = dc_field(default_factory=list)
    after_segments: list[Segment] = dc_field(default_factory=list)


@dataclass
class FieldDiff:
    field: str
    label: str
    kind: str  # "text" or "list"
    before: str = ""
    after: str = ""
    before_segments: list[Segment] = dc_field(default_factory=list)
    after_segments: list[Segment] = dc_field(default_factory=list)
    rows: list[ListRow] = dc_field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        """For list fields: how many entries were added, removed and changed."""
        result = {"insert": 0, "delete": 0, "replace": 0}
        for row in self.rows:
            if row.tag in result:
                result[row.tag] += 1
        return result


@dataclass
class ItemDiff:
    code: str
    name: str
    change: str  # added | removed | changed
    fields: list[FieldDiff] = dc_field(default_factory=list)

    @property
    def change_label(self) -> str:
        return CHANGE_LABELS[self.change]

    @property
    def field_labels(self) -> list[str]:
        return [f.label for f in self.fields]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ItemDiff:
        fields = []
        for f in data.get("fields", []):
            rows = [ListRow(**{**r, "before_segments": [tuple(s) for s in r.get("before_segments", [])],
                               "after_segments": [tuple(s) for s in r.get("after_segments", [])]})
                    for r in f.get("rows", [])]
            fields.append(FieldDiff(**{**f, "rows": rows,
                                       "before_segments": [tuple(s) for s in f.get("before_segments", [])],
                                       "after_segments": [tuple(s) for s in f.get("after_segments", [])]}))
        return cls(code=data["code"], name=data["name"], change=data["change"], fields=fields)


# --------------------------------------------------------------------------- rendering values


def _limit_text(value: Any) -> str:
    if not isinstance(value, dict):
        return ""
    return str(value.get("text") or "")


def material_line(material: dict[str, Any]) -> str:
    """One 申报材料 entry as a line: group, text and what the window keeps."""
    notes = []
    if material.get("original_count"):
        notes.append(f"原件{material['original_count']}份")
    if material.get("copy_count"):
        notes.append(f"复印件{material['copy_count']}份")
    if material.get("retained"):
        notes.append("拟留件")
    if material.get("conditional"):
        notes.append("视情况提供")
    group = f"【{material['group']}】" if material.get("group") else ""
    tail = f"〔{'·'.join(notes)}〕" if notes else ""
    return f"{group}{material.get('text', '')}{tail}"


def _flow_lines(code: str, definition: Any) -> list[str]:
    """The handling-flow steps a definition produces, one line per step; YAML lines if it does not build."""
    if not definition:
        return []
    from shebao.catalog.flows import CONDITIONS, FlowDataError, flow_from_definition

    levels = {"street": "街道", "district": "区", "city": "市级中心", "bureau": "局处室", "applicant": "申请人",
              "system": "系统", "external": "外部"}
    try:
        flow = flow_from_definition(code, definition)
    except (FlowDataError, TypeError, KeyError, ValueError):
        import yaml

        return yaml.safe_dump(definition, allow_unicode=True, sort_keys=False).splitlines()
    lines = []
    for step in flow.all_steps():
        parts = [levels.get(step.level, step.level)]
        if step.rule:
            parts.append(step.rule)
        if step.when:
            parts.append(CONDITIONS.get(step.when, step.when))
        lines.append(f"{step.name}（{'，'.join(parts)}）")
    return lines


def _as_text(name: str, value: Any) -> str:
    if value is None:
        return ""
    if name == "modes" and isinstance(value, dict):
        return "　".join(f"{'☑' if value.get(key) else '☐'}{label}" for key, label in _MODES)
    if name in {"legal_limit", "promised_limit"}:
        return _limit_text(value)
    if name == "seq":
        return f"第{value}项"
    return str(value)


def _as_lines(name: str, value: Any, code: str) -> list[str]:
    if not value:
        return []
    if name == "materials":
        return [material_line(m) for m in value]
    if name == "flow_definition":
        return _flow_lines(code, value)
    if name == "applicant_kinds":
        return [_APPLICANTS.get(v, v) for v in value]
    return [str(v) for v in value]


# --------------------------------------------------------------------------- diffing


def text_segments(before: str, after: str) -> tuple[list[Segment], list[Segment]]:
    """Character-level changes: segments of the old text (equal/delete) and of the new (equal/insert)."""
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    old: list[Segment] = []
    new: list[Segment] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            old.append(("equal", before[i1:i2]))
            new.append(("equal", after[j1:j2]))
        else:
            if i2 > i1:
                old.append(("delete", before[i1:i2]))
            if j2 > j1:
                new.append(("insert", after[j1:j2]))
    return old, new


def list_rows(before: list[str], after: list[str]) -> list[ListRow]:
    """Entry-by-entry changes between two lists; replaced entries are paired in order."""
    rows: list[ListRow] = []
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            rows.extend(ListRow("equal", before[i], after[j], i + 1, j + 1)
                        for i, j in zip(range(i1, i2), range(j1, j2), strict=True))
            continue
        old, new = list(range(i1, i2)), list(range(j1, j2))
        paired = min(len(old), len(new)) if tag == "replace" else 0
        for i, j in zip(old[:paired], new[:paired], strict=True):
            seg_old, seg_new = text_segments(before[i], after[j])
            rows.append(ListRow("replace", before[i], after[j], i + 1, j + 1, seg_old, seg_new))
        rows.extend(ListRow("delete", before[i], None, i + 1, None) for i in old[paired:])
        rows.extend(ListRow("insert", None, after[j], None, j + 1) for j in new[paired:])
    return rows


def field_diff(name: str, before: Any, after: Any, *, code: str = "") -> FieldDiff | None:
    """The difference in one field, or None if the field did not change."""
    label = FIELD_LABELS.get(name, name)
    if name in LIST_FIELDS:
        old_lines, new_lines = _as_lines(name, before, code), _as_lines(name, after, code)
        if old_lines == new_lines and (name != "materials" or before == after):
            return None
        rows = list_rows(old_lines, new_lines)
        if old_lines == new_lines:  # same lines, other details (printed numbers): say so
            rows = [ListRow("equal", line, line, i, i) for i, line in enumerate(old_lines, 1)]
        return FieldDiff(name, label, "list", rows=rows)
    old_text, new_text = _as_text(name, before), _as_text(name, after)
    if old_text == new_text:
        return None
    seg_old, seg_new = text_segments(old_text, new_text)
    return FieldDiff(name, label, "text", old_text, new_text, seg_old, seg_new)


def item_diff(before: dict[str, Any] | None, after: dict[str, Any] | None) -> ItemDiff | None:
    """Field-by-field difference of one item; None if nothing a reader sees changed."""
    if before is None and after is None:
        return None
    ref = after or before
    assert ref is not None
    code, name = str(ref.get("code", "")), str(ref.get("name", ""))
    if after is None:
        return ItemDiff(code, name, "removed", [])
    old = before or {}
    fields: list[FieldDiff] = []
    for key in FIELD_LABELS:
        if key == "flow_text" and old.get("flow_steps") != after.get("flow_steps"):
            continue  # the printed text follows the steps: show the steps only
        if key not in after and key not in old:
            continue
        if key == "flow_definition" and "flow_definition" not in after:
            continue  # the caller did not ask about flow definitions
        diff = field_diff(key, old.get(key), after.get(key), code=code)
        if diff is not None:
            fields.append(diff)
    if before is None:
        return ItemDiff(code, name, "added", fields)
    return ItemDiff(code, name, "changed", fields) if fields else None


def catalog_diff(before: list[dict[str, Any]], after: list[dict[str, Any]]) -> list[ItemDiff]:
    """Every item added, changed or removed between two catalogs, in the new catalog's order."""
    old_by_code = {item["code"]: item for item in before}
    new_codes = {item["code"] for item in after}
    result: list[ItemDiff] = []
    for item in after:
        diff = item_diff(old_by_code.get(item["code"]), item)
        if diff is not None:
            result.append(diff)
    result.extend(
        ItemDiff(item["code"], item["name"], "removed") for item in before if item["code"] not in new_codes
    )
    return result


def summarize(diffs: list[ItemDiff]) -> dict[str, int]:
    """How many items were added, changed and removed."""
    counts = {"added": 0, "changed": 0, "removed": 0}
    for diff in diffs:
        counts[diff.change] += 1
    return counts
