"""Every 法定时限 / 承诺时限 of the official document, for the parse-everything test."""

from __future__ import annotations

import re
from pathlib import Path

import shebao.catalog

DOCUMENT = Path(shebao.catalog.__file__).parent / "data" / "wuhan-2017-service-guide.txt"
LIMIT_FIELDS = {"法定时限": "legal_limit", "承诺时限": "promised_limit"}


def scan_limits(text: str) -> list[tuple[str, str, str]]:
    """(code, field, value) by a plain line scan: ``业务编号`` starts a table; a limit value may
    continue on TAB-led lines and be wrapped in ``<p>``."""
    lines = text.split("\n")
    found: list[tuple[str, str, str]] = []
    code = ""
    for i, line in enumerate(lines):
        bare = re.sub(r"^<p>", "", line)
        if bare.startswith("业务编号\t"):
            code = bare.split("\t")[1].strip()
            continue
        label, _, value = bare.partition("\t")
        if label in LIMIT_FIELDS:
            j = i + 1
            while j < len(lines) and lines[j].startswith("\t") and lines[j].strip():
                value += " " + lines[j].strip()
                j += 1
            found.append((code, LIMIT_FIELDS[label], value))
    return found


def importer_limits(text: str) -> list[tuple[str, str, str]] | None:
    """The same through the catalog importer, or None while it does not exist."""
    try:
        from shebao.catalog.importer.parser import parse_document
    except ImportError:
        return None
    found: list[tuple[str, str, str]] = []
    for guide in parse_document(text).guides:
        for field in LIMIT_FIELDS.values():
            value = getattr(guide, field, None)
            if value is None:
                value = guide.get(field)
            found.append((guide.code, field, value))
    return found


def catalog_limits() -> list[tuple[str, str, str]]:
    text = DOCUMENT.read_text(encoding="utf-8")
    return importer_limits(text) or scan_limits(text)
