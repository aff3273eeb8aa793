"""Buyers' links: signed tokens (review link, help page, open pixel) and where a review link leads.

Tokens are `django.core.signing` values with their own salt each, so a token made for one purpose never
opens another. They carry the message reference (a random UUID) or, for the help page, the order and the
message; nothing a buyer could guess or count up. They are timestamped and expire after
`REVIEWS_LINK_MAX_AGE_DAYS` (default 120 days): an expired, forged or unknown token is a 404.

Where the review link leads, for the order's platform (`review_target`):
- the campaign's own review page (`review_url`, with `{product_id}`, `{asin}` and `{order_number}`), an
  override for every order of the campaign;
- Amazon: the marketplace's "create review" page for the order's first ASIN
  (`https://www.amazon.<domain>/review/create-review?asin=…`), the domain from the store's marketplace id
  or name, else the ship-to country;
- Shopify: the product page on the shop's domain (`/products/<handle>`; a numeric product id has no public
  URL, so the handle Shopify derives from the title is used);
- WooCommerce: the product page by id (`/?post_type=product&p=<id>`, WordPress redirects to the
  permalink) at its reviews tab;
- otherwise the store's address when it is a web address, else a thank-you page.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import quote, urlencode, urlsplit

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils.text import slugify

REVIEW_LINK_SALT = "reviews.review-link"
HELP_LINK_SALT = "reviews.help-link"
OPEN_PIXEL_SALT = "reviews.open-pixel"

# Amazon marketplace ids and ship-to countries -> the marketplace's web domain.
AMAZON_MARKETPLACE_DOMAINS = {
    "ATVPDKIKX0DER": "com",
    "A2EUQ1WTGCTBG2": "ca",
    "A1AM78C64UM0Y8": "com.mx",
    "A2Q3Y263D00KWC": "com.br",
    "A1F83G8C2ARO7P": "co.uk",
    "A1PA6795UKMFR9": "de",
    "A13V1IB3VIYZZH": "fr",
    "APJ6JRA9NG5V4": "it",
    "A1RKKUPIHCS9HS": "es",
    "A1805IZSGTT6HS": "nl",
    "A2NODRKZP88ZB9": "se",
    "A1C3SOZRARQ6R3": "pl",
    "A33AVAJ2PDY3EV": "com.tr",
    "AMEN7PMS3EDWL": "com.be",
    "A28R8C7NBKEWEA": "ie",
    "A21TJRUUN4KGV": "in",
    "A1VC38T7YXB528": "co.jp",
    "A39IBJ37TRP1C6": "com.au",
    "A19VAU5U5O7RUS": "sg",
    "A2VIGQ35RCS4UG": "ae",
    "A17E79C6D8DWNP": "sa",
    "ARBP9OOSHTCHU": "eg",
}
AMAZON_COUNTRY_DOMAINS = {
    "US": "com", "CA": "ca", "MX": "com.mx", "BR": "com.br", "GB": "co.uk", "UK": "co.uk", "DE": "de",
    "FR": "fr", "IT": "it", "ES": "es", "NL": "nl", "SE": "se", "PL": "pl", "TR": "com.tr", "BE": "com.be",
    "IE": "ie", "IN": "in", "JP": "co.jp", "AU": "com.au", "SG": "sg", "AE": "ae", "SA": "sa", "EG": "eg",
}  # fmt: skip
_AMAZON_DOMAIN_IN_TEXT = re.compile(r"amazon\.((?:com?\.)?[a-z]{2,3})\b", re.IGNORECASE)
_COUNTRY_IN_TEXT = re.compile(r"\b([A-Z]{2})\b")


def max_age_seconds() -> int:
    return int(getattr(settings, "REVIEWS_LINK_MAX_AGE_DAYS", 120)) * 86400


# --- tokens ---------------------------------------------------------------------------------------------


@lru_cache(maxsize=8)
def _url_template(base_url: str, name: str) -> str:
    return base_url + reverse(name, kwargs={"token": "TOKEN"})


def _url(name: str, token: str) -> str:
    return _url_template(settings.PUBLIC_BASE_URL, name).replace("TOKEN", token, 1)


def review_token(message_ref: str) -> str:
    return signing.dumps(str(message_ref), salt=REVIEW_LINK_SALT, compress=True)


def review_url(message_ref: str) -> str:
    """The buyer's review link (reverse() once: it runs for every message)."""
    return _url("reviews:review_link", review_token(message_ref))


def open_pixel_url(message_ref: str) -> str:
    return _url("reviews:open_pixel", signing.dumps(str(message_ref), salt=OPEN_PIXEL_SALT, compress=True))


@dataclass(frozen=True)
class HelpTarget:
    order_id: int
    message_ref: str = ""
    from_card: bool = False


def help_token(*, order_id: int, message_ref: str = "", from_card: bool = False) -> str:
    payload = {"o": int(order_id)}
    if message_ref:
        payload["m"] = str(message_ref)
    if from_card:
        payload["c"] = 1
    return signing.dumps(payload, salt=HELP_LINK_SALT, compress=True)


def help_url(*, order_id: int, message_ref: str = "", from_card: bool = False) -> str:
    return _url("reviews:help", help_token(order_id=order_id, message_ref=message_ref, from_card=from_card))


def _loads(token: str, salt: str):
    try:
        return signing.loads(token, salt=salt, max_age=max_age_seconds())
    except (signing.BadSignature, ValueError, TypeError):  # SignatureExpired is a BadSignature
        return None


def message_ref_from(token: str, *, salt: str = REVIEW_LINK_SALT) -> str | None:
    """The message reference a review-link or pixel token names; None when forged, expired or malformed."""
    value = _loads(token, salt)
    try:
        return str(uuid.UUID(str(value))) if value is not None else None
    except ValueError:
        return None


def help_target_from(token: str) -> HelpTarget | None:
    value = _loads(token, HELP_LINK_SALT)
    if not isinstance(value, dict) or not isinstance(value.get("o"), int):
        return None
    ref = str(value.get("m") or "")
    if ref:
        try:
            ref = str(uuid.UUID(ref))
        except ValueError:
            return None
    return HelpTarget(order_id=value["o"], message_ref=ref, from_card=bool(value.get("c")))


# --- where the review link leads ------------------------------------------------------------------------


def amazon_domain(store, order) -> str:
    """The Amazon marketplace's domain suffix (`com`, `de`, `co.jp`) for this order."""
    text = store.marketplace or ""
    for marketplace_id, domain in AMAZON_MARKETPLACE_DOMAINS.items():
        if marketplace_id in text:
            return domain
    found = _AMAZON_DOMAIN_IN_TEXT.search(text)
    if found and found.group(1).lower() in AMAZON_COUNTRY_DOMAINS.values():
        return found.group(1).lower()
    for code in _COUNTRY_IN_TEXT.findall(text):
        if code in AMAZON_COUNTRY_DOMAINS:
            return AMAZON_COUNTRY_DOMAINS[code]
    return AMAZON_COUNTRY_DOMAINS.get((order.ship_country or "").upper(), "com")


def _store_base(store) -> str:
    raw = (store.marketplace or "").strip()
    if not raw or " " in raw:
        return ""
    parts = urlsplit(raw if "://" in raw else f"https://{raw}")
    if not parts.netloc or "." not in parts.netloc:
        return ""
    return f"https://{parts.netloc}"


def _first_item(order, items=None):
    items = list(items) if items is not None else list(order.items.order_by("position"))
    return next((i for i in items if i.product_id), items[0] if items else None)


def review_target(*, order, campaign=None, items=None) -> str:
    """The address the review link sends this order's buyer to; "" when there is none (thank-you page)."""
    store = order.store
    item = _first_item(order, items)
    product = item.product_id if item else ""
    if campaign is not None and campaign.review_url:
        return (
            campaign.review_url.replace("{product_id}", quote(product, safe=""))
            .replace("{asin}", quote(product, safe=""))
            .replace("{order_number}", quote(order.display_number, safe=""))
        )
    platform = store.platform
    if platform == "amazon":
        domain = amazon_domain(store, order)
        if product:
            return f"https://www.amazon.{domain}/review/create-review?{urlencode({'asin': product})}"
        return f"https://www.amazon.{domain}/review/review-your-purchases"
    base = _store_base(store)
    if platform == "shopify" and base:
        if product.startswith(("https://", "http://")):
            return product
        handle = product if product and not product.isdigit() else slugify(item.title if item else "")
        return f"{base}/products/{quote(handle, safe='-_')}" if handle else base
    if platform == "woocommerce" and base:
        if product.startswith(("https://", "http://")):
            return product
        if product.isdigit():
            return f"{base}/?{urlencode({'post_type': 'product', 'p': product})}#reviews"
        return base
    marketplace = store.marketplace or ""
    return marketplace if marketplace.startswith("https://") else ""
