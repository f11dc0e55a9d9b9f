"""Flows as data: the steps each item's case goes through after 受理.

The curated definitions live in ``data/flows.yaml`` beside the official document: a small set
of patterns (the analyses' flow patterns) and, per item, the pattern plus its parameters.
Intake (申请 → 一次性告知 / 受理 / 不予受理) is the same for every item and belongs to the case
lifecycle, so flows list only what follows acceptance.

INTERFACE (the case engine relies on it): ``flow_for(code) -> FlowDef`` and ``all_flows()``.

``FlowDef.steps`` is the item's default route (what follows 受理 at the window, or the only route
of an online-only or internal item). Items that can also be done online, or whose window route
branches, carry every route in ``FlowDef.routes`` (see ``ROUTES``); ``steps`` is always one of
them. The YAML format, the patterns and the vocabularies are described in docs/flows.md.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from shebao.core.errors import NotFound
from shebao.workdays.rules import parse_rule

# What a step does; the case engine decides which actions a step offers from its kind.
STEP_KINDS = {
    "review",       # 审核 / 初审 / 复审: pass, return (to the previous step or the applicant), fail
    "recheck",      # city-centre re-review (复核/核定) of a batched case
    "handle",       # 办理…手续: the record is changed; usually the last step
    "approve",      # bureau division approval / filing (审批 / 备案 / 批复)
    "batch",        # the case joins the monthly batch sent on by a cut-off day (每月20日前)
    "letter",       # send a letter (联系函) to another office; its date anchors the next stage
    "await",        # wait for an external event named by ``event`` (letter received, funds arrived, paid…)
    "confirm",      # 到账确认 (by a clerk, or automatically when ``auto``)
    "pay",          # payable (应付帐) and payment
    "investigate",  # 调查 (may suspend the clock: 中止)
    "decide",       # a formal decision (认定决定)
    "deliver",      # 送达 of a decision or certificate
    "appraise",     # medical appraisal at a designated hospital
    "sign",         # the applicant checks and signs what the window filled in
    "issue",        # produce and hand over a card or a document
}
ACTOR_LEVELS = {"street", "district", "city", "bureau", "applicant", "system", "external"}

# The office levels (shebao.accounts.models.OrgLevel); the other actor levels are not offices.
OFFICE_LEVELS = ("street", "district", "city", "bureau")
# Steps at these levels are performed by the applicant, the system or an outside body; they have no
# staff role ("") and the office holding the case records them.
NON_OFFICE_LEVELS = frozenset(ACTOR_LEVELS) - frozenset(OFFICE_LEVELS)

# The values of shebao.accounts.models.Role (kept here so the loader needs no Django; the tests and
# validate_flows() check that the two agree).
ROLES = frozenset({
    "applicant_unit", "applicant_person", "agent", "window_clerk", "reviewer", "city_reviewer", "finance",
    "bureau_approver", "policy_office", "catalog_editor", "supervisor", "admin",
})
APPLICANT_ROLES = frozenset({"applicant_unit", "applicant_person", "agent"})
STAFF_ROLES = ROLES - APPLICANT_ROLES

# How an application comes in (intake itself is not a step).
INTAKES = {
    "counter": "窗口申请",
    "online": "网上申请",
    "counter_or_online": "窗口或网上申请",
    "none": "无申请人（内部发起）",
}

# Named events: an ``await`` step completes when its ``event`` is recorded; a step with ``emits``
# records its event when it completes. Anchors name one of them, or "accepted" / "previous".
EVENTS = {
    "letter_sent": "发出联系函",
    "letter_received": "收到联系函",
    "funds_received": "收到转移的关系和资金（资料）",
    "materials_brought": "申请人携带申报材料到窗口",
    "payment_made": "缴费完成",
    "batch_sent": "汇总报送上级经办机构",
    "appraisal_applied": "到指定医院申请鉴定",
    "appraisal_done": "鉴定完成",
    "results_received": "收到鉴定资料和结果",
    "decision_made": "作出决定",
    "month_closed": "月结",
    "approval_granted": "市政府批复",
}
ANCHORS = {"accepted": "受理", "previous": "上一环节完成", **EVENTS}

# ``when`` on a step: the route condition under which the step applies (absent: every route).
CONDITIONS = {
    "counter": "窗口办理",
    "online": "网上办理",
    "online_non_credit": "网上办理且非单位网上信用用户",
    "via_street": "经街道（社区）初审转报",
}
# The routes a flow can have, and the step conditions each route takes.
ROUTES: dict[str, tuple[str, frozenset[str | None]]] = {
    "counter": ("窗口办理", frozenset({None, "counter", "via_street"})),
    "district_direct": ("直接到区社保经办机构办理", frozenset({None, "counter"})),
    "online": ("网上办理", frozenset({None, "online"})),
    "online_non_credit": ("网上办理（非单位网上信用用户）", frozenset({None, "online", "online_non_credit"})),
    "internal": ("内部发起", frozenset({None})),
}

DATA_PATH = Path(__file__).resolve().parent / "data" / "flows.yaml"

_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_CODE = re.compile(r"^(SBZX|YBZX|SYB|XXZX|GSC|YLC)\d{5}(-\d)?$")
_NAME_MAX = 200  # CaseStep.name


@dataclass(frozen=True)
class FlowStepDef:
    key: str                  # unique within the flow, e.g. "review"
    name: str                 # Chinese, as the guide words it, e.g. "审核"
    role: str                 # shebao.accounts.models.Role value that acts ("" for system/external)
    level: str                # one of ACTOR_LEVELS
    kind: str                 # one of STEP_KINDS
    rule: str | None = None   # time limit of this step as a guide phrase (parsed by shebao.workdays)
    anchor: str = "previous"  # event that starts this step's clock: accepted | previous | <event key>
    event: str | None = None  # for kind "await": the event key that completes the step
    auto: bool = False        # done by the scheduler (`shebao tick`), e.g. next-day confirmation
    when: str | None = None   # route condition (CONDITIONS); None: the step is on every route
    emits: str | None = None  # event (EVENTS) recorded when this step completes, for later anchors


@dataclass(frozen=True)
class FlowDef:
    code: str                        # item code, e.g. SBZX00001
    pattern: str                     # pattern id, e.g. counter_4step (the analyses' F1)
    pattern_name: str                # Chinese, e.g. 窗口受理、审核、办理
    intake: str                      # counter | online | counter_or_online | none (internal items)
    intake_level: str                # level of the office that receives the application
    steps: tuple[FlowStepDef, ...]
    params: dict[str, object] = field(default_factory=dict)  # pattern parameters (cut-off day, pair item…)
    # Every route of the item (ROUTES keys), the default one included; ``steps`` is routes[default_route].
    routes: dict[str, tuple[FlowStepDef, ...]] = field(default_factory=dict)
    default_route: str = "counter"
    written_steps: tuple[FlowStepDef, ...] = ()  # every step of every route, in the order written
    note: str = ""                   # curated remark: how the guide text was read, doubts

    def steps_for(self, route: str) -> tuple[FlowStepDef, ...]:
        """The steps of one route ("counter", "online", "online_non_credit", "district_direct",
        "internal"); KeyError if the item has no such route."""
        if not self.routes:
            if route == self.default_route:
                return self.steps
            raise KeyError(f"{self.code} has no route {route!r}")
        try:
            return self.routes[route]
        except KeyError:
            raise KeyError(f"{self.code} has no route {route!r}; it has {sorted(self.routes)}") from None

    def all_steps(self) -> tuple[FlowStepDef, ...]:
        """Every step of every route, in the order written (each with its ``when``)."""
        return self.written_steps or self.steps


class FlowDataError(ValueError):
    """flows.yaml is inconsistent. The message names the file, the item (or pattern) and the field."""

    def __init__(self, source: str, where: str, field_name: str, problem: str):
        self.source = source
        self.where = where
        self.field = field_name
        self.problem = problem
        location = f"{where}, field {field_name}" if field_name else where
        super().__init__(f"{source}: {location}: {problem}")


# --------------------------------------------------------------------------- parameters


def _is_code(value: object) -> bool:
    return isinstance(value, str) and bool(_CODE.match(value))


def _check_code(value: object) -> str | None:
    return None if _is_code(value) else "expected an item code such as SBZX00020-2"


def _check_codes(value: object) -> str | None:
    if not isinstance(value, list) or not value or not all(_is_code(v) for v in value):
        return "expected a non-empty list of item codes"
    return None


def _check_int(low: int, high: int) -> Callable[[object], str | None]:
    def check(value: object) -> str | None:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            return f"expected a whole number from {low} to {high}"
        return None

    return check


def _check_month_day(value: object) -> str | None:
    match = re.fullmatch(r"(\d\d)-(\d\d)", value) if isinstance(value, str) else None
    if not match or not (1 <= int(match[1]) <= 12 and 1 <= int(match[2]) <= 31):
        return 'expected "MM-DD", e.g. "12-20"'
    return None


def _check_time(value: object) -> str | None:
    match = re.fullmatch(r"(\d\d):(\d\d)", value) if isinstance(value, str) else None
    if not match or not (int(match[1]) < 24 and int(match[2]) < 60):
        return 'expected "HH:MM", e.g. "16:00"'
    return None


def _check_weekdays(value: object) -> str | None:
    if (
        not isinstance(value, list) or not value
        or not all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 6 for v in value)
        or sorted(set(value)) != value
    ):
        return "expected an ascending list of weekdays, 0 = Monday … 6 = Sunday"
    return None


def _check_levels(value: object) -> str | None:
    if not isinstance(value, list) or not value or not all(v in OFFICE_LEVELS for v in value):
        return f"expected a list of office levels from {list(OFFICE_LEVELS)}"
    return None


def _check_rule(value: object) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return "expected a time-limit phrase"
    rule = parse_rule(value)
    if rule.kind in {"text", "none"}:
        return f"time-limit phrase {value!r} is not computable ({rule.reason or rule.kind})"
    return None


def _check_text(value: object) -> str | None:
    return None if isinstance(value, str) and value.strip() else "expected a non-empty text"


def _check_bool(value: object) -> str | None:
    return None if isinstance(value, bool) else "expected true or false"


def _check_choice(*choices: str) -> Callable[[object], str | None]:
    def check(value: object) -> str | None:
        return None if value in choices else f"expected one of {list(choices)}"

    return check


# name → (meaning, check). The meanings are repeated in docs/flows.md.
PARAMS: dict[str, tuple[str, Callable[[object], str | None]]] = {
    "pair": ("核定 / 到账确认的另一半事项", _check_code),
    "counterpart": ("转移接续另一端的事项（转出 ↔ 转入）", _check_code),
    "counterpart_office": ("转移接续的对方（本清单之外的机构）", _check_text),
    "reverts": ("本事项取消（回退）的前序事项", _check_codes),
    "requires": ("须先办理的事项", _check_codes),
    "cutoff_day": ("每月截止日：流程中“当月/每月N日前”须完成的环节", _check_int(1, 31)),
    "cutoff_date": ("每年截止日 MM-DD（当年12月20日以前 / 12月31日前）", _check_month_day),
    "cutoff_time": ("当日截止时刻 HH:MM（此后次日办结）", _check_time),
    "intake_weekdays": ("只在这些星期受理，0 = 星期一", _check_weekdays),
    "intake_also": ("也可在这些层级的机构受理", _check_levels),
    "apply_within": ("申请期限（自外部事件起算）", _check_rule),
    "extension": ("可延长的时限（病情复杂或有争议）", _check_rule),
    "agent_pickup": ("社区（学校）代办人员批量领卡的时限", _check_rule),
    "resume_cutoff_day": ("补审后恢复待遇的分界日", _check_int(1, 31)),
    "resume_month_before": ("分界日前补审：恢复并补发的月份（0 = 当月，1 = 次月）", _check_int(0, 3)),
    "resume_month_after": ("分界日后补审：恢复并补发的月份（1 = 次月，2 = 第三个月）", _check_int(0, 3)),
    "suspendable": ("可中止，中止期间不计入时限", _check_bool),
    "recurring": ("周期性内部事项", _check_choice("monthly", "yearly")),
    "also_by_phone": ("也可电话办理的号码", _check_text),
    "registration_period": ("只在参保登记规定时限内受理", _check_bool),
    "then_applicant": ("办结后申请人还须自行办理的事项", _check_text),
}
_CODE_PARAMS = ("pair", "counterpart", "reverts", "requires")

# --------------------------------------------------------------------------- loading

_TOP_KEYS = {"version", "patterns", "items"}
_PATTERN_KEYS = {"name", "intake", "intake_level", "steps", "params", "note"}
_ITEM_KEYS = {"pattern", "intake", "intake_level", "params", "steps", "omit", "add", "note"}
_STEP_FIELDS = ("key", "name", "role", "level", "kind", "rule", "anchor", "event", "auto", "when", "emits")
_STEP_REQUIRED = {"key", "name", "role", "level", "kind"}
_ADD_KEYS = {*_STEP_FIELDS, "after", "before"}


def load_flows(path: str | Path = DATA_PATH) -> dict[str, FlowDef]:
    """Read and check a flows file; every flow keyed by item code. Raises FlowDataError."""
    path = Path(path)
    source = path.name
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise FlowDataError(source, "file", "", f"cannot be read: {exc}") from exc
    try:
        _reject_duplicate_keys(yaml.compose(text, Loader=yaml.SafeLoader), source)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise FlowDataError(source, "file", "", f"is not valid YAML: {exc}") from exc
    return build_flows(data, source=source)


def _reject_duplicate_keys(node: yaml.Node | None, source: str) -> None:
    """yaml.safe_load keeps the last of two equal keys; a code listed twice must be an error."""
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                if key_node.value in seen:
                    line = key_node.start_mark.line + 1
                    raise FlowDataError(source, f"line {line}", str(key_node.value), "is listed twice")
                seen.add(key_node.value)
            _reject_duplicate_keys(value_node, source)
    elif isinstance(node, yaml.SequenceNode):
        for child in node.value:
            _reject_duplicate_keys(child, source)


def build_flows(data: object, *, source: str = "flows.yaml") -> dict[str, FlowDef]:
    """The flows from already-loaded YAML data (see load_flows)."""
    if not isinstance(data, dict):
        raise FlowDataError(source, "file", "", "expected a mapping with version, patterns and items")
    _unknown_keys(data, _TOP_KEYS, source, "file", "")
    if data.get("version") != 1:
        raise FlowDataError(source, "file", "version", "expected version: 1")
    patterns = data.get("patterns")
    items = data.get("items")
    if not isinstance(patterns, dict) or not patterns:
        raise FlowDataError(source, "file", "patterns", "expected a mapping of pattern id → pattern")
    if not isinstance(items, dict) or not items:
        raise FlowDataError(source, "file", "items", "expected a mapping of item code → item")
    checked_patterns = {pid: _check_pattern(str(pid), p, source) for pid, p in patterns.items()}
    flows: dict[str, FlowDef] = {}
    for code, entry in items.items():
        code_text = str(code)
        if not _is_code(code_text):
            raise FlowDataError(source, f"item {code_text}", "", "is not an item code such as SBZX00001")
        flows[code_text] = _build_item(code_text, entry, checked_patterns, source)
    unused = sorted(set(checked_patterns) - {f.pattern for f in flows.values()})
    if unused:
        raise FlowDataError(source, f"pattern {unused[0]}", "", "is not used by any item")
    _check_references(flows, source)
    return flows


def _unknown_keys(entry: Mapping[Any, Any], allowed: set[str], source: str, where: str, prefix: str) -> None:
    for key in entry:
        if key not in allowed:
            name = f"{prefix}{key}" if prefix else str(key)
            raise FlowDataError(source, where, name, f"unknown key; allowed: {sorted(allowed)}")


def _check_pattern(pid: str, entry: object, source: str) -> dict[str, Any]:
    where = f"pattern {pid}"
    if not _KEY.match(pid):
        raise FlowDataError(source, where, "", "pattern ids are lower-case words joined by _")
    if not isinstance(entry, dict):
        raise FlowDataError(source, where, "", "expected a mapping")
    _unknown_keys(entry, _PATTERN_KEYS, source, where, "")
    for key in ("name", "intake", "intake_level", "steps"):
        if key not in entry:
            raise FlowDataError(source, where, key, "is required")
    if _check_text(entry["name"]):
        raise FlowDataError(source, where, "name", "expected the Chinese pattern name")
    steps = entry["steps"]
    if not isinstance(steps, list) or not steps:
        raise FlowDataError(source, where, "steps", "expected a non-empty list of steps")
    for index, step in enumerate(steps):
        if not isinstance(step, dict):
            raise FlowDataError(source, where, f"steps[{index}]", "expected a mapping")
        _unknown_keys(step, set(_STEP_FIELDS), source, where, f"steps[{index}].")
    params = entry.get("params", {})
    if not isinstance(params, dict):
        raise FlowDataError(source, where, "params", "expected a mapping")
    return entry


def _build_item(code: str, entry: object, patterns: dict[str, dict[str, Any]], source: str) -> FlowDef:
    where = f"item {code}"
    if not isinstance(entry, dict):
        raise FlowDataError(source, where, "", "expected a mapping with at least a pattern")
    _unknown_keys(entry, _ITEM_KEYS, source, where, "")
    pid = entry.get("pattern")
    if pid not in patterns:
        raise FlowDataError(source, where, "pattern", f"unknown pattern {pid!r}; known: {sorted(patterns)}")
    pattern = patterns[pid]
    intake = entry.get("intake", pattern["intake"])
    if intake not in INTAKES:
        raise FlowDataError(source, where, "intake", f"unknown intake {intake!r}; expected one of {sorted(INTAKES)}")
    intake_level = entry.get("intake_level", pattern["intake_level"])
    if intake_level not in OFFICE_LEVELS:
        raise FlowDataError(source, where, "intake_level",
                            f"unknown office level {intake_level!r}; expected one of {list(OFFICE_LEVELS)}")

    # Steps: the pattern's, less `omit`, with `steps` overrides, plus `add`.
    raw = [dict(step) for step in pattern["steps"]]
    keys = [str(step.get("key")) for step in raw]
    omit = entry.get("omit", [])
    if not isinstance(omit, list):
        raise FlowDataError(source, where, "omit", "expected a list of step keys")
    for key in omit:
        if key not in keys:
            raise FlowDataError(source, where, f"omit.{key}", f"pattern {pid} has no step {key!r}; it has {keys}")
    raw = [step for step in raw if step.get("key") not in omit]
    overrides = entry.get("steps", {})
    if not isinstance(overrides, dict):
        raise FlowDataError(source, where, "steps", "expected a mapping of step key → fields to change")
    by_key = {step.get("key"): step for step in raw}
    for key, change in overrides.items():
        if key not in by_key:
            raise FlowDataError(source, where, f"steps.{key}",
                                f"no step {key!r} to override; the steps are {list(by_key)}")
        if not isinstance(change, dict):
            raise FlowDataError(source, where, f"steps.{key}", "expected a mapping of fields to change")
        _unknown_keys(change, set(_STEP_FIELDS) - {"key"}, source, where, f"steps.{key}.")
        for name, value in change.items():
            if value is None:
                by_key[key].pop(name, None)  # null: back to the field's default
            else:
                by_key[key][name] = value
    additions = entry.get("add", [])
    if not isinstance(additions, list):
        raise FlowDataError(source, where, "add", "expected a list of steps")
    for index, addition in enumerate(additions):
        label = f"add[{index}]"
        if not isinstance(addition, dict):
            raise FlowDataError(source, where, label, "expected a step mapping")
        _unknown_keys(addition, _ADD_KEYS, source, where, f"{label}.")
        step = {k: v for k, v in addition.items() if k not in {"after", "before"}}
        current = [s.get("key") for s in raw]
        if "after" in addition and "before" in addition:
            raise FlowDataError(source, where, label, "give after or before, not both")
        if "after" in addition or "before" in addition:
            target = addition.get("after", addition.get("before"))
            if target not in current:
                raise FlowDataError(source, where, f"{label}.{'after' if 'after' in addition else 'before'}",
                                    f"no step {target!r}; the steps are {current}")
            position = current.index(target) + (1 if "after" in addition else 0)
        else:
            position = len(raw)
        raw.insert(position, step)

    steps = tuple(_build_step(raw_step, index, intake_level, source, where) for index, raw_step in enumerate(raw))
    seen: set[str] = set()
    for built in steps:
        if built.key in seen:
            raise FlowDataError(source, where, f"steps.{built.key}", "step key used twice")
        seen.add(built.key)

    if not isinstance(entry.get("params", {}), dict):
        raise FlowDataError(source, where, "params", "expected a mapping")
    params = {**pattern.get("params", {}), **(entry.get("params") or {})}
    for name, value in params.items():
        if name not in PARAMS:
            raise FlowDataError(source, where, f"params.{name}", f"unknown parameter; known: {sorted(PARAMS)}")
        problem = PARAMS[name][1](value)
        if problem:
            raise FlowDataError(source, where, f"params.{name}", problem)
    _check_params(params, intake_level, source, where)

    routes, default_route = _routes(steps, intake, intake_level, params, source, where)
    note = entry.get("note", "")
    if not isinstance(note, str):
        raise FlowDataError(source, where, "note", "expected a text")
    return FlowDef(
        code=code, pattern=str(pid), pattern_name=str(pattern["name"]), intake=intake, intake_level=intake_level,
        steps=routes[default_route], params=params, routes=routes, default_route=default_route,
        written_steps=steps, note=note.strip(),
    )


def _build_step(raw: dict[str, Any], index: int, intake_level: str, source: str, where: str) -> FlowStepDef:
    key = raw.get("key")
    label = f"steps.{key}" if isinstance(key, str) and key else f"steps[{index}]"
    for name in _STEP_REQUIRED:
        if name not in raw:
            raise FlowDataError(source, where, f"{label}.{name}", "is required")
    if not isinstance(key, str) or not _KEY.match(key):
        raise FlowDataError(source, where, f"{label}.key", "expected a lower-case key of at most 40 characters")
    name = raw["name"]
    if not isinstance(name, str) or not name.strip() or len(name) > _NAME_MAX:
        raise FlowDataError(source, where, f"{label}.name", f"expected a Chinese name of 1–{_NAME_MAX} characters")
    role = raw["role"]
    if role != "" and role not in ROLES:
        raise FlowDataError(source, where, f"{label}.role", f"unknown role {role!r}; expected \"\" or one of {sorted(ROLES)}")
    level = intake_level if raw["level"] == "intake" else raw["level"]
    if level not in ACTOR_LEVELS:
        raise FlowDataError(source, where, f"{label}.level",
                            f"unknown level {raw['level']!r}; expected \"intake\" or one of {sorted(ACTOR_LEVELS)}")
    kind = raw["kind"]
    if kind not in STEP_KINDS:
        raise FlowDataError(source, where, f"{label}.kind", f"unknown kind {kind!r}; expected one of {sorted(STEP_KINDS)}")
    rule = raw.get("rule")
    if rule is not None:
        problem = _check_rule(rule)
        if problem:
            raise FlowDataError(source, where, f"{label}.rule", problem)
    anchor = raw.get("anchor", "previous")
    if anchor not in ANCHORS:
        raise FlowDataError(source, where, f"{label}.anchor", f"unknown anchor {anchor!r}; expected one of {sorted(ANCHORS)}")
    event = raw.get("event")
    if kind == "await":
        if event not in EVENTS:
            raise FlowDataError(source, where, f"{label}.event",
                                f"an await step needs an event from {sorted(EVENTS)}; got {event!r}")
    elif event is not None:
        raise FlowDataError(source, where, f"{label}.event", "only await steps name an event")
    emits = raw.get("emits")
    if emits is not None and (kind == "await" or emits not in EVENTS):
        raise FlowDataError(source, where, f"{label}.emits",
                            f"expected an event from {sorted(EVENTS)} on a step that is not an await step")
    auto = raw.get("auto", False)
    if not isinstance(auto, bool):
        raise FlowDataError(source, where, f"{label}.auto", "expected true or false")
    when = raw.get("when")
    if when is not None and when not in CONDITIONS:
        raise FlowDataError(source, where, f"{label}.when", f"unknown condition {when!r}; expected one of {sorted(CONDITIONS)}")
    # Who may act: staff at an office level; nobody in the system ("") for the applicant, the
    # system and outside bodies (the holding office records those).
    if level in NON_OFFICE_LEVELS and role != "":
        raise FlowDataError(source, where, f"{label}.role", f"a step at level {level!r} has no staff role; use \"\"")
    if level in OFFICE_LEVELS and role not in STAFF_ROLES:
        raise FlowDataError(source, where, f"{label}.role", f"a step at office level {level!r} needs a staff role")
    if auto != (level == "system"):
        raise FlowDataError(source, where, f"{label}.auto", "automatic steps, and only they, are at level \"system\"")
    if kind == "sign" and level != "applicant":
        raise FlowDataError(source, where, f"{label}.level", "the applicant signs: a sign step is at level \"applicant\"")
    if kind == "await" and level in OFFICE_LEVELS:
        raise FlowDataError(source, where, f"{label}.level", "an await step waits for the applicant, the system or an outside body")
    return FlowStepDef(key=key, name=name.strip(), role=role, level=level, kind=kind, rule=rule, anchor=anchor,
                       event=event, auto=auto, when=when, emits=emits)


def _check_params(params: dict[str, object], intake_level: str, source: str, where: str) -> None:
    resume = [name for name in ("resume_cutoff_day", "resume_month_before", "resume_month_after") if name in params]
    if resume and len(resume) != 3:
        raise FlowDataError(source, where, "params.resume_cutoff_day",
                            "resume_cutoff_day, resume_month_before and resume_month_after go together")
    also = params.get("intake_also")
    if isinstance(also, list) and intake_level in also:
        raise FlowDataError(source, where, "params.intake_also", f"repeats the intake level {intake_level!r}")


def _routes(
    steps: tuple[FlowStepDef, ...], intake: str, intake_level: str, params: dict[str, object], source: str, where: str
) -> tuple[dict[str, tuple[FlowStepDef, ...]], str]:
    conditions = {step.when for step in steps}
    names: list[str] = []
    if intake in {"counter", "counter_or_online"}:
        names.append("counter")
        if "via_street" in conditions:
            names.append("district_direct")
    if intake in {"online", "counter_or_online"}:
        names.append("online")
        if "online_non_credit" in conditions:
            names.append("online_non_credit")
    if intake == "none":
        names.append("internal")
    reachable: set[str | None] = set().union(*(ROUTES[name][1] for name in names))
    also = params.get("intake_also")
    also_levels = also if isinstance(also, list) else []
    for step in steps:
        if step.when not in reachable:
            raise FlowDataError(source, where, f"steps.{step.key}.when",
                                f"condition {step.when!r} can never apply with intake {intake!r}")
        if step.when == "via_street" and (intake_level != "street" or "district" not in also_levels):
            raise FlowDataError(source, where, f"steps.{step.key}.when",
                                "via_street needs intake_level street and params.intake_also [district]")
    routes: dict[str, tuple[FlowStepDef, ...]] = {}
    for name in names:
        route = tuple(step for step in steps if step.when in ROUTES[name][1])
        if not route:
            raise FlowDataError(source, where, "steps", f"route {name!r} has no steps")
        produced: set[str] = set()
        for step in route:
            if step.anchor not in {"accepted", "previous"} and step.anchor not in produced:
                raise FlowDataError(source, where, f"steps.{step.key}.anchor",
                                    f"event {step.anchor!r} is not produced by an earlier step on route {name!r}")
            made = step.event if step.kind == "await" else step.emits
            if made is not None:
                if made in produced:
                    raise FlowDataError(source, where, f"steps.{step.key}", f"event {made!r} is produced twice")
                produced.add(made)
        routes[name] = route
    return routes, names[0]


def _check_references(flows: dict[str, FlowDef], source: str) -> None:
    for code, flow in flows.items():
        for name in _CODE_PARAMS:
            value = flow.params.get(name)
            targets = value if isinstance(value, list) else [value] if value is not None else []
            for target in targets:
                if target not in flows:
                    raise FlowDataError(source, f"item {code}", f"params.{name}", f"names {target}, which has no flow")
                if target == code:
                    raise FlowDataError(source, f"item {code}", f"params.{name}", "names the item itself")
        for name in ("pair", "counterpart"):
            target = flow.params.get(name)
            if isinstance(target, str) and flows[target].params.get(name) != code:
                raise FlowDataError(source, f"item {code}", f"params.{name}",
                                    f"{target} must name {code} as its {name} too")


# --------------------------------------------------------------------------- access


@cache
def _bundled() -> dict[str, FlowDef]:
    return load_flows(DATA_PATH)


def all_flows() -> dict[str, FlowDef]:
    """Every item's flow, keyed by item code; read from data/flows.yaml once per process."""
    return dict(_bundled())


def flow_for(code: str) -> FlowDef:
    """The flow of one item. Accepts the list's misprinted codes (SBZX000062 for SBZX00062)."""
    from shebao.catalog.selectors import normalize_item_code

    canonical = normalize_item_code(code)
    flow = _bundled().get(canonical)
    if flow is None:
        raise NotFound(f"业务编号“{code.strip()}”没有办理流程定义", field="code")
    return flow


def validate_flows(
    flows: Mapping[str, FlowDef] | None = None, *, document_codes: Iterable[str] | None = None
) -> None:
    """Check the flows against the rest of the system; raise FlowDataError on the first problem.

    Beyond what loading checks (keys, vocabularies, steps, anchors, parameters, pairs): every role
    is a ``Role`` of shebao.accounts, every office level an ``OrgLevel``, and the items are exactly
    the guide tables of the official document (parsed from the bundled text unless
    ``document_codes`` is given).
    """
    from shebao.accounts.models import OrgLevel, Role

    source = DATA_PATH.name
    flows = _bundled() if flows is None else flows
    roles = set(Role.values)
    if roles != ROLES:
        raise FlowDataError(source, "module flows.py", "ROLES",
                            f"differs from accounts Role: {sorted(roles ^ ROLES)}")
    if set(OrgLevel.values) != set(OFFICE_LEVELS):
        raise FlowDataError(source, "module flows.py", "OFFICE_LEVELS", "differs from accounts OrgLevel")
    for code, flow in flows.items():
        for step in flow.all_steps():
            if step.role and step.role not in roles:
                raise FlowDataError(source, f"item {code}", f"steps.{step.key}.role", f"{step.role!r} is not a Role")
    if document_codes is None:
        from shebao.catalog.importer.parser import parse_document

        text = (DATA_PATH.parent / "wuhan-2017-service-guide.txt").read_text(encoding="utf-8")
        document_codes = [guide.code for guide in parse_document(text).guides]
    expected = list(document_codes)
    missing = [code for code in expected if code not in flows]
    if missing:
        raise FlowDataError(source, f"item {missing[0]}", "", f"has no flow ({len(missing)} guide tables lack one)")
    extra = sorted(set(flows) - set(expected))
    if extra:
        raise FlowDataError(source, f"item {extra[0]}", "", "is not a guide table of the official document")


# --------------------------------------------------------------------------- versioned flows
#
# flows.yaml is the flow of every item of version 1. Guide change control may change an item's
# flow in a later version: the item's entry (the same shape as under ``items:`` in the YAML)
# is then stored per version in ``catalog.ItemFlow`` and carried to every later version.
# The case engine asks ``flow_for_item(case.item)``, which honours the item's version.

PROPOSAL_SOURCE = "变更提案"


@cache
def _raw_data() -> dict[str, Any]:
    data = yaml.safe_load(DATA_PATH.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def flow_definition_default(code: str, *, copy: bool = True) -> dict[str, Any] | None:
    """The item's entry in flows.yaml, or None for a code the file lacks. ``copy=False`` returns
    the cached entry itself, for readers that do not change it."""
    from shebao.catalog.selectors import normalize_item_code

    entry = _raw_data()["items"].get(normalize_item_code(code))
    if entry is None or not copy:
        return entry
    copied: dict[str, Any] = yaml.safe_load(yaml.safe_dump(entry))
    return copied


def flow_pattern_names() -> dict[str, str]:
    """Pattern id → Chinese name, for editors choosing a pattern."""
    return {str(pid): str(p["name"]) for pid, p in _raw_data()["patterns"].items()}


def flow_from_definition(code: str, definition: object, *, source: str = PROPOSAL_SOURCE) -> FlowDef:
    """Build and check one item's flow from an entry shaped as under ``items:`` in flows.yaml.

    Checked as the file is: vocabularies, steps, routes, anchors, parameters, and references to
    other items (a ``pair`` must name this item back). Raises FlowDataError."""
    if not _is_code(code):
        raise FlowDataError(source, f"item {code}", "", "is not an item code such as SBZX00001")
    patterns = {str(pid): _check_pattern(str(pid), p, source) for pid, p in _raw_data()["patterns"].items()}
    flow = _build_item(code, definition, patterns, source)
    flows = {**_bundled(), code: flow}
    _check_references(flows, source)
    return flow


@cache
def _flow_from_json(code: str, encoded: str) -> FlowDef:
    import json

    return flow_from_definition(code, json.loads(encoded), source=f"catalog.ItemFlow {code}")


def flow_for_item(item: Any) -> FlowDef:
    """The flow of a ``ServiceItem`` as its catalog version defines it.

    The version's own definition (``catalog.ItemFlow``) if it has one, else flows.yaml. A case
    accepted under a version therefore follows that version's flow even after a later version
    changes it. Raises NotFound for an item no flow is defined for (a new item published
    without one)."""
    import json

    from shebao.catalog.models import CatalogVersion, ItemFlow
    from shebao.catalog.published import item_flow

    cached: FlowDef | None = getattr(item, _FLOW_ATTR, None)
    if cached is not None:
        return cached

    def load(item: Any) -> FlowDef:
        row = ItemFlow.objects.filter(version_id=item.version_id, code=item.code).only("definition").first()
        if row is None:
            return flow_for(item.code)
        return _flow_from_json(item.code, json.dumps(row.definition, ensure_ascii=False, sort_keys=True))

    # A published version is never edited, so its flow is kept per process (``published.py``)
    # and rides on the item object for the rest of the request (submit, accept and close each
    # need it). Only when the version is already loaded on the item (no extra query to find
    # out); drafts are always read afresh.
    flow = item_flow(item, load)
    version = getattr(item, "_state", None) and item._state.fields_cache.get("version")
    if version is not None and version.status == CatalogVersion.Status.PUBLISHED:
        setattr(item, _FLOW_ATTR, flow)
    return flow


_FLOW_ATTR = "_shebao_flow"


def flow_definition_for_item(item: Any) -> dict[str, Any] | None:
    """The entry (flows.yaml shape) that defines ``flow_for_item(item)``; None if there is none."""
    from shebao.catalog.models import ItemFlow

    row = ItemFlow.objects.filter(version_id=item.version_id, code=item.code).only("definition").first()
    if row is not None:
        return dict(row.definition)
    return flow_definition_default(item.code)
