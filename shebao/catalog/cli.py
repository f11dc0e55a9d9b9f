"""``shebao catalog import|export``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TextIO

from shebao.core.errors import ApplicationError

from .export import export_json, export_jsonld
from .selectors import catalog_version_get
from .services import ImportResult, catalog_import, read_edition

_CHANGE_LABELS = {"added": "新增", "removed": "删除", "changed": "修改"}
_OUTCOME_LABELS = {
    "published": "已发布为第 {n} 版",
    "unchanged": "与第 {n} 版内容相同，未作任何改动",
    "draft": "已存为第 {n} 版草稿{proposal}，经清单编辑核对提交、政策法规处审核通过后方可发布",
}


def _print_result(result: ImportResult, out: TextIO) -> None:
    prefix = "[试运行，未写入] " if result.dry_run else ""
    proposal = f"，并生成变更提案 {result.proposal}（含全部差异）" if result.proposal else ""
    outcome = _OUTCOME_LABELS[result.outcome].format(n=result.version_number, proposal=proposal)
    if result.dry_run and result.outcome != "unchanged":
        outcome = "将" + outcome.replace("已", "")
    print(f"{prefix}{outcome}", file=out)
    print(f"办事指南表 {result.item_count} 张，清单序号 {result.numbered_count} 项", file=out)
    if result.changes:
        print(f"与现行版本相比有 {len(result.changes)} 项变化：", file=out)
        for change in result.changes:
            fields = f"（{'、'.join(change.fields)}）" if change.fields else ""
            print(f"  {_CHANGE_LABELS[change.change]} {change.code}{fields}", file=out)
    if result.notes:
        print(f"导入说明（{len(result.notes)} 条）：", file=out)
        for note in result.notes:
            print(f"  - {note}", file=out)


def catalog_import_command(*, path: str, dry_run: bool, out: TextIO) -> int:
    try:
        text = read_edition(path)
        result = catalog_import(text=text, source_name=Path(path).name, actor="cli:catalog-import", dry_run=dry_run)
    except ApplicationError as exc:
        print(f"错误：{exc.message}（现行清单未改动）", file=sys.stderr)
        return 2
    _print_result(result, out)
    return 0


def catalog_export_command(*, fmt: str, out_path: str, version: int | None) -> int:
    try:
        catalog_version = catalog_version_get(number=version)
    except ApplicationError as exc:
        print(f"错误：{exc.message}", file=sys.stderr)
        return 2
    data = export_json(catalog_version) if fmt == "json" else export_jsonld(catalog_version)
    text = json.dumps(data, ensure_ascii=False, indent=2)
    if out_path == "-":
        sys.stdout.write(text + "\n")
    else:
        Path(out_path).write_text(text + "\n", encoding="utf-8")
    return 0
