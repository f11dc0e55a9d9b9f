"""A per-process cache of published catalog rows, for the case write path.

Every case submission needs the version in force, the item, its material list and its flow;
acceptance and closing need the flow again. A published version is never edited: guide change
control publishes a *new* version (``shebao.changes``), and a draft becomes published only
once. So the rows of a published version can be read once per process and kept.

* The version in force is still asked of the database on every call (one indexed raw SELECT of
  its id): a publication, or a version coming into force at midnight, is seen at once, by every
  process, with nothing to invalidate.
* Everything else is keyed by that version's identity ``(id, published_at, content_sha256)``,
  not by its id alone: a test database that rolls back or flushes may hand the same id to
  different content, and an id is never published twice with the same timestamp and content.
* Drafts are never cached (``status`` must be published when the entry is made).

Callers get fresh ``ServiceItem`` objects (built from the cached row) so nothing one case hangs
on its item is seen by another; the ``CatalogVersion`` object is shared and must not be changed.
``published_cache_clear()`` empties the cache (tests that edit a published row in place).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from django.db import connection
from django.utils import timezone

from shebao.core.errors import NotFound
from shebao.core.sql import select_models, select_values

from .models import CatalogVersion, Material, ServiceItem

if TYPE_CHECKING:
    from .flows import FlowDef

VersionKey = tuple[int, datetime | None, str]

MAX_ENTRIES = 1024  # items of a few versions; an entry is a few kilobytes


@dataclass(frozen=True)
class MaterialRow:
    """One entry of an item's material list, as the checklist copies it."""

    id: int
    position: int
    text: str
    conditional: bool
    original_count: int | None
    copy_count: int | None


@dataclass
class _ItemEntry:
    values: tuple[Any, ...]
    materials: tuple[MaterialRow, ...] | None = None
    flow: FlowDef | None = None


_lock = threading.Lock()
_versions: dict[VersionKey, CatalogVersion] = {}
_items: OrderedDict[tuple[VersionKey, str], _ItemEntry] = OrderedDict()
_ITEM_FIELDS = tuple(f.attname for f in ServiceItem._meta.concrete_fields)


def published_cache_clear() -> None:
    with _lock:
        _versions.clear()
        _items.clear()


def version_key(version: CatalogVersion) -> VersionKey | None:
    """The cache identity of a published version; None for a draft (never cached)."""
    if version.status != CatalogVersion.Status.PUBLISHED or version.pk is None:
        return None
    return (version.pk, version.published_at, version.content_sha256)


def version_in_force(*, on: date | None = None) -> CatalogVersion | None:
    """``selectors.catalog_version_in_force`` with one raw SELECT and the object from the cache."""
    day = on or timezone.localdate()
    rows = select_values(CatalogVersion, ("id", "published_at", "content_sha256"),
                         "WHERE status = %s AND effective_from <= %s ORDER BY number DESC LIMIT 1",
                         [CatalogVersion.Status.PUBLISHED.value, connection.ops.adapt_datefield_value(day)])
    if not rows:
        return None
    key: VersionKey = (int(rows[0][0]), rows[0][1], str(rows[0][2]))
    cached = _versions.get(key)
    if cached is not None:
        return cached
    found = select_models(CatalogVersion, "WHERE id = %s", [key[0]])
    if not found:
        return None  # deleted since the first read
    version = found[0]
    if version_key(version) == key:
        with _lock:
            _versions[key] = version
    return version


def _entry(version: CatalogVersion, code: str, *, asked: str = "") -> _ItemEntry | None:
    vkey = version_key(version)
    if vkey is None:
        return None
    key = (vkey, code)
    entry = _items.get(key)
    if entry is None:
        found = select_values(ServiceItem, _ITEM_FIELDS, "WHERE version_id = %s AND code = %s", [version.pk, code])
        if not found:
            raise NotFound(f"事项编号 {asked or code} 不存在", field="code")
        entry = _ItemEntry(values=found[0])
        with _lock:
            _items[key] = entry
            while len(_items) > MAX_ENTRIES:
                _items.popitem(last=False)
    return entry


def case_item(*, code: str, version: CatalogVersion) -> ServiceItem:
    """The item a case is opened for (``selectors.item_for_case``), from the cache when the version
    is published: a new ``ServiceItem`` object with ``version`` attached."""
    from .selectors import item_for_case, normalize_item_code

    canonical = normalize_item_code(code)
    entry = _entry(version, canonical, asked=code)
    if entry is None:
        return item_for_case(code=code, version=version)
    item = ServiceItem.from_db(connection.alias, _ITEM_FIELDS, entry.values)
    ServiceItem.version.field.set_cached_value(item, version)
    return item


def _cached_entry(item: ServiceItem) -> _ItemEntry | None:
    """The cache entry of an item of a published version; None for a draft's item. The version is
    loaded on the item if it is not yet (the case engine needs it anyway: notices cite it)."""
    version = item.version
    if version_key(version) is None:
        return None
    return _entry(version, item.code)


def item_materials(item: ServiceItem) -> tuple[MaterialRow, ...]:
    """The item's material list in order; cached for an item of a published version."""
    entry = _cached_entry(item)
    if entry is not None and entry.materials is not None:
        return entry.materials
    rows = tuple(
        MaterialRow(id=m.pk, position=m.position, text=m.text, conditional=m.conditional,
                    original_count=m.original_count, copy_count=m.copy_count)
        for m in select_models(Material, "WHERE item_id = %s ORDER BY position", [item.pk])
    )
    if entry is not None:
        entry.materials = rows
    return rows


def item_flow(item: ServiceItem, load: Any) -> FlowDef:
    """``load(item)`` once per published item and process (``flows.flow_for_item``)."""
    entry = _cached_entry(item)
    if entry is not None and entry.flow is not None:
        return entry.flow
    flow: FlowDef = load(item)
    if entry is not None:
        entry.flow = flow
    return flow
