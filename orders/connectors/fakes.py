"""Local stand-ins for the platforms, speaking their documented formats on 127.0.0.1 (tests and the demo's
`manage.py run_fake_platforms`). One HTTP server, one path prefix per platform:

  /shopify/admin/api/<version>/shop.json | orders.json      X-Shopify-Access-Token; Link-header pages
  /woo/wp-json/wc/v3/orders                                  Basic auth; page / per_page; X-WP-TotalPages
  /lwa/auth/o2/token                                         Login with Amazon refresh-token exchange
  /amazon/orders/v0/orders[/<id>/orderItems]                 x-amz-access-token; NextToken pages
  /aftership/tracking/2025-01/couriers | trackings           as-api-key
  /17track/track/v2.2/register | getquota                    17token

`fail_next(prefix, status)` makes the next matching request fail (429 with Retry-After and
x-amzn-RateLimit-Limit, or a 5xx), as the real services do under load.
"""

from __future__ import annotations

import base64
import datetime as dt
import itertools
import json
import secrets
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from linkstar.webhooks import hmac_sha256_base64, signatures_match

from .seventeentrack import sign as seventeentrack_sign

SHOPIFY_VERSION = "2025-01"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def _iso(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


@dataclass
class Failure:
    prefix: str
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    times: int = 1


@dataclass
class FakeCredentials:  # noqa: S105  (made-up values the local fakes accept; nothing real)
    shopify_token: str = "shpat_fake_token"  # noqa: S105
    shopify_secret: str = "shopify-app-secret"  # noqa: S105
    woo_key: str = "ck_fake"
    woo_secret: str = "cs_fake"  # noqa: S105
    woo_webhook_secret: str = "woo-webhook-secret"  # noqa: S105
    lwa_client_id: str = "amzn1.application-oa2-client.fake"
    lwa_client_secret: str = "amzn1.oa2-cs.v1.fake"  # noqa: S105
    refresh_token: str = "Atzr|fake-refresh"  # noqa: S105
    aftership_key: str = "asat_fake"
    aftership_webhook_secret: str = "aftership-webhook-secret"  # noqa: S105
    seventeen_key: str = "17track-fake-key"


class FakePlatforms:
    """In-memory platforms. Add orders with `shopify_orders[...] = shopify_order(...)` etc."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self.credentials = FakeCredentials()
        self.shopify_orders: dict[int, dict] = {}
        self.woo_orders: dict[int, dict] = {}
        self.amazon_orders: dict[str, dict] = {}
        self.amazon_items: dict[str, list[dict]] = {}
        self.aftership_trackings: dict[str, dict] = {}
        self.seventeen_numbers: dict[str, dict] = {}
        self.requests: list[tuple[str, str]] = []
        self.failures: list[Failure] = []
        self.access_tokens: set[str] = set()
        self.shop_name = "Demo Shopify shop"
        self.page_size: dict[str, int] = {}
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer((host, port), _handler_for(self))
        self.server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakePlatforms:
        self._thread = threading.Thread(target=self.server.serve_forever, name="fake-platforms", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def fail_next(self, prefix: str, status: int, *, times: int = 1, headers=None, body=None) -> None:
        with self._lock:
            self.failures.append(Failure(prefix, status, dict(headers or {}), body, times))

    def take_failure(self, path: str) -> Failure | None:
        with self._lock:
            for failure in self.failures:
                if path.startswith(failure.prefix):
                    failure.times -= 1
                    if failure.times <= 0:
                        self.failures.remove(failure)
                    return failure
        return None

    def calls(self, prefix: str) -> int:
        return sum(1 for _m, path in self.requests if path.startswith(prefix))


# --- payloads shaped as the platforms' docs show ------------------------------------------------------------


_ids = itertools.count(5001)


def shopify_order(
    order_id: int,
    *,
    updated_at: dt.datetime | None = None,
    email: str = "jane@example.test",
    fulfillments: list[dict] | None = None,
    financial_status: str = "paid",
    fulfillment_status: str | None = None,
    cancelled_at: str | None = None,
    country: str = "US",
) -> dict:
    """A REST Admin API Order resource (the fields Linkstar reads, as Shopify names them)."""
    updated_at = updated_at or _now()
    return {
        "id": order_id,
        "admin_graphql_api_id": f"gid://shopify/Order/{order_id}",
        "name": f"#{order_id % 100000}",
        "order_number": order_id % 100000,
        "email": email,
        "phone": None,
        "created_at": _iso(updated_at - dt.timedelta(days=3)),
        "updated_at": _iso(updated_at),
        "cancelled_at": cancelled_at,
        "closed_at": None,
        "currency": "USD",
        "total_price": "59.90",
        "financial_status": financial_status,
        "fulfillment_status": fulfillment_status,
        "customer_locale": "en",
        "customer": {
            "id": 700000 + order_id % 1000,
            "email": email,
            "first_name": "Jane",
            "last_name": "Doe",
            "phone": "+14155552671",
            "email_marketing_consent": {
                "state": "subscribed",
                "opt_in_level": "single_opt_in",
                "consent_updated_at": _iso(updated_at - dt.timedelta(days=3)),
            },
            "sms_marketing_consent": None,
        },
        "shipping_address": {
            "first_name": "Jane",
            "last_name": "Doe",
            "name": "Jane Doe",
            "address1": "1 Main St",
            "address2": "",
            "city": "Springfield",
            "province": "Illinois",
            "province_code": "IL",
            "zip": "62701",
            "country": "United States",
            "country_code": country,
            "phone": "+14155552671",
        },
        "line_items": [
            {
                "id": next(_ids),
                "product_id": 632910392,
                "variant_id": 808950810,
                "sku": "SOCK-1",
                "title": "Trail socks",
                "name": "Trail socks - M",
                "quantity": 2,
                "price": "9.95",
            }
        ],
        "fulfillments": fulfillments or [],
        "refunds": [],
    }


def shopify_fulfillment(
    order_id: int,
    fulfillment_id: int,
    *,
    tracking_number: str = "1Z999AA10123456784",
    shipment_status: str | None = None,
    created_at: dt.datetime | None = None,
    updated_at: dt.datetime | None = None,
) -> dict:
    created_at = created_at or _now() - dt.timedelta(days=2)
    return {
        "id": fulfillment_id,
        "order_id": order_id,
        "status": "success",
        "created_at": _iso(created_at),
        "updated_at": _iso(updated_at or created_at),
        "service": "manual",
        "tracking_company": "UPS",
        "tracking_number": tracking_number,
        "tracking_numbers": [tracking_number],
        "tracking_url": f"https://www.ups.com/track?tracknum={tracking_number}",
        "shipment_status": shipment_status,
        "line_items": [],
    }


def woo_order(
    order_id: int,
    *,
    modified: dt.datetime | None = None,
    status: str = "processing",
    email: str = "max@example.test",
    tracking_number: str | None = None,
) -> dict:
    """A WooCommerce REST v3 order (dates without offset; *_gmt in UTC)."""
    modified = modified or _now()
    created = modified - dt.timedelta(days=2)
    meta = []
    if tracking_number:
        meta.append(
            {
                "id": next(_ids),
                "key": "_wc_shipment_tracking_items",
                "value": [
                    {
                        "tracking_provider": "dhl",
                        "custom_tracking_provider": "",
                        "tracking_number": tracking_number,
                        "date_shipped": str(int(modified.timestamp())),
                    }
                ],
            }
        )
    plain = lambda d: d.astimezone(dt.UTC).replace(tzinfo=None).isoformat()  # noqa: E731
    return {
        "id": order_id,
        "parent_id": 0,
        "number": str(order_id),
        "order_key": f"wc_order_{order_id}",
        "created_via": "checkout",
        "status": status,
        "currency": "EUR",
        "date_created": plain(created),
        "date_created_gmt": plain(created),
        "date_modified": plain(modified),
        "date_modified_gmt": plain(modified),
        "date_completed_gmt": plain(modified) if status == "completed" else None,
        "total": "42.50",
        "customer_id": 12,
        "billing": {
            "first_name": "Max",
            "last_name": "Mustermann",
            "company": "",
            "address_1": "Hauptstraße 1",
            "address_2": "",
            "city": "Berlin",
            "state": "",
            "postcode": "10115",
            "country": "DE",
            "email": email,
            "phone": "+49 30 1234567",
        },
        "shipping": {
            "first_name": "Max",
            "last_name": "Mustermann",
            "company": "",
            "address_1": "Hauptstraße 1",
            "address_2": "",
            "city": "Berlin",
            "state": "",
            "postcode": "10115",
            "country": "DE",
        },
        "line_items": [
            {"id": next(_ids), "name": "Merino socks", "product_id": 93, "quantity": 2, "sku": "MERINO", "price": 21.25}
        ],
        "meta_data": meta,
    }


def amazon_order(
    order_id: str,
    *,
    updated: dt.datetime | None = None,
    channel: str = "AFN",
    status: str = "Shipped",
    earliest: str = "2025-03-04T07:00:00Z",
    latest: str = "2025-03-08T06:59:59Z",
) -> dict:
    """An Orders v0 Order (the fields a non-restricted call returns)."""
    updated = updated or _now() - dt.timedelta(minutes=30)
    return {
        "AmazonOrderId": order_id,
        "PurchaseDate": _iso(updated - dt.timedelta(days=2)),
        "LastUpdateDate": _iso(updated),
        "OrderStatus": status,
        "FulfillmentChannel": channel,
        "SalesChannel": "Amazon.com",
        "ShipServiceLevel": "Std US D2D Dom",
        "OrderTotal": {"CurrencyCode": "USD", "Amount": "25.99"},
        "NumberOfItemsShipped": 1,
        "NumberOfItemsUnshipped": 0,
        "MarketplaceId": "ATVPDKIKX0DER",
        "EarliestShipDate": _iso(updated - dt.timedelta(days=1)),
        "LatestShipDate": _iso(updated),
        "EarliestDeliveryDate": earliest,
        "LatestDeliveryDate": latest,
        "IsPrime": channel == "AFN",
        "BuyerInfo": {"BuyerEmail": f"{order_id.replace('-', '')[:12]}@marketplace.amazon.com"},
        "ShippingAddress": {"City": "SEATTLE", "StateOrRegion": "WA", "PostalCode": "98121", "CountryCode": "US"},
    }


def amazon_items(order_id: str) -> list[dict]:
    return [
        {
            "ASIN": "B00TEST001",
            "SellerSKU": "SKU-TENT",
            "OrderItemId": f"{order_id}-1",
            "Title": "Ultralight tent",
            "QuantityOrdered": 1,
            "QuantityShipped": 1,
            "ItemPrice": {"CurrencyCode": "USD", "Amount": "25.99"},
        }
    ]


def aftership_webhook(tracking_number: str, tag: str, *, subtag: str = "", at: dt.datetime | None = None) -> dict:
    """AfterShip Tracking webhook body (2025-01): event, event_id, ts, msg = the tracking."""
    at = at or _now() - dt.timedelta(hours=1)
    return {
        "event": "tracking_update",
        "event_id": f"evt-{tracking_number}-{tag}-{int(at.timestamp())}",
        "is_tracking_first_tag": True,
        "ts": int(at.timestamp()),
        "msg": {
            "id": f"trk-{tracking_number}",
            "tracking_number": tracking_number,
            "slug": "ups",
            "tag": tag,
            "subtag": subtag or f"{tag}_001",
            "subtag_message": "Signed by customer" if subtag == "Delivered_003" else tag,
            "signed_by": "J DOE" if tag == "Delivered" else None,
            "checkpoints": [{"checkpoint_time": _iso(at), "tag": tag, "subtag": subtag, "message": tag}],
        },
    }


def seventeentrack_webhook(number: str, status: str, *, at: dt.datetime | None = None) -> dict:
    at = at or _now() - dt.timedelta(hours=1)
    return {
        "event": "TRACKING_UPDATED",
        "data": {
            "number": number,
            "carrier": 100003,
            "param": None,
            "tag": "order-1",
            "track_info": {
                "latest_status": {"status": status, "sub_status": f"{status}_Other", "sub_status_descr": None},
                "latest_event": {
                    "time_iso": at.isoformat(),
                    "time_utc": _iso(at),
                    "description": status,
                    "location": "SEATTLE, WA",
                    "stage": status,
                },
            },
        },
    }


# --- signing, as each service signs ---------------------------------------------------------------------------


def signed(kind: str, secret: str, payload: dict, *, topic: str = "", webhook_id: str = "") -> tuple[bytes, dict]:
    """(raw body, headers) of a webhook as the platform would send it."""
    body = json.dumps(payload, separators=(",", ":")).encode()
    if kind == "shopify":
        return body, {
            "X-Shopify-Topic": topic,
            "X-Shopify-Hmac-Sha256": hmac_sha256_base64(secret, body),
            "X-Shopify-Shop-Domain": "demo-shop.myshopify.com",
            "X-Shopify-Webhook-Id": webhook_id or secrets.token_hex(16),
            "X-Shopify-API-Version": SHOPIFY_VERSION,
        }
    if kind == "woocommerce":
        resource, _sep, event = topic.partition(".")
        return body, {
            "X-WC-Webhook-Source": "https://shop.example.com/",
            "X-WC-Webhook-Topic": topic,
            "X-WC-Webhook-Resource": resource,
            "X-WC-Webhook-Event": event,
            "X-WC-Webhook-Signature": hmac_sha256_base64(secret, body),
            "X-WC-Webhook-ID": "7",
            "X-WC-Webhook-Delivery-ID": webhook_id or secrets.token_hex(8),
        }
    if kind == "aftership":
        return body, {"aftership-hmac-sha256": hmac_sha256_base64(secret, body)}
    if kind == "17track":
        return body, {"sign": seventeentrack_sign(body, secret)}
    raise ValueError(kind)


# --- the server -------------------------------------------------------------------------------------------


def _handler_for(fake: FakePlatforms):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format, *args):  # noqa: A002  (the base class's name)
            return

        # plumbing ------------------------------------------------------------------------------------
        def _send(self, status: int, data: Any, headers: dict | None = None) -> None:
            body = b"" if data is None else json.dumps(data).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)

        def _body(self) -> bytes:
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def do_GET(self):  # noqa: N802
            self._route("GET")

        def do_POST(self):  # noqa: N802
            self._route("POST")

        def _route(self, method: str) -> None:
            parts = urlsplit(self.path)
            path, query = parts.path, {k: v[-1] for k, v in parse_qs(parts.query).items()}
            body = self._body()
            fake.requests.append((method, path))
            failure = fake.take_failure(path)
            if failure is not None:
                headers = dict(failure.headers)
                if failure.status == 429:
                    headers.setdefault("Retry-After", "2")
                    headers.setdefault("x-amzn-RateLimit-Limit", "0.5")
                default = {"errors": [{"code": "QuotaExceeded" if failure.status == 429 else "InternalFailure",
                                       "message": "You exceeded your quota for the requested resource."
                                       if failure.status == 429 else "We encountered an internal error."}]}  # fmt: skip
                return self._send(failure.status, failure.body if failure.body is not None else default, headers)
            for prefix, handler in (
                ("/shopify/", self._shopify),
                ("/woo/", self._woo),
                ("/lwa/", self._lwa),
                ("/amazon/", self._amazon),
                ("/aftership/", self._aftership),
                ("/17track/", self._seventeen),
            ):
                if path.startswith(prefix):
                    return handler(method, path[len(prefix) - 1 :], query, body)
            return self._send(404, {"errors": "Not Found"})

        # Shopify ---------------------------------------------------------------------------------------
        def _shopify(self, method, path, query, body):
            if self.headers.get("X-Shopify-Access-Token") != fake.credentials.shopify_token:
                return self._send(
                    401, {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}
                )
            prefix = f"/admin/api/{SHOPIFY_VERSION}/"
            if path == prefix + "shop.json":
                return self._send(
                    200,
                    {"shop": {"id": 548380009, "name": fake.shop_name, "myshopify_domain": "demo-shop.myshopify.com"}},
                )
            if path != prefix + "orders.json":
                return self._send(404, {"errors": "Not Found"})
            limit = min(int(query.get("limit", 50)), 250)
            if "page_info" in query:
                state = json.loads(base64.urlsafe_b64decode(query["page_info"].encode()))
            else:
                state = {
                    "offset": 0,
                    "updated_at_min": query.get("updated_at_min"),
                    "created_at_min": query.get("created_at_min"),
                }
            orders = sorted(fake.shopify_orders.values(), key=lambda o: (o["updated_at"], o["id"]))
            if state.get("updated_at_min"):
                floor = dt.datetime.fromisoformat(state["updated_at_min"].replace("Z", "+00:00"))
                orders = [
                    o for o in orders if dt.datetime.fromisoformat(o["updated_at"].replace("Z", "+00:00")) >= floor
                ]
            if state.get("created_at_min"):
                floor = dt.datetime.fromisoformat(state["created_at_min"].replace("Z", "+00:00"))
                orders = [
                    o for o in orders if dt.datetime.fromisoformat(o["created_at"].replace("Z", "+00:00")) >= floor
                ]
            limit = fake.page_size.get("shopify", limit)
            start = state["offset"]
            page = orders[start : start + limit]
            headers = {}
            if start + limit < len(orders):
                token = base64.urlsafe_b64encode(json.dumps({**state, "offset": start + limit}).encode()).decode()
                next_url = f"{fake.url}/shopify{prefix}orders.json?{urlencode({'limit': limit, 'page_info': token})}"
                headers["Link"] = f'<{next_url}>; rel="next"'
            return self._send(200, {"orders": page}, headers)

        # WooCommerce -----------------------------------------------------------------------------------
        def _woo(self, method, path, query, body):
            expected = base64.b64encode(f"{fake.credentials.woo_key}:{fake.credentials.woo_secret}".encode()).decode()
            if not signatures_match(f"Basic {expected}", self.headers.get("Authorization")):
                return self._send(
                    401,
                    {"code": "woocommerce_rest_cannot_view", "message": "Sorry, you cannot list resources.",
                     "data": {"status": 401}},
                )  # fmt: skip
            if path != "/wp-json/wc/v3/orders":
                return self._send(
                    404, {"code": "rest_no_route", "message": "No route was found.", "data": {"status": 404}}
                )
            orders = sorted(fake.woo_orders.values(), key=lambda o: (o["date_modified_gmt"], o["id"]))
            if query.get("modified_after"):
                floor = dt.datetime.fromisoformat(query["modified_after"])
                orders = [o for o in orders if dt.datetime.fromisoformat(o["date_modified_gmt"]) > floor]
            per_page = fake.page_size.get("woo", int(query.get("per_page", 10)))
            page = int(query.get("page", 1))
            total_pages = max(1, -(-len(orders) // per_page))
            chunk = orders[(page - 1) * per_page : page * per_page]
            return self._send(200, chunk, {"X-WP-Total": str(len(orders)), "X-WP-TotalPages": str(total_pages)})

        # Login with Amazon -----------------------------------------------------------------------------
        def _lwa(self, method, path, query, body):
            form = {k: v[-1] for k, v in parse_qs(body.decode()).items()}
            c = fake.credentials
            if (form.get("client_id"), form.get("client_secret")) != (c.lwa_client_id, c.lwa_client_secret):
                return self._send(401, {"error": "invalid_client", "error_description": "Client authentication failed"})
            if form.get("grant_type") != "refresh_token" or form.get("refresh_token") != c.refresh_token:
                return self._send(
                    400, {"error": "invalid_grant", "error_description": "The request has an invalid grant parameter"}
                )
            token = f"Atza|{secrets.token_hex(12)}"
            fake.access_tokens.add(token)
            return self._send(
                200,
                {"access_token": token, "refresh_token": c.refresh_token, "token_type": "bearer", "expires_in": 3600},
            )

        # Amazon SP-API Orders v0 -----------------------------------------------------------------------
        def _amazon(self, method, path, query, body):
            if self.headers.get("x-amz-access-token") not in fake.access_tokens:
                return self._send(
                    403, {"errors": [{"code": "Unauthorized", "message": "Access to requested resource is denied."}]}
                )
            if path == "/orders/v0/orders":
                per_page = int(query.get("MaxResultsPerPage", 100))
                if "NextToken" in query:
                    state = json.loads(base64.urlsafe_b64decode(query["NextToken"].encode()))
                else:
                    state = {"offset": 0, "after": query.get("LastUpdatedAfter")}
                if not state.get("after"):
                    return self._send(
                        400,
                        {
                            "errors": [
                                {
                                    "code": "InvalidInput",
                                    "message": "CreatedAfter or LastUpdatedAfter must be specified",
                                }
                            ]
                        },
                    )
                floor = dt.datetime.fromisoformat(state["after"].replace("Z", "+00:00"))
                orders = sorted(fake.amazon_orders.values(), key=lambda o: (o["LastUpdateDate"], o["AmazonOrderId"]))
                orders = [
                    o for o in orders if dt.datetime.fromisoformat(o["LastUpdateDate"].replace("Z", "+00:00")) >= floor
                ]
                page = orders[state["offset"] : state["offset"] + per_page]
                payload = {"Orders": page, "LastUpdatedBefore": _iso(_now() - dt.timedelta(minutes=2))}
                if state["offset"] + per_page < len(orders):
                    payload["NextToken"] = base64.urlsafe_b64encode(
                        json.dumps({**state, "offset": state["offset"] + per_page}).encode()
                    ).decode()
                return self._send(200, {"payload": payload}, {"x-amzn-RateLimit-Limit": "0.0167"})
            if path.startswith("/orders/v0/orders/") and path.endswith("/orderItems"):
                order_id = path.split("/")[4]
                if order_id not in fake.amazon_orders:
                    return self._send(404, {"errors": [{"code": "InvalidInput", "message": "Invalid AmazonOrderId"}]})
                items = fake.amazon_items.get(order_id) or amazon_items(order_id)
                return self._send(
                    200,
                    {"payload": {"AmazonOrderId": order_id, "OrderItems": items}},
                    {"x-amzn-RateLimit-Limit": "0.5"},
                )
            return self._send(404, {"errors": [{"code": "NotFound", "message": "Resource not found"}]})

        # AfterShip -------------------------------------------------------------------------------------
        def _aftership(self, method, path, query, body):
            if self.headers.get("as-api-key") != fake.credentials.aftership_key:
                return self._send(
                    401, {"meta": {"code": 401, "message": "Invalid API key.", "type": "Unauthorized"}, "data": {}}
                )
            if path == "/tracking/2025-01/couriers":
                return self._send(
                    200,
                    {
                        "meta": {"code": 200, "message": "OK"},
                        "data": {"total": 2, "couriers": [{"slug": "ups"}, {"slug": "dhl"}]},
                    },
                )
            if path == "/tracking/2025-01/trackings" and method == "POST":
                data = json.loads(body or b"{}")
                number = data.get("tracking_number", "")
                if number in fake.aftership_trackings:
                    return self._send(
                        400,
                        {
                            "meta": {"code": 4003, "message": "Tracking already exists.", "type": "BadRequest"},
                            "data": {},
                        },
                    )
                fake.aftership_trackings[number] = data
                return self._send(
                    201,
                    {
                        "meta": {"code": 201, "message": "The request was successful."},
                        "data": {"id": secrets.token_hex(8), **data, "tag": "Pending"},
                    },
                )
            return self._send(404, {"meta": {"code": 404, "message": "Not found"}, "data": {}})

        # 17TRACK ---------------------------------------------------------------------------------------
        def _seventeen(self, method, path, query, body):
            if self.headers.get("17token") != fake.credentials.seventeen_key:
                return self._send(
                    401, {"code": 401, "data": {"errors": [{"code": -18010002, "message": "Invalid access key."}]}}
                )
            if path == "/track/v2.2/getquota":
                used = len(fake.seventeen_numbers)
                return self._send(
                    200, {"code": 0, "data": {"quota_total": 100, "quota_used": used, "quota_remain": 100 - used}}
                )
            if path == "/track/v2.2/register":
                accepted, rejected = [], []
                for item in json.loads(body or b"[]"):
                    number = item.get("number", "")
                    if number in fake.seventeen_numbers:
                        rejected.append(
                            {
                                "number": number,
                                "error": {
                                    "code": -18019901,
                                    "message": f"The tracking number '{number}' has been registered, "
                                    "don't need to repeat registration.",
                                },
                            }
                        )
                    else:
                        fake.seventeen_numbers[number] = item
                        accepted.append({"origin": 1, "number": number, "carrier": 100003})
                return self._send(200, {"code": 0, "data": {"accepted": accepted, "rejected": rejected}})
            return self._send(404, {"code": 404, "data": {"errors": [{"code": -1, "message": "Not found"}]}})

    return Handler
