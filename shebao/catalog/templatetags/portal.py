"""Template helpers of the public portal: limits in words, text as paragraphs, search highlights.

Everything here is presentation only; the data comes from the catalog models unchanged.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from django import template
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from pypinyin import Style, lazy_pinyin

register = template.Library()

_HAN = re.compile(r"[\u4e00-\u9fff]")
_PHONE = re.compile(r"(?<![\d-])((?:0\d{2,3}-)?\d{5,8}(?:-\d{1,4})?)(?![\d])")
_URL = re.compile(
    r"(https?://[A-Za-z0-9._~:/?#@!$&'*+,;=%-]+|www\.[A-Za-z0-9.-]+\.[a-z]{2,}[A-Za-z0-9._~:/?#@!$&'*+,;=%-]*)"
)

MODE_TAGS = (
    ("mode_immediate", "immediate", "马上办"),
    ("mode_online", "online", "网上办"),
    ("mode_one_visit", "one_visit", "一次办"),
)


# --------------------------------------------------------------------------- time limits


def limit_words(kind: str, count: int | None, text: str) -> str:
    """A time limit in a few words: ``5个工作日``, ``即时办结``, ``60日``, ``分段时限``."""
    if kind == "immediate":
        return "即时办结"
    if kind == "working_days" and count is not None:
        return f"{count}个工作日"
    if kind == "days" and count is not None:
        return f"{count}日"
    if kind == "months" and count is not None:
        return f"{count}个月"
    if kind == "none":
        return "无"
    if kind == "staged":
        return "分段时限"
    text = (text or "").strip()
    return text if len(text) <= 14 else "见办事指南"


@register.simple_tag
def legal_limit(item: Any) -> str:
    return limit_words(item.legal_limit_kind, item.legal_limit_count, item.legal_limit_text)


@register.simple_tag
def promised_limit(item: Any) -> str:
    return limit_words(item.promised_limit_kind, item.promised_limit_count, item.promised_limit_text)


@register.inclusion_tag("catalog/_tags.html")
def item_tags(item: Any, show_limit: bool = True) -> dict[str, object]:
    """The coloured 马上办 / 网上办 / 一次办 tags of an item and its promised limit."""
    modes = [(css, label) for field, css, label in MODE_TAGS if getattr(item, field)]
    promise = promised_limit(item)
    limit_label = "承诺时限"
    if item.promised_limit_kind == "none" and item.legal_limit_kind != "none":
        promise, limit_label = legal_limit(item), "法定时限"
    return {
        "modes": modes,
        "show_limit": show_limit,
        "limit_label": limit_label,
        "limit": promise,
        "limit_title": (item.promised_limit_text or item.legal_limit_text or "").strip(),
    }


# --------------------------------------------------------------------------- text


_LINKABLE = re.compile(f"{_URL.pattern}|{_PHONE.pattern}")


def _linkify(escaped: str) -> str:
    """Web addresses and phone numbers in already-escaped text as links (both are printed in
    the guides). One pass, so digits inside an address are never taken for a phone."""

    def repl(match: re.Match[str]) -> str:
        url, phone = match.group(1), match.group(2)
        if url:
            href = url if url.startswith("http") else f"http://{url}"
            return f'<a href="{href}" rel="noopener noreferrer" class="ext">{url}</a>'
        return f'<a href="tel:{phone.replace("-", "")}" class="tel">{phone}</a>'

    return _LINKABLE.sub(repl, escaped)


# A numbered point inside a run-on line: after punctuation, "1、" "2." "（3）" "二、" start a new line.
_ENUMERATION = re.compile(
    r"(?<=[；;。：:])\s*(?=(?:\d{1,2}[、.．](?!\d)|[一二三四五六七八九十]{1,3}、|[（(]\d{1,2}[）)]))"
)


_HEAD = re.compile(r"^[一二三四五六七八九十]{1,3}、")
_POINT = re.compile(r"^(?:\d{1,2}[、.．](?!\d)|[（(]\d{1,2}[）)])")


@register.filter
def paragraphs(text: str | None) -> SafeString:
    """Printed text as paragraphs: one ``<p>`` per line (run-on numbered points split),
    escaped, with web addresses and phone numbers linked. Under ``一、`` headings the
    numbered points are indented."""
    lines = [part.strip() for line in (text or "").splitlines() for part in _ENUMERATION.split(line)]
    lines = [line for line in lines if line]
    if not lines:
        return mark_safe('<p class="none">无</p>')
    nested = any(_HEAD.match(line) for line in lines)
    out = []
    for line in lines:
        css = ""
        if nested and _HEAD.match(line):
            css = ' class="p-head"'
        elif nested and _POINT.match(line):
            css = ' class="p-point"'
        out.append(f"<p{css}>{_linkify(str(conditional_escape(line)))}</p>")
    return mark_safe("".join(out))


@register.filter
def linkify(text: str | None) -> SafeString:
    """One line of printed text, escaped, with web addresses and phone numbers linked."""
    return mark_safe(_linkify(str(conditional_escape(text or ""))))


@register.filter
def tel(phone: str) -> SafeString:
    """A phone number as a ``tel:`` link (digits only in the href)."""
    digits = re.sub(r"[^\d+]", "", unicodedata.normalize("NFKC", phone or ""))
    if not digits:
        return conditional_escape(phone)
    return format_html('<a href="tel:{}" class="tel">{}</a>', digits, phone)


# --------------------------------------------------------------------------- search highlight


def _pinyin_spans(text: str, query: str) -> list[tuple[int, int]]:
    """Character spans of ``text`` whose pinyin matches ``query``: the initials or the full
    pinyin of consecutive characters, else the initials in order with gaps (``dwcb`` in
    单位职工社会保险新参保)."""
    positions = [i for i, ch in enumerate(text) if _HAN.match(ch)]
    if not positions:
        return []
    syllables = lazy_pinyin("".join(text[i] for i in positions), style=Style.NORMAL)
    if len(syllables) != len(positions):
        return []
    for keys in ([s[:1] for s in syllables], syllables):
        joined, starts = "", []
        for key in keys:
            starts.append(len(joined))
            joined += key
        at = joined.find(query)
        if at < 0:
            continue
        first = max(i for i, s in enumerate(starts) if s <= at)
        last = max(i for i, s in enumerate(starts) if s < at + len(query))
        return [(positions[first], positions[last] + 1)]
    if len(query) < 3:
        return []
    # Subsequence of initials, greedy from the left; adjacent characters merged into one span.
    spans: list[tuple[int, int]] = []
    wanted = 0
    for index, syllable in enumerate(syllables):
        if wanted < len(query) and syllable[:1] == query[wanted]:
            pos = positions[index]
            if spans and spans[-1][1] == pos:
                spans[-1] = (spans[-1][0], pos + 1)
            else:
                spans.append((pos, pos + 1))
            wanted += 1
    return spans if wanted == len(query) else []


@register.simple_tag
def highlight(text: str | None, query: str | None) -> SafeString:
    """``text`` escaped, with the part that matched the search wrapped in ``<mark>``.

    The query matches literally (full-width and spaces folded) or as pinyin of the name.
    """
    text = text or ""
    raw = re.sub(r"[\s\u3000]+", "", unicodedata.normalize("NFKC", query or "")).lower()
    if not raw:
        return conditional_escape(text)
    folded_text = unicodedata.normalize("NFKC", text).lower()
    spans: list[tuple[int, int]] = []
    if len(folded_text) == len(text):
        start = folded_text.find(raw)
        while start >= 0:
            spans.append((start, start + len(raw)))
            start = folded_text.find(raw, start + len(raw))
    if not spans and raw.isascii() and raw.isalpha():
        spans = _pinyin_spans(text, raw)
    if not spans:
        return conditional_escape(text)
    out, cursor = [], 0
    for start, end in spans:
        out.append(str(conditional_escape(text[cursor:start])))
        out.append(f"<mark>{conditional_escape(text[start:end])}</mark>")
        cursor = end
    out.append(str(conditional_escape(text[cursor:])))
    return mark_safe("".join(out))


@register.simple_tag
def match_where(item: Any, query: str | None) -> str:
    """Where a search matched when it is not the name: ``所属栏目``, ``申报材料``, ``办事条件``…"""
    from shebao.catalog.search import fold, looks_like_pinyin, pinyin_full, pinyin_initials

    folded = fold(query or "")
    if not folded or folded in fold(f"{item.name}|{item.list_name}|{item.code}|{item.list_code}"):
        return ""
    found = []
    if looks_like_pinyin(folded):
        for name in (item.name, item.list_name):
            if folded in pinyin_initials(name) or folded in pinyin_full(name) or _pinyin_spans(name, folded):
                return ""
        section = getattr(item, "section", None)
        if section is not None and (
            folded in pinyin_initials(section.name) or folded in pinyin_full(section.name)
        ):
            found.append("所属栏目（拼音）")
    if folded in fold(f"{item.category}{item.list_category}"):
        found.append("业务类别")
    if folded in fold(getattr(item, "materials_text", "") or ""):
        found.append("申报材料")
    if folded in fold(item.conditions or ""):
        found.append("办事条件")
    return "、".join(found)


# --------------------------------------------------------------------------- query strings


@register.simple_tag(takes_context=True)
def query_with(context: template.Context, **changes: object) -> str:
    """The current query string with some parameters replaced (``None`` removes one)."""
    request = context.get("request")
    params = request.GET.copy() if request is not None else None
    if params is None:
        return ""
    for key, value in changes.items():
        if value is None or value == "":
            params.pop(key, None)
        else:
            params[key] = str(value)
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"
