"""The window form of a case's business data, generated from the item's data schema
(``framework.ItemDef.schema``): one input per field with its Chinese label and the right kind of
input (date, month, choice, ID number, amount …), rows for lists of persons, values prefilled from
what the case and the registry already know. Posted values are turned back into the data dict
``casedata.case_data_set`` validates and stores — the form never stores anything itself.

Input names are ``rd.<path>`` (``rd.persons.0.hired_on``), the same path the schema's errors name
(``data.persons.0.hired_on``), so an error is shown on its input.
"""

from __future__ import annotations

import re
import types
import typing
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from shebao.cases.models import Case
from shebao.core.identifiers import id_number_birth_date

from . import framework
from .labels import ROW_KEYS, choice_label, field_label, path_label

PREFIX = "rd."
Kind = Literal["text", "date", "month", "decimal", "integer", "bool", "select", "multi", "list", "idnumber",
               "creditcode", "orgcode"]


@dataclass
class Input:
    path: str
    label: str
    kind: Kind
    required: bool = False
    choices: list[tuple[str, str]] = field(default_factory=list)
    value: Any = ""
    error: str = ""
    hint: str = ""
    max_length: int | None = None

    @property
    def name(self) -> str:
        return PREFIX + self.path

    @property
    def dom_id(self) -> str:
        return "rd-" + self.path.replace(".", "-")


@dataclass
class Group:
    """A nested object (one person) or one row of a list of objects."""

    path: str
    label: str
    inputs: list[Input]
    row: int | None = None


@dataclass
class DataForm:
    inputs: list[Input]
    groups: list[Group]
    errors: list[tuple[str, str]]  # (label, message) in schema order, for the summary
    has_values: bool

    @property
    def blocks(self) -> list[Input | Group]:
        return [*self.inputs, *self.groups]


# --------------------------------------------------------------------------- schema walking


def _unwrap(annotation: Any) -> tuple[Any, bool, list[Any]]:
    """(inner type, optional, metadata) of an annotation: strips ``| None`` and ``Annotated``."""
    metadata: list[Any] = []
    optional = False
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            args = list(typing.get_args(annotation))
            metadata += args[1:]
            annotation = args[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            optional = optional or len(args) < len(typing.get_args(annotation))
            if len(args) != 1:
                return annotation, optional, metadata
            annotation = args[0]
        else:
            return annotation, optional, metadata


def _marker(alias: Any) -> Any:
    return typing.get_args(alias)[1]


_MONTH = _marker(framework.Month)
_ID = _marker(framework.IdNumber)
_CREDIT = _marker(framework.CreditCode)
_ORG = _marker(framework.OrgCode)


def _is_model(t: Any) -> bool:
    return isinstance(t, type) and issubclass(t, BaseModel)


def _scalar_kind(t: Any, metadata: list[Any]) -> tuple[Kind, list[tuple[str, str]]]:
    if any(m is _MONTH for m in metadata):
        return "month", []
    if any(m is _ID for m in metadata):
        return "idnumber", []
    if any(m is _CREDIT for m in metadata):
        return "creditcode", []
    if any(m is _ORG for m in metadata):
        return "orgcode", []
    if typing.get_origin(t) is Literal:
        values = [v for v in typing.get_args(t) if v != ""]
        return "select", [(str(v), choice_label(v)) for v in values]
    if t is bool:
        return "bool", [("true", "是"), ("false", "否")]
    if t is date:
        return "date", []
    if t is int:
        return "integer", []
    if t in (float,) or getattr(t, "__name__", "") == "Decimal":
        return "decimal", []
    return "text", []


def _max_length(info: FieldInfo) -> int | None:
    for m in info.metadata:
        value = getattr(m, "max_length", None)
        if isinstance(value, int):
            return value
    return None


def _text(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return [_text(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _input(path: str, name: str, info: FieldInfo, value: Any, required: bool) -> Input | None:
    t, _optional, metadata = _unwrap(info.annotation)
    metadata += list(info.metadata)
    origin = typing.get_origin(t)
    label = field_label(name)
    if origin is list:
        (inner,) = typing.get_args(t) or (str,)
        inner_t, _, _ = _unwrap(inner)
        if typing.get_origin(inner_t) is Literal:
            return Input(path, label, "multi", required, [(str(v), choice_label(v)) for v in typing.get_args(inner_t)],
                         value=_text(value or []))
        return Input(path, label, "list", required, value=", ".join(_text(v) for v in (value or [])),
                     hint="多项用逗号或空格分隔")
    kind, choices = _scalar_kind(t, metadata)
    if kind == "month" and isinstance(value, str) and len(value) >= 7:
        value = value[:7]
    elif kind == "month" and isinstance(value, date):
        value = f"{value:%Y-%m}"
    hint = {"idnumber": "18位（15位旧号自动转换）", "creditcode": "18位", "month": "年-月",
            "decimal": "元，最多两位小数"}.get(kind, "")
    if info.description and not info.description.isascii() and not info.description.startswith("00"):
        hint = info.description
    return Input(path, label, kind, required, choices, value=_text(value), hint=hint, max_length=_max_length(info))


def _model_inputs(model: type[BaseModel], values: dict[str, Any], prefix: str) -> tuple[list[Input], list[Group]]:
    inputs: list[Input] = []
    groups: list[Group] = []
    hidden: frozenset[str] = getattr(model, "form_hidden", frozenset())
    for name, info in model.model_fields.items():
        if name in hidden:
            continue
        path = f"{prefix}{name}"
        value = values.get(name)
        if value is None and not info.is_required():
            value = info.get_default(call_default_factory=True)  # show what an empty input means
        t, _optional, _ = _unwrap(info.annotation)
        required = info.is_required()
        if _is_model(t):
            sub_inputs, _ = _model_inputs(t, value if isinstance(value, dict) else {}, f"{path}.")
            groups.append(Group(path, field_label(name), sub_inputs))
            continue
        if typing.get_origin(t) is list:
            (inner,) = typing.get_args(t) or (str,)
            inner_t, _, _ = _unwrap(inner)
            rows = value if isinstance(value, list) else []
            if _is_model(inner_t) or (typing.get_origin(inner_t) is dict and name in ROW_KEYS):
                # Room for a few people when the list is required and empty; one more row otherwise.
                blank = 2 if (not rows and info.is_required()) else 1
                for index, row in enumerate([*rows, *[{}] * blank]):
                    row_path = f"{path}.{index}"
                    if _is_model(inner_t):
                        sub_inputs, _ = _model_inputs(inner_t, row if isinstance(row, dict) else {}, f"{row_path}.")
                    else:
                        sub_inputs = [Input(f"{row_path}.{key}", label, "text", value=_text((row or {}).get(key)))
                                      for key, label in ROW_KEYS[name]]
                    groups.append(Group(row_path, field_label(name), sub_inputs, row=index + 1))
                continue
        if typing.get_origin(t) is dict:
            allowed: dict[str, str] = getattr(model, "allowed_changes", {}) or {}
            current = value if isinstance(value, dict) else {}
            sub = [Input(f"{path}.{key}", label, _change_kind(key), choices=_change_choices(key),
                         value=_text(current.get(key))) for key, label in allowed.items()]
            groups.append(Group(path, field_label(name) + "（只填要变更的项）", sub))
            continue
        made = _input(path, name, info, value, required)
        if made is not None:
            inputs.append(made)
    return inputs, groups


def _change_kind(key: str) -> Kind:
    if key in {"birth_date", "work_start_date"}:
        return "date"
    if key == "sex":
        return "select"
    if key in {"id_number", "legal_rep_id"}:
        return "idnumber"
    return "text"


def _change_choices(key: str) -> list[tuple[str, str]]:
    return [("M", "男"), ("F", "女")] if key == "sex" else []


# --------------------------------------------------------------------------- prefill


def prefill(case: Case) -> dict[str, Any]:
    """What the case already says about the applicant, in the shape of the item's data."""
    defn = framework.ITEMS.get(case.item.code)
    if defn is None or defn.schema is None:
        return {}
    fields = defn.schema.model_fields
    out: dict[str, Any] = {}
    person: dict[str, Any] = {}
    if case.applicant_id_number:
        person["id_number"] = case.applicant_id_number
        try:
            born = id_number_birth_date(case.applicant_id_number)
            person["birth_date"] = born.isoformat()
            person["sex"] = "M" if int(case.applicant_id_number[16]) % 2 else "F"
        except (ValueError, IndexError, TypeError):
            pass
    if case.applicant_type != "unit":
        person["name"] = case.applicant_name
        if case.applicant_phone:
            person["phone"] = case.applicant_phone
    for key in ("id_number", "name", "sex", "birth_date", "phone"):
        if key in fields and key in person:
            out[key] = person[key]
    if case.applicant_type == "unit":
        if "name" in fields:
            out["name"] = case.applicant_name
        if "credit_code" in fields and case.applicant_credit_code:
            out["credit_code"] = case.applicant_credit_code
        if "contact_phone" in fields and case.applicant_phone:
            out["contact_phone"] = case.applicant_phone
    elif "person" in fields and person.get("id_number"):
        out["person"] = {"id_number": person["id_number"]}
    return out


# --------------------------------------------------------------------------- posted values


_SPLIT = re.compile(r"[\s,，、;；]+")


def parse(post: Any, schema: type[BaseModel]) -> dict[str, Any]:
    """The posted ``rd.*`` values as the nested data dict the schema validates. Empty inputs are
    left out (so the schema's defaults apply); list rows left entirely empty are dropped."""
    tree: dict[str, Any] = {}
    multi = _multi_paths(schema)
    for key in post:
        if not key.startswith(PREFIX):
            continue
        path = key[len(PREFIX):]
        if path in multi:
            values = [v for v in post.getlist(key) if v]
            if values:
                _put(tree, path.split("."), values)
            continue
        value = str(post.get(key, "")).strip()
        if value == "":
            continue
        if path in _list_paths(schema):
            _put(tree, path.split("."), [v for v in _SPLIT.split(value) if v])
            continue
        _put(tree, path.split("."), value)
    return _lists(tree)


def _put(tree: dict[str, Any], parts: list[str], value: Any) -> None:
    node = tree
    for part in parts[:-1]:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            return
    node[parts[-1]] = value


def _lists(node: Any) -> Any:
    """Dicts keyed by row numbers become lists (in order, empty rows gone)."""
    if not isinstance(node, dict):
        return node
    converted = {k: _lists(v) for k, v in node.items()}
    if converted and all(k.isdigit() for k in converted):
        return [converted[k] for k in sorted(converted, key=int) if converted[k] not in ({}, "", None)]
    return converted


def _paths(schema: type[BaseModel], prefix: str = "") -> dict[str, Kind]:
    out: dict[str, Kind] = {}
    for name, info in schema.model_fields.items():
        t, _, _ = _unwrap(info.annotation)
        if typing.get_origin(t) is list:
            (inner,) = typing.get_args(t) or (str,)
            inner_t, _, _ = _unwrap(inner)
            if typing.get_origin(inner_t) is Literal:
                out[prefix + name] = "multi"
            elif not _is_model(inner_t) and typing.get_origin(inner_t) is not dict:
                out[prefix + name] = "list"
        elif _is_model(t):
            out.update(_paths(t, f"{prefix}{name}."))
    return out


def _multi_paths(schema: type[BaseModel]) -> set[str]:
    return {p for p, k in _paths(schema).items() if k == "multi"}


def _list_paths(schema: type[BaseModel]) -> set[str]:
    return {p for p, k in _paths(schema).items() if k == "list"}


# --------------------------------------------------------------------------- the form


def build(code: str, *, case: Case | None = None, values: dict[str, Any] | None = None,
          problems: list[dict[str, str]] | None = None) -> DataForm | None:
    """The form of item ``code``, showing ``values`` (posted), else the case's stored data, else
    what the case prefills, and the ``problems`` of the last save (``[{"field": "data.x",
    "message": …}]``). None when the item has no business data."""
    defn = framework.ITEMS.get(code)
    if defn is None or defn.schema is None:
        return None
    stored = framework.stored_data(case) if case is not None else None
    shown = values if values is not None else (stored or (prefill(case) if case is not None else {}))
    inputs, groups = _model_inputs(defn.schema, shown or {}, "")
    by_path = {i.path: i for i in inputs}
    for group in groups:
        by_path.update({i.path: i for i in group.inputs})
    errors: list[tuple[str, str]] = []
    for problem in problems or []:
        path = problem.get("field", "").removeprefix("data.").removeprefix("data")
        message = problem.get("message", "")
        errors.append((path_label(path), message))
        target = by_path.get(path)
        if target is None:  # an error on a whole row or list: show it on the row's first input
            target = next((i for p, i in by_path.items() if p.startswith(path + ".")), None) if path else None
        if target is not None and not target.error:
            target.error = message
    return DataForm(inputs=inputs, groups=groups, errors=errors, has_values=bool(stored))


def needs_data(case: Case) -> bool:
    """Whether the item has a data form at all (items without a schema change nothing or need nothing)."""
    defn = framework.ITEMS.get(case.item.code)
    return defn is not None and defn.schema is not None


def schema_for(code: str) -> type[BaseModel] | None:
    defn = framework.ITEMS.get(code)
    return defn.schema if defn is not None else None
