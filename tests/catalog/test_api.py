"""The catalog API: filters, search, lookups and errors."""

from __future__ import annotations

import pytest
from django.test import Client

from shebao.catalog.models import CatalogVersion

pytestmark = pytest.mark.django_db


def _codes(client: Client, query: str) -> list[str]:
    response = client.get(f"/api/v1/items{query}")
    assert response.status_code == 200, response.content
    return [item["code"] for item in response.json()]


def test_list_all_and_filter_by_mode_and_applicant(client: Client, catalog: CatalogVersion) -> None:
    assert len(_codes(client, "")) == 123
    online_only = _codes(client, "?mode=online&mode=immediate")
    assert "SBZX00010" in online_only and "SBZX00016" not in online_only
    assert len(_codes(client, "?mode=online")) == 21
    units = _codes(client, "?applicant=unit")
    assert "SBZX00001" in units and "SBZX00029" not in units
    assert _codes(client, "?section=11") == ["GSC00001"]
    assert set(_codes(client, "?category=社会保障卡")) == {f"XXZX0000{i}" for i in range(1, 8)}


def test_search_chinese_pinyin_fullwidth_and_spaces(client: Client, catalog: CatalogVersion) -> None:
    assert _codes(client, "?q=工伤认定")[0] == "GSC00001"
    assert "SBZX00013" in _codes(client, "?q=dwcb")
    assert _codes(client, "?q=gsrd")[0] == "GSC00001"
    assert _codes(client, "?q=gongshangrending")[0] == "GSC00001"
    assert _codes(client, "?q=ＳＢＺＸ００００１") == _codes(client, "?q=sbzx00001") == ["SBZX00001"]
    assert "SBZX00001" in _codes(client, "?q=社会  保险 登记")
    # Materials and conditions are searched too.
    assert "SBZX00002" in _codes(client, "?q=组织机构代码证书")
    assert _codes(client, "?q=不存在的事项名称xyz") == []


def test_item_detail_and_misprinted_code(client: Client, catalog: CatalogVersion) -> None:
    detail = client.get("/api/v1/items/SBZX00001").json()
    assert detail["name"] == "“统一社会信用代码”单位社会保险登记"
    assert len(detail["materials"]) == 4 and len(detail["flow_steps"]) == 4
    assert client.get("/api/v1/items/SBZX000062").json()["code"] == "SBZX00062"
    assert client.get("/api/v1/items/sbzx00020-1").json()["code"] == "SBZX00020-1"


def test_errors_are_clear(client: Client, catalog: CatalogVersion) -> None:
    missing = client.get("/api/v1/items/SBZX99999")
    assert missing.status_code == 404
    assert missing.json() == {"error": "not_found", "message": "事项编号 SBZX99999 不存在", "field": "code"}
    bad_section = client.get("/api/v1/items?section=abc")
    assert bad_section.status_code == 422 and bad_section.json()["detail"][0]["field"] == "section"
    assert "section" in bad_section.json()["message"]
    bad_mode = client.get("/api/v1/items?mode=fast")
    assert bad_mode.status_code == 422 and bad_mode.json()["detail"][0]["field"] == "mode"
    bad_version = client.get("/api/v1/items?version=7")
    assert bad_version.status_code == 404


def test_offices_and_openapi_and_health(client: Client, catalog: CatalogVersion) -> None:
    offices = client.get("/api/v1/offices?kind=district").json()
    assert len(offices) == 14 and offices[0]["name"] == "江岸社保处"
    assert client.get("/api/v1/offices?kind=nonsense").status_code == 422
    schema = client.get("/api/v1/openapi.json").json()
    assert {"/api/v1/items", "/api/v1/items/{code}", "/api/v1/offices"} <= set(schema["paths"])
    health = client.get("/healthz")
    assert health.status_code == 200 and health.json()["status"] == "ok"


def test_items_named_by_the_query_rank_before_items_that_only_mention_it(
    client: Client, catalog: CatalogVersion
) -> None:
    codes = _codes(client, "?q=养老")
    first_mention_only = codes.index("SBZX00009")  # 养老 only in its conditions
    assert all("养老" in name for name in _names(client, "?q=养老")[:first_mention_only])
    assert codes.index("SBZX00034") < first_mention_only


def _names(client: Client, query: str) -> list[str]:
    return [item["name"] for item in client.get(f"/api/v1/items{query}").json()]
