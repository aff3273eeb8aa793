"""Charts drawn on the server as inline SVG: no script, no CDN, no inline style (the CSP allows neither).

Colours and sizes are SVG presentation attributes, so a chart renders the same on any page. Each chart
has a <title> and a <desc> (named by aria-labelledby) that state its figures in words, for screen readers
and for anyone whose browser shows no SVG. Labels come in already translated; CJK characters are
measured as full-width when the label column is sized.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

PALETTE = ["#2f6fde", "#1f9d66", "#e08a00", "#c0392b", "#7d4cc2", "#5b6b7f"]
TEXT = "#1d2733"
MUTED = "#6b7785"
GRID = "#e3e7ed"
FONT = "system-ui, -apple-system, 'PingFang SC', 'Microsoft YaHei', 'Noto Sans CJK SC', sans-serif"


def text_width(text: str, size: int = 12) -> int:
    """Rough width in px: full width for CJK and other wide characters, about 0.6 em otherwise."""
    wide = sum(1 for ch in text if ord(ch) >= 0x2E80)
    return int(wide * size + (len(text) - wide) * size * 0.6)


def _fmt(value: float) -> str:
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}"


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float]


def _frame(title: str, desc: str, width: int, height: int, body: str) -> SafeString:
    uid = uuid.uuid4().hex[:8]
    head = format_html(
        '<figure class="chart"><svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {w} {h}" '
        'width="100%" preserveAspectRatio="xMinYMin meet" aria-labelledby="t{u} d{u}" font-family="{font}">'
        '<title id="t{u}">{title}</title><desc id="d{u}">{desc}</desc>',
        w=width,
        h=height,
        u=uid,
        font=FONT,
        title=title,
        desc=desc,
    )
    caption = format_html('<figcaption class="chart-caption">{}</figcaption>', title)
    return mark_safe(f"{head}{body}</svg>{caption}</figure>")  # noqa: S308  (every piece escaped above)


def bar_chart(title: str, rows: Sequence[tuple[str, float, str]], *, colour: str = PALETTE[0]) -> SafeString:
    """Horizontal bars; rows are (label, value, value text). The longest bar is the largest value."""
    row_h, bar_area, gap = 26, 320, 8
    label_w = min(220, max([text_width(label) for label, _v, _t in rows] + [40]) + 12)
    value_w = max([text_width(text) for _l, _v, text in rows] + [20]) + 12
    width, height = label_w + bar_area + value_w, max(1, len(rows)) * row_h + gap
    largest = max((float(v) for _l, v, _t in rows), default=0.0)
    parts = []
    for i, (label, value, text) in enumerate(rows):
        y = i * row_h + gap // 2
        w = int(bar_area * float(value) / largest) if largest > 0 else 0
        w = max(w, 2 if float(value) > 0 else 0)
        mid = y + (row_h - gap) // 2 + 4
        parts.append(
            format_html(
                '<text x="{lx}" y="{ty}" text-anchor="end" font-size="12" fill="{text}">{label}</text>'
                '<rect x="{bx}" y="{y}" width="{w}" height="{h}" rx="3" fill="{colour}">'
                "<title>{label}: {vt}</title></rect>"
                '<text x="{vx}" y="{ty}" font-size="12" fill="{muted}">{vt}</text>',
                lx=label_w - 8,
                ty=mid,
                text=TEXT,
                label=label,
                bx=label_w,
                y=y,
                w=w,
                h=row_h - gap,
                colour=colour,
                vt=text,
                vx=label_w + w + 6,
                muted=MUTED,
            )
        )
    desc = "; ".join(f"{label}: {text}" for label, _v, text in rows) or "—"
    return _frame(title, desc, width, height, "".join(parts))


def line_chart(title: str, labels: Sequence[str], series: Sequence[Series]) -> SafeString:
    """Lines over time (one per series) with a legend; x labels thinned to about eight."""
    left, right, top, bottom, plot_h = 48, 16, 12, 58, 180
    n = len(labels)
    plot_w = max(300, min(720, n * 24))
    width, height = left + plot_w + right, top + plot_h + bottom
    peak = max((float(v) for s in series for v in s.values), default=0.0)
    peak = peak if peak > 0 else 1.0

    def x(i: int) -> float:
        return left + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)

    def y(v: float) -> float:
        return top + plot_h - plot_h * float(v) / peak

    parts = []
    for k in range(5):  # grid lines and the y axis figures
        value = peak * k / 4
        parts.append(
            format_html(
                '<line x1="{x1}" x2="{x2}" y1="{yy}" y2="{yy}" stroke="{grid}" stroke-width="1"/>'
                '<text x="{tx}" y="{ty}" text-anchor="end" font-size="11" fill="{muted}">{v}</text>',
                x1=left,
                x2=left + plot_w,
                yy=f"{y(value):.1f}",
                grid=GRID,
                tx=left - 6,
                ty=f"{y(value) + 4:.1f}",
                muted=MUTED,
                v=_fmt(round(value, 1)),
            )
        )
    step = max(1, (n + 7) // 8)
    for i, label in enumerate(labels):
        if i % step == 0 or i == n - 1:
            parts.append(
                format_html(
                    '<text x="{tx}" y="{ty}" text-anchor="middle" font-size="11" fill="{muted}">{label}</text>',
                    tx=f"{x(i):.1f}",
                    ty=top + plot_h + 16,
                    muted=MUTED,
                    label=label,
                )
            )
    legend_x = left
    for s_index, s in enumerate(series):
        colour = PALETTE[s_index % len(PALETTE)]
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(s.values))
        if n == 1:
            parts.append(
                format_html('<circle cx="{}" cy="{}" r="3" fill="{}"/>', f"{x(0):.1f}", f"{y(s.values[0]):.1f}", colour)
            )
        elif n > 1:
            parts.append(
                format_html(
                    '<polyline points="{}" fill="none" stroke="{}" stroke-width="2" stroke-linejoin="round"/>',
                    points,
                    colour,
                )
            )
        ly = top + plot_h + 40
        parts.append(
            format_html(
                '<rect x="{lx}" y="{ry}" width="12" height="12" rx="2" fill="{c}"/>'
                '<text x="{tx}" y="{ty}" font-size="12" fill="{text}">{name}</text>',
                lx=legend_x,
                ry=ly - 10,
                c=colour,
                tx=legend_x + 16,
                ty=ly,
                text=TEXT,
                name=s.name,
            )
        )
        legend_x += 16 + text_width(s.name) + 18
    totals = "; ".join(f"{s.name}: {_fmt(sum(float(v) for v in s.values))}" for s in series)
    span = f"{labels[0]} – {labels[-1]}" if labels else "—"
    desc = f"{span}. {totals}"
    return _frame(title, desc, max(width, legend_x + 8), height, "".join(parts))
