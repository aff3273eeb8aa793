"""Sections other apps add to the order page, without orders importing them.

An app registers in its AppConfig.ready():

    from orders.sections import OrderSection, register_order_section
    register_order_section(OrderSection("reviews/order_section.html", messages_context, order=50))

`context(request, order)` returns the section's context (available as `section` in the template), or
None to hide it. Sections render below the order's items, by `order`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class OrderSection:
    template: str
    context: Callable[[Any, Any], dict | None]
    order: int = 100


_sections: list[OrderSection] = []


def register_order_section(section: OrderSection) -> None:
    """Add a section (once) to every order page."""
    if section not in _sections:
        _sections.append(section)
        _sections.sort(key=lambda s: s.order)


def sections_for(request, order) -> list[dict]:
    shown = []
    for section in list(_sections):
        context = section.context(request, order)
        if context is not None:
            shown.append({"template": section.template, "context": context})
    return shown
