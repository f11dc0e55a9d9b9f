"""The public catalog API's responses are cached until the catalog's generation changes."""

from __future__ import annotations

import pytest
from django.test import Client

from shebao.catalog.models import CatalogVersion, ServiceItem

pytestmark = pytest.mark.django_db


def test_item_responses_are_cached_until_a_version_changes(client: Client, catalog: CatalogVersion) -> None:
    first = client.get("/api/v1/items/SBZX00001")
    assert first.status_code == 200 and first["Content-Type"].startswith("application/json")
    listed = client.get("/api/v1/items", {"q": "参保"}).json()
    # A published version is never edited in place; if a row were, the cache would not see it...
    ServiceItem.objects.filter(version=catalog, code="SBZX00001").update(name="改过的名称")
    again = client.get("/api/v1/items/SBZX00001")
    assert again.content == first.content
    # A cached answer carries its length like a fresh one: without it Waitress closes the
    # connection after every cached response (keep-alive clients reconnect each time).
    assert again["Content-Length"] == first["Content-Length"] == str(len(again.content))
    assert client.get("/api/v1/items", {"q": "参保"}).json() == listed
    # ...until the catalog's generation moves (a version published, changed or coming into force).
    catalog.save()
    assert client.get("/api/v1/items/SBZX00001").json()["name"] == "改过的名称"


def test_errors_and_other_paths_are_not_cached(client: Client, catalog: CatalogVersion) -> None:
    assert client.get("/api/v1/items/NOPE00001").status_code == 404
    assert client.get("/api/v1/items/NOPE00001").status_code == 404
    assert client.get("/api/v1/items", {"version": 99}).status_code == 404
    assert client.get("/api/v1/offices").status_code == 200
