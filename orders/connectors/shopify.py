"""Shopify: Admin REST API (orders with Link-header pagination) and HMAC-verified webhooks.

Docs followed: "Verify webhooks" / "Deliver webhooks through HTTPS" (X-Shopify-Hmac-Sha256 is the base64
HMAC-SHA256 of the raw body keyed with the app's client secret; X-Shopify-Topic, X-Shopify-Webhook-Id,
X-Shopify-Shop-Domain), "Make paginated requests to the REST Admin API" (Link: <…page_info=…>; rel="next"),
REST Admin API Order, Fulfillment and Refund resources, and "Privacy law compliance" (customers/data_request,
customers/redact, shop/redact payloads).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from linkstar.identity import InvalidAddress, email_hash

from .. import services
from ..models import Buyer, Source
from .base import (
    Connector,
    CredentialField,
    Outcome,
    PlatformError,
    check_base_url,
    clean_email,
    clean_phone,
    http_client,
    is_loopback_url,
    json_of,
    parse_time,
    request,
)
from .ingest import apply_events, apply_orders

PLATFORM = "Shopify"
PAGE_SIZE = 250
SHOP_DOMAIN = re.compile(r"^[a-z0-9][a-z0-9\-]*\.myshopify\.com$")
PRIVACY_TOPICS = {"customers/data_request", "customers/redact", "shop/redact"}
SHIPMENT_EVENT = {
    "delivered": "delivered",
    "out_for_delivery": "out_for_delivery",
    "failure": "delivery_exception",
    "in_transit": "shipped",
    "confirmed": "shipped",
    "label_printed": None,
    "label_purchased": None,
    "attempted_delivery": "delivery_exception",
    "ready_for_pickup": "out_for_delivery",
}


def shop_base_url(domain: str) -> str:
    """`name.myshopify.com` → https://name.myshopify.com; a full URL is kept (the local fake in the demo)."""
    domain = (domain or "").strip().lower().rstrip("/")
    if "://" in domain and is_loopback_url(domain):
        return check_base_url(domain)  # the local fake (demo, tests), where allowed
    if not SHOP_DOMAIN.match(domain):
        raise ValueError(_("Give the shop's myshopify.com domain, e.g. my-shop.myshopify.com."))
    return f"https://{domain}"


class ShopifyConnector(Connector):
    kind = "shopify"
    label = gettext_lazy("Shopify")
    can_poll = True
    fields = [
        CredentialField(
            "shop_domain",
            gettext_lazy("Shop domain"),
            secret=False,
            help_text=gettext_lazy("The shop's myshopify.com domain, e.g. my-shop.myshopify.com."),
        ),
        CredentialField(
            "access_token",
            gettext_lazy("Admin API access token"),
            help_text=gettext_lazy("From the custom app: read_orders, read_customers, read_fulfillments scopes."),
        ),
        CredentialField(
            "app_secret",
            gettext_lazy("App secret (API secret key)"),
            help_text=gettext_lazy("Shopify signs webhooks with it; Linkstar checks every signature."),
        ),
    ]

    def webhook_secret(self, connection) -> str:
        return connection.credentials.get("app_secret", "")

    # --- Admin API ---------------------------------------------------------------------------------------

    def _api(self, connection, path: str) -> str:
        try:
            base = shop_base_url(connection.credentials.get("shop_domain", ""))
        except ValueError as exc:
            raise PlatformError(str(exc), retryable=False) from None
        return f"{base}/admin/api/{settings.SHOPIFY_API_VERSION}/{path}"

    def _headers(self, connection) -> dict[str, str]:
        return {"X-Shopify-Access-Token": connection.credentials.get("access_token", ""), "Accept": "application/json"}

    def test_connection(self, connection) -> str:
        with http_client() as client:
            response = request(
                client, "GET", self._api(connection, "shop.json"), platform=PLATFORM, headers=self._headers(connection)
            )
        shop = (json_of(response, PLATFORM) or {}).get("shop") or {}
        return _("Connected to the shop %(name)s (%(domain)s).") % {
            "name": shop.get("name", "?"),
            "domain": shop.get("myshopify_domain") or shop.get("domain", "?"),
        }

    def poll(self, connection, *, since: dt.datetime | None, backfill_days: int | None = None) -> Iterator[tuple]:
        """Pages of (rows, cursor): orders updated since `since` (oldest first), or created in the last
        `backfill_days` days. The cursor after each page is the newest updated_at read so far."""
        params: dict[str, Any] = {"status": "any", "limit": PAGE_SIZE}
        if backfill_days:
            params["created_at_min"] = (timezone.now() - dt.timedelta(days=backfill_days)).isoformat()
        else:
            params["order"] = "updated_at asc"
            since = since or timezone.now() - dt.timedelta(days=settings.CONNECTORS_INITIAL_DAYS)
            params["updated_at_min"] = since.isoformat()
        url: str | None = self._api(connection, "orders.json") + "?" + urlencode(params)
        newest = since
        with http_client() as client:
            while url:
                response = request(client, "GET", url, platform=PLATFORM, headers=self._headers(connection))
                orders = (json_of(response, PLATFORM) or {}).get("orders") or []
                rows = [order_row(o) for o in orders]
                for _row, updated in rows:
                    if updated and (newest is None or updated > newest):
                        newest = updated
                yield rows, ({"updated_at_min": newest.isoformat()} if newest and not backfill_days else None)
                url = response.links.get("next", {}).get("url")

    # --- webhooks ----------------------------------------------------------------------------------------

    def event_identity(self, request_headers, body: bytes, payload: dict) -> tuple[str, str]:
        topic = request_headers.get("X-Shopify-Topic", "")
        return topic, request_headers.get("X-Shopify-Webhook-Id", "")

    def handle_event(self, connection, event, payload: dict) -> Outcome:
        topic = event.topic
        if topic.startswith("orders/"):
            result = apply_orders(connection=connection, rows=[order_row(payload)], source=Source.SHOPIFY)
            if result.errors:
                return Outcome("failed", str(result.errors[0]["errors"]))
            if result.skipped_stale:
                return Outcome("processed", "older than the order's current state: skipped")
            return Outcome("processed", result.summary(), result.order_ids)
        if topic.startswith("fulfillments/"):
            return apply_events(
                connection=connection, rows=fulfillment_events(connection, payload), source=Source.SHOPIFY
            )
        if topic == "refunds/create":
            at = parse_time(payload.get("created_at")) or event.received_at
            row = {
                "store": connection.store_id,
                "external_id": str(payload.get("order_id", "")),
                "type": "refunded",
                "occurred_at": at,
                "dedupe_key": f"shopify:refund:{payload.get('id')}",
                "data": {"refund_id": payload.get("id")},
            }
            return apply_events(connection=connection, rows=[row], source=Source.SHOPIFY)
        if topic in PRIVACY_TOPICS:
            return self._privacy(connection, event, topic, payload)
        return Outcome("ignored", f"topic {topic} is not used")

    def _privacy(self, connection, event, topic: str, payload: dict) -> Outcome:
        store = connection.store
        if topic == "shop/redact":
            buyers = list(Buyer.objects.filter(store=store, erased_at__isnull=True))
        else:
            buyers = list(_buyers_named(connection, payload))
        if topic == "customers/data_request":
            event.export = {
                "shop_domain": payload.get("shop_domain"),
                "data_request": payload.get("data_request"),
                "buyers": [services.export_buyer(b) for b in buyers],
            }
            event.save(update_fields=["export"])
            return Outcome("processed", f"export of {len(buyers)} buyer record(s) ready to download")
        for buyer in buyers:
            services.erase_buyer(buyer, reason=f"shopify {topic}")
        return Outcome("processed", f"{len(buyers)} buyer record(s) erased")


def _buyers_named(connection, payload: dict):
    customer = payload.get("customer") or {}
    match = Q(pk__in=[])
    if customer.get("id"):
        match |= Q(key=f"id:{customer['id']}") | Q(external_id=str(customer["id"]))
    if customer.get("email"):
        with contextlib.suppress(InvalidAddress):
            match |= Q(email_hash=email_hash(connection.merchant_id, customer["email"]))
    orders = payload.get("orders_to_redact") or payload.get("orders_requested") or []
    if orders:
        match |= Q(orders__external_id__in=[str(o) for o in orders])
    return Buyer.objects.filter(store=connection.store).filter(match).distinct()


def _consents(customer: dict, placed_at: str | None) -> list[dict]:
    consents = []
    for channel, key in (("email", "email_marketing_consent"), ("sms", "sms_marketing_consent")):
        consent = customer.get(key) or {}
        state = consent.get("state")
        if state not in ("subscribed", "unsubscribed"):
            continue
        consents.append(
            {
                "channel": channel,
                "status": "granted" if state == "subscribed" else "withdrawn",
                "lawful_basis": "consent",
                "source": " ".join(
                    p for p in ("shopify", consent.get("opt_in_level") or consent.get("consent_collected_from")) if p
                ),
                "recorded_at": consent.get("consent_updated_at") or placed_at,
            }
        )
    return consents


def order_row(order: dict) -> tuple[dict[str, Any], dt.datetime | None]:
    """A Shopify Order resource as a bulk-API row, with its updated_at."""
    shipping = order.get("shipping_address") or order.get("billing_address") or {}
    customer = order.get("customer") or {}
    country = (shipping.get("country_code") or "").upper()
    fulfillments = sorted(order.get("fulfillments") or [], key=lambda f: f.get("created_at") or "")
    active = [f for f in fulfillments if f.get("status") not in ("cancelled", "error", "failure")]
    latest = active[-1] if active else None
    delivered = [f for f in active if f.get("shipment_status") == "delivered"]
    financial = order.get("financial_status") or ""
    fulfilment = order.get("fulfillment_status") or ""
    if order.get("cancelled_at"):
        status = "cancelled"
    elif financial == "refunded":
        status = "refunded"
    elif fulfilment == "fulfilled":
        status = "shipped"
    elif financial in ("pending", "authorized"):
        status = "pending"
    else:
        status = "processing"
    all_delivered = bool(active) and len(delivered) == len(active) and fulfilment == "fulfilled"
    delivered_at = max((f.get("updated_at") or "" for f in delivered), default="") if all_delivered else None
    first_name = customer.get("first_name") or shipping.get("first_name") or ""
    last_name = customer.get("last_name") or shipping.get("last_name") or ""
    row = {
        "external_id": str(order.get("id", "")),
        "number": order.get("name") or str(order.get("order_number") or ""),
        "placed_at": order.get("created_at"),
        "currency": order.get("currency") or "",
        "total": order.get("total_price"),
        "status": status,
        "fulfillment_channel": "merchant",
        "carrier": (latest or {}).get("tracking_company") or "",
        "tracking_number": (latest or {}).get("tracking_number") or "",
        "shipped_at": active[0].get("created_at") if active else None,
        "delivered_at": delivered_at or None,
        "cancelled": bool(order.get("cancelled_at")),
        "refunded": financial == "refunded",
        "ship_to": {
            "name": shipping.get("name") or "",
            "line1": shipping.get("address1") or "",
            "line2": shipping.get("address2") or "",
            "city": shipping.get("city") or "",
            "region": shipping.get("province_code") or shipping.get("province") or "",
            "postal_code": shipping.get("zip") or "",
            "country": country,
        },
        "buyer": {
            "external_id": str(customer["id"]) if customer.get("id") else "",
            "first_name": first_name,
            "last_name": last_name,
            "email": clean_email(order.get("email") or customer.get("email")),
            "phone": clean_phone(customer.get("phone") or shipping.get("phone") or order.get("phone"), country),
            "language": (order.get("customer_locale") or "")[:10],
            "consents": _consents(customer, order.get("created_at")),
        },
        "items": [
            {
                "sku": item.get("sku") or "",
                "product_id": str(item.get("product_id") or ""),
                "title": item.get("title") or item.get("name") or "",
                "quantity": item.get("quantity") or 1,
                "unit_price": item.get("price"),
            }
            for item in (order.get("line_items") or [])[:200]
        ],
    }
    return row, parse_time(order.get("updated_at"))


def fulfillment_events(connection, fulfillment: dict) -> list[dict]:
    """A Fulfillment resource as order events: shipped when created, then what shipment_status says."""
    base = {"store": connection.store_id, "external_id": str(fulfillment.get("order_id", ""))}
    fid = fulfillment.get("id")
    data = {
        "fulfillment_id": fid,
        "carrier": fulfillment.get("tracking_company") or "",
        "tracking_number": fulfillment.get("tracking_number") or "",
        "tracking_url": fulfillment.get("tracking_url") or next(iter(fulfillment.get("tracking_urls") or []), ""),
    }
    rows = []
    if fulfillment.get("status") in ("cancelled", "error", "failure"):
        return rows
    created = parse_time(fulfillment.get("created_at"))
    if created:
        rows.append(
            {**base, "type": "shipped", "occurred_at": created, "dedupe_key": f"shopify:f{fid}:shipped", "data": data}
        )
    shipment_status = fulfillment.get("shipment_status") or ""
    kind = SHIPMENT_EVENT.get(shipment_status)
    at = parse_time(fulfillment.get("updated_at")) or created
    if kind and kind != "shipped" and at:
        rows.append(
            {
                **base,
                "type": kind,
                "occurred_at": at,
                "dedupe_key": f"shopify:f{fid}:{shipment_status}",
                "data": {**data, "shipment_status": shipment_status},
            }
        )
    return rows
