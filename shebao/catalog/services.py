"""Writes to the catalog: importing an edition of the official document.

The first import publishes version 1. Importing the same content again changes nothing.
Importing different content stores a new version as a draft, reports the differences and opens
a change proposal (``shebao.changes``, kind ``edition``) that holds the full diff; it is never
published silently: the policy office reviews it and the publishing units publish it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.apps import apps
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from shebao.core.audit import audit_record
from shebao.core.errors import ValidationFailed

from .importer.bodies import find_named_bodies
from .importer.build import build_items, content_hash, search_columns
from .importer.contacts import DISTRICT_DISPLAY, DISTRICTS, ContactEntry, build_directory, classify
from .importer.parser import DocumentFormatError, ParsedDocument, parse_document
from .models import CatalogVersion, FlowStep, ItemContact, Material, Office, Section, ServiceItem
from .selectors import catalog_version_in_force, catalog_version_latest_published

BUNDLED_EDITION = Path(__file__).resolve().parent / "data" / "wuhan-2017-service-guide.txt"
# Fields compared between editions, in guide order.
COMPARED_FIELDS = [
    "seq", "section", "list_code", "list_category", "list_name", "category", "name", "authority", "modes",
    "legal_basis", "conditions", "materials", "legal_limit", "promised_limit", "special_procedure", "fee",
    "certificate", "flow_text", "agency", "consult", "complaint", "remarks",
]
OFFICE_KIND_ORDER = ["hotline", "district", "residents", "district_other", "district_bureau", "city_centre",
                     "bureau_division"]


class CatalogImportError(ValidationFailed):
    """The file could not be read as an edition of the document; nothing was changed."""


@dataclass
class ItemChange:
    code: str
    change: str  # "added", "removed" or "changed"
    fields: list[str] = field(default_factory=list)


@dataclass
class ImportResult:
    outcome: str  # "published", "unchanged" or "draft"
    version_number: int | None
    item_count: int
    numbered_count: int
    changes: list[ItemChange]
    notes: list[str]
    dry_run: bool
    proposal: str = ""  # reference of the change proposal opened for a draft (shebao.changes)


def read_edition(path: str | Path) -> str:
    file = Path(path)
    if not file.is_file():
        raise CatalogImportError(f"文件不存在：{file}", field="path")
    try:
        return file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise CatalogImportError(f"{file} 不是 UTF-8 文本文件", field="path") from None


def _parse(text: str) -> ParsedDocument:
    try:
        return parse_document(text)
    except DocumentFormatError as exc:
        raise CatalogImportError(f"无法导入：{exc}", field="path") from exc


def _diff(old_items: list[dict[str, Any]], new_items: list[dict[str, Any]]) -> list[ItemChange]:
    old_by_code = {item["code"]: item for item in old_items}
    new_by_code = {item["code"]: item for item in new_items}
    changes: list[ItemChange] = []
    for item in new_items:
        before = old_by_code.get(item["code"])
        if before is None:
            changes.append(ItemChange(item["code"], "added"))
            continue
        changed = [name for name in COMPARED_FIELDS if before.get(name) != item.get(name)]
        if changed:
            changes.append(ItemChange(item["code"], "changed", changed))
    changes.extend(ItemChange(code, "removed") for code in old_by_code if code not in new_by_code)
    return changes


def catalog_import(*, text: str, source_name: str, actor: str, dry_run: bool = False) -> ImportResult:
    """Import an edition. Raises CatalogImportError (and changes nothing) for a bad file.

    A different edition becomes a draft version plus a change proposal of kind ``edition``
    (``shebao.changes.services.proposal_from_edition``) holding the full diff against the
    newest published version; publication goes through review like any other change."""
    parsed = _parse(text)
    items = build_items(parsed)
    digest = content_hash(parsed, items)
    numbered = sum(1 for item in items if item["seq"] is not None)
    latest = CatalogVersion.objects.order_by("-number").first()
    base = catalog_version_latest_published()
    # The same content as the newest version, or as the newest published one, or as a draft
    # still awaiting review: nothing to do.
    same = next(
        (v for v in (latest, base) if v is not None and v.content_sha256 == digest), None
    ) or CatalogVersion.objects.filter(status=CatalogVersion.Status.DRAFT, content_sha256=digest).first()
    if same is not None:
        return ImportResult("unchanged", same.number, len(items), numbered, [], parsed.notes, dry_run)

    changes = _diff(version_items_as_dicts(base), items) if base is not None else []
    outcome = "published" if latest is None else "draft"
    if dry_run:
        next_number = 1 if latest is None else latest.number + 1
        return ImportResult(outcome, next_number, len(items), numbered, changes, parsed.notes, True)

    proposal = ""
    with transaction.atomic():
        next_number = (CatalogVersion.objects.aggregate(n=Max("number"))["n"] or 0) + 1
        version = CatalogVersion.objects.create(
            number=next_number,
            title=parsed.title,
            doc_number=parsed.doc_number,
            issued_on=parsed.issued_on,
            effective_from=parsed.issued_on,
            status=CatalogVersion.Status.PUBLISHED if outcome == "published" else CatalogVersion.Status.DRAFT,
            published_at=timezone.now() if outcome == "published" else None,
            source_name=source_name,
            source_sha256=parsed.source_sha256,
            content_sha256=digest,
            import_notes=parsed.notes,
        )
        _write_items(version, items)
        if outcome == "published":
            _sync_directory(parsed, items)
            _link_contacts(version)
        audit_record(
            actor=actor,
            action="catalog.version.published" if outcome == "published" else "catalog.version.drafted",
            object_type="catalog_version",
            object_id=version.number,
            payload={
                "doc_number": parsed.doc_number, "items": len(items), "source": source_name,
                "source_sha256": parsed.source_sha256, "changes": len(changes),
            },
        )
        if outcome == "draft" and base is not None and apps.is_installed("shebao.changes"):
            # Change control owns what happens next (imported here: changes depends on catalog).
            from shebao.changes.services import proposal_from_edition

            opened = proposal_from_edition(
                draft=version, base_version=base, text=text, source_name=source_name, actor=actor,
            )
            proposal = opened.reference
    return ImportResult(outcome, version.number, len(items), numbered, changes, parsed.notes, False, proposal)


def catalog_ensure_loaded(*, actor: str = "system:bootstrap") -> CatalogVersion:
    """Publish the bundled edition if the database has no catalog yet; return the version in force."""
    version = catalog_version_in_force()
    if version is not None:
        return version
    if not CatalogVersion.objects.exists():
        catalog_import(text=read_edition(BUNDLED_EDITION), source_name=BUNDLED_EDITION.name, actor=actor)
    version = catalog_version_in_force()
    if version is None:
        raise ValidationFailed("数据库中有清单版本，但没有已生效的发布版本")
    return version


def _write_items(version: CatalogVersion, items: list[dict[str, Any]]) -> None:
    sections: dict[str, Section] = {}
    for item in items:
        if item["section"] not in sections:
            sections[item["section"]] = Section.objects.create(
                version=version, position=len(sections) + 1, name=item["section"], printed_name=item["section_printed"],
            )
    service_items = ServiceItem.objects.bulk_create(
        [
            ServiceItem(
                version=version,
                position=item["position"],
                code=item["code"],
                seq=item["seq"],
                section=sections[item["section"]],
                list_code=item["list_code"],
                list_category=item["list_category"],
                list_name=item["list_name"],
                category=item["category"],
                name=item["name"],
                authority=item["authority"],
                mode_immediate=item["modes"]["immediate"],
                mode_online=item["modes"]["online"],
                mode_one_visit=item["modes"]["one_visit"],
                legal_basis=item["legal_basis"],
                legal_basis_label=item["legal_basis_label"],
                conditions=item["conditions"],
                materials_text=item["materials_text"],
                legal_limit_text=item["legal_limit"]["text"],
                legal_limit_kind=item["legal_limit"]["kind"],
                legal_limit_count=item["legal_limit"]["count"],
                promised_limit_text=item["promised_limit"]["text"],
                promised_limit_kind=item["promised_limit"]["kind"],
                promised_limit_count=item["promised_limit"]["count"],
                special_procedure=item["special_procedure"],
                fee=item["fee"],
                certificate=item["certificate"],
                flow_text=item["flow_text"],
                agency=item["agency"],
                consult=item["consult"],
                complaint=item["complaint"],
                remarks=item["remarks"],
                applicant_kinds=item["applicant_kinds"],
                **search_columns(item),
            )
            for item in items
        ]
    )
    materials: list[Material] = []
    steps: list[FlowStep] = []
    contacts: list[ItemContact] = []
    for service_item, item in zip(service_items, items, strict=True):
        materials.extend(Material(item=service_item, **m) for m in item["materials"])
        steps.extend(FlowStep(item=service_item, position=i, text=t) for i, t in enumerate(item["flow_steps"], 1))
        contacts.extend(
            ItemContact(item=service_item, position=i, label=c["label"], phones=c["phones"], address=c["address"])
            for i, c in enumerate(item["contacts"], 1)
        )
    Material.objects.bulk_create(materials)
    FlowStep.objects.bulk_create(steps)
    ItemContact.objects.bulk_create(contacts)


def _sync_directory(parsed: ParsedDocument, items: list[dict[str, Any]]) -> None:
    """Create or update the office directory from the contacts and the bodies the text names."""
    entries = [
        [ContactEntry(c["label"], tuple(c["phones"]), c["address"]) for c in item["contacts"]] for item in items
    ]
    full_text = "\n".join(
        "\n".join([item["flow_text"], item["legal_limit"]["text"], item["promised_limit"]["text"], item["agency"],
                   item["complaint"], item["conditions"]])
        for item in items
    )
    specs = build_directory(entries)
    for key, spec in specs.items():
        district_label = DISTRICT_DISPLAY.get(spec.district, spec.district)
        _upsert_office(
            key=key, name=spec.name, kind=spec.kind, district=district_label,
            district_order=DISTRICTS.index(spec.district) + 1 if spec.district else 0,
            phones=[phone for phone, _ in spec.phones.most_common()],
            address=spec.addresses.most_common(1)[0][0] if spec.addresses else "",
            aliases=[name for name in spec.names if name != spec.name],
        )
    for key, (body, forms) in find_named_bodies(parsed.cover_text + "\n" + full_text).items():
        existing = specs.get(key)
        _upsert_office(
            key=key, name=body.name, kind=body.kind, district="", district_order=0,
            phones=[phone for phone, _ in existing.phones.most_common()] if existing else [],
            address=existing.addresses.most_common(1)[0][0] if existing and existing.addresses else "",
            aliases=sorted(set(forms) | (set(existing.names) if existing else set()) - {body.name}),
        )


def _upsert_office(
    *, key: str, name: str, kind: str, district: str, district_order: int, phones: list[str], address: str,
    aliases: list[str],
) -> None:
    office, _created = Office.objects.get_or_create(
        key=key,
        defaults={"name": name, "kind": kind, "district": district, "district_order": district_order},
    )
    office.name = name
    office.kind = kind
    office.district = district
    office.district_order = district_order
    office.phones = phones
    office.address = address
    # Variants accumulate across editions: an old name still finds the office.
    office.aliases = list(dict.fromkeys([*office.aliases, *aliases]))
    office.position = OFFICE_KIND_ORDER.index(kind) if kind in OFFICE_KIND_ORDER else len(OFFICE_KIND_ORDER)
    office.save()


def _link_contacts(version: CatalogVersion) -> None:
    offices = {office.key: office for office in Office.objects.all()}
    by_office: dict[int, list[int]] = {}
    for contact_id, label in ItemContact.objects.filter(item__version=version).values_list("pk", "label"):
        found = classify(label)
        if found and found[0] in offices:
            by_office.setdefault(offices[found[0]].pk, []).append(contact_id)
    # One UPDATE per office (a few dozen) rather than a CASE over every contact.
    for office_id, contact_ids in by_office.items():
        ItemContact.objects.filter(pk__in=contact_ids).update(office_id=office_id)


def version_items_as_dicts(
    version: CatalogVersion | None, *, codes: Iterable[str] | None = None
) -> list[dict[str, Any]]:
    """The stored content of a version in the same shape as ``build_items`` (every key), so two
    versions compare field by field and a version can be written again (``catalog_items_write``).
    ``codes`` limits it to those items."""
    if version is None:
        return []
    result: list[dict[str, Any]] = []
    items = (
        version.items.select_related("section")
        .prefetch_related("materials", "flow_steps", "contacts")
        .order_by("position")
    )
    if codes is not None:
        items = items.filter(code__in=list(codes))
    for item in items:
        result.append(
            {
                "position": item.position, "code": item.code, "seq": item.seq, "section": item.section.name,
                "section_printed": item.section.printed_name, "list_code": item.list_code,
                "list_category": item.list_category, "list_name": item.list_name, "category": item.category,
                "name": item.name, "authority": item.authority,
                "modes": {"immediate": item.mode_immediate, "online": item.mode_online,
                          "one_visit": item.mode_one_visit},
                "legal_basis": list(item.legal_basis), "legal_basis_label": item.legal_basis_label,
                "conditions": item.conditions, "materials_text": item.materials_text,
                "materials": [
                    {"position": m.position, "text": m.text, "printed_number": m.printed_number, "group": m.group,
                     "original_count": m.original_count, "copy_count": m.copy_count, "retained": m.retained,
                     "conditional": m.conditional}
                    for m in item.materials.all()
                ],
                "legal_limit": {"text": item.legal_limit_text, "kind": item.legal_limit_kind,
                                "count": item.legal_limit_count},
                "promised_limit": {"text": item.promised_limit_text, "kind": item.promised_limit_kind,
                                   "count": item.promised_limit_count},
                "special_procedure": item.special_procedure, "fee": item.fee, "certificate": item.certificate,
                "flow_text": item.flow_text, "flow_steps": [step.text for step in item.flow_steps.all()],
                "agency": item.agency, "consult": item.consult,
                "contacts": [{"label": c.label, "phones": list(c.phones), "address": c.address}
                             for c in item.contacts.all()],
                "complaint": item.complaint, "remarks": item.remarks,
                "applicant_kinds": list(item.applicant_kinds),
            }
        )
    return result


def items_content_hash(*, doc_number: str, issued_on: str, items: list[dict[str, Any]]) -> str:
    """The content hash of a version built from item dicts (as ``importer.build.content_hash``)."""
    body = {"doc_number": doc_number, "issued_on": issued_on, "items": items}
    encoded = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def catalog_items_write(*, version: CatalogVersion, items: list[dict[str, Any]]) -> None:
    """Write the items (``build_items`` shape) of a new version and link their contacts to the
    office directory. For guide change control; the caller holds the transaction and audits."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("catalog_items_write must run inside the caller's transaction")
    _write_items(version, items)
    _link_contacts(version)


def catalog_directory_sync(*, text: str, version: CatalogVersion) -> None:
    """Update the office directory from an edition's text when its version is published, and
    link the version's contacts to it. The caller holds the transaction and audits."""
    parsed = _parse(text)
    _sync_directory(parsed, build_items(parsed))
    _link_contacts(version)
