"""Amazon SP-API: a beat poll of Orders v0 getOrders (LastUpdatedAfter, NextToken) and getOrderItems,
through python-amazon-sp-api, with the Login with Amazon (LWA) refresh-token exchange.

Docs followed: SP-API "Orders API v0 reference" (getOrders: MarketplaceIds, LastUpdatedAfter,
MaxResultsPerPage, NextToken; payload.Orders[] with AmazonOrderId, PurchaseDate, LastUpdateDate,
OrderStatus, FulfillmentChannel AFN | MFN, OrderTotal, EarliestDeliveryDate, LatestDeliveryDate,
BuyerInfo.BuyerEmail, ShippingAddress; payload.LastUpdatedBefore; getOrderItems: payload.OrderItems[] with
ASIN, SellerSKU, Title, QuantityOrdered, ItemPrice), "Usage Plans and Rate Limits" (429 QuotaExceeded,
x-amzn-RateLimit-Limit header), "Connecting to the SP-API" (LWA token: POST grant_type=refresh_token,
client_id, client_secret). Buyer emails are Amazon relay addresses: the store's buyers are marked
`email_is_relay` and are never emailed or texted by us.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from sp_api.api import Orders
from sp_api.auth import AccessTokenClient
from sp_api.auth.exceptions import AuthorizationError
from sp_api.base import Marketplaces, SellingApiException

from .base import Connector, CredentialField, PlatformError, check_base_url, clean_email, parse_time
from .models import RemoteOrderVersion

PLATFORM = "Amazon SP-API"
STATUS = {
    "Pending": "pending",
    "PendingAvailability": "pending",
    "Unshipped": "processing",
    "PartiallyShipped": "processing",
    "Unfulfillable": "processing",
    "InvoiceUnconfirmed": "shipped",
    "Shipped": "shipped",
    "Canceled": "cancelled",
}
MARKETPLACES = {m.marketplace_id: m for m in Marketplaces}
RETRYABLE_CODES = {429, 500, 502, 503, 504}


def lwa_client_class(token_url: str) -> type[AccessTokenClient]:
    """The library's LWA client aimed at `token_url` (Amazon's by default, a local fake in the demo)."""
    parts = urlsplit(token_url)
    return type(
        "LwaClient",
        (AccessTokenClient,),
        {"scheme": f"{parts.scheme}://", "host": parts.netloc, "path": parts.path or "/auth/o2/token"},
    )


def rate_limit_wait(headers: Any) -> float | None:
    """Seconds until one more request is allowed, from x-amzn-RateLimit-Limit (requests per second)."""
    try:
        limit = float((headers or {}).get("x-amzn-RateLimit-Limit", ""))
    except (TypeError, ValueError):
        return None
    return 1.0 / limit if limit > 0 else None


class AmazonConnector(Connector):
    kind = "amazon"
    label = gettext_lazy("Amazon SP-API")
    can_poll = True
    has_webhooks = False
    fields = [
        CredentialField("seller_id", gettext_lazy("Seller id (merchant token)"), secret=False),
        CredentialField(
            "marketplace_ids",
            gettext_lazy("Marketplace ids"),
            secret=False,
            help_text=gettext_lazy("Comma-separated, one region, e.g. ATVPDKIKX0DER for Amazon.com."),
        ),
        CredentialField("refresh_token", gettext_lazy("LWA refresh token")),
        CredentialField("lwa_client_id", gettext_lazy("LWA client id")),
        CredentialField("lwa_client_secret", gettext_lazy("LWA client secret")),
        CredentialField(
            "endpoint",
            gettext_lazy("SP-API endpoint (optional)"),
            secret=False,
            required=False,
            help_text=gettext_lazy("Leave empty for the marketplace's regional endpoint."),
        ),
        CredentialField(
            "token_url",
            gettext_lazy("LWA token address (optional)"),
            secret=False,
            required=False,
            help_text=gettext_lazy("Leave empty for https://api.amazon.com/auth/o2/token."),
        ),
    ]

    def marketplace_ids(self, connection) -> list[str]:
        raw = connection.credentials.get("marketplace_ids", "")
        ids = [m.strip() for m in str(raw).split(",") if m.strip()]
        unknown = [m for m in ids if m not in MARKETPLACES]
        if not ids or unknown:
            raise PlatformError(
                _("Unknown marketplace id(s): %(ids)s.") % {"ids": ", ".join(unknown) or "—"}, retryable=False
            )
        return ids

    def client(self, connection, marketplace_id: str) -> Orders:
        creds = connection.credentials
        marketplace = MARKETPLACES[marketplace_id]
        token_url = creds.get("token_url") or settings.AMAZON_LWA_TOKEN_URL
        try:
            token_url = check_base_url(token_url)
            endpoint = check_base_url(creds["endpoint"]) if creds.get("endpoint") else None
        except ValueError as exc:
            raise PlatformError(str(exc), retryable=False) from None
        client = Orders(
            marketplace=marketplace,
            refresh_token=creds.get("refresh_token", ""),
            credentials={
                "refresh_token": creds.get("refresh_token", ""),
                "lwa_app_id": creds.get("lwa_client_id", ""),
                "lwa_client_secret": creds.get("lwa_client_secret", ""),
            },
            timeout=settings.CONNECTORS_HTTP_TIMEOUT,
            auth_token_client_class=lwa_client_class(token_url),
        )
        if endpoint:
            client.endpoint = endpoint
        return client

    def _call(self, fn, *args, **kwargs):
        """One SP-API call with its failures turned into PlatformError (429 / 5xx / network: retry later)."""
        try:
            response = fn(*args, **kwargs)
        except SellingApiException as exc:
            code = getattr(exc, "code", 999)
            message = getattr(exc, "message", "") or str(getattr(exc, "error", ""))
            if code == 429:
                raise PlatformError(
                    _("Amazon is rate limiting us (429); trying again later."),
                    retryable=True,
                    retry_after=rate_limit_wait(exc.headers),
                    status=429,
                ) from None
            raise PlatformError(
                _("Amazon answered %(code)s: %(m)s") % {"code": code, "m": message},
                retryable=code in RETRYABLE_CODES,
                status=code,
            ) from None
        except AuthorizationError as exc:
            status = getattr(exc, "status_code", None)
            raise PlatformError(
                _("Login with Amazon refused the credentials: %(m)s") % {"m": getattr(exc, "message", exc)},
                retryable=bool(status and status >= 500),
                status=status,
            ) from None
        except httpx.HTTPError as exc:
            raise PlatformError(
                _("Could not reach %(p)s (%(e)s).") % {"p": PLATFORM, "e": exc.__class__.__name__}, retryable=True
            ) from None
        except ValueError:
            raise PlatformError(_("Amazon sent an answer that is not JSON."), retryable=True) from None
        return response

    def test_connection(self, connection) -> str:
        ids = self.marketplace_ids(connection)
        since = (dt.datetime.now(dt.UTC) - dt.timedelta(days=1)).isoformat(timespec="seconds")
        response = self._call(
            self.client(connection, ids[0]).get_orders,
            LastUpdatedAfter=since,
            MarketplaceIds=[ids[0]],
            MaxResultsPerPage=1,
        )
        if "Orders" not in (response.payload or {}):
            raise PlatformError(_("Amazon sent an answer without orders."), retryable=True)
        return _("Connected to Amazon (%(n)d marketplace(s)); getOrders answered.") % {"n": len(ids)}

    def poll(self, connection, *, since: dt.datetime | None, backfill_days: int | None = None) -> Iterator[tuple]:
        """Pages of (rows, cursor) per marketplace. The cursor keeps, per marketplace, the LastUpdatedAfter
        of the next run and the NextToken of an unfinished one, so a 429 mid-way resumes where it stopped."""
        cursor: dict[str, Any] = dict(connection.sync_cursor or {})
        default_after = since or dt.datetime.now(dt.UTC) - dt.timedelta(
            days=backfill_days or settings.CONNECTORS_INITIAL_DAYS
        )
        budget = settings.AMAZON_ORDER_ITEMS_PER_RUN
        for marketplace_id in self.marketplace_ids(connection):
            state = dict(cursor.get(marketplace_id) or {})
            after = parse_time(state.get("after")) or default_after
            if backfill_days:
                after, state = default_after, {}
            client = self.client(connection, marketplace_id)
            token = state.get("next_token")
            while True:
                params: dict[str, Any] = {"MarketplaceIds": [marketplace_id], "MaxResultsPerPage": 50}
                if token:
                    params["NextToken"] = token
                else:
                    params["LastUpdatedAfter"] = after.isoformat(timespec="seconds")
                response = self._call(client.get_orders, **params)
                payload = response.payload or {}
                if "Orders" not in payload:
                    raise PlatformError(_("Amazon sent an answer without orders."), retryable=True)
                if not token:
                    state["before"] = payload.get("LastUpdatedBefore") or state.get("before")
                orders = payload.get("Orders") or []
                known = dict(
                    RemoteOrderVersion.objects.filter(
                        connection=connection, external_id__in=[o.get("AmazonOrderId") for o in orders]
                    ).values_list("external_id", "remote_updated_at")
                )
                rows = []
                for order in orders:
                    updated = parse_time(order.get("LastUpdateDate"))
                    seen = known.get(order.get("AmazonOrderId"))
                    if seen is not None and updated is not None and updated <= seen:
                        continue  # already applied: no need to spend a getOrderItems call
                    if budget <= 0:
                        # Out of getOrderItems budget for this run: apply what was read, keep the cursor where
                        # it was (the applied orders are known next time and cost no getOrderItems call).
                        yield rows, dict(cursor)
                        return
                    items = self._call(client.get_order_items, order["AmazonOrderId"]).payload or {}
                    budget -= 1
                    rows.append(order_row(order, items.get("OrderItems") or []))
                token = payload.get("NextToken")
                if token:
                    state["next_token"] = token
                else:
                    state.pop("next_token", None)
                    finished_at = parse_time(state.pop("before", None)) or dt.datetime.now(dt.UTC) - dt.timedelta(
                        minutes=2
                    )
                    state["after"] = finished_at.isoformat()
                cursor[marketplace_id] = state
                yield rows, dict(cursor)
                if not token:
                    break


def _money(value: Any) -> tuple[str, str | None]:
    if isinstance(value, dict):
        return value.get("CurrencyCode") or "", value.get("Amount")
    return "", None


def order_row(order: dict, items: list[dict]) -> tuple[dict[str, Any], dt.datetime | None]:
    """An Orders v0 Order (and its OrderItems) as a bulk-API row, with its LastUpdateDate."""
    address = order.get("ShippingAddress") or {}
    buyer = order.get("BuyerInfo") or {}
    currency, total = _money(order.get("OrderTotal"))
    status = STATUS.get(order.get("OrderStatus") or "", "processing")
    row = {
        "external_id": order.get("AmazonOrderId", ""),
        "number": order.get("AmazonOrderId", ""),
        "placed_at": order.get("PurchaseDate"),
        "currency": currency,
        "total": total,
        "status": status,
        "fulfillment_channel": "fba" if order.get("FulfillmentChannel") == "AFN" else "fbm",
        "earliest_delivery_date": order.get("EarliestDeliveryDate"),
        "latest_delivery_date": order.get("LatestDeliveryDate"),
        "cancelled": status == "cancelled",
        "ship_to": {
            "city": address.get("City") or "",
            "region": address.get("StateOrRegion") or "",
            "postal_code": address.get("PostalCode") or "",
            "country": address.get("CountryCode") or "",
        },
        # A relay address (…@marketplace.amazon.com): orders marks it email_is_relay for Amazon stores.
        "buyer": {"email": clean_email(buyer.get("BuyerEmail")), "name": buyer.get("BuyerName") or ""},
        "items": [
            {
                "sku": item.get("SellerSKU") or "",
                "product_id": item.get("ASIN") or "",
                "title": (item.get("Title") or "")[:500],
                "quantity": max(1, int(item.get("QuantityOrdered") or 1)),
                "unit_price": _unit_price(item),
            }
            for item in items[:200]
        ],
    }
    return row, parse_time(order.get("LastUpdateDate"))


def _unit_price(item: dict) -> str | None:
    _currency, amount = _money(item.get("ItemPrice"))
    quantity = max(1, int(item.get("QuantityOrdered") or 1))
    if amount is None:
        return None
    try:
        return str((Decimal(str(amount)) / quantity).quantize(Decimal("0.01")))
    except (ArithmeticError, ValueError):
        return None
