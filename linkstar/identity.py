"""One person's addresses, normalised and hashed the same way everywhere.

orders (buyer identity across stores, erasure) and channels (suppression list)
both key on `identity_hash`, so a suppression still matches a buyer after their
PII is erased and when they buy again from another store of the same merchant.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata

import phonenumbers
from django.conf import settings


class InvalidAddress(ValueError):
    """An email or phone number that cannot be normalised; the message says why."""


def normalize_email(raw: str) -> str:
    """Trimmed, NFKC, lower-cased; refuses what cannot be an address.

    Dots and +tags are kept: they are different mailboxes at most providers.
    """
    value = unicodedata.normalize("NFKC", raw or "").strip().lower()
    if value.startswith("mailto:"):
        value = value[7:]
    local, sep, domain = value.rpartition("@")
    if not sep or not local or not domain or "." not in domain or " " in value or value.count("@") != 1:
        raise InvalidAddress(f"not an email address: {raw!r}")
    if domain.startswith(".") or domain.endswith(".") or ".." in domain:
        raise InvalidAddress(f"not an email address: {raw!r}")
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise InvalidAddress(f"not an email address: {raw!r}") from exc
    return f"{local}@{domain}"


def normalize_phone(raw: str, region: str | None = None) -> str:
    """E.164 (`+4915123456789`). `region` (ISO 3166 alpha-2, e.g. the ship-to country) reads national numbers."""
    value = unicodedata.normalize("NFKC", raw or "").strip()
    if not value:
        raise InvalidAddress("empty phone number")
    if value.startswith("00"):
        value = "+" + value[2:]
    try:
        number = phonenumbers.parse(value, (region or "").upper() or None)
    except phonenumbers.NumberParseException as exc:
        raise InvalidAddress(f"cannot read phone number {raw!r}: {exc}") from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidAddress(f"not a valid phone number for {region or 'any region'}: {raw!r}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _hash_key() -> bytes:
    return hashlib.sha256(b"linkstar-identity|" + settings.IDENTITY_HASH_KEY.encode()).digest()


def identity_hash(*, merchant_id: int, kind: str, normalized: str) -> str:
    """Keyed hash of one address within one merchant (`kind` is "email" or "phone")."""
    message = f"{merchant_id}|{kind}|{normalized}".encode()
    return hmac.new(_hash_key(), message, hashlib.sha256).hexdigest()


def email_hash(merchant_id: int, raw: str) -> str:
    return identity_hash(merchant_id=merchant_id, kind="email", normalized=normalize_email(raw))


def phone_hash(merchant_id: int, raw: str, region: str | None = None) -> str:
    return identity_hash(merchant_id=merchant_id, kind="phone", normalized=normalize_phone(raw, region))
