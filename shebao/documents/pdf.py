"""Notices as PDF files, with Chinese set in an embedded Noto Sans CJK SC subset.

``render_notice_pdf(notice) -> bytes``: an A4 page (more if the list is long) in the layout of a
bureau's 文书: red masthead with the bureau's name, title, number, the applicant, the facts as a
table, the body, the issuing office and date with a place for its seal.
"""

from __future__ import annotations

from contextlib import AbstractContextManager

from fpdf import FPDF
from fpdf.enums import Align, TextMode, WrapMode, XPos, YPos

from shebao.cases.models import Notice

from .fonts import cjk_font
from .notices import NoticeSheet, notice_sheet

FONT = "notocjk"
RED = (179, 25, 31)
INK = (20, 20, 20)
GREY = (90, 90, 90)
INDENT = "\u3000\u3000"  # two full-width spaces: the first-line indent of Chinese prose


class _NoticePDF(FPDF):
    sheet: NoticeSheet

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font(FONT, size=8)
        self.set_text_color(*GREY)
        self.cell(0, 5, f"{self.sheet.title}  {self.sheet.number}    第 {self.page_no()} 页 / 共 {{nb}} 页",
                  align=Align.C)


def _bold(pdf: FPDF) -> AbstractContextManager[None]:
    """Noto Sans CJK ships one weight here; headings are drawn filled and stroked (faux bold)."""
    return pdf.local_context(text_mode=TextMode.FILL_STROKE, line_width=0.25)


def render_notice_pdf(notice: Notice) -> bytes:
    return render_sheet_pdf(notice_sheet(notice))


def render_sheet_pdf(sheet: NoticeSheet) -> bytes:
    font = cjk_font()
    pdf = _NoticePDF(orientation="P", unit="mm", format="A4")
    pdf.sheet = sheet
    pdf.set_title(f"{sheet.title} {sheet.number}")
    pdf.set_author(sheet.office)
    pdf.set_creator("shebao 社保经办服务平台")
    pdf.set_lang("zh-CN")
    pdf.add_font(FONT, "", str(font.path), collection_font_number=font.index)
    pdf.set_margins(22, 18, 22)
    pdf.set_auto_page_break(True, margin=22)
    pdf.alias_nb_pages()
    pdf.add_page()
    width = pdf.epw

    # Masthead: the bureau's name in red over a red rule.
    pdf.set_text_color(*RED)
    pdf.set_draw_color(*RED)
    pdf.set_font(FONT, size=21)
    with _bold(pdf):
        pdf.cell(width, 12, sheet.bureau, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, size=11)
    pdf.cell(width, 7, sheet.office, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    y = pdf.get_y() + 1.5
    pdf.set_line_width(0.8)
    pdf.line(pdf.l_margin, y, pdf.l_margin + width, y)
    pdf.set_line_width(0.25)
    pdf.line(pdf.l_margin, y + 1.2, pdf.l_margin + width, y + 1.2)
    pdf.set_y(y + 6)

    # Title and number.
    pdf.set_text_color(*INK)
    pdf.set_draw_color(*INK)
    pdf.set_font(FONT, size=19)
    with _bold(pdf):
        pdf.cell(width, 11, sheet.title, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, size=10.5)
    pdf.cell(width, 7, f"编号：{sheet.number}", align=Align.R, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)

    # Addressee.
    pdf.set_font(FONT, size=12)
    with _bold(pdf):
        pdf.cell(width, 8, f"{sheet.addressee}：", new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    # Facts.
    pdf.set_font(FONT, size=10.5)
    pdf.set_draw_color(120, 120, 120)
    with pdf.table(col_widths=(28, width - 28), first_row_as_headings=False, line_height=6.5,
                   text_align=("LEFT", "LEFT"), wrapmode=WrapMode.CHAR, padding=1.5) as table:
        for label, value in sheet.facts:
            row = table.row()
            row.cell(label)
            row.cell(value)
    pdf.ln(3)

    # Body.
    for block in sheet.body:
        if block.kind == "heading":
            pdf.ln(1)
            pdf.set_font(FONT, size=12)
            with _bold(pdf):
                pdf.multi_cell(width, 7.5, block.text, align=Align.L, wrapmode=WrapMode.CHAR,
                               new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        elif block.kind == "list":
            pdf.set_font(FONT, size=12)
            for index, text in enumerate(block.items, start=1):
                label = f"{index}."
                pdf.set_x(pdf.l_margin + 6)
                pdf.cell(8, 7.5, label)
                pdf.multi_cell(width - 14, 7.5, text, align=Align.L, wrapmode=WrapMode.CHAR,
                               new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.ln(1)
        elif block.kind == "note":
            pdf.set_font(FONT, size=10)
            pdf.set_text_color(*GREY)
            pdf.multi_cell(width, 6, f"注：{block.text}", align=Align.L, wrapmode=WrapMode.CHAR,
                           new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.set_text_color(*INK)
        else:
            pdf.set_font(FONT, size=12)
            pdf.multi_cell(width, 7.5, INDENT + block.text, align=Align.L, wrapmode=WrapMode.CHAR,
                           new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    # Issuer, date and the place of the seal. Kept together on one page.
    if pdf.get_y() > pdf.h - 22 - 48:
        pdf.add_page()
    pdf.ln(12)
    block_w = 90
    x = pdf.l_margin + width - block_w
    centre = x + block_w / 2
    top = pdf.get_y()
    # The seal is stamped over the office's name and the date, as on paper; here its outline.
    pdf.set_draw_color(*RED)
    pdf.set_text_color(*RED)
    pdf.set_line_width(0.6)
    pdf.circle(x=centre, y=top + 8, radius=19, style="D")
    pdf.set_font(FONT, size=8)
    pdf.set_xy(x, top - 8)
    pdf.cell(block_w, 5, "（印章）", align=Align.C)
    pdf.set_text_color(*INK)
    pdf.set_font(FONT, size=12)
    pdf.set_xy(x, top + 1)
    pdf.cell(block_w, 8, sheet.office, align=Align.C, new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_x(x)
    pdf.cell(block_w, 8, sheet.issued_on_text, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    return bytes(pdf.output())
