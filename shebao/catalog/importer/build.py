"""From a parsed document to the catalog's content: one plain dict per item.

The dicts are what the loader writes and what two editions are compared on, so an import
that changes nothing is recognised by an equal content hash.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from typing import Any

from shebao.workdays.rules import parse_rule

from ..search import fold, pinyin_full, pinyin_initials
from .contacts import parse_contacts
from .fields import applicant_kinds, split_flow_steps, split_legal_basis
from .materials import split_materials
from .parser import SECTION_CORRECTIONS, ParsedDocument


def build_items(parsed: ParsedDocument) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for position, guide in enumerate(parsed.guides, start=1):
        row = parsed.list_row_for(guide.code)
        assert row is not None  # parse_document has checked every guide has a list row
        legal = parse_rule(guide.get("legal_limit"))
        promised = parse_rule(guide.get("promised_limit"))
        materials = split_materials(guide.get("materials"))
        section = SECTION_CORRECTIONS.get(row.section, row.section)
        item: dict[str, Any] = {
            "position": position,
            "code": guide.code,
            "seq": row.seq,
            "section": section,
            "section_printed": row.section,
            "list_code": row.printed_code,
            "list_category": row.category,
            "list_name": row.name,
            "category": guide.get("category"),
            "name": guide.get("name"),
            "authority": guide.get("authority"),
            "modes": dict(guide.modes),
            "legal_basis": split_legal_basis(guide.get("legal_basis")),
            "legal_basis_label": guide.labels.get("legal_basis", "设定主要依据"),
            "conditions": guide.get("conditions"),
            "materials_text": guide.get("materials"),
            "materials": [asdict(m) for m in materials],
            "legal_limit": {"text": guide.get("legal_limit"), "kind": legal.kind, "count": legal.count},
            "promised_limit": {"text": guide.get("promised_limit"), "kind": promised.kind, "count": promised.count},
            "special_procedure": guide.get("special_procedure"),
            "fee": guide.get("fee"),
            "certificate": guide.get("certificate"),
            "flow_text": guide.get("flow"),
            "flow_steps": split_flow_steps(guide.get("flow")),
            "agency": guide.get("agency"),
            "consult": guide.get("consult"),
            "contacts": [
                {"label": c.label, "phones": list(c.phones), "address": c.address}
                for c in parse_contacts(guide.get("consult"))
            ],
            "complaint": guide.get("complaint"),
            "remarks": guide.get("remarks"),
            "applicant_kinds": applicant_kinds(
                name=guide.get("name"), conditions=guide.get("conditions"), flow=guide.get("flow")
            ),
        }
        items.append(item)
    return items


def search_columns(item: dict[str, Any]) -> dict[str, str]:
    haystack = " ".join(
        [item["code"], item["name"], item["list_name"], item["category"], item["conditions"], item["materials_text"]]
    )
    return {
        "search_text": fold(haystack),
        "name_text": fold(" ".join([item["code"], item["name"], item["list_name"]])),
        "pinyin_initials": "|".join(
            [pinyin_initials(item["name"]), pinyin_initials(item["list_name"]), pinyin_initials(item["section"])]
        ),
        "name_initials": pinyin_initials(item["name"]),
        "pinyin_full": "|".join([pinyin_full(item["name"]), pinyin_full(item["list_name"])]),
    }


def content_hash(parsed: ParsedDocument, items: list[dict[str, Any]]) -> str:
    body = {"doc_number": parsed.doc_number, "issued_on": parsed.issued_on.isoformat(), "items": items}
    encoded = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()
