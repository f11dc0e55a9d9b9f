"""The monthly supervision report (督办月报) as a PDF.

fpdf2 with the Noto Sans CJK SC face that ``shebao.documents`` embeds in notices (same font
lookup, ``shebao.documents.fonts.cjk_font``; docs/decisions/0004). The figures come from the same
selectors as the dashboard, so report and screen agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.utils import timezone
from fpdf import FPDF
from fpdf.enums import Align, TextMode, WrapMode, XPos, YPos

from shebao.documents.fonts import cjk_font

from . import selectors
from .charts import GREEN, RED, YELLOW
from .models import FindingKind, OrderStatus, SupervisionOrder
from .selectors import Filters, Row

FONT = "notocjk"
MASTHEAD_RED = (179, 25, 31)
INK = (20, 20, 20)
GREY = (90, 90, 90)
BLUE = (20, 80, 159)
INDENT = "\u3000\u3000"


def _hex(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}%"


def _num(value: float | int | None) -> str:
    return "—" if value is None else (f"{value:.1f}" if isinstance(value, float) else str(value))


class _ReportPDF(FPDF):
    footer_text = ""

    def footer(self) -> None:
        self.set_y(-13)
        self.set_font(FONT, size=8)
        self.set_text_color(*GREY)
        self.cell(0, 5, f"{self.footer_text}    第 {self.page_no()} 页 / 共 {{nb}} 页", align=Align.C)


@dataclass
class MonthlyReport:
    filters: Filters
    totals: Row
    offices: list[Row]
    items: list[Row]
    red_cases: list[Any]
    finding_counts: dict[str, int]
    orders: dict[str, int]
    open_orders: list[SupervisionOrder]
    generated: date

    @property
    def month_label(self) -> str:
        return f"{self.filters.date_from.year}年{self.filters.date_from.month}月"


def monthly_report(filters: Filters, *, user: object) -> MonthlyReport:
    totals, offices = selectors.summary(filters, dim="office")
    _, items = selectors.summary(filters, dim="item")
    span = filters.span
    orders = selectors.visible_orders(user)
    counts = {
        "issued": orders.filter(issued_at__date__range=span).count(),
        "replied": orders.filter(replied_at__date__range=span).count(),
        "closed": orders.filter(closed_at__date__range=span).count(),
        "open": orders.exclude(status=OrderStatus.CLOSED).count(),
        "escalated": orders.exclude(status=OrderStatus.CLOSED).filter(level__gt=1).count(),
    }
    return MonthlyReport(
        filters=filters, totals=totals, offices=offices, items=items,
        red_cases=list(selectors.drill_down(filters, metric="overdue")[:25]),
        finding_counts=selectors.finding_counts(filters), orders=counts,
        open_orders=list(orders.exclude(status=OrderStatus.CLOSED).order_by("reply_due")[:15]),
        generated=timezone.localdate(),
    )


def _bold(pdf: FPDF) -> Any:
    return pdf.local_context(text_mode=TextMode.FILL_STROKE, line_width=0.22)


def _heading(pdf: FPDF, text: str) -> None:
    if pdf.get_y() > pdf.h - 60:
        pdf.add_page()
    pdf.ln(3)
    pdf.set_font(FONT, size=13)
    pdf.set_text_color(*INK)
    with _bold(pdf):
        pdf.cell(pdf.epw, 8, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(1)


def _para(pdf: FPDF, text: str, *, size: float = 11) -> None:
    pdf.set_font(FONT, size=size)
    pdf.set_text_color(*INK)
    pdf.multi_cell(pdf.epw, 6.8, INDENT + text, align=Align.J, wrapmode=WrapMode.CHAR,
                   new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _table(pdf: FPDF, head: list[str], rows: list[list[str]], widths: list[float], *, size: float = 8.5) -> None:
    pdf.set_font(FONT, size=size)
    pdf.set_draw_color(150, 150, 150)
    pdf.set_text_color(*INK)
    aligns = ["LEFT"] + ["RIGHT"] * (len(head) - 1)
    with pdf.table(col_widths=widths, line_height=4.6, text_align=aligns, wrapmode=WrapMode.CHAR, padding=0.9,
                   headings_style=_heading_style()) as table:
        header = table.row()
        for text in head:
            header.cell(text, align=Align.C)
        for values in rows:
            row = table.row()
            for text in values:
                row.cell(text)
    pdf.ln(2)


def _heading_style() -> Any:
    from fpdf.fonts import FontFace

    return FontFace(color=(255, 255, 255), fill_color=BLUE)


def _bar_chart(pdf: FPDF, title: str, bars: list[tuple[str, float | None]]) -> None:
    """On-time rates as horizontal bars, drawn with the PDF's own vector primitives."""
    if not bars:
        return
    height = 8 + 6.2 * len(bars) + 8
    if pdf.get_y() + height > pdf.h - 22:
        pdf.add_page()
    x0, y0 = pdf.l_margin, pdf.get_y()
    label_w, plot_w = 52.0, pdf.epw - 52 - 18
    pdf.set_font(FONT, size=9)
    pdf.set_text_color(*GREY)
    pdf.cell(pdf.epw, 6, title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    top = y0 + 7
    pdf.set_draw_color(220, 225, 232)
    pdf.set_line_width(0.2)
    for i in range(5):
        x = x0 + label_w + plot_w * i / 4
        pdf.line(x, top, x, top + 6.2 * len(bars))
        pdf.set_xy(x - 6, top + 6.2 * len(bars) + 0.5)
        pdf.set_font(FONT, size=7)
        pdf.cell(12, 4, f"{25 * i}%", align=Align.C)
    for i, (label, rate) in enumerate(bars):
        y = top + 6.2 * i
        pdf.set_font(FONT, size=8.5)
        pdf.set_text_color(*INK)
        pdf.set_xy(x0, y + 0.6)
        pdf.cell(label_w - 2, 5, label[:16], align=Align.R)
        if rate is None:
            continue
        colour = GREEN if rate >= 95 else (YELLOW if rate >= 85 else RED)
        pdf.set_fill_color(*_hex(colour))
        pdf.rect(x0 + label_w, y + 1, max(0.6, plot_w * rate / 100), 4.2, style="F")
        pdf.set_xy(x0 + label_w + plot_w * rate / 100 + 1, y + 0.6)
        pdf.cell(16, 5, f"{rate:.1f}%")
    pdf.set_y(top + 6.2 * len(bars) + 7)


def render_monthly_pdf(report: MonthlyReport) -> bytes:
    font = cjk_font()
    bureau = str(getattr(settings, "SHEBAO_BUREAU_NAME", "武汉市人力资源和社会保障局"))
    pdf = _ReportPDF(orientation="P", unit="mm", format="A4")
    pdf.footer_text = f"社会保险经办服务督办月报（{report.month_label}）"
    pdf.set_title(f"社会保险经办服务督办月报 {report.month_label}")
    pdf.set_author(bureau)
    pdf.set_creator("shebao 社保经办服务平台")
    pdf.set_lang("zh-CN")
    pdf.add_font(FONT, "", str(font.path), collection_font_number=font.index)
    pdf.set_margins(18, 16, 18)
    pdf.set_auto_page_break(True, margin=20)
    pdf.alias_nb_pages()
    pdf.add_page()
    width = pdf.epw

    pdf.set_text_color(*MASTHEAD_RED)
    pdf.set_draw_color(*MASTHEAD_RED)
    pdf.set_font(FONT, size=20)
    with _bold(pdf):
        pdf.cell(width, 12, bureau, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, size=11)
    pdf.cell(width, 6, "社会保险经办服务督办", align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    y = pdf.get_y() + 1.5
    pdf.set_line_width(0.8)
    pdf.line(pdf.l_margin, y, pdf.l_margin + width, y)
    pdf.set_line_width(0.25)
    pdf.line(pdf.l_margin, y + 1.2, pdf.l_margin + width, y + 1.2)
    pdf.set_y(y + 5)
    pdf.set_text_color(*INK)
    pdf.set_font(FONT, size=18)
    with _bold(pdf):
        pdf.cell(width, 10, f"社会保险经办服务督办月报（{report.month_label}）", align=Align.C,
                 new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, size=9.5)
    pdf.set_text_color(*GREY)
    f = report.filters
    pdf.cell(width, 6, f"统计期间：{f.date_from:%Y年%m月%d日}至{f.date_to:%Y年%m月%d日}　　"
                       f"生成日期：{report.generated:%Y年%m月%d日}", align=Align.C, new_x=XPos.LMARGIN,
             new_y=YPos.NEXT)
    pdf.ln(2)

    t = report.totals
    _heading(pdf, "一、总体情况")
    _para(pdf, (
        f"本月全市共收件{t.received}件，受理{t.accepted}件，不予受理{t.refused}件，办结{t.completed}件。"
        f"承诺时限按时办结率{_pct(t.promised_rate)}，法定时限按时办结率{_pct(t.legal_rate)}；"
        f"平均办理时长{_num(round(t.avg_wd, 1) if t.avg_wd is not None else None)}个工作日，"
        f"90%的办件在{_num(t.p90_wd)}个工作日内办结。截至统计时点，在办超期（红牌）办件{t.overdue}件、"
        f"临期（黄牌）办件{t.yellow}件。收件中出具一次性告知书的占{_pct(t.incomplete_share)}。"
        f"收到办事评价{t.rated}件，好评率{_pct(t.good_share)}。"
    ))
    _table(pdf, ["收件", "受理", "不予受理", "办结", "承诺按时率", "法定按时率", "超期", "临期", "平均工作日", "P90"],
           [[str(t.received), str(t.accepted), str(t.refused), str(t.completed), _pct(t.promised_rate),
             _pct(t.legal_rate), str(t.overdue), str(t.yellow), _num(round(t.avg_wd, 1) if t.avg_wd else t.avg_wd),
             _num(t.p90_wd)]], [width / 10] * 10)

    _heading(pdf, "二、各经办机构情况")
    office_rows = [[r.label, str(r.received), str(r.completed), _pct(r.promised_rate), _pct(r.legal_rate),
                    str(r.overdue), str(r.yellow), _num(round(r.avg_wd, 1) if r.avg_wd is not None else None),
                    _num(r.p90_wd), _pct(r.good_share)] for r in report.offices]
    if office_rows:
        _table(pdf, ["经办机构", "收件", "办结", "承诺按时率", "法定按时率", "超期", "临期", "平均", "P90", "好评率"],
               office_rows, [52] + [(width - 52) / 9] * 9)
        _bar_chart(pdf, "图1  各经办机构承诺时限按时办结率",
                   [(r.label, r.promised_rate) for r in report.offices if r.completed][:20])
    else:
        _para(pdf, "本月无办件。")

    _heading(pdf, "三、服务事项情况（办件量前十）")
    item_rows = [[f"{r.label}（{r.sub}）", str(r.received), str(r.completed), _pct(r.promised_rate),
                  _pct(r.legal_rate), str(r.overdue), _num(r.p90_wd)] for r in report.items[:10]]
    if item_rows:
        _table(pdf, ["服务事项", "收件", "办结", "承诺按时率", "法定按时率", "超期", "P90"], item_rows,
               [78] + [(width - 78) / 6] * 6)
    worst = sorted([r for r in report.items if r.promised_rate is not None and r.promised_rate < 95],
                   key=lambda r: (r.promised_rate or 0, -r.completed))[:5]
    if worst:
        _para(pdf, "承诺时限按时办结率低于95%的事项：" + "；".join(
            f"{r.label}（{_pct(r.promised_rate)}，办结{r.completed}件）" for r in worst) + "。")

    _heading(pdf, "四、超期在办办件")
    if report.red_cases:
        from shebao.workdays import countdown

        rows = []
        for fact in report.red_cases:
            late = ""
            if fact.promised_due:
                left = countdown(due=fact.promised_due, on=report.generated,
                                 suspended_since=fact.case.suspended_since)
                late = str(left.overdue_working_days) if left.overdue else ""
            rows.append([fact.case.reference, fact.item_name[:22], fact.office.name,
                         f"{fact.promised_due or '—'}", late])
        _table(pdf, ["办件编号", "服务事项", "受理机构", "承诺期限", "超期工作日"], rows,
               [34, 62, 40, (width - 136) / 2, (width - 136) / 2])
    else:
        _para(pdf, "截至统计时点，无超期在办办件。")

    _heading(pdf, "五、合规检查")
    total_findings = sum(report.finding_counts.values())
    _para(pdf, f"本月对照办件受理时的办事指南版本检查发现问题{total_findings}个：" + "；".join(
        f"{label}{report.finding_counts.get(kind, 0)}个" for kind, label in FindingKind.choices) + "。")

    _heading(pdf, "六、督办单办理情况")
    o = report.orders
    _para(pdf, f"本月签发督办单{o['issued']}件，收到回复{o['replied']}件，办结销号{o['closed']}件；"
               f"目前未办结{o['open']}件，其中因逾期未回复升级督办{o['escalated']}件。")
    if report.open_orders:
        _table(pdf, ["督办单号", "督办事项", "责任机构", "等级", "回复期限", "状态"],
               [[x.number, x.subject[:20], x.office.name, x.get_level_display(), str(x.reply_due),
                 x.get_status_display()] for x in report.open_orders],
               [26, 56, 38, 20, 22, width - 162])

    _heading(pdf, "七、统计口径")
    pdf.set_font(FONT, size=9)
    pdf.set_text_color(*GREY)
    pdf.multi_cell(width, 5.2, (
        "收件、受理按发生日期统计；不予受理、办结按办结日期统计。按时办结率的分母为统计期内办结且有相应时限的办件，"
        "以办结日不晚于期限日为按时；中止期间不计入时限，依法延期的以延长后的期限为准。办理时长为受理次日至办结日的"
        "工作日数（按国务院公布的节假日和调休安排，中止期间不计）；90%分位按最近秩法计算。超期、临期为统计时点的在办件："
        "已过承诺期限或当前环节期限为超期，剩余不超过2个工作日为临期。好评率为4分、5分评价占全部评价的比例。"
    ), wrapmode=WrapMode.CHAR, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())
