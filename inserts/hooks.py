"""Where a scanned card leads, decided by whoever registered last (the insights / campaigns app may take
over with its own help page):

    from inserts.hooks import register_scan_target
    register_scan_target(lambda card: f"https://…/help/{card.message_ref}")   # None: let the next decide

Without a registered target, the merchant's help page (card settings) is used, else Linkstar's own
neutral card page, which offers "get help" and "leave a review" to every buyer alike.
"""

from __future__ import annotations

from collections.abc import Callable

ScanTarget = Callable[[object], "str | None"]
_targets: list[ScanTarget] = []


def register_scan_target(fn: ScanTarget) -> None:
    """Put `fn(card) -> url | None` first in line. Registering the same function again does nothing."""
    if fn not in _targets:
        _targets.insert(0, fn)


def unregister_scan_target(fn: ScanTarget) -> None:
    if fn in _targets:
        _targets.remove(fn)


def registered_target(card) -> str | None:
    for fn in list(_targets):
        url = fn(card)
        if url:
            return url
    return None
