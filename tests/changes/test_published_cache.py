"""The case engine's per-process cache of published catalog rows (shebao/catalog/published.py):
the version in force is asked every time, everything of a published version is read once, a
new publication is used at once, and drafts are never cached."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from shebao.catalog import published
from shebao.catalog.flows import flow_for_item
from shebao.catalog.models import CatalogVersion, ServiceItem
from shebao.catalog.selectors import catalog_version_in_force, item_for_case
from shebao.changes import services as changes

from .conftest import People

pytestmark = pytest.mark.django_db


def test_rows_of_a_published_version_are_read_once(catalog: CatalogVersion) -> None:
    version = published.version_in_force()
    assert version == catalog_version_in_force() == catalog
    item = published.case_item(code="sbzx00001", version=version)  # normalised like item_for_case
    reference = item_for_case(code="SBZX00001", version=catalog)
    assert all(getattr(item, f.attname) == getattr(reference, f.attname) for f in ServiceItem._meta.concrete_fields)
    materials = published.item_materials(item)
    assert [m.id for m in materials] == list(reference.materials.order_by("position").values_list("pk", flat=True))
    flow = flow_for_item(item)
    with CaptureQueriesContext(connection) as queries:
        again = published.version_in_force()
        other = published.case_item(code="SBZX00001", version=again)  # type: ignore[arg-type]
        assert published.item_materials(other) == materials and flow_for_item(other) == flow
    # Only the version in force is asked of the database; the object is a new one each time.
    assert len(queries) == 1 and "catalog_catalogversion" in queries[0]["sql"]
    assert other is not item and other.version is again


def test_a_new_publication_is_used_at_once(people: People) -> None:
    old = published.version_in_force()
    assert old is not None
    before = published.case_item(code="SBZX00001", version=old)
    assert published.item_materials(before) and flow_for_item(before)
    proposal = changes.proposal_propose(
        actor=people.editor, kind="item_change", item_code="SBZX00001",
        content={"promised_limit": "1个工作日"}, reason="缩短承诺时限",
        effective_date=timezone.localdate(), submit=True)
    changes.proposal_approve(proposal=proposal, actor=people.policy)
    new = changes.proposal_publish(proposal=proposal, actor=people.editor)
    in_force = published.version_in_force()
    assert in_force is not None and in_force.pk == new.pk != old.pk
    after = published.case_item(code="SBZX00001", version=in_force)
    assert after.version_id == new.pk and after.promised_limit_text == "1个工作日"
    assert {m.id for m in published.item_materials(after)}.isdisjoint({m.id for m in published.item_materials(before)})
    # The old version's rows are still what they were (cases accepted under it keep them).
    assert published.case_item(code="SBZX00001", version=old).promised_limit_text == before.promised_limit_text


def test_same_id_with_other_content_is_not_served_from_the_cache(catalog: CatalogVersion) -> None:
    version = published.version_in_force()
    assert version is not None
    published.case_item(code="SBZX00001", version=version)
    # A database rolled back or flushed may give the same id to another publication: the key
    # is (id, published_at, content hash), so the stale entry is not used.
    ServiceItem.objects.filter(version=catalog, code="SBZX00001").update(name="另一次发布的名称")
    CatalogVersion.objects.filter(pk=catalog.pk).update(published_at=timezone.now())
    again = published.version_in_force()
    assert again is not None and again is not version
    assert published.case_item(code="SBZX00001", version=again).name == "另一次发布的名称"


def test_drafts_are_never_cached(catalog: CatalogVersion) -> None:
    CatalogVersion.objects.filter(pk=catalog.pk).update(status=CatalogVersion.Status.DRAFT)
    assert published.version_in_force() is None
    draft = CatalogVersion.objects.get(pk=catalog.pk)
    assert published.version_key(draft) is None
    first = published.case_item(code="SBZX00001", version=draft)
    ServiceItem.objects.filter(pk=first.pk).update(name="草稿改名")
    assert published.case_item(code="SBZX00001", version=draft).name == "草稿改名"
