"""Text folding and pinyin keys for catalog search.

Applicants type full-width digits, stray spaces, or just the pinyin initials of a name
(``dwcb``). Items store folded text and pinyin once at import; a query is folded the same way
and matched with a plain substring test in the database.
"""

from __future__ import annotations

import re
import unicodedata

from pypinyin import Style, lazy_pinyin

_HAN = re.compile(r"[\u4e00-\u9fff]")
_NOISE = re.compile(r"[\s\u3000“”\"'‘’《》〈〉<>「」『』()（）【】\[\]、，,。.;；:：·\-—_/]+")


def fold(text: str) -> str:
    """NFKC (full-width → half-width), lower-case, without spaces and punctuation."""
    return _NOISE.sub("", unicodedata.normalize("NFKC", text)).lower()


def pinyin_initials(text: str) -> str:
    """First letter of each Han character's pinyin; other letters and digits kept as they are."""
    han_only = "".join(_HAN.findall(text))
    return "".join(syllable[0] for syllable in lazy_pinyin(han_only, style=Style.NORMAL) if syllable)


def pinyin_full(text: str) -> str:
    han_only = "".join(_HAN.findall(text))
    return "".join(lazy_pinyin(han_only, style=Style.NORMAL))


def looks_like_pinyin(query: str) -> bool:
    return bool(query) and query.isascii() and query.isalpha()
