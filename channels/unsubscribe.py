"""Signed unsubscribe links: one per message, no guessable ids.

The token carries the merchant, the message reference, the channel, the recipient's address hash
and the buyer's language, signed with SECRET_KEY under its own salt. It never expires: a link in a
months-old email must still work.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import quote

from django.conf import settings
from django.core import signing
from django.urls import reverse

from .addresses import hash_address

SALT = "linkstar.channels.unsubscribe"
PAGE_LANGUAGES = {"en", "zh-hans"}  # buyers in other languages see the English page


@dataclass(frozen=True)
class UnsubscribeClaim:
    merchant_id: int
    message_ref: str
    channel: str
    address_hash: str
    language: str


def page_language(language: str | None) -> str:
    """The language of the buyer's page: zh, zh-CN, zh-Hans... read Simplified Chinese; others English."""
    code = (language or "").strip().lower().replace("_", "-")
    if code in {"zh", "zh-cn", "zh-sg", "zh-hans", "zh-hans-cn"}:
        return "zh-hans"
    return "en" if code not in PAGE_LANGUAGES else code


def make_token(*, merchant_id: int, message_ref: str, channel: str, address_hash: str, language: str = "en") -> str:
    payload = {"m": merchant_id, "r": message_ref, "c": channel, "h": address_hash, "l": page_language(language)}
    return signing.dumps(payload, salt=SALT, compress=True)


def read_token(token: str) -> UnsubscribeClaim | None:
    try:
        data = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    try:
        return UnsubscribeClaim(
            merchant_id=int(data["m"]),
            message_ref=str(data["r"]),
            channel=str(data["c"]),
            address_hash=str(data["h"]),
            language=page_language(data.get("l")),
        )
    except (KeyError, TypeError, ValueError):
        return None


def token_for(*, merchant_id: int, message_ref: str, channel: str, address: str, language: str = "en") -> str:
    _, digest = hash_address(merchant_id=merchant_id, channel=channel, address=address)
    return make_token(
        merchant_id=merchant_id, message_ref=message_ref, channel=channel, address_hash=digest, language=language
    )


@lru_cache(maxsize=4)
def _url_template(base_url: str) -> str:
    return base_url + reverse("channels:unsubscribe", kwargs={"token": "TOKEN"})


def url_for_token(token: str) -> str:
    # reverse() once per base URL: this runs for every email of a batch.
    return _url_template(settings.PUBLIC_BASE_URL).replace("TOKEN", token, 1)


def build_unsubscribe_url(
    *, merchant_id: int, message_ref: str, channel: str, address: str, language: str = "en"
) -> str:
    """The buyer's one-click HTTPS link (GET shows a confirm page; POST unsubscribes at once)."""
    return url_for_token(
        token_for(merchant_id=merchant_id, message_ref=message_ref, channel=channel, address=address, language=language)
    )


def mailto_for_token(mailbox: str, token: str) -> str:
    """`mailto:` half of List-Unsubscribe; an inbound webhook reading the subject finds the token."""
    return f"mailto:{mailbox}?subject={quote('unsubscribe ' + token)}"
