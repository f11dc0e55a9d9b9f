"""Server-rendered SVG charts: no JavaScript, no CDN, printable, readable by screen readers
(each chart is ``role="img"`` with a title and a description, and the page shows its table).

Every function takes plain numbers and returns markup-safe SVG text sized by its ``viewBox``,
so it scales to the column it is put in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from django.utils.safestring import SafeString, mark_safe

BLUE = "#14509f"
SKY = "#6f9fd8"
GREEN = "#2e7d32"
YELLOW = "#e0a100"
RED = "#c8262c"
GRID = "#e3e8ef"
AXIS = "#8a94a6"
INK = "#1d2129"
MUTED = "#4e5969"
RATING_COLOURS = ["#c8262c", "#e8743b", "#e0a100", "#6aa84f", "#2e7d32"]


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _svg(width: int, height: int, title: str, desc: str, body: list[str], css_class: str = "") -> SafeString:
    return mark_safe(  # every interpolated text is escaped by _e
        f'<svg class="chart {css_class}" viewBox="0 0 {width} {height}" role="img" '
        f'xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="xMidYMid meet" '
        f'aria-labelledby="t{id(body)} d{id(body)}">'
        f'<title id="t{id(body)}">{_e(title)}</title><desc id="d{id(body)}">{_e(desc)}</desc>'
        + "".join(body) + "</svg>"
    )


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _nice_max(value: float) -> float:
    """A round axis maximum ≥ value with four equal, whole-number steps."""
    if value <= 4:
        return 4
    quarter = value / 4
    magnitude = 10 ** (len(str(int(quarter))) - 1)
    for factor in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        step = factor * magnitude
        if step >= quarter and step == int(step):
            return 4 * step
    return 4 * 10 * magnitude


def rate_colour(rate: float | None, *, good: float = 95.0, fair: float = 85.0) -> str:
    if rate is None:
        return AXIS
    return GREEN if rate >= good else (YELLOW if rate >= fair else RED)


def _legend(items: Sequence[tuple[str, str]], x: float, y: float, *, line: str = "") -> list[str]:
    out = []
    for label, colour in items:
        if colour == line:
            out.append(f'<line x1="{x}" y1="{y - 4}" x2="{x + 16}" y2="{y - 4}" stroke="{colour}" stroke-width="2.5"/>'
                       f'<circle cx="{x + 8}" cy="{y - 4}" r="3" fill="{colour}"/>')
        else:
            out.append(f'<rect x="{x}" y="{y - 10}" width="12" height="12" rx="2" fill="{colour}"/>')
        out.append(f'<text x="{x + 20}" y="{y}" font-size="12" fill="{MUTED}">{_e(label)}</text>')
        x += 28 + 13 * len(label)
    return out


# --------------------------------------------------------------------------- trend


@dataclass(frozen=True)
class TrendDatum:
    label: str
    received: int
    completed: int
    rate: float | None


def trend_chart(points: Sequence[TrendDatum], *, title: str) -> SafeString:
    """Columns of received and completed cases, and the promised on-time rate as a line (right axis)."""
    width, height = 1180, 320
    left, right, top, bottom = 48, 52, 34, 46
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = _nice_max(max([p.received for p in points] + [p.completed for p in points] + [1]))
    n = max(1, len(points))
    slot = plot_w / n
    bar = max(1.5, min(16.0, slot * 0.36))
    body: list[str] = []
    for i in range(5):
        value = peak * i / 4
        y = top + plot_h - plot_h * i / 4
        body.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="{GRID}"/>')
        body.append(f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end" fill="{MUTED}">'
                    f"{int(value)}</text>")
        body.append(f'<text x="{left + plot_w + 6}" y="{y + 4:.1f}" font-size="11" fill="{MUTED}">{25 * i}%</text>')
    label_every = max(1, -(-n // 16))
    line_points = []
    for i, p in enumerate(points):
        cx = left + slot * i + slot / 2
        for j, (value, colour, name) in enumerate(((p.received, SKY, "收件"), (p.completed, BLUE, "办结"))):
            h = plot_h * value / peak
            x = cx - bar + j * bar
            body.append(f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                        f'fill="{colour}"><title>{_e(p.label)} {name} {value} 件</title></rect>')
        if p.rate is not None:
            line_points.append((cx, top + plot_h - plot_h * p.rate / 100, p))
        if i % label_every == 0:
            body.append(f'<text x="{cx:.1f}" y="{top + plot_h + 16}" font-size="11" text-anchor="middle" '
                        f'fill="{MUTED}">{_e(p.label)}</text>')
    if line_points:
        path = " ".join(f"{'M' if i == 0 else 'L'}{x:.1f},{y:.1f}" for i, (x, y, _) in enumerate(line_points))
        body.append(f'<path d="{path}" fill="none" stroke="{GREEN}" stroke-width="2.5" stroke-linejoin="round"/>')
        for x, y, p in line_points:
            body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.2" fill="#fff" stroke="{GREEN}" stroke-width="2">'
                        f"<title>{_e(p.label)} 承诺时限按时办结率 {p.rate}%</title></circle>")
    body.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="{AXIS}"/>')
    body.append(f'<text x="{left}" y="16" font-size="11" fill="{MUTED}">件数</text>')
    body.append(f'<text x="{width - 8}" y="16" font-size="11" text-anchor="end" fill="{MUTED}">按时率</text>')
    body += _legend([("收件", SKY), ("办结", BLUE), ("承诺时限按时率", GREEN)], left + 90, 18, line=GREEN)
    total_r = sum(p.received for p in points)
    total_c = sum(p.completed for p in points)
    return _svg(width, height, title, f"共 {n} 个时段，收件 {total_r} 件，办结 {total_c} 件", body, "chart-trend")


# --------------------------------------------------------------------------- horizontal bars


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None
    note: str = ""
    colour: str = ""


def hbar_chart(bars: Sequence[Bar], *, title: str, unit: str = "%", maximum: float | None = None,
               target: float | None = None, target_label: str = "", width: int = 1180) -> SafeString:
    """Horizontal bars, one per office / item / officer; rates coloured green / yellow / red."""
    row_h, label_w, top = 26, 200 if width > 800 else 170, 30
    plot_w = width - label_w - (150 if width > 800 else 110)
    height = top + row_h * max(1, len(bars)) + 24
    peak = maximum or _nice_max(max([b.value or 0 for b in bars] + [1]))
    body: list[str] = []
    for i in range(5):
        x = label_w + plot_w * i / 4
        body.append(f'<line x1="{x:.1f}" y1="{top - 6}" x2="{x:.1f}" y2="{height - 20}" stroke="{GRID}"/>')
        tick = peak * i / 4
        body.append(f'<text x="{x:.1f}" y="{height - 6}" font-size="11" text-anchor="middle" fill="{MUTED}">'
                    f"{tick:g}{unit}</text>")
    for i, bar in enumerate(bars):
        y = top + row_h * i
        body.append(f'<text x="{label_w - 8}" y="{y + 16}" font-size="12.5" text-anchor="end" fill="{INK}">'
                    f"<title>{_e(bar.label)}</title>{_e(_short(bar.label, 15))}</text>")
        if bar.value is None:
            body.append(f'<text x="{label_w + 6}" y="{y + 16}" font-size="12" fill="{AXIS}">无数据</text>')
            continue
        w = plot_w * min(bar.value, peak) / peak
        colour = bar.colour or (rate_colour(bar.value) if unit == "%" else BLUE)
        body.append(f'<rect x="{label_w}" y="{y + 4}" width="{max(w, 1.5):.1f}" height="{row_h - 9}" rx="2" '
                    f'fill="{colour}"><title>{_e(bar.label)}：{bar.value:g}{unit} {_e(bar.note)}</title></rect>')
        body.append(f'<text x="{label_w + w + 6:.1f}" y="{y + 16}" font-size="12" fill="{INK}">'
                    f"{bar.value:g}{unit}{(' · ' + _e(bar.note)) if bar.note else ''}</text>")
    if target is not None:
        x = label_w + plot_w * target / peak
        body.append(f'<line x1="{x:.1f}" y1="{top - 8}" x2="{x:.1f}" y2="{height - 20}" stroke="{RED}" '
                    f'stroke-dasharray="5 4" stroke-width="1.5"/>')
        body.append(f'<text x="{x + 4:.1f}" y="{top - 12}" font-size="11" fill="{RED}">{_e(target_label)}</text>')
    return _svg(width, height, title, f"{len(bars)} 项", body, "chart-hbar")


def stacked_chart(rows: Sequence[tuple[str, Sequence[int]]], *, series: Sequence[tuple[str, str]],
                  title: str, width: int = 600) -> SafeString:
    """Horizontal stacked bars (e.g. red and yellow cases per office)."""
    row_h, label_w, top = 26, 200 if width > 800 else 170, 34
    plot_w = width - label_w - 70
    height = top + row_h * max(1, len(rows)) + 24
    peak = _nice_max(max([sum(v) for _, v in rows] + [1]))
    body = _legend(series, label_w, 16)
    for i in range(5):
        x = label_w + plot_w * i / 4
        body.append(f'<line x1="{x:.1f}" y1="{top - 6}" x2="{x:.1f}" y2="{height - 20}" stroke="{GRID}"/>')
        body.append(f'<text x="{x:.1f}" y="{height - 6}" font-size="11" text-anchor="middle" fill="{MUTED}">'
                    f"{peak * i / 4:g}</text>")
    for i, (label, values) in enumerate(rows):
        y = top + row_h * i
        body.append(f'<text x="{label_w - 8}" y="{y + 16}" font-size="12.5" text-anchor="end" fill="{INK}">'
                    f"<title>{_e(label)}</title>{_e(_short(label, 15))}</text>")
        x = float(label_w)
        for value, (name, colour) in zip(values, series, strict=True):
            w = plot_w * value / peak
            if value:
                body.append(f'<rect x="{x:.1f}" y="{y + 4}" width="{w:.1f}" height="{row_h - 9}" fill="{colour}">'
                            f"<title>{_e(label)} {name} {value} 件</title></rect>")
            x += w
        body.append(f'<text x="{x + 6:.1f}" y="{y + 16}" font-size="12" fill="{INK}">'
                    + _e(" / ".join(str(v) for v in values)) + "</text>")
    return _svg(width, height, title, f"{len(rows)} 项", body, "chart-stacked")


def rating_chart(ratings: Sequence[int], *, title: str) -> SafeString:
    """Columns for scores 1–5, red to green."""
    width, height = 420, 240
    left, top, bottom = 36, 24, 40
    plot_w, plot_h = width - left - 16, height - top - bottom
    peak = _nice_max(max([*ratings, 1]))
    slot = plot_w / 5
    body: list[str] = []
    for i in range(5):
        y = top + plot_h - plot_h * i / 4
        body.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="{GRID}"/>')
        body.append(f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end" fill="{MUTED}">'
                    f"{peak * i / 4:g}</text>")
    names = ["非常不满意", "不满意", "基本满意", "满意", "非常满意"]
    for i, value in enumerate(ratings):
        h = plot_h * value / peak
        x = left + slot * i + slot * 0.2
        body.append(f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{slot * 0.6:.1f}" height="{h:.1f}" rx="2" '
                    f'fill="{RATING_COLOURS[i]}"><title>{i + 1}分（{names[i]}）{value} 件</title></rect>')
        body.append(f'<text x="{x + slot * 0.3:.1f}" y="{top + plot_h - h - 4:.1f}" font-size="12" '
                    f'text-anchor="middle" fill="{INK}">{value}</text>')
        body.append(f'<text x="{x + slot * 0.3:.1f}" y="{top + plot_h + 16}" font-size="11.5" text-anchor="middle" '
                    f'fill="{MUTED}">{i + 1}分</text>')
        body.append(f'<text x="{x + slot * 0.3:.1f}" y="{top + plot_h + 31}" font-size="10.5" text-anchor="middle" '
                    f'fill="{AXIS}">{names[i]}</text>')
    return _svg(width, height, title, "评分 1—5 的件数：" + "、".join(str(v) for v in ratings), body, "chart-rating")


def gauge(rate: float | None, *, label: str) -> SafeString:
    """A small ring showing a rate, for the headline figures."""
    size, r = 96, 38
    circumference = 2 * 3.14159265 * r
    share = 0.0 if rate is None else max(0.0, min(100.0, rate)) / 100
    colour = rate_colour(rate)
    text = "—" if rate is None else f"{rate:g}%"
    body = [
        f'<circle cx="48" cy="48" r="{r}" fill="none" stroke="{GRID}" stroke-width="9"/>',
        f'<circle cx="48" cy="48" r="{r}" fill="none" stroke="{colour}" stroke-width="9" stroke-linecap="round" '
        f'stroke-dasharray="{circumference * share:.1f} {circumference:.1f}" transform="rotate(-90 48 48)"/>',
        f'<text x="48" y="54" font-size="17" font-weight="700" text-anchor="middle" fill="{INK}">{_e(text)}</text>',
    ]
    return _svg(size, size, label, f"{label} {text}", body, "chart-gauge")
