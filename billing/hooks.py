"""Hooks other apps fill so billing never imports them.

`orders` owns stores and their shipping countries, and billing may not
import `orders` (see DESIGN.md, "Who may import whom"). The conductor
(`reviews`, which may import both) or the project wiring registers a provider
in its AppConfig.ready():

    from billing.hooks import register_shipping_countries_provider
    from orders.selectors import shipping_countries_of
    register_shipping_countries_provider(lambda merchant: shipping_countries_of(merchant=merchant))

Until one is registered, a merchant's explicit list on its BudgetCap applies.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

ShippingCountriesProvider = Callable[[object], Iterable[str]]

_provider: ShippingCountriesProvider | None = None


def register_shipping_countries_provider(provider: ShippingCountriesProvider | None) -> None:
    """Set (or clear, with None) the function giving the ISO codes a merchant's stores ship to."""
    global _provider
    _provider = provider


def shipping_countries(merchant) -> set[str] | None:
    """The countries the merchant's stores ship to, or None when no provider is registered."""
    if _provider is None:
        return None
    return {str(code).strip().upper() for code in _provider(merchant) if code}
