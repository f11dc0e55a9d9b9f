"""Importer behaviour: idempotence, dry runs, new editions and bad files."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from shebao.catalog.cli import catalog_import_command
from shebao.catalog.models import CatalogVersion, ServiceItem
from shebao.catalog.services import BUNDLED_EDITION, CatalogImportError, catalog_import
from shebao.changes.models import ChangeProposal
from shebao.core.models import AuditEvent

pytestmark = pytest.mark.django_db
EDITION = BUNDLED_EDITION.read_text(encoding="utf-8")


def _snapshot() -> tuple[int, int, int]:
    return CatalogVersion.objects.count(), ServiceItem.objects.count(), AuditEvent.objects.count()


def test_reimporting_the_same_edition_changes_nothing(catalog: CatalogVersion) -> None:
    before = _snapshot()
    result = catalog_import(text=EDITION, source_name="again.txt", actor="test")
    assert result.outcome == "unchanged" and result.version_number == 1
    assert _snapshot() == before


def test_a_corrected_edition_becomes_a_draft_with_its_differences(catalog: CatalogVersion) -> None:
    start = EDITION.index("业务编号\tSBZX00012")
    end = EDITION.index("业务编号\tSBZX00013")
    table = EDITION[start:end]
    assert "承诺时限\t3 个工作日" in table
    edited = table.replace("承诺时限\t3 个工作日", "承诺时限\t2个工作日").replace(
        "事项名称\t单位统筹范围内成建制转移", "事项名称\t单位统筹范围内成建制转移（修订）"
    )
    corrected = EDITION[:start] + edited + EDITION[end:]
    dry = catalog_import(text=corrected, source_name="v2.txt", actor="test", dry_run=True)
    assert dry.outcome == "draft" and dry.dry_run
    assert CatalogVersion.objects.count() == 1

    result = catalog_import(text=corrected, source_name="v2.txt", actor="test")
    assert result.outcome == "draft" and result.version_number == 2
    changed = {c.code: c.fields for c in result.changes}
    assert changed["SBZX00012"] == ["name", "promised_limit"]
    assert len(changed) == 1
    draft = CatalogVersion.objects.get(number=2)
    assert draft.status == CatalogVersion.Status.DRAFT
    # The published catalog is still version 1 and untouched.
    assert ServiceItem.objects.get(version__number=1, code="SBZX00012").name == "单位统筹范围内成建制转移"
    assert AuditEvent.objects.filter(action="catalog.version.drafted", object_id="2").exists()
    # Never published silently: guide change control holds it as a proposal with the full diff.
    proposal = ChangeProposal.objects.get(draft_version=draft)
    assert result.proposal == proposal.reference
    assert proposal.kind == "edition" and proposal.source == "import" and proposal.status == "draft"
    assert [(d["code"], [f["field"] for f in d["fields"]]) for d in proposal.diff] == [
        ("SBZX00012", ["name", "promised_limit"])
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "文件为空"),
        ("hello\nworld\n", "发文字号"),
        (EDITION[: len(EDITION) // 2], "截断"),
        (EDITION.replace("社会保险公共服务事项清单汇总表", "目录"), "清单汇总表"),
        (EDITION.replace("业务编号\tYLC00004", "业务编号\tYLC0000X"), "YLC0000X"),
    ],
    ids=["empty", "not-the-document", "truncated", "no-list", "bad-code"],
)
def test_bad_files_are_refused_and_change_nothing(catalog: CatalogVersion, text: str, message: str) -> None:
    before = _snapshot()
    with pytest.raises(CatalogImportError) as excinfo:
        catalog_import(text=text, source_name="bad.txt", actor="test")
    assert message in excinfo.value.message
    assert _snapshot() == before


def test_cli_reports_a_bad_file_with_exit_code_2(
    catalog: CatalogVersion, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "truncated.txt"
    bad.write_text(EDITION[:20000], encoding="utf-8")
    assert catalog_import_command(path=str(bad), dry_run=False, out=io.StringIO()) == 2
    assert "现行清单未改动" in capsys.readouterr().err
    missing = tmp_path / "nope.txt"
    assert catalog_import_command(path=str(missing), dry_run=True, out=io.StringIO()) == 2


def test_cli_dry_run_prints_the_summary(catalog: CatalogVersion) -> None:
    out = io.StringIO()
    assert catalog_import_command(path=str(BUNDLED_EDITION), dry_run=True, out=out) == 0
    text = out.getvalue()
    assert "与第 1 版内容相同" in text and "办事指南表 123 张，清单序号 120 项" in text
    assert "SBZX000062 多印一个 0" in text
