"""The published catalog as JSON (DESIGN.md §6 contract) and as schema.org JSON-LD."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from .models import CatalogVersion, ServiceItem

SCHEMA_CONTEXT = "https://schema.org"


def _limit(text: str, kind: str, count: int | None) -> dict[str, Any]:
    return {"text": text, "kind": kind, "count": count}


def item_as_dict(item: ServiceItem) -> dict[str, Any]:
    """One item in the export contract's shape (plus a few extra fields consumers find useful)."""
    return {
        "code": item.code,
        "seq": item.seq,
        "section": item.section.name,
        "category": item.category,
        "name": item.name,
        "list_name": item.list_name,
        "list_code": item.list_code,
        "list_category": item.list_category,
        "authority": item.authority,
        "modes": {"immediate": item.mode_immediate, "online": item.mode_online, "one_visit": item.mode_one_visit},
        "applicants": list(item.applicant_kinds),
        "legal_basis": list(item.legal_basis),
        "conditions": item.conditions,
        "materials": [
            {
                "text": m.text,
                "number": m.printed_number,
                "group": m.group,
                "originals": m.original_count,
                "copies": m.copy_count,
                "retained": m.retained,
                "conditional": m.conditional,
            }
            for m in item.materials.all()
        ],
        "legal_limit": _limit(item.legal_limit_text, item.legal_limit_kind, item.legal_limit_count),
        "promised_limit": _limit(item.promised_limit_text, item.promised_limit_kind, item.promised_limit_count),
        "special_procedure": item.special_procedure,
        "fee": item.fee,
        "certificate": item.certificate,
        "flow_text": item.flow_text,
        "flow_steps": [step.text for step in item.flow_steps.all()],
        "agency": item.agency,
        "consult": item.consult,
        "complaint": item.complaint,
        "remarks": item.remarks,
        "version": item.version.number,
    }


def _export_queryset(version: CatalogVersion) -> QuerySet[ServiceItem]:
    return (
        version.items.select_related("section", "version")
        .prefetch_related("materials", "flow_steps")
        .order_by("position")
    )


def export_json(version: CatalogVersion) -> list[dict[str, Any]]:
    return [item_as_dict(item) for item in _export_queryset(version)]


def _processing_time(kind: str, count: int | None) -> str | None:
    """ISO 8601 duration where the limit is a plain period; working days are given as days."""
    if kind == "immediate":
        return "PT0S"
    if kind in {"working_days", "days"} and count is not None:
        return f"P{count}D"
    if kind == "months" and count is not None:
        return f"P{count}M"
    return None


def item_as_jsonld(item: ServiceItem, *, base_url: str = "") -> dict[str, Any]:
    channels: list[dict[str, Any]] = [
        {
            "@type": "ServiceChannel",
            "name": "窗口办理",
            "availableLanguage": "zh-CN",
            "processingTime": _processing_time(item.promised_limit_kind, item.promised_limit_count),
            "description": item.promised_limit_text,
        }
    ]
    if item.mode_online:
        channels.append(
            {
                "@type": "ServiceChannel",
                "name": "网上办理",
                "serviceUrl": "http://www.wh12333.gov.cn",
                "availableLanguage": "zh-CN",
                "processingTime": _processing_time(item.promised_limit_kind, item.promised_limit_count),
            }
        )
    audience = []
    if "unit" in item.applicant_kinds:
        audience.append({"@type": "BusinessAudience", "name": "单位"})
    if "person" in item.applicant_kinds:
        audience.append({"@type": "PeopleAudience", "name": "个人"})
    return {
        "@type": "GovernmentService",
        "@id": f"{base_url}/items/{item.code}",
        "identifier": item.code,
        "name": item.name,
        "alternateName": item.list_name if item.list_name != item.name else None,
        "serviceType": item.category,
        "category": item.section.name,
        "provider": {"@type": "GovernmentOrganization", "name": item.authority},
        "serviceOperator": {"@type": "GovernmentOrganization", "name": item.agency},
        "areaServed": {"@type": "City", "name": "武汉市"},
        "audience": audience,
        "availableChannel": channels,
        "termsOfService": item.conditions,
        "isRelatedTo": [{"@type": "Legislation", "name": basis} for basis in item.legal_basis],
        "offers": {"@type": "Offer", "price": 0, "priceCurrency": "CNY", "description": item.fee},
        "additionalProperty": [
            {"@type": "PropertyValue", "name": "法定时限", "value": item.legal_limit_text},
            {"@type": "PropertyValue", "name": "承诺时限", "value": item.promised_limit_text},
            {"@type": "PropertyValue", "name": "马上办", "value": item.mode_immediate},
            {"@type": "PropertyValue", "name": "网上办", "value": item.mode_online},
            {"@type": "PropertyValue", "name": "一次办", "value": item.mode_one_visit},
            {"@type": "PropertyValue", "name": "申报材料",
             "value": [m.text for m in item.materials.all()]},
        ],
        "version": str(item.version.number),
    }


def export_jsonld(version: CatalogVersion, *, base_url: str = "") -> dict[str, Any]:
    return {
        "@context": SCHEMA_CONTEXT,
        "@graph": [item_as_jsonld(item, base_url=base_url) for item in _export_queryset(version)],
    }
