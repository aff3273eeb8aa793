"""Server-side charts: numbers for inline SVG in templates (no script, no CDN, CSP-friendly)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from .money import display

BAR_AREA = 360  # px of the longest bar
LABEL_WIDTH = 190
ROW_HEIGHT = 26


@dataclass(frozen=True)
class Bar:
    label: str
    value_text: str
    y: int
    width: int
    text_y: int
    value_x: int


@dataclass(frozen=True)
class BarChart:
    title: str
    bars: list[Bar]
    height: int
    width: int = LABEL_WIDTH + BAR_AREA + 130
    bar_x: int = LABEL_WIDTH
    bar_height: int = ROW_HEIGHT - 8


def bar_chart(title: str, rows: list[tuple[str, Decimal, str]]) -> BarChart:
    """rows: (label, amount, suffix such as '120 messages'), longest bar = largest amount."""
    largest = max((amount for _, amount, _ in rows), default=Decimal(0))
    bars = []
    for index, (label, amount, suffix) in enumerate(rows):
        width = int(BAR_AREA * amount / largest) if largest > 0 else 0
        width = max(width, 2 if amount > 0 else 0)
        y = index * ROW_HEIGHT + 4
        bars.append(
            Bar(
                label=label,
                value_text=f"{display(amount)} · {suffix}" if suffix else display(amount),
                y=y,
                width=width,
                text_y=y + ROW_HEIGHT // 2 + 1,
                value_x=LABEL_WIDTH + width + 6,
            )
        )
    return BarChart(title=title, bars=bars, height=len(rows) * ROW_HEIGHT + 8)
