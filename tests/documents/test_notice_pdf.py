"""Notices as PDF: Chinese set in an embedded CJK font, the text extractable, the page not blank
(rasterised with poppler's pdftoppm), and the content each kind of notice must carry."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from shebao.cases import services
from shebao.cases.models import Notice
from shebao.documents.notices import notice_sheet
from shebao.documents.pdf import render_notice_pdf
from tests.cases.conftest import World
from tests.web.conftest import counter_case, receive_all

pytestmark = pytest.mark.django_db


def _poppler(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        if os.environ.get("SHEBAO_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{tool} (poppler-utils) is required in CI")
        pytest.skip(f"{tool} is not installed (apt-get install poppler-utils)")
    return path


def _notices(w: World) -> tuple[Notice, Notice]:
    case = counter_case(w)
    checks = {row.material_id: services.MaterialCheck(original=True) for row in case.materials.all() if row.position < 3}
    services.case_check_materials(case=case, actor=w.clerk, checks=checks)
    incomplete = services.case_notify_incomplete(case=case, actor=w.clerk, note="复印件须加盖单位公章")
    case.refresh_from_db()
    receive_all(w, case)
    case.refresh_from_db()
    services.case_supplement(case=case, actor=w.clerk, checks={})
    case.refresh_from_db()
    acceptance = services.case_accept(case=case, actor=w.clerk)
    return incomplete, acceptance


def _dark_and_red(png: Path) -> tuple[int, int]:
    raw = Image.open(png).convert("RGB").tobytes()
    dark = red = 0
    for i in range(0, len(raw), 3):
        r, g, b = raw[i], raw[i + 1], raw[i + 2]
        if r + g + b < 300:
            dark += 1
        if r > 150 and g < 90 and b < 90:
            red += 1
    return dark, red


def test_notices_render_chinese_and_are_not_blank(world: World, tmp_path: Path) -> None:
    pdftoppm, pdftotext, pdffonts = _poppler("pdftoppm"), _poppler("pdftotext"), _poppler("pdffonts")
    incomplete, acceptance = _notices(world)
    for notice, must_say in (
        (incomplete, ["申报材料补正一次性告知书", "行政许可法》第三十二条", "材料清单第 3 项", "材料清单第 4 项",
                      "复印件须加盖单位公章"]),
        (acceptance, ["受理通知书", "办件编号", acceptance.content["case_number"], "法定办理时限", "承诺办理时限",
                      "办理流程"]),
    ):
        data = render_notice_pdf(notice)
        assert data.startswith(b"%PDF-")
        path = tmp_path / f"{notice.kind}.pdf"
        path.write_bytes(data)

        fonts = subprocess.run([pdffonts, str(path)], capture_output=True, text=True, check=True).stdout
        assert "NotoSansCJKSC" in fonts and " yes " in fonts, "the CJK font is embedded"

        text = subprocess.run([pdftotext, "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
        flat = "".join(text.split())
        for words in ["武汉市人力资源和社会保障局", "江岸社保处", notice.number, "武汉某某科技有限公司",
                      "单位职工及退休人员缴费工资申报", "SBZX00016", "第1版", "（印章）", *must_say]:
            assert "".join(words.split()) in flat, words

        subprocess.run([pdftoppm, "-r", "50", "-png", "-f", "1", "-l", "1", str(path), str(tmp_path / notice.kind)],
                       check=True, capture_output=True)
        png = next(tmp_path.glob(f"{notice.kind}*.png"))
        dark, red = _dark_and_red(png)
        width, height = Image.open(png).size
        assert dark > 0.01 * width * height, f"page looks blank: {dark} dark pixels"
        assert red > 200, "the red masthead and seal are drawn"


def test_refusal_and_result_sheets_carry_reasons_result_and_remedies(world: World) -> None:
    case = counter_case(world)
    refusal = services.case_refuse(case=case, actor=world.clerk, reasons="不属于本机构受理范围")
    sheet = notice_sheet(refusal)
    text = " ".join(b.text for b in sheet.body)
    assert sheet.title == "不予受理通知书" and "不属于本机构受理范围" in text and "行政复议" in text

    other = counter_case(world)
    receive_all(world, other)
    other.refresh_from_db()
    services.case_accept(case=other, actor=world.clerk)
    other.refresh_from_db()
    services.case_step_complete(case=other, actor=world.clerk, outcome="fail", note="缴费工资基数不符合规定")
    result = other.notices.get(kind="result")
    sheet = notice_sheet(result)
    text = " ".join(b.text for b in sheet.body)
    assert sheet.title == "办结通知书" and "不予" in text and "缴费工资基数不符合规定" in text and "行政诉讼" in text
    assert ("办件编号", other.number) in sheet.facts
    assert render_notice_pdf(result).startswith(b"%PDF-")


def test_provisional_due_dates_are_marked(world: World) -> None:
    _, acceptance = _notices(world)
    acceptance.content = {**acceptance.content, "provisional": True}
    sheet = notice_sheet(acceptance)
    limits = next(b for b in sheet.body if b.kind == "list")
    assert all("（临时）" in line for line in limits.items)
    assert "尚未载入国务院节假日安排" in sheet.provisional_note
