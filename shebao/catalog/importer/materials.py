"""Split a 申报材料 field into ordered material records.

The printed lists are numbered ``1、`` / ``1.`` (sometimes skipping a number, sometimes with
an unnumbered line in between), may be grouped under ``一、…`` headings, and may end with a
conditional block (``申请领取抚恤金的，还需提供：``). Numbers are kept as printed, but the
order is the position in the text. Separators (``；``) are not reliable and are not used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

CN_NUM = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_NUM = r"(?:\d+|[一二两三四五六七八九十])"

# An item number or a group heading, at the start of a line or after a space or a separator.
MARKER = re.compile(
    r"(?<![^\s；;。)）])(?:(?P<group>[一二三四五六七八九十]+)、|(?P<num>\d{1,2})\s*(?:、|[.．](?!\d)))"
)
# "…的，还需提供：" closing an entry introduces a conditional block of further entries.
CONDITIONAL_INTRO = re.compile(r"\s*(?P<intro>[^\s。；;]*的[，,]还需提供[：:])\s*$")
CONDITIONAL_TEXT = re.compile(
    r"的[，,]|时[，,]|[，,]持|^(?:如|若|凡)|还需|还须|[（(][^（）()]*提供[）)]|需提供|需要提供"
)


@dataclass(frozen=True)
class MaterialSpec:
    position: int
    text: str
    printed_number: str = ""
    group: str = ""
    original_count: int | None = None
    copy_count: int | None = None
    retained: bool = False
    conditional: bool = False


def _to_int(token: str) -> int:
    return int(token) if token.isdigit() else CN_NUM[token]


def parse_counts(text: str) -> tuple[int | None, int | None, bool]:
    """Originals and copies the applicant brings, and whether the office keeps one (拟留件)."""
    originals: int | None = None
    copies: int | None = None
    if re.search(r"原件(?:及|和|、)复印件(?:各)?\s*(?:一式)?\s*(" + _NUM + r")\s*份", text):
        n = _to_int(re.search(r"原件(?:及|和|、)复印件(?:各)?\s*(?:一式)?\s*(" + _NUM + r")\s*份", text).group(1))  # type: ignore[union-attr]
        originals, copies = n, n
    else:
        if m := re.search(r"复印件\s*(?:各)?\s*[，,、]?\s*(?:一式)?\s*(" + _NUM + r")\s*份", text):
            copies = _to_int(m.group(1))
        elif "复印件" in text:
            copies = 1
        if m := re.search(r"原件\s*[，,、]?\s*(?:一式)?\s*(" + _NUM + r")\s*份", text):
            originals = _to_int(m.group(1))
        elif "原件" in text:
            originals = 1
        elif copies is None and (m := re.search(r"(?:各)?一式\s*(" + _NUM + r")\s*份", text)):
            # A form to fill in: "一式两份" means that many signed originals.
            originals = _to_int(m.group(1))
    retained = bool(re.search(r"拟留件|留存|留复印件", text))
    return originals, copies, retained


def split_materials(text: str) -> list[MaterialSpec]:
    body = text.strip()
    if re.sub(r"\s", "", body) in {"", "无"}:
        return []
    entries: list[tuple[str, str, str]] = []  # (printed_number, text, group)
    group = ""
    for raw_line in body.split("\n"):
        # Stray characters the document leaves at line ends (a backslash, a closing bracket).
        line = re.sub(r"[\\\]]\s*$", "", raw_line.strip()).strip()
        if not line:
            continue
        marks = list(MARKER.finditer(line))
        if not marks or marks[0].start() > 0:
            lead = line[: marks[0].start()].strip() if marks else line
            if entries:
                # An unnumbered line inside a numbered list is an entry of its own.
                entries.append(("", lead, group))
            else:
                entries.append(("", lead, group))
        for index, mark in enumerate(marks):
            end = marks[index + 1].start() if index + 1 < len(marks) else len(line)
            piece = line[mark.end() : end].strip()
            if mark.group("group"):
                group = piece
                continue
            entries.append((mark.group("num"), piece, group))
    specs: list[MaterialSpec] = []
    carried_group = ""
    for number, entry_text, entry_group in entries:
        group_name = entry_group or carried_group
        intro = CONDITIONAL_INTRO.search(entry_text)
        if intro:
            entry_text = entry_text[: intro.start()].strip()
        entry_text = entry_text.rstrip("；;，, ")
        if entry_text:
            originals, copies, retained = parse_counts(entry_text)
            conditional = bool(CONDITIONAL_TEXT.search(entry_text)) or _conditional_group(group_name)
            specs.append(
                MaterialSpec(
                    position=len(specs) + 1, text=entry_text, printed_number=number or "", group=group_name,
                    original_count=originals, copy_count=copies, retained=retained, conditional=conditional,
                )
            )
        if intro:
            carried_group = intro.group("intro").rstrip("：:")
    return specs


def _conditional_group(group: str) -> bool:
    return bool(group) and bool(re.search(r"的[，,]?还需|情形", group))
