"""Decimal helpers: parsing, rounding for display. Never float."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.conf import settings

ZERO = Decimal("0")
CENT = Decimal("0.01")
MICRO = Decimal("0.000001")  # the precision of every stored amount


def billing_currency() -> str:
    return getattr(settings, "BILLING_CURRENCY", "USD")


def to_decimal(value) -> Decimal:
    """str/int/Decimal -> Decimal; floats are refused so no binary rounding sneaks in."""
    if isinstance(value, float):
        raise TypeError("money is never a float; pass a str or Decimal")
    try:
        return Decimal(value)
    except (InvalidOperation, TypeError):
        raise ValueError(f"not an amount: {value!r}") from None


def quantize(amount: Decimal) -> Decimal:
    return amount.quantize(MICRO, rounding=ROUND_HALF_UP)


def display(amount: Decimal | None) -> str:
    """Two decimals, more only when the amount has them: 12.5 -> '12.50', 0.0079 -> '0.0079'."""
    if amount is None:
        return ""
    amount = Decimal(amount)
    cents = amount.quantize(CENT, rounding=ROUND_HALF_UP)
    if cents == amount:
        return f"{cents:,.2f}"
    normal = amount.normalize()
    places = max(2, -normal.as_tuple().exponent)
    return f"{amount:,.{min(places, 6)}f}"


def sum_of(queryset, field: str = "amount") -> Decimal:
    """SUM of a money column as an exact Decimal (SQLite, the demo's database, sums decimals as floats)."""
    from django.db.models import Sum

    return quantize(Decimal(queryset.aggregate(s=Sum(field))["s"] or ZERO))
