"""Reads for the connections pages and the dashboard."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.urls import reverse

from accounts.models import Merchant

from .models import Connection, TrackingRegistration, WebhookEvent

WEBHOOK_ROUTE = {
    "shopify": "orders:webhook_shopify",
    "woocommerce": "orders:webhook_woocommerce",
    "aftership": "orders:webhook_aftership",
    "17track": "orders:webhook_17track",
}


def connections_of(merchant: Merchant) -> QuerySet[Connection]:
    return Connection.objects.for_merchant(merchant).select_related("store").order_by("kind", "label", "pk")


def webhook_url(connection: Connection) -> str | None:
    """The address the platform must call (built from PUBLIC_BASE_URL); None for poll-only platforms."""
    route = WEBHOOK_ROUTE.get(connection.kind)
    if route is None:
        return None
    return settings.PUBLIC_BASE_URL + reverse(route, args=[connection.webhook_token])


def recent_events(connection: Connection, limit: int = 20) -> list[WebhookEvent]:
    return list(connection.webhook_events.defer("body").order_by("-received_at", "-pk")[:limit])


def registration_counts(connection: Connection) -> dict[str, int]:
    return TrackingRegistration.objects.filter(connection=connection).aggregate(
        pending=Count("pk", filter=Q(status=TrackingRegistration.Status.PENDING)),
        registered=Count("pk", filter=Q(status=TrackingRegistration.Status.REGISTERED)),
        rejected=Count("pk", filter=Q(status=TrackingRegistration.Status.REJECTED)),
    )


def health_panel(merchant: Merchant) -> dict | None:
    """The dashboard card: connections and the ones needing attention (None when nothing is connected)."""
    connections = list(connections_of(merchant))
    if not connections:
        return None
    return {"total": len(connections), "failing": [c for c in connections if c.needs_attention]}
