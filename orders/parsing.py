"""Reading one incoming order (API JSON, a CSV row group, a connector's mapping) into clean values.

Hand-written rather than DRF serializers: the bulk API validates 1,000 orders per request and this is
most of its cost. Every problem is reported as `{"field": "buyer.phone", "message": "…"}` so the API,
the CSV error report and connectors can say which row and field is wrong. Messages never repeat the
rejected value (it may be personal data and error reports are kept).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

from linkstar.identity import InvalidAddress, identity_hash, normalize_email, normalize_phone

from . import geo
from .models import Channel, Consent, Order

MAX_ITEMS = 200
UTC = dt.UTC

STATUS_ALIASES = {
    "pending": Order.Status.PENDING,
    "pendingavailability": Order.Status.PENDING,
    "unpaid": Order.Status.PENDING,
    "onhold": Order.Status.PENDING,
    "processing": Order.Status.PROCESSING,
    "paid": Order.Status.PROCESSING,
    "unshipped": Order.Status.PROCESSING,
    "partiallyshipped": Order.Status.PROCESSING,
    "unfulfilled": Order.Status.PROCESSING,
    "open": Order.Status.PROCESSING,
    "shipped": Order.Status.SHIPPED,
    "fulfilled": Order.Status.SHIPPED,
    "completed": Order.Status.SHIPPED,
    "intransit": Order.Status.SHIPPED,
    "outfordelivery": Order.Status.OUT_FOR_DELIVERY,
    "delivered": Order.Status.DELIVERED,
    "deliveryexception": Order.Status.DELIVERY_EXCEPTION,
    "exception": Order.Status.DELIVERY_EXCEPTION,
    "returned": Order.Status.RETURNED,
    "refunded": Order.Status.REFUNDED,
    "cancelled": Order.Status.CANCELLED,
    "canceled": Order.Status.CANCELLED,
    "voided": Order.Status.CANCELLED,
    "已发货": Order.Status.SHIPPED,
    "已签收": Order.Status.DELIVERED,
    "已妥投": Order.Status.DELIVERED,
    "已取消": Order.Status.CANCELLED,
    "待发货": Order.Status.PROCESSING,
    "已退款": Order.Status.REFUNDED,
}
FULFILLMENT_ALIASES = {
    "fba": Order.FulfillmentChannel.FBA,
    "afn": Order.FulfillmentChannel.FBA,
    "amazon": Order.FulfillmentChannel.FBA,
    "fbm": Order.FulfillmentChannel.FBM,
    "mfn": Order.FulfillmentChannel.FBM,
    "merchant": Order.FulfillmentChannel.MERCHANT,
    "seller": Order.FulfillmentChannel.MERCHANT,
    "3pl": Order.FulfillmentChannel.THIRD_PARTY,
    "thirdparty": Order.FulfillmentChannel.THIRD_PARTY,
}
TRUE_WORDS = {"1", "true", "yes", "y", "t", "on", "是", "yes please", "subscribed", "granted"}
FALSE_WORDS = {"0", "false", "no", "n", "f", "off", "否", "", "not_subscribed", "unsubscribed", "withdrawn"}
DATETIME_FORMATS = (
    "%Y-%m-%d %H:%M:%S %z",
    "%Y-%m-%d %H:%M %z",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
    "%Y.%m.%d",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y",
    "%Y年%m月%d日 %H:%M:%S",
    "%Y年%m月%d日 %H:%M",
    "%Y年%m月%d日",
)
_TRACKING_SPACE = re.compile(r"[\s\-]+")
_AMOUNT_JUNK = re.compile(r"[^\d,.\-]")
RELAY_DOMAINS = ("marketplace.amazon.",)


class FieldError(ValueError):
    pass


def normalize_tracking_number(raw: str) -> str:
    """Carrier tracking numbers compared without spaces or dashes, upper-case."""
    return _TRACKING_SPACE.sub("", raw or "").upper()


def is_relay_email(email: str) -> bool:
    domain = email.rpartition("@")[2]
    return any(marker in domain for marker in RELAY_DOMAINS)


def text(value: Any, max_length: int) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        raise FieldError(_("Expected text."))
    if isinstance(value, int | float | Decimal):
        value = format(value, "f") if isinstance(value, Decimal) else str(value)
    if not isinstance(value, str):
        raise FieldError(_("Expected text."))
    value = value.strip()
    if len(value) > max_length:
        raise FieldError(_("At most %(n)d characters.") % {"n": max_length})
    return value


def parse_datetime(value: Any, naive_tz: dt.tzinfo) -> dt.datetime | None:
    """ISO 8601 and the usual spreadsheet spellings; naive values are read in `naive_tz`."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        parsed = value
    elif isinstance(value, dt.date):
        parsed = dt.datetime(value.year, value.month, value.day)  # noqa: DTZ001  (zone applied below)
    elif isinstance(value, str):
        raw = value.strip()
        if not raw:
            return None
        parsed = None
        try:
            parsed = dt.datetime.fromisoformat(raw.replace(" UTC", "+00:00"))
        except ValueError:
            for fmt in DATETIME_FORMATS:
                try:
                    parsed = dt.datetime.strptime(raw, fmt)  # noqa: DTZ007  (zone applied below)
                    break
                except ValueError:
                    continue
        if parsed is None:
            raise FieldError(_("Not a date and time Linkstar can read (use ISO 8601, e.g. 2025-03-01T14:30:00Z)."))
    else:
        raise FieldError(_("Expected a date and time."))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=naive_tz)
    return parsed.astimezone(UTC)


def parse_date(value: Any) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        raw = value.strip()
        if not raw:
            return None
        try:
            return dt.date.fromisoformat(raw[:10])
        except ValueError:
            pass
        try:
            return parse_datetime(raw, UTC).date()
        except FieldError:
            raise FieldError(_("Not a date Linkstar can read (use YYYY-MM-DD).")) from None
    raise FieldError(_("Expected a date."))


def parse_decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise FieldError(_("Expected a number."))
    if isinstance(value, int | Decimal):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))
    elif isinstance(value, str):
        raw = _AMOUNT_JUNK.sub("", value)
        if "," in raw and "." in raw:
            raw = raw.replace(",", "")
        elif raw.count(",") == 1 and len(raw.rpartition(",")[2]) in (1, 2):
            raw = raw.replace(",", ".")  # decimal comma: 12,50
        else:
            raw = raw.replace(",", "")
        if not any(ch.isdigit() for ch in raw):
            if value.strip():
                raise FieldError(_("Expected a number."))
            return None
        try:
            number = Decimal(raw)
        except InvalidOperation:
            raise FieldError(_("Expected a number.")) from None
    else:
        raise FieldError(_("Expected a number."))
    if not number.is_finite() or abs(number) >= Decimal("1e12"):
        raise FieldError(_("Expected a number."))
    return number.quantize(Decimal("0.01"))


def parse_quantity(value: Any) -> int:
    if value is None or value == "":
        return 1
    if isinstance(value, bool):
        raise FieldError(_("Expected a whole number between 1 and 100000."))
    try:
        number = Decimal(value) if isinstance(value, int) else Decimal(str(value).strip())
    except InvalidOperation:
        raise FieldError(_("Expected a whole number between 1 and 100000.")) from None
    if not number.is_finite() or number != number.to_integral_value() or not 0 < number <= 100000:
        raise FieldError(_("Expected a whole number between 1 and 100000."))
    return int(number)


def parse_bool(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value != 0
    if isinstance(value, str):
        word = value.strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
    raise FieldError(_("Expected true or false."))


def _choice(value: Any, aliases: dict, default: str) -> str:
    raw = text(value, 50)
    if not raw:
        return default
    key = re.sub(r"[\s_\-]+", "", raw.lower())
    if key in aliases:
        return aliases[key]
    raise FieldError(
        _("Unknown value; expected one of: %(values)s.") % {"values": ", ".join(sorted(set(aliases.values())))}
    )


@dataclass
class ParseContext:
    """What parsing needs to know about the store (and how to read naive times)."""

    merchant_id: int
    store_id: int
    default_language: str
    default_currency: str
    is_amazon: bool
    naive_tz: dt.tzinfo = UTC
    now: dt.datetime | None = None


@dataclass
class ParsedOrder:
    external_id: str
    order: dict[str, Any]
    buyer: dict[str, Any]
    items: list[dict[str, Any]]
    consents: list[dict[str, Any]]
    content_hash: str = ""
    flags: dict[str, bool] = field(default_factory=dict)


ORDER_FLAGS = ("cancelled", "refunded", "returned", "claim_open", "buyer_reviewed")


def _json_default(value):
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)


def content_hash(payload: Any) -> str:
    blob = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=_json_default, ensure_ascii=False)
    return hashlib.blake2b(blob.encode(), digest_size=16).hexdigest()


class _Collector:
    def __init__(self):
        self.errors: list[dict[str, str]] = []

    def run(self, field_name: str, fn, *args):
        try:
            return fn(*args)
        except FieldError as exc:
            self.errors.append({"field": field_name, "message": str(exc)})
            return None


def parse_order(row: Any, ctx: ParseContext) -> tuple[ParsedOrder | None, list[dict[str, str]]]:
    """One incoming order as clean values, or the list of its field errors."""
    if not isinstance(row, dict):
        return None, [{"field": "", "message": _("Each order must be a JSON object.")}]
    c = _Collector()
    external_id = c.run("external_id", text, row.get("external_id"), 100)
    if external_id == "":
        c.errors.append({"field": "external_id", "message": _("This field is required.")})
    naive_tz = ctx.naive_tz
    order: dict[str, Any] = {
        "number": c.run("number", text, row.get("number"), 100),
        "placed_at": c.run("placed_at", parse_datetime, row.get("placed_at"), naive_tz),
        "currency": (c.run("currency", text, row.get("currency"), 3) or ctx.default_currency or "").upper(),
        "total": c.run("total", parse_decimal, row.get("total")),
        "status": c.run("status", _choice, row.get("status"), STATUS_ALIASES, Order.Status.PENDING),
        "fulfillment_channel": c.run(
            "fulfillment_channel",
            _choice,
            row.get("fulfillment_channel"),
            FULFILLMENT_ALIASES,
            Order.FulfillmentChannel.FBM if ctx.is_amazon else Order.FulfillmentChannel.MERCHANT,
        ),
        "carrier": c.run("carrier", text, row.get("carrier"), 100),
        "tracking_number": normalize_tracking_number(c.run("tracking_number", text, row.get("tracking_number"), 100)),
        "shipped_at": c.run("shipped_at", parse_datetime, row.get("shipped_at"), naive_tz),
        "delivered_at": c.run("delivered_at", parse_datetime, row.get("delivered_at"), naive_tz),
        "earliest_delivery_date": c.run("earliest_delivery_date", parse_date, row.get("earliest_delivery_date")),
        "latest_delivery_date": c.run("latest_delivery_date", parse_date, row.get("latest_delivery_date")),
    }
    if ctx.is_amazon and order["fulfillment_channel"] == Order.FulfillmentChannel.MERCHANT:
        order["fulfillment_channel"] = Order.FulfillmentChannel.FBM
    if order["currency"] and not (len(order["currency"]) == 3 and order["currency"].isalpha()):
        c.errors.append({"field": "currency", "message": _("Use a three-letter ISO 4217 code such as USD.")})
    now = ctx.now
    if order["delivered_at"] and now and order["delivered_at"] > now + dt.timedelta(days=1):
        c.errors.append({"field": "delivered_at", "message": _("Delivery cannot be in the future.")})
    flags = {}
    for flag in ORDER_FLAGS:
        flags[flag] = bool(c.run(flag, parse_bool, row.get(flag)))
    if order["status"] == Order.Status.CANCELLED:
        flags["cancelled"] = True

    ship_to = row.get("ship_to") or {}
    if not isinstance(ship_to, dict):
        c.errors.append({"field": "ship_to", "message": _("Expected an object.")})
        ship_to = {}
    raw_country = c.run("ship_to.country", text, ship_to.get("country"), 100) or ""
    country = geo.country_code(raw_country) or ""
    if raw_country and not country:
        c.errors.append({"field": "ship_to.country", "message": _("Unknown country; use an ISO code such as US.")})
    address = {
        "address_line1": c.run("ship_to.line1", text, ship_to.get("line1"), 200) or "",
        "address_line2": c.run("ship_to.line2", text, ship_to.get("line2"), 200) or "",
        "city": c.run("ship_to.city", text, ship_to.get("city"), 100) or "",
        "region": c.run("ship_to.region", text, ship_to.get("region"), 100) or "",
        "postal_code": (c.run("ship_to.postal_code", text, ship_to.get("postal_code"), 20) or "").lstrip("'"),
        "country": country,
    }
    order.update(
        ship_country=country,
        ship_region=address["region"],
        ship_city=address["city"],
        ship_postal_code=address["postal_code"],
    )

    buyer_in = row.get("buyer") or {}
    if not isinstance(buyer_in, dict):
        c.errors.append({"field": "buyer", "message": _("Expected an object.")})
        buyer_in = {}
    buyer = _parse_buyer(buyer_in, ship_to, address, external_id or "", ctx, c)

    items_in = row.get("items") or []
    items: list[dict[str, Any]] = []
    if not isinstance(items_in, list):
        c.errors.append({"field": "items", "message": _("Expected a list.")})
    elif len(items_in) > MAX_ITEMS:
        c.errors.append({"field": "items", "message": _("At most %(n)d items per order.") % {"n": MAX_ITEMS}})
    else:
        for i, item in enumerate(items_in):
            prefix = f"items[{i}]"
            if not isinstance(item, dict):
                c.errors.append({"field": prefix, "message": _("Expected an object.")})
                continue
            items.append(
                {
                    "position": i,
                    "sku": c.run(f"{prefix}.sku", text, item.get("sku"), 100) or "",
                    "product_id": c.run(f"{prefix}.product_id", text, item.get("product_id"), 100) or "",
                    "title": c.run(f"{prefix}.title", text, item.get("title"), 500) or "",
                    "quantity": c.run(f"{prefix}.quantity", parse_quantity, item.get("quantity")),
                    "unit_price": c.run(f"{prefix}.unit_price", parse_decimal, item.get("unit_price")),
                    "category": c.run(f"{prefix}.category", text, item.get("category"), 200) or "",
                }
            )

    consents = _parse_consents(buyer_in.get("consents"), buyer, order, ctx, c)

    if c.errors:
        return None, c.errors
    for key in ("number", "carrier"):
        order[key] = order[key] or ""
    parsed = ParsedOrder(external_id=external_id, order=order, buyer=buyer, items=items, consents=consents, flags=flags)
    parsed.content_hash = content_hash([external_id, order, buyer, items, consents, flags])
    return parsed, []


def _parse_buyer(buyer_in: dict, ship_to: dict, address: dict, external_id: str, ctx: ParseContext, c: _Collector):
    name = c.run("buyer.name", text, buyer_in.get("name"), 200) or ""
    first = c.run("buyer.first_name", text, buyer_in.get("first_name"), 100) or ""
    last = c.run("buyer.last_name", text, buyer_in.get("last_name"), 100) or ""
    if not name:
        name = " ".join(p for p in (first, last) if p) or (c.run("ship_to.name", text, ship_to.get("name"), 200) or "")
    if name and not (first or last):
        first, _sep, last = name.partition(" ")
    country = address["country"]

    email = ""
    raw_email = c.run("buyer.email", text, buyer_in.get("email"), 254)
    if raw_email:
        try:
            email = normalize_email(raw_email)
        except InvalidAddress:
            c.errors.append({"field": "buyer.email", "message": _("Not a valid email address.")})
    phone = ""
    raw_phone = c.run("buyer.phone", text, buyer_in.get("phone"), 50)
    if raw_phone:
        try:
            phone = normalize_phone(raw_phone, country or None)
        except InvalidAddress:
            if country:
                message = _("Not a valid phone number for %(country)s.") % {"country": country}
            else:
                message = _("Not a valid phone number; give it with its country code (+49…) or a ship-to country.")
            c.errors.append({"field": "buyer.phone", "message": message})
    language = (c.run("buyer.language", text, buyer_in.get("language"), 10) or "").lower().replace("_", "-")
    time_zone = c.run("buyer.time_zone", text, buyer_in.get("time_zone"), 64) or ""
    if time_zone and time_zone not in geo.known_time_zones():
        c.errors.append({"field": "buyer.time_zone", "message": _("Unknown time zone; use an IANA name.")})
    buyer_external_id = c.run("buyer.external_id", text, buyer_in.get("external_id"), 100) or ""
    if c.errors:
        return {}
    email_h = identity_hash(merchant_id=ctx.merchant_id, kind="email", normalized=email) if email else ""
    phone_h = identity_hash(merchant_id=ctx.merchant_id, kind="phone", normalized=phone) if phone else ""
    if buyer_external_id:
        key = f"id:{buyer_external_id}"
    elif email_h:
        key = f"email:{email_h}"
    elif phone_h:
        key = f"phone:{phone_h}"
    else:
        key = f"order:{external_id}"
    return {
        "key": key,
        "external_id": buyer_external_id,
        "name": name,
        "first_name": first[:100],
        "last_name": last[:100],
        "email": email,
        "email_is_relay": bool(email) and (ctx.is_amazon or is_relay_email(email)),
        "phone": phone,
        **address,
        "language": language or geo.default_language(country, ctx.default_language),
        "time_zone": time_zone or geo.derive_time_zone(country=country, region=address["region"], phone_e164=phone),
        "email_hash": email_h,
        "phone_hash": phone_h,
    }


def _parse_consents(raw, buyer: dict, order: dict, ctx: ParseContext, c: _Collector) -> list[dict[str, Any]]:
    if not raw:
        return []
    if not isinstance(raw, list):
        c.errors.append({"field": "buyer.consents", "message": _("Expected a list.")})
        return []
    consents = []
    channels = set(Channel.values)
    for i, entry in enumerate(raw):
        prefix = f"buyer.consents[{i}]"
        if not isinstance(entry, dict):
            c.errors.append({"field": prefix, "message": _("Expected an object.")})
            continue
        channel = c.run(f"{prefix}.channel", text, entry.get("channel"), 10)
        if channel not in channels:
            c.errors.append({"field": f"{prefix}.channel", "message": _("Use email, sms or whatsapp.")})
        status = c.run(f"{prefix}.status", text, entry.get("status"), 10) or Consent.Status.GRANTED
        if status not in Consent.Status.values:
            c.errors.append({"field": f"{prefix}.status", "message": _("Use granted or withdrawn.")})
        basis = c.run(f"{prefix}.lawful_basis", text, entry.get("lawful_basis"), 10) or Consent.LawfulBasis.CONSENT
        if basis not in Consent.LawfulBasis.values:
            c.errors.append({"field": f"{prefix}.lawful_basis", "message": _("Use consent or contract.")})
        recorded_at = c.run(f"{prefix}.recorded_at", parse_datetime, entry.get("recorded_at"), ctx.naive_tz)
        recorded_at = recorded_at or order.get("placed_at") or ctx.now
        ip = c.run(f"{prefix}.ip", text, entry.get("ip"), 45) or None
        if ip:
            import ipaddress

            try:
                ipaddress.ip_address(ip)
            except ValueError:
                c.errors.append({"field": f"{prefix}.ip", "message": _("Not an IP address.")})
        consents.append(
            {
                "channel": channel,
                "status": status,
                "lawful_basis": basis,
                "source": c.run(f"{prefix}.source", text, entry.get("source"), 100) or "",
                "text_version": c.run(f"{prefix}.text_version", text, entry.get("text_version"), 100) or "",
                "recorded_at": recorded_at,
                "ip_address": ip,
            }
        )
    return consents


def context_for(store, *, naive_tz: dt.tzinfo | None = None, now: dt.datetime | None = None) -> ParseContext:
    from django.utils import timezone

    return ParseContext(
        merchant_id=store.merchant_id,
        store_id=store.pk,
        default_language=store.default_language,
        default_currency=store.default_currency,
        is_amazon=store.is_amazon,
        naive_tz=naive_tz or UTC,
        now=now or timezone.now(),
    )


def zone(name: str) -> dt.tzinfo:
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError):
        return UTC
