"""`shebao catalog export` in the DESIGN.md §6 shape."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shebao.catalog.cli import catalog_export_command
from shebao.catalog.export import export_json, export_jsonld
from shebao.catalog.models import CatalogVersion

pytestmark = pytest.mark.django_db
CONTRACT_KEYS = {
    "code", "seq", "section", "category", "name", "list_name", "authority", "modes", "legal_basis", "conditions",
    "materials", "legal_limit", "promised_limit", "special_procedure", "fee", "certificate", "flow_text",
    "agency", "consult", "complaint", "remarks", "version",
}
KINDS = {"immediate", "working_days", "days", "months", "none", "staged", "text"}


def test_json_export_follows_the_contract(catalog: CatalogVersion, tmp_path: Path) -> None:
    out = tmp_path / "catalog.json"
    assert catalog_export_command(fmt="json", out_path=str(out), version=None) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert len(data) == 123
    assert [d["code"] for d in data[18:22]] == ["SBZX00019", "SBZX00020-1", "SBZX00020-2", "SBZX00021"]
    for entry in data:
        assert set(entry) >= CONTRACT_KEYS, entry["code"]
        assert set(entry["modes"]) == {"immediate", "online", "one_visit"}
        for limit in (entry["legal_limit"], entry["promised_limit"]):
            assert set(limit) >= {"text", "kind", "count"} and limit["kind"] in KINDS
            assert limit["count"] is None or isinstance(limit["count"], int)
        assert all(isinstance(m["text"], str) and m["text"] for m in entry["materials"])
        assert isinstance(entry["legal_basis"], list) and entry["version"] == 1
    first = data[0]
    assert first["seq"] == 1 and first["modes"] == {"immediate": True, "online": False, "one_visit": True}
    assert first["legal_limit"] == {"text": "5个工作日", "kind": "working_days", "count": 5}
    assert first["promised_limit"] == {"text": "即时办结", "kind": "immediate", "count": None}
    assert data[20]["seq"] is None  # SBZX00020-2


def test_jsonld_export_is_schema_org(catalog: CatalogVersion) -> None:
    doc = export_jsonld(catalog, base_url="https://example.org")
    assert doc["@context"] == "https://schema.org"
    services = doc["@graph"]
    assert len(services) == 123
    first = services[0]
    assert first["@type"] == "GovernmentService" and first["identifier"] == "SBZX00001"
    assert first["provider"]["name"] == "武汉市人力资源和社会保障局"
    channel = first["availableChannel"][0]
    assert channel["@type"] == "ServiceChannel" and channel["processingTime"] == "PT0S"
    online = next(s for s in services if s["identifier"] == "SBZX00010")
    assert [c["name"] for c in online["availableChannel"]] == ["窗口办理", "网上办理"]
    twelve = next(s for s in services if s["identifier"] == "SBZX00012")
    assert twelve["availableChannel"][0]["processingTime"] == "P3D"
    assert twelve["alternateName"] == "单位统筹范围内建制转移"


def test_export_of_an_unknown_version_is_refused(catalog: CatalogVersion, capsys: pytest.CaptureFixture[str]) -> None:
    assert catalog_export_command(fmt="json", out_path="-", version=99) == 2
    assert "99" in capsys.readouterr().err
    assert len(export_json(catalog)) == 123
