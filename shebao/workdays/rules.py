"""Time-limit phrases of the guides as structured rules.

``parse_rule(text)`` turns a phrase as printed in a guide (法定时限 / 承诺时限, or a limit quoted
in a condition or flow) into a :class:`DeadlineRule`:

* ``kind`` is one of the seven values of the export contract (DESIGN §6):
  ``immediate`` (即时办结/即时办理), ``working_days`` (plain "N个工作日"), ``days`` (plain "N日"),
  ``months`` (plain "N个月"), ``none`` (无), ``staged`` (anything anchored to a named event,
  composed of stages, or cut at a day of the month) and ``text`` (nothing countable; ``reason``
  says why);
* ``count`` is N for the plain kinds, and for ``staged`` when exactly one counted period appears;
* ``stages`` always holds the computable structure, one :class:`Stage` per period or cut-off,
  each anchored to a named event (受理, 收到联系函, 收到资金/资料, 鉴定之日, 决定作出之日, 月结, …) or to
  the end of the stage before it.

Parsing is a scan for period phrases; the text before each phrase names its anchor, the text
after it names the action due. It never raises: an unreadable phrase becomes ``kind="text"``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal, get_args

RuleKind = Literal["immediate", "working_days", "days", "months", "none", "staged", "text"]
RULE_KINDS: tuple[str, ...] = get_args(RuleKind)

StageUnit = Literal["immediate", "working_days", "days", "months", "day_of_month", "month_end", "fixed_date"]
COUNTED_UNITS = frozenset({"working_days", "days", "months"})

_TAG = re.compile(r"</?p(?:\s+style=\"[^\"]*\")?>")


# --------------------------------------------------------------------------- anchors

# Named anchor events, most specific first. Each pattern is searched in the clause that
# precedes a period phrase; the key is what a case records when the event happens.
ANCHOR_LABELS: dict[str, str] = {
    "accepted": "受理",
    "letter_received": "收到联系函",
    "funds_received": "收到转移的关系和资金（资料）",
    "batch_received": "收到辖区汇总材料",
    "materials_complete": "收到完整材料",
    "materials_received": "收到申报材料",
    "appraisal": "鉴定之日",
    "decision": "作出决定之日",
    "month_close": "月结",
    "approval": "批准",
    "previous": "上一阶段届满",
}

_ANCHOR_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (key, re.compile(pattern))
    for key, pattern in (
        ("letter_received", r"收到[^,;。]*联系函"),
        ("funds_received", r"收到[^,;。]*转移的[^,;。]*"),
        ("batch_received", r"(?:收齐|收到|接收到)[^,;。]*(?:汇总|辖区)[^,;。]*(?:材料|资料|数据)"),
        ("materials_complete", r"(?:收到|收齐)[^,;。]*(?:完整|齐全)[^,;。]*(?:材料|资料)"),
        ("materials_received", r"收到[^,;。]*(?:申报|申请)(?:材料|资料)"),
        ("appraisal", r"鉴定之日"),
        ("decision", r"决定作出之日|作出[^,;。]*决定之日"),
        ("accepted", r"受理[^,;。]*之日|受理后|受理之"),
        ("month_close", r"月结"),
        ("approval", r"批准后|批复后|批准之日"),
    )
)

# Events a stage produces itself: when the next stage is anchored to one of them and its date
# is not yet known, the previous stage's due date is the latest it can happen (a projection).
_FOLLOWS_PREVIOUS = frozenset({"previous", "decision", "batch_received"})

# "自X之日起" / "X后" right before the period, for events the table above does not name.
_GENERIC_ANCHOR = (
    re.compile(r"自(?P<label>[^,;。]+?)之日起[,]?(?:在|应在|于|应于|须于)?$"),
    re.compile(r"(?P<label>[^,;。自从]+?)(?:以后|后)[,]?(?:在|应在|于|应于|须于)?$"),
)
_GENERIC_KEYS = {
    "成立": "founded",
    "变更": "changed",
    "终止": "terminated",
    "用工": "employed",
    "出院": "discharged",
    "入院": "admitted",
    "住院治疗": "admitted",
    "产假休完": "maternity_leave_ended",
    "医疗终结": "treatment_ended",
}


# --------------------------------------------------------------------------- the rule


@dataclass(frozen=True)
class Stage:
    """One period or cut-off of a rule.

    ``unit`` and its numbers:

    * ``immediate``    due the anchor day, or the next working day if it is a day off;
    * ``working_days`` ``count`` working days after the anchor (the anchor day not counted);
    * ``days``         ``count`` calendar days, a last day off moves to the next working day;
    * ``months``       ``count`` months to the corresponding day, extended the same way;
    * ``day_of_month`` the ``day``-th of the month: ``month_offset`` 0 for 每月/当月 (the first
      such day on or after the anchor; whether the anchor day itself may be the cut-off day is
      the ``cutoff_day_counts`` setting), 1 for 次月 (the month after the anchor's);
    * ``month_end``    the last day of the anchor's month (每月月底前);
    * ``fixed_date``   ``month``/``day`` of the anchor's year (当年12月20日以前).
    """

    unit: StageUnit
    count: int | None = None
    day: int | None = None
    month: int | None = None
    month_offset: int = 0
    anchor: str = "accepted"
    anchor_label: str = "受理"
    anchor_explicit: bool = False
    anchor_text: str = ""
    follows_previous: bool = False
    action: str = ""
    phrase: str = ""
    note: str = ""

    @property
    def counted(self) -> bool:
        return self.unit in COUNTED_UNITS

    def describe(self) -> str:
        if self.unit == "immediate":
            return "即时"
        if self.unit == "working_days":
            return f"{self.count}个工作日"
        if self.unit == "days":
            return f"{self.count}日"
        if self.unit == "months":
            return f"{self.count}个月"
        if self.unit == "day_of_month":
            return f"{'次月' if self.month_offset else '每月'}{self.day}日前"
        if self.unit == "month_end":
            return "月底前"
        return f"{self.month}月{self.day}日前"

    def as_dict(self) -> dict[str, object]:
        return {
            "unit": self.unit,
            "count": self.count,
            "day": self.day,
            "month": self.month,
            "month_offset": self.month_offset,
            "anchor": self.anchor,
            "anchor_label": self.anchor_label,
            "anchor_explicit": self.anchor_explicit,
            "anchor_text": self.anchor_text,
            "follows_previous": self.follows_previous,
            "action": self.action,
            "phrase": self.phrase,
            "note": self.note,
        }


@dataclass(frozen=True)
class DeadlineRule:
    text: str
    kind: RuleKind
    count: int | None = None
    reason: str = ""
    stages: tuple[Stage, ...] = ()
    normalized: str = ""

    @property
    def countable(self) -> bool:
        """Whether a due date can be computed from an anchor date."""
        return bool(self.stages)

    def as_contract(self) -> dict[str, object]:
        """The export contract of DESIGN §6: exactly ``text``, ``kind`` and ``count``."""
        return {"text": self.text, "kind": self.kind, "count": self.count}

    def as_dict(self) -> dict[str, object]:
        return {
            **self.as_contract(),
            "reason": self.reason,
            "stages": [s.as_dict() for s in self.stages],
        }


# --------------------------------------------------------------------------- normalising


def normalize_limit_text(text: str) -> str:
    """NFKC, no HTML paragraphs, no spaces: `5 个工作日` and `5个工作日` read the same."""
    plain = _TAG.sub(" ", text)
    plain = unicodedata.normalize("NFKC", plain)
    return re.sub(r"\s+", "", plain).rstrip("。.")


_CN_DIGIT = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_NUMBER = re.compile(r"[零〇一二两三四五六七八九十百]+(?=个|日|天|月|周|年)")


def chinese_number(numeral: str) -> int:
    """``三十`` → 30, ``十五`` → 15, ``一百二十`` → 120, ``二〇`` → 20 (digit by digit)."""
    if "十" not in numeral and "百" not in numeral:
        value = 0
        for ch in numeral:
            value = value * 10 + _CN_DIGIT[ch]
        return value
    total = 0
    current = 0
    for ch in numeral:
        if ch == "百":
            total += (current or 1) * 100
            current = 0
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
        else:
            current = _CN_DIGIT[ch]
    return total + current


def _arabic(text: str) -> str:
    return _CN_NUMBER.sub(lambda m: str(chinese_number(m.group(0))), text)


# --------------------------------------------------------------------------- scanning

_BEFORE = r"(?:前|以前|之前)"
_TOKEN = re.compile(
    r"(?P<immediate>即时办结|即时办理|当场办结|即办)"
    r"|(?P<wd>\d+)个?工作日"
    r"|(?P<month_end>(?:每月)?月底" + _BEFORE + r")"
    r"|次月(?P<nm_day>\d{1,2})日" + _BEFORE + r"?"
    r"|(?:当年|每年)?(?P<fx_month>\d{1,2})月(?P<fx_day>\d{1,2})日" + _BEFORE + r"(?!后)"
    r"|(?:每月|当月|本月)(?P<md_day>\d{1,2})日" + _BEFORE + r"(?!后)"
    r"|(?P<months>\d+)个月"
    r"|(?<![月\d])(?P<days>\d+)(?:个自然日|自然日|日|天)"
)
_PLAIN = (
    (re.compile(r"(\d+)个?工作日(?:内|以内|之内)?"), "working_days"),
    (re.compile(r"(\d+)(?:个自然日|自然日|日|天)(?:内|以内|之内)?"), "days"),
    (re.compile(r"(\d+)个月(?:内|以内|之内)?"), "months"),
)
_IMMEDIATE = frozenset({"即时办结", "即时办理", "当场办结", "即办", "即时"})
_NONE = frozenset({"", "无", "-", "—", "/", "无时限"})
_NOTE = re.compile(r"^\(([^)]*)\)")
_ACTION_END = re.compile(r"[,;。]")


def _anchor_zone(segment: str, *, first: bool) -> str:
    """The part of the text before a period phrase that can name that period's anchor.

    After the previous period the segment starts with that period's action; a sentence break
    (;/。) or, failing one, the first comma ends it.
    """
    cut = max(segment.rfind(";"), segment.rfind("。"))
    if cut >= 0:
        return segment[cut + 1 :]
    if not first:
        comma = segment.find(",")
        return segment[comma + 1 :] if comma >= 0 else ""
    return segment


def _find_anchor(zone: str) -> tuple[str, str, str] | None:
    """``(key, label, as written)`` of the event named in ``zone``, or None."""
    for key, pattern in _ANCHOR_PATTERNS:
        found = None
        for found in pattern.finditer(zone):  # noqa: B007 - keep the last one
            pass
        if found is not None:
            return key, ANCHOR_LABELS[key], found.group(0)
    for pattern in _GENERIC_ANCHOR:
        m = pattern.search(zone)
        if m:
            # "用人单位应当自成立" → the event is what follows the last 自/从/应当.
            label = re.split(r"自|从|应当|应|在", m.group("label"))[-1] or m.group("label")
            return _GENERIC_KEYS.get(label, "event"), label, m.group(0)
    for label, key in _GENERIC_KEYS.items():
        # "医疗终结30日内": a known event written right before the period, without 后.
        if zone.endswith(label):
            return key, label, label
    return None


def _stage_from_match(m: re.Match[str]) -> Stage:
    phrase = m.group(0)
    if m.group("immediate"):
        return Stage(unit="immediate", phrase=phrase)
    if m.group("wd"):
        return Stage(unit="working_days", count=int(m.group("wd")), phrase=phrase)
    if m.group("month_end"):
        return Stage(unit="month_end", phrase=phrase)
    if m.group("nm_day"):
        return Stage(unit="day_of_month", day=int(m.group("nm_day")), month_offset=1, phrase=phrase)
    if m.group("fx_month"):
        return Stage(unit="fixed_date", month=int(m.group("fx_month")), day=int(m.group("fx_day")), phrase=phrase)
    if m.group("md_day"):
        return Stage(unit="day_of_month", day=int(m.group("md_day")), phrase=phrase)
    if m.group("months"):
        return Stage(unit="months", count=int(m.group("months")), phrase=phrase)
    return Stage(unit="days", count=int(m.group("days")), phrase=phrase)


def _valid(stage: Stage) -> str:
    """Empty when the stage's numbers make sense, else why not."""
    if stage.unit in COUNTED_UNITS and (stage.count is None or stage.count < 1 or stage.count > 3660):
        return f"“{stage.phrase}” is not a usable period"
    if stage.unit in ("day_of_month", "fixed_date") and not 1 <= (stage.day or 0) <= 31:
        return f"“{stage.phrase}” names no day of a month"
    if stage.unit == "fixed_date" and not 1 <= (stage.month or 0) <= 12:
        return f"“{stage.phrase}” names no month"
    return ""


def _scan(t: str) -> tuple[list[Stage], str]:
    stages: list[Stage] = []
    position = 0
    for m in _TOKEN.finditer(t):
        base = _stage_from_match(m)
        problem = _valid(base)
        if problem:
            return [], problem
        zone = _anchor_zone(t[position : m.start()], first=not stages)
        found = _find_anchor(zone)
        explicit = found is not None
        if found is not None:
            key, label, written = found
        else:
            # Unnamed: the first period runs from acceptance, a later one from the end of the
            # period before it (3 + 10 + 3 working days chained, 每月20日前 then 每月10日前).
            key = "previous" if stages else "accepted"
            label, written = ANCHOR_LABELS[key], ""
        rest = t[m.end() :]
        note_match = _NOTE.match(rest)
        note = note_match.group(1) if note_match else ""
        if note_match:
            rest = rest[note_match.end() :]
        rest = re.sub(r"^(?:内|以内|之内)?,?", "", rest)
        end = _ACTION_END.search(rest)
        action = rest[: end.start()] if end else rest
        stages.append(
            Stage(
                unit=base.unit,
                count=base.count,
                day=base.day,
                month=base.month,
                month_offset=base.month_offset,
                anchor=key,
                anchor_label=label,
                anchor_explicit=explicit,
                anchor_text=written,
                follows_previous=bool(stages) and key in _FOLLOWS_PREVIOUS,
                action=action,
                phrase=base.phrase,
                note=note,
            )
        )
        position = m.end()
    return stages, ""


def _describe_staged(stages: list[Stage]) -> str:
    parts = []
    for stage in stages:
        parts.append(f"{stage.describe()} from {stage.anchor_label}")
    return "; ".join(parts)


@lru_cache(maxsize=4096)
def parse_rule(text: str) -> DeadlineRule:
    """Read one time-limit phrase. Never raises; see the module docstring for the kinds."""
    original = text.strip()
    t = _arabic(normalize_limit_text(original))
    if t in _NONE:
        return DeadlineRule(original, "none", normalized=t, reason="no time limit is set")
    if t in _IMMEDIATE:
        return DeadlineRule(original, "immediate", stages=(Stage(unit="immediate", phrase=t),), normalized=t)
    for pattern, kind in _PLAIN:
        m = pattern.fullmatch(t)
        if m:
            n = int(m.group(1))
            stage = Stage(unit=kind, count=n, phrase=t)  # type: ignore[arg-type]
            problem = _valid(stage)
            if problem:
                return DeadlineRule(original, "text", normalized=t, reason=problem)
            return DeadlineRule(original, kind, n, stages=(stage,), normalized=t)  # type: ignore[arg-type]
    stages, problem = _scan(t)
    if problem:
        return DeadlineRule(original, "text", normalized=t, reason=problem)
    if not stages:
        return DeadlineRule(
            original,
            "text",
            normalized=t,
            reason="no period or date in the phrase (expected e.g. 5个工作日, 60日, 3个月内, 每月20日前, 即时办结)",
        )
    counted = [s for s in stages if s.counted]
    count = counted[0].count if len(counted) == 1 else None
    return DeadlineRule(
        original, "staged", count, reason=_describe_staged(stages), stages=tuple(stages), normalized=t
    )
