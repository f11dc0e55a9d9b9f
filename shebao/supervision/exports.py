"""Tables as CSV (UTF-8 with BOM, so Excel on a bureau PC opens the Chinese correctly) and XLSX."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from .tables import Table


def _text(value: Any, kind: str) -> str:
    if value is None:
        return ""
    if kind == "pct":
        return f"{value:.1f}%"
    if isinstance(value, float):
        return f"{value:.1f}"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def table_csv(table: Table, *, caption: str = "") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    if caption:
        writer.writerow([caption])
    writer.writerow([c.label for c in table.cols])
    for row in table.plain_rows():
        writer.writerow([_text(v, c.kind) for v, c in zip(row, table.cols, strict=False)])
    if table.note:
        writer.writerow([])
        writer.writerow(["说明：" + table.note])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


HEADER_FILL = PatternFill("solid", fgColor="14509F")
FOOT_FILL = PatternFill("solid", fgColor="E6EEFA")
THIN = Side(style="thin", color="C9D1DC")


def table_xlsx(table: Table, *, caption: str = "") -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = table.title[:31].replace("（", "(").replace("）", ")").replace("/", "-")
    width = len(table.cols)
    row_no = 1
    if caption:
        sheet.cell(row=1, column=1, value=caption).font = Font(bold=True, size=13)
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=max(1, width))
        row_no = 3
    header_row = row_no
    for col, spec in enumerate(table.cols, start=1):
        cell = sheet.cell(row=row_no, column=col, value=spec.label)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = Border(top=THIN, bottom=THIN, left=THIN, right=THIN)
    rows = table.plain_rows()
    for index, values in enumerate(rows):
        row_no += 1
        is_foot = table.foot is not None and index == len(rows) - 1
        for col, (value, spec) in enumerate(zip(values, table.cols, strict=False), start=1):
            cell = sheet.cell(row=row_no, column=col)
            if spec.kind == "pct" and value is not None:
                cell.value = float(value) / 100
                cell.number_format = "0.0%"
            elif spec.kind == "num" and value is not None:
                cell.value = float(value)
                cell.number_format = "0.0"
            elif spec.kind == "date" and value is not None:
                cell.value = value
                cell.number_format = "yyyy-mm-dd"
            else:
                cell.value = value
            cell.border = Border(top=THIN, bottom=THIN, left=THIN, right=THIN)
            if is_foot:
                cell.font = Font(bold=True)
                cell.fill = FOOT_FILL
    for col, spec in enumerate(table.cols, start=1):
        longest = max([len(spec.label)] + [len(_text(r[col - 1], spec.kind)) for r in rows if len(r) >= col])
        sheet.column_dimensions[get_column_letter(col)].width = min(60, max(8, longest * 1.8 + 2))
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)
    if table.note:
        sheet.cell(row=row_no + 2, column=1, value="说明：" + table.note).font = Font(italic=True, color="4E5969")
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
