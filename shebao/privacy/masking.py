"""Who sees a full 身份证号, and what everyone else sees.

Lists, exports, logs and API list responses never carry a full number. A single record (a
person's registry page, a case page, the person API) shows the full number only to the roles in
``settings.SHEBAO_FULL_ID_ROLES`` (by default the handling roles that must compare it with a
document at the window or on a payment); every such read is logged (``services``).
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings

# 18-character numbers (17 digits + digit or X) and legacy 15-digit ones, not inside longer runs.
ID_NUMBER_RE = re.compile(r"(?<![0-9A-Za-z])(\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])")
ID_FIELDS = frozenset({"id_number", "legal_rep_id", "agent_id_number", "applicant_id_number"})


def mask_id_number(value: str | None) -> str:
    """``420102198503151234`` → ``4201**********1234``: enough to tell two people apart and for
    the person to recognise their own number, not enough to use it."""
    text = str(value or "")
    if not text:
        return ""
    if len(text) <= 8:
        return "*" * len(text)
    return text[:4] + "*" * (len(text) - 8) + text[-4:]


def mask_id_numbers_in(text: str) -> str:
    """Every ID-number-shaped run of digits in free text, masked (log lines, messages)."""
    return ID_NUMBER_RE.sub(lambda m: mask_id_number(m.group(1)), text)


def may_see_full_id(user: Any) -> bool:
    from shebao.accounts.selectors import user_roles  # not at import: logging config loads this module early

    roles = set(getattr(settings, "SHEBAO_FULL_ID_ROLES", []) or [])
    return bool(roles & set(user_roles(user)))


def id_for(user: Any, value: str | None) -> str:
    """The number as ``user`` may see it on a single record."""
    return str(value or "") if may_see_full_id(user) else mask_id_number(value)
