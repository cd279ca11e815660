"""Hand-built SVG charts for the HTML report: line charts and a heatmap.

A report must open anywhere without a network, so there is no chart library to fetch:
these functions return SVG markup as text. Every label passes through ``html.escape``
(labels come from run folders, which are untrusted) and every number is checked to be
finite before it becomes a coordinate.
"""

from __future__ import annotations

import math
from html import escape
from typing import Sequence

# Colour-blind-safe palette (Okabe-Ito), cycled for more series.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442")
DASHES = ("", "6 3")  # train solid, validation dashed


def _finite(values: Sequence[float]) -> list[float]:
    return [float(v) for v in values if isinstance(v, (int, float)) and math.isfinite(v)]


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering [low, high] (1, 2 or 5 times a power of ten apart)."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return []
    if high <= low:
        high = low + (abs(low) or 1.0)
    raw = (high - low) / max(1, count)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    start = math.floor(low / step) * step
    ticks = [round(start, 12)]
    while ticks[-1] < high - step * 1e-9 and len(ticks) < 50:  # the last tick is at or above high
        ticks.append(round(start + step * len(ticks), 12))
    return ticks


def _tick_label(value: float) -> str:
    return f"{value:.6g}"


def line_chart(series: Sequence[tuple[str, Sequence[float], Sequence[float], str]], title: str = "",
               x_label: str = "", y_label: str = "", width: int = 560, height: int = 300, whole_x: bool = False) -> str:
    """Series of ``(label, xs, ys, style)`` as one SVG chart with a legend; ``style`` is
    ``"solid"`` or ``"dashed"``. Non-finite points are dropped. Series share a colour when
    they share the part of the label before " · " (a run's train and validation curves).
    ``whole_x``: x ticks at whole numbers only (epochs, steps)."""
    left, right, top, bottom = 62, 16, 28, 42
    legend_rows = len(series)
    height += 16 * legend_rows
    plot_w, plot_h = width - left - right, height - top - bottom - 16 * legend_rows
    points = [(label, [(float(x), float(y)) for x, y in zip(xs, ys)
                       if isinstance(x, (int, float)) and isinstance(y, (int, float)) and math.isfinite(x) and math.isfinite(y)], style)
              for label, xs, ys, style in series]
    all_x = [x for _, pts, _ in points for x, _ in pts]
    all_y = [y for _, pts, _ in points for _, y in pts]
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
           f'role="img" aria-label="{escape(title)}" class="chart">',
           f'<text x="{left}" y="18" class="title">{escape(title)}</text>']
    if not all_x:
        out.append(f'<text x="{left}" y="{top + plot_h / 2:.0f}" class="empty">no data</text></svg>')
        return "".join(out)
    x_ticks = nice_ticks(min(all_x), max(all_x), 6)
    if whole_x and len(x_ticks) > 1 and x_ticks[1] - x_ticks[0] < 1:
        x_ticks = [float(x) for x in range(math.floor(min(all_x)), math.ceil(max(all_x)) + 1)]
    y_ticks = nice_ticks(min(all_y), max(all_y), 5)
    x0, x1 = x_ticks[0], x_ticks[-1]
    y0, y1 = y_ticks[0], y_ticks[-1]
    x_span, y_span = (x1 - x0) or 1.0, (y1 - y0) or 1.0

    def px(x: float) -> float:
        return left + (x - x0) / x_span * plot_w

    def py(y: float) -> float:
        return top + plot_h - (y - y0) / y_span * plot_h

    out.append(f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" class="frame"/>')
    for t in y_ticks:
        out.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{py(t):.1f}" y2="{py(t):.1f}" class="grid"/>'
                   f'<text x="{left - 6}" y="{py(t) + 4:.1f}" class="tick" text-anchor="end">{_tick_label(t)}</text>')
    for t in x_ticks:
        out.append(f'<text x="{px(t):.1f}" y="{top + plot_h + 16}" class="tick" text-anchor="middle">{_tick_label(t)}</text>')
    out.append(f'<text x="{left + plot_w / 2:.0f}" y="{top + plot_h + 32}" class="axis" text-anchor="middle">{escape(x_label)}</text>')
    out.append(f'<text x="14" y="{top + plot_h / 2:.0f}" class="axis" text-anchor="middle" '
               f'transform="rotate(-90 14 {top + plot_h / 2:.0f})">{escape(y_label)}</text>')
    colours: dict[str, str] = {}
    for i, (label, pts, style) in enumerate(points):
        colour = colours.setdefault(label.split(" · ")[0], PALETTE[len(colours) % len(PALETTE)])
        dash = ' stroke-dasharray="6 3"' if style == "dashed" else ""
        if len(pts) == 1:
            out.append(f'<circle cx="{px(pts[0][0]):.1f}" cy="{py(pts[0][1]):.1f}" r="3" fill="{colour}"/>')
        elif pts:
            path = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in pts)
            out.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>')
        ly = top + plot_h + 44 + 16 * i
        out.append(f'<line x1="{left}" x2="{left + 24}" y1="{ly - 4}" y2="{ly - 4}" stroke="{colour}" stroke-width="2"{dash}/>'
                   f'<text x="{left + 30}" y="{ly}" class="legend">{escape(label)}</text>')
    out.append("</svg>")
    return "".join(out)


def heatmap(matrix: Sequence[Sequence[float]], labels: Sequence[str], title: str = "",
            row_title: str = "true", column_title: str = "predicted", cell: int = 0) -> str:
    """A confusion matrix as coloured cells with their counts; darker is more. Each row is
    shaded against its own total, so a rare class's mistakes show as clearly as a common one's."""
    k = len(labels)
    cell = cell or max(18, min(48, 480 // max(1, k)))
    names = [str(lab)[:16] for lab in labels]
    longest = max((len(n) for n in names), default=1)
    label_w = max(48, min(140, 8 + 7 * longest))
    left, top = label_w + 24, 52 + int(5.5 * longest)  # room for the column names, written at a slant
    width = max(left + cell * k + 16 + 4 * longest, 24 + 8 * len(title))
    height = top + cell * k + 16
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
           f'role="img" aria-label="{escape(title)}" class="chart">',
           f'<text x="8" y="18" class="title">{escape(title)}</text>',
           f'<text x="{left + cell * k / 2:.0f}" y="38" class="axis" text-anchor="middle">{escape(column_title)} →</text>',
           f'<text x="8" y="{top - 4}" class="axis">{escape(row_title)} ↓</text>']
    for j, name in enumerate(names):
        x, y = left + cell * j + cell / 2, top - 6
        out.append(f'<text x="{x:.1f}" y="{y}" class="tick" transform="rotate(-45 {x:.1f} {y})">{escape(name)}</text>')
    show_counts = cell >= 22
    for i, row in enumerate(matrix[:k]):
        values = _finite(row[:k])
        total = sum(values) or 1.0
        out.append(f'<text x="{left - 6}" y="{top + cell * i + cell / 2 + 4:.1f}" class="tick" text-anchor="end">'
                   f'{escape(names[i])}</text>')
        for j, value in enumerate(row[:k]):
            v = float(value) if isinstance(value, (int, float)) and math.isfinite(value) else 0.0
            share = max(0.0, min(1.0, v / total))
            lightness = 97 - 62 * share
            hue = 140 if i == j else 15  # green diagonal (right), red elsewhere (confusions)
            fill = f"hsl({hue}, 60%, {lightness:.0f}%)"
            x, y = left + cell * j, top + cell * i
            out.append(f'<rect x="{x}" y="{y}" width="{cell}" height="{cell}" fill="{fill}" class="cell">'
                       f'<title>{escape(str(labels[i]))} → {escape(str(labels[j]) if j < k else "")}: {v:g}</title></rect>')
            if show_counts:
                colour = "#fff" if lightness < 60 else "#222"
                out.append(f'<text x="{x + cell / 2:.1f}" y="{y + cell / 2 + 4:.1f}" text-anchor="middle" '
                           f'class="count" fill="{colour}">{v:g}</text>')
    out.append("</svg>")
    return "".join(out)
