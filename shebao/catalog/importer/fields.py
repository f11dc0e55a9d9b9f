"""Splitting the other multi-part fields: legal bases, flow steps, applicants."""

from __future__ import annotations

import re

from .materials import MARKER

# A citation starts with 《, optionally after a list number; a new one begins after a space,
# a line break or a separator.
_BASIS_SPLIT = re.compile(r"(?:\n|[；;。]\s*|\s+)(?=(?:\d+\s*[、.．]\s*)?(?:参照文件)?《)")
_LEADING_NUMBER = re.compile(r"^\d+\s*[、.．]\s*")
_ARROW = re.compile(r"\s*(?:→|->|—>)\s*")


def split_legal_basis(text: str) -> list[str]:
    """One string per cited instrument, in printed order; wording kept as printed."""
    body = text.strip()
    if not body or body == "无":
        return []
    parts = [_LEADING_NUMBER.sub("", part.strip()).rstrip("；;，, ") for part in _BASIS_SPLIT.split(body)]
    return [part for part in parts if part]


def split_flow_steps(text: str) -> list[str]:
    """The 运行流程 as steps. Numbered flows split at their numbers (numbers are renumbered by
    position: the document continues numbering across items in places); arrow flows split at
    the arrows. Sub-heads such as （一）通过“网上申报”： stay steps of their own."""
    body = text.strip()
    if not body or body == "无":
        return []
    numbered = [m for m in MARKER.finditer(body) if m.group("num")]
    if len(numbered) >= 2:
        steps: list[str] = []
        lead = body[: numbered[0].start()].strip()
        if lead:
            steps.append(lead)
        for index, mark in enumerate(numbered):
            end = numbered[index + 1].start() if index + 1 < len(numbered) else len(body)
            piece = body[mark.end() : end].strip()
            if piece:
                steps.append(re.sub(r"\s*\n\s*", " ", piece))
        return steps
    flat = re.sub(r"\s*\n\s*", " ", body)
    if "→" in flat:
        return [part.strip("；; ") for part in _ARROW.split(flat) if part.strip("；; ")]
    return [flat]


_ACTS = r"(?:或[^，,。；;→]{0,10})?(?:携带|申报|将|登陆|登录|向|到|通过|在|填写|办理|提出|提交|持|前往|申请|申领|凭)"
_UNIT_ACTOR = re.compile(r"(?:用人单位|参保单位|接收安置单位|单位|企业)" + _ACTS)
_PERSON_ACTOR = re.compile(
    r"(?:本人|参保人员?|申请人|个人|灵活就业人员|代办人|代理人|失业人员|持卡人|居民|离退休人员|退休人员|"
    r"家属|遗属|继承人|近亲属|受伤害职工|参保职工|大学生|孕妇)" + _ACTS
)
_EITHER = re.compile(r"(?:用人单位|单位)或(?:本人|个人|参保人|职工)|(?:本人|个人|参保人员?)或(?:其所在)?(?:用人)?单位")


def applicant_kinds(*, name: str, conditions: str, flow: str) -> list[str]:
    """单位 and/or 个人: who the name and the flow say acts (the analyses note that the
    conditions and the flow sometimes name different applicants, so either may add one)."""
    either = bool(_EITHER.search(conditions) or _EITHER.search(flow))
    kinds: list[str] = []
    if either or re.search(r"用人单位|单位|企业|工伤认定", name) or _UNIT_ACTOR.search(flow):
        kinds.append("unit")
    person_named = not re.search(r"单位", name) and re.search(
        r"灵活就业|居民|个人|人员|社保卡|制卡|失业|遗属|离休|残疾军人|工伤认定|养老待遇", name
    )
    if either or _PERSON_ACTOR.search(flow) or person_named:
        kinds.append("person")
    return kinds
