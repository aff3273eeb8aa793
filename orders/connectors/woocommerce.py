"""WooCommerce: REST API v3 orders (page-numbered, X-WP-TotalPages) and signed webhooks.

Docs followed: WooCommerce REST API docs "Authentication" (HTTP Basic with consumer key and secret over
HTTPS), "Pagination" (page / per_page, X-WP-Total and X-WP-TotalPages headers), "Orders → List all orders"
(modified_after, dates_are_gmt, orderby=modified), "Webhooks" (X-WC-Webhook-Topic, -Resource, -Event,
-Signature = base64 HMAC-SHA256 of the raw body keyed with the webhook's secret, -ID, -Delivery-ID; the
unsigned `webhook_id=N` ping sent when a webhook is saved). WooCommerce does not retry a failed delivery
and disables a webhook after repeated failures, so a beat-scheduled poll reconciles (`poll`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..models import Source
from .base import (
    Connector,
    CredentialField,
    Outcome,
    PlatformError,
    check_base_url,
    clean_email,
    clean_phone,
    http_client,
    json_of,
    parse_time,
    request,
)
from .ingest import apply_events, apply_orders

PLATFORM = "WooCommerce"
PAGE_SIZE = 100
STATUS = {
    "pending": "pending",
    "on-hold": "pending",
    "failed": "pending",
    "checkout-draft": "pending",
    "processing": "processing",
    "completed": "shipped",
    "shipped": "shipped",
    "cancelled": "cancelled",
    "trash": "cancelled",
    "refunded": "refunded",
}
TRACKING_META = "_wc_shipment_tracking_items"  # WooCommerce Shipment Tracking extension


class WooCommerceConnector(Connector):
    kind = "woocommerce"
    label = gettext_lazy("WooCommerce")
    can_poll = True
    fields = [
        CredentialField(
            "site_url",
            gettext_lazy("Site address"),
            secret=False,
            help_text=gettext_lazy("e.g. https://shop.example.com"),
        ),
        CredentialField("consumer_key", gettext_lazy("Consumer key"), help_text=gettext_lazy("Read access is enough.")),
        CredentialField("consumer_secret", gettext_lazy("Consumer secret")),
        CredentialField(
            "webhook_secret",
            gettext_lazy("Webhook secret"),
            help_text=gettext_lazy("The secret you typed when creating the order webhooks in WooCommerce."),
        ),
    ]

    def _api(self, connection, path: str, params: dict | None = None) -> str:
        try:
            base = check_base_url(connection.credentials.get("site_url", ""))
        except ValueError as exc:
            raise PlatformError(str(exc), retryable=False) from None
        url = f"{base}/wp-json/wc/v3/{path}"
        return f"{url}?{urlencode(params)}" if params else url

    def _auth(self, connection) -> tuple[str, str]:
        return (connection.credentials.get("consumer_key", ""), connection.credentials.get("consumer_secret", ""))

    def test_connection(self, connection) -> str:
        with http_client() as client:
            response = request(
                client,
                "GET",
                self._api(connection, "orders", {"per_page": 1}),
                platform=PLATFORM,
                auth=self._auth(connection),
            )
        json_of(response, PLATFORM)
        return _("Connected: the shop has %(n)s orders.") % {"n": response.headers.get("X-WP-Total", "?")}

    def poll(self, connection, *, since: dt.datetime | None, backfill_days: int | None = None) -> Iterator[tuple]:
        """Pages of (rows, cursor): orders modified after `since` (GMT), oldest first."""
        if backfill_days or since is None:
            since = dt.datetime.now(dt.UTC) - dt.timedelta(days=backfill_days or settings.CONNECTORS_INITIAL_DAYS)
        # A minute of overlap: a replayed order changes nothing, a missed one is lost for good.
        after = since - dt.timedelta(minutes=1)
        params = {
            "modified_after": after.astimezone(dt.UTC).replace(tzinfo=None).isoformat(timespec="seconds"),
            "dates_are_gmt": "true",
            "orderby": "modified",
            "order": "asc",
            "per_page": PAGE_SIZE,
        }
        newest = since
        page, total_pages = 1, 1
        with http_client() as client:
            while page <= total_pages:
                response = request(
                    client,
                    "GET",
                    self._api(connection, "orders", {**params, "page": page}),
                    platform=PLATFORM,
                    auth=self._auth(connection),
                )
                orders = json_of(response, PLATFORM)
                if not isinstance(orders, list):
                    raise PlatformError(_("WooCommerce sent something that is not a list of orders."), retryable=True)
                try:
                    total_pages = int(response.headers.get("X-WP-TotalPages", "1"))
                except ValueError:
                    total_pages = 1
                rows = [order_row(o) for o in orders]
                for _row, updated in rows:
                    if updated and updated > newest:
                        newest = updated
                # A backfill reads the past without moving the reconciliation cursor.
                yield rows, (None if backfill_days else {"modified_after": newest.isoformat()})
                page += 1

    # --- webhooks ----------------------------------------------------------------------------------------

    def event_identity(self, request_headers, body: bytes, payload: dict) -> tuple[str, str]:
        topic = request_headers.get("X-WC-Webhook-Topic", "")
        # WooCommerce gives each delivery a new id; the same topic and body is the same event.
        return topic, f"{topic}:{hashlib.sha256(body).hexdigest()}"

    def handle_event(self, connection, event, payload: dict) -> Outcome:
        if event.topic in ("order.created", "order.updated", "order.restored"):
            result = apply_orders(connection=connection, rows=[order_row(payload)], source=Source.WOOCOMMERCE)
            if result.errors:
                return Outcome("failed", str(result.errors[0]["errors"]))
            if result.skipped_stale:
                return Outcome("processed", "older than the order's current state: skipped")
            return Outcome("processed", result.summary(), result.order_ids)
        if event.topic == "order.deleted":
            row = {
                "store": connection.store_id,
                "external_id": str(payload.get("id", "")),
                "type": "cancelled",
                "occurred_at": event.received_at,
                "dedupe_key": "woocommerce:deleted",
                "data": {"deleted": True},
            }
            return apply_events(connection=connection, rows=[row], source=Source.WOOCOMMERCE)
        return Outcome("ignored", f"topic {event.topic} is not used")


def _gmt(value: Any) -> str | None:
    parsed = parse_time(value) if isinstance(value, str) else None
    return parsed.isoformat() if parsed else None


def _tracking(order: dict) -> dict:
    for meta in order.get("meta_data") or []:
        if meta.get("key") == TRACKING_META and isinstance(meta.get("value"), list) and meta["value"]:
            item = meta["value"][-1]
            shipped = item.get("date_shipped")
            shipped_at = None
            if shipped and str(shipped).isdigit():
                shipped_at = dt.datetime.fromtimestamp(int(shipped), tz=dt.UTC).isoformat()
            return {
                "carrier": item.get("custom_tracking_provider") or item.get("tracking_provider") or "",
                "tracking_number": item.get("tracking_number") or "",
                "shipped_at": shipped_at,
            }
    return {}


def order_row(order: dict) -> tuple[dict[str, Any], dt.datetime | None]:
    """A WooCommerce order (REST v3) as a bulk-API row, with its date_modified_gmt."""
    billing = order.get("billing") or {}
    shipping = order.get("shipping") or {}
    if not (shipping.get("address_1") or shipping.get("country")):
        shipping = billing
    country = (shipping.get("country") or billing.get("country") or "").upper()
    status = STATUS.get(order.get("status") or "", "processing")
    tracking = _tracking(order)
    shipped_at = tracking.get("shipped_at") or (_gmt(order.get("date_completed_gmt")) if status == "shipped" else None)
    customer_id = order.get("customer_id") or 0
    row = {
        "external_id": str(order.get("id", "")),
        "number": str(order.get("number") or order.get("id") or ""),
        "placed_at": _gmt(order.get("date_created_gmt")),
        "currency": order.get("currency") or "",
        "total": order.get("total"),
        "status": status,
        "fulfillment_channel": "merchant",
        "carrier": tracking.get("carrier", ""),
        "tracking_number": tracking.get("tracking_number", ""),
        "shipped_at": shipped_at,
        "cancelled": status == "cancelled",
        "refunded": status == "refunded",
        "ship_to": {
            "name": " ".join(p for p in (shipping.get("first_name"), shipping.get("last_name")) if p),
            "line1": shipping.get("address_1") or "",
            "line2": shipping.get("address_2") or "",
            "city": shipping.get("city") or "",
            "region": shipping.get("state") or "",
            "postal_code": shipping.get("postcode") or "",
            "country": country,
        },
        "buyer": {
            "external_id": str(customer_id) if customer_id else "",
            "first_name": billing.get("first_name") or "",
            "last_name": billing.get("last_name") or "",
            "email": clean_email(billing.get("email")),
            "phone": clean_phone(billing.get("phone") or shipping.get("phone"), country),
        },
        "items": [
            {
                "sku": item.get("sku") or "",
                "product_id": str(item.get("product_id") or ""),
                "title": item.get("name") or "",
                "quantity": item.get("quantity") or 1,
                "unit_price": item.get("price"),
            }
            for item in (order.get("line_items") or [])[:200]
        ],
    }
    return row, parse_time(order.get("date_modified_gmt"))
