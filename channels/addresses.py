"""Recipient addresses per channel, normalised and hashed with linkstar.identity (as orders does)."""

from __future__ import annotations

from linkstar.identity import InvalidAddress, identity_hash, normalize_email, normalize_phone

from .senders.base import Channel

PHONE_CHANNELS = {Channel.SMS, Channel.WHATSAPP}


def normalize_address(channel: str, address: str) -> str:
    """E-mail lower-cased, phones E.164; WhatsApp's `whatsapp:` prefix is dropped. Raises InvalidAddress."""
    address = (address or "").strip()
    if channel == Channel.EMAIL:
        return normalize_email(address)
    if channel in PHONE_CHANNELS:
        if address.lower().startswith("whatsapp:"):
            address = address[len("whatsapp:") :]
        return normalize_phone(address)
    raise InvalidAddress(f"the {channel} channel has no addresses to suppress")


def hash_address(*, merchant_id: int, channel: str, address: str) -> tuple[str, str]:
    """(normalised address, keyed hash): the same hash orders computes for a buyer's email / phone."""
    normalized = normalize_address(channel, address)
    kind = "email" if channel == Channel.EMAIL else "phone"
    return normalized, identity_hash(merchant_id=merchant_id, kind=kind, normalized=normalized)


def mask(address: str) -> str:
    """j***@example.com / +1415***0100: enough for a buyer to recognise, not to harvest."""
    if "@" in address:
        local, _, domain = address.partition("@")
        return f"{local[:1]}***@{domain}"
    if len(address) > 7:
        return f"{address[:5]}***{address[-4:]}"
    return "***"
