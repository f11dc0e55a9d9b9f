"""Proposed item content: checking an editor's input and building the item dict the catalog writes.

An item is a dict in the shape of ``shebao.catalog.importer.build.build_items``. Editors change
the fields people read; the derived ones (time-limit kind and count, the printed materials and
flow text, contacts parsed from 咨询方式, material positions) are recomputed here, the way the
importer computes them from the document.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from shebao.catalog.importer.contacts import parse_contacts
from shebao.core.errors import ValidationFailed
from shebao.workdays.rules import parse_rule

# What an editor may change, with the Chinese name used in messages.
TEXT_FIELDS: dict[str, str] = {
    "name": "事项名称",
    "list_name": "清单中名称",
    "category": "业务类别",
    "list_category": "清单中业务类别",
    "authority": "实施机关",
    "legal_basis_label": "依据名称",
    "conditions": "办事条件",
    "special_procedure": "特别程序及期限",
    "fee": "收费依据及标准",
    "certificate": "证照或批复名称",
    "agency": "承办机构",
    "consult": "咨询方式",
    "complaint": "监督投诉方式",
    "remarks": "备注",
}
REQUIRED_TEXT = ("name", "category", "authority")
MAX_TEXT = {"name": 200, "list_name": 200, "category": 120, "list_category": 120, "authority": 100,
            "legal_basis_label": 20}
LIMIT_FIELDS = {"legal_limit": "法定时限", "promised_limit": "承诺时限"}
EDITABLE_FIELDS = frozenset({
    *TEXT_FIELDS, *LIMIT_FIELDS, "section", "modes", "applicant_kinds", "legal_basis", "materials", "flow_steps",
})
# Compared to tell whether an item changed; ``position`` moves when other items come and go.
IGNORED_IN_COMPARISON = frozenset({"position"})
CODE_PATTERN = re.compile(r"^[A-Z]{2,6}\d{5}(-\d)?$")
_STEP_NUMBER = re.compile(r"^\s*(?:\d{1,2}|[一二三四五六七八九十]+)\s*[、.．:：)）]\s*")
MAX_COPIES = 20


def comparable(item: dict[str, Any] | None) -> dict[str, Any] | None:
    if item is None:
        return None
    return {k: v for k, v in item.items() if k not in IGNORED_IN_COMPARISON}


def _text(raw: dict[str, Any], key: str, label: str) -> str:
    value = raw.get(key, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationFailed(f"{label}应为文字", field=key)
    value = value.replace("\r\n", "\n").strip()
    limit = MAX_TEXT.get(key)
    if limit and len(value) > limit:
        raise ValidationFailed(f"{label}不能超过 {limit} 个字", field=key)
    return value


def _lines(value: Any, key: str, label: str) -> list[str]:
    if isinstance(value, str):
        value = value.replace("\r\n", "\n").split("\n")
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValidationFailed(f"{label}应为逐行填写的文字", field=key)
    return [v.strip() for v in value if v.strip()]


def _count(value: Any, field: str, label: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValidationFailed(f"{label}应为 0—{MAX_COPIES} 的整数", field=field) from None
    if not 0 <= number <= MAX_COPIES:
        raise ValidationFailed(f"{label}应为 0—{MAX_COPIES} 的整数", field=field)
    return number or None


def _materials(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise ValidationFailed("申报材料应为逐项列出的材料", field="materials")
    result: list[dict[str, Any]] = []
    for index, entry in enumerate(value, start=1):
        if not isinstance(entry, dict):
            raise ValidationFailed(f"申报材料第 {index} 项格式不对", field="materials")
        text = str(entry.get("text") or "").strip()
        if not text:
            raise ValidationFailed(f"申报材料第 {index} 项没有填写材料名称", field="materials")
        if len(text) > 1000:
            raise ValidationFailed(f"申报材料第 {index} 项过长（不超过 1000 字）", field="materials")
        result.append({
            "text": text,
            "group": str(entry.get("group") or "").strip()[:120],
            "original_count": _count(entry.get("original_count"), "materials", f"申报材料第 {index} 项的原件份数"),
            "copy_count": _count(entry.get("copy_count"), "materials", f"申报材料第 {index} 项的复印件份数"),
            "retained": bool(entry.get("retained")),
            "conditional": bool(entry.get("conditional")),
            "printed_number": str(entry.get("printed_number") or "").strip()[:8],
        })
    return result


def _same_materials(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> bool:
    keys = ("text", "group", "original_count", "copy_count", "retained", "conditional")
    return [tuple(m.get(k) for k in keys) for m in a] == [tuple(m.get(k) for k in keys) for m in b]


def _number_materials(materials: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Positions 1…n; printed numbers restart in each group, as the document prints them."""
    numbered: list[dict[str, Any]] = []
    counter = 0
    group = None
    for position, m in enumerate(materials, start=1):
        if m["group"] != group:
            group, counter = m["group"], 0
        counter += 1
        numbered.append({"position": position, "text": m["text"], "printed_number": str(counter),
                         "group": m["group"], "original_count": m["original_count"], "copy_count": m["copy_count"],
                         "retained": m["retained"], "conditional": m["conditional"]})
    return numbered


def _materials_text(materials: list[dict[str, Any]]) -> str:
    lines: list[str] = []
    group = ""
    for m in materials:
        if m["group"] and m["group"] != group:
            lines.append(m["group"])
        group = m["group"]
        lines.append(f"{m['printed_number']}、{m['text']}")
    return "\n".join(lines)


def blank_item(*, code: str, section: str, section_printed: str) -> dict[str, Any]:
    """A new item before the editor fills it in (build_items shape)."""
    empty_limit = {"text": "", "kind": "none", "count": None}
    return {
        "position": 0, "code": code, "seq": None, "section": section, "section_printed": section_printed,
        "list_code": code, "list_category": "", "list_name": "", "category": "", "name": "", "authority": "",
        "modes": {"immediate": False, "online": False, "one_visit": False}, "legal_basis": [],
        "legal_basis_label": "设定主要依据", "conditions": "", "materials_text": "", "materials": [],
        "legal_limit": dict(empty_limit), "promised_limit": dict(empty_limit), "special_procedure": "", "fee": "",
        "certificate": "", "flow_text": "", "flow_steps": [], "agency": "", "consult": "", "contacts": [],
        "complaint": "", "remarks": "", "applicant_kinds": [],
    }


def build_content(raw: dict[str, Any], *, base: dict[str, Any], sections: dict[str, str]) -> dict[str, Any]:
    """The item as proposed: ``base`` (the item now, or ``blank_item``) with the editor's fields.

    ``raw`` holds any of ``EDITABLE_FIELDS``; a field it lacks stays as in ``base``. ``sections``
    maps the section names of the catalog to their printed form. Raises ValidationFailed naming
    the field at fault."""
    if not isinstance(raw, dict):
        raise ValidationFailed("提案内容格式不对", field="content")
    unknown = sorted(set(raw) - EDITABLE_FIELDS - {"code", "position", "seq", "section_printed", "list_code",
                                                   "materials_text", "flow_text", "contacts"})
    if unknown:
        raise ValidationFailed(f"不能修改的字段：{'、'.join(unknown)}", field=unknown[0])
    item = copy.deepcopy(base)
    for key, label in TEXT_FIELDS.items():
        if key in raw:
            item[key] = _text(raw, key, label)
    for key in REQUIRED_TEXT:
        if not item.get(key):
            raise ValidationFailed(f"请填写{TEXT_FIELDS[key]}", field=key)
    if not item.get("list_name"):
        item["list_name"] = item["name"]
    if not item.get("list_category"):
        item["list_category"] = item["category"]
    if not item.get("legal_basis_label"):
        item["legal_basis_label"] = "设定主要依据"

    if "section" in raw:
        section = str(raw["section"] or "").strip()
        if section not in sections:
            raise ValidationFailed(f"栏目“{section[:40]}”不在清单中，请从现有栏目中选择", field="section")
        item["section"], item["section_printed"] = section, sections[section]

    if "modes" in raw:
        modes = raw["modes"]
        if not isinstance(modes, dict) or set(modes) - {"immediate", "online", "one_visit"}:
            raise ValidationFailed("办理类型应为 immediate/online/one_visit 的勾选", field="modes")
        item["modes"] = {key: bool(modes.get(key)) for key in ("immediate", "online", "one_visit")}

    if "applicant_kinds" in raw:
        kinds = raw["applicant_kinds"]
        if not isinstance(kinds, list) or set(kinds) - {"unit", "person"}:
            raise ValidationFailed("办事对象只能是单位（unit）或个人（person）", field="applicant_kinds")
        item["applicant_kinds"] = [k for k in ("unit", "person") if k in kinds]

    if "legal_basis" in raw:
        item["legal_basis"] = _lines(raw["legal_basis"], "legal_basis", "设定依据")

    for key, label in LIMIT_FIELDS.items():
        if key in raw:
            value = raw[key]
            text = value.get("text", "") if isinstance(value, dict) else value
            if not isinstance(text, str):
                raise ValidationFailed(f"{label}应为文字", field=key)
            text = text.strip()
            if len(text) > 2000:
                raise ValidationFailed(f"{label}过长", field=key)
            if text != item[key]["text"]:
                rule = parse_rule(text)
                item[key] = {"text": text, "kind": rule.kind, "count": rule.count}
        if not item[key]["text"]:
            raise ValidationFailed(f"请填写{label}（没有的填“无”）", field=key)

    if "materials" in raw:
        materials = _materials(raw["materials"])
        if not _same_materials(materials, item["materials"]):
            item["materials"] = _number_materials(materials)
            item["materials_text"] = _materials_text(item["materials"])

    if "flow_steps" in raw:
        steps = [_STEP_NUMBER.sub("", s) for s in _lines(raw["flow_steps"], "flow_steps", "运行流程")]
        if any(not s for s in steps):
            raise ValidationFailed("运行流程有空的步骤", field="flow_steps")
        if steps != item["flow_steps"]:
            item["flow_steps"] = steps
            item["flow_text"] = "\n".join(f"{i}.{s}" for i, s in enumerate(steps, start=1))

    if "consult" in raw and item["consult"] != base.get("consult"):
        item["contacts"] = [
            {"label": c.label, "phones": list(c.phones), "address": c.address} for c in parse_contacts(item["consult"])
        ]
    return item


def check_code(code: str) -> str:
    canonical = (code or "").strip().upper()
    if not CODE_PATTERN.match(canonical):
        raise ValidationFailed(f"业务编号“{code[:30]}”格式不对，应如 SBZX00121", field="item_code")
    return canonical


def place_item(items: list[dict[str, Any]], item: dict[str, Any]) -> list[dict[str, Any]]:
    """Put ``item`` into the catalog: in place if its code is there and its section unchanged,
    else at the end of its section (a new section goes last). Positions are renumbered 1…n."""
    result = [dict(i) for i in items]
    index = next((n for n, i in enumerate(result) if i["code"] == item["code"]), None)
    if index is not None and result[index]["section"] == item["section"]:
        result[index] = dict(item)
    else:
        if index is not None:
            result.pop(index)
        last = max((n for n, i in enumerate(result) if i["section"] == item["section"]), default=len(result) - 1)
        result.insert(last + 1, dict(item))
    return renumber(result)


def remove_item(items: list[dict[str, Any]], code: str) -> list[dict[str, Any]]:
    return renumber([dict(i) for i in items if i["code"] != code])


def renumber(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for position, item in enumerate(items, start=1):
        item["position"] = position
    return items


def next_seq(items: list[dict[str, Any]]) -> int:
    """序号 for a new item: after the last one of the list (the numbers of existing items stay)."""
    return max((i["seq"] for i in items if i.get("seq") is not None), default=0) + 1


def three_way(base: dict[str, Any], ours: dict[str, Any], theirs: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Merge field by field: take ``theirs`` where ``ours`` left the base value; keep ``ours`` where
    it changed the field. Returns the merged item and the fields both sides changed differently
    (``ours`` kept)."""
    merged = copy.deepcopy(ours)
    clashes: list[str] = []
    for key in set(base) | set(ours) | set(theirs):
        if key in IGNORED_IN_COMPARISON:
            continue
        b, o, t = base.get(key), ours.get(key), theirs.get(key)
        if o == b:
            if key in theirs:
                merged[key] = copy.deepcopy(t)
        elif t != b and t != o:
            clashes.append(key)
    return merged, sorted(clashes)
