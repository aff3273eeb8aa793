"""The merchant pages' navigation, contributed by each app's `navigation.py`.

An app lists `NAV_ITEMS = [NavItem(...)]`; an entry appears once its URL
exists, so the shell grows as the apps do.
"""

from dataclasses import dataclass
from functools import lru_cache

from django.urls import NoReverseMatch, reverse

from .registry import contributions


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    order: int = 100
    min_role: str = "viewer"


@lru_cache(maxsize=1)
def all_items() -> tuple[NavItem, ...]:
    return tuple(sorted(contributions("navigation", "NAV_ITEMS"), key=lambda i: i.order))


def navigation(request):
    """Context processor: the entries the current member may open."""
    from accounts.roles import role_allows
    from accounts.selectors import memberships_of

    membership = getattr(request, "membership", None)
    if membership is None:
        return {"nav_items": [], "my_memberships": []}
    entries = []
    for item in all_items():
        if not role_allows(membership.role, item.min_role):
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        entries.append({"label": item.label, "url": url, "active": False})
    # The entry whose URL is the longest prefix of this page is the current one.
    matches = [e for e in entries if request.path.startswith(e["url"])]
    if matches:
        max(matches, key=lambda e: len(e["url"]))["active"] = True
    return {"nav_items": entries, "my_memberships": memberships_of(request.user)}


@dataclass(frozen=True)
class DashboardPanel:
    """A card on the dashboard: `context(request)` returns its context, or None to hide it."""

    template: str
    context: object
    order: int = 100
    min_role: str = "viewer"


@lru_cache(maxsize=1)
def all_panels() -> tuple[DashboardPanel, ...]:
    return tuple(sorted(contributions("navigation", "DASHBOARD_PANELS"), key=lambda p: p.order))


def dashboard_panels(request) -> list[dict]:
    from accounts.roles import role_allows

    shown = []
    for panel in all_panels():
        if not role_allows(request.membership.role, panel.min_role):
            continue
        context = panel.context(request)
        if context is not None:
            shown.append({"template": panel.template, "context": context})
    return shown
