"""Formatting for report pages: percentages, money, p values, a row's metric."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import urlencode

from django import template

from billing.money import display

register = template.Library()


@register.filter
def percent(value) -> str:
    """A proportion (0..1) as a percentage with two decimals."""
    if value is None:
        return "—"
    return f"{float(value) * 100:.2f} %"


@register.filter
def signed_points(value) -> str:
    """A difference of proportions in percentage points, with its sign."""
    return f"{float(value) * 100:+.2f}"


@register.filter
def pvalue(value) -> str:
    value = float(value)
    return "< 0.001" if value < 0.001 else f"{value:.3f}"


@register.filter
def money_or_dash(value) -> str:
    return display(value) if value is not None else "—"


@register.filter
def urlencode_query(query: dict) -> str:
    return urlencode(query or {})


@register.simple_tag
def metric(row, key: str) -> str:
    value = row.value(key)
    if key in ("cost", "cost_per_review_click"):
        return money_or_dash(value)
    if isinstance(value, Decimal):
        return display(value)
    return f"{value:,}"
