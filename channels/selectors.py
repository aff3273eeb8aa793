"""Reads of the channels app, for its pages and for other apps."""

from __future__ import annotations

from .addresses import hash_address
from .models import ChannelAccount, DeliveryEvent, OutboxMessage, SentMessage, SuppressionEntry
from .senders import SENDERS, Channel


def accounts_of(merchant):
    return ChannelAccount.objects.for_merchant(merchant).order_by("name", "id")


def usable_accounts(*, merchant, channel: str):
    """Active or failing accounts that can send on `channel` (the outbox can send anything)."""
    kinds = [kind for kind, cls in SENDERS.items() if cls.channel in (channel, "")]
    return accounts_of(merchant).filter(kind__in=kinds).exclude(status=ChannelAccount.Status.DISABLED)


def suppressed_scopes(*, merchant_id: int, pairs: set[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """{(channel, address hash): scope} for the pairs on the suppression list: one query per channel and
    500 hashes, whatever the size of the batch."""
    by_channel: dict[str, list[str]] = {}
    for channel, digest in pairs:
        by_channel.setdefault(channel, []).append(digest)
    found = {}
    for channel, digests in by_channel.items():
        for start in range(0, len(digests), 500):
            rows = SuppressionEntry.objects.filter(
                merchant_id=merchant_id, channel=channel, address_hash__in=digests[start : start + 500]
            ).values_list("address_hash", "scope")
            found.update({(channel, digest): scope for digest, scope in rows})
    return found


def is_suppressed(*, merchant, channel: str, address: str, message_class: str | None = None) -> bool:
    """Whether this merchant must not send `message_class` (None: any message) to `address` on `channel`.

    A "review requests only" entry blocks review requests (and any message when no class is given).
    Raises linkstar.identity.InvalidAddress when the address cannot be read. The Amazon channel has
    no suppression list (Amazon handles opt-outs itself): always False.
    """
    if channel not in (Channel.EMAIL, Channel.SMS, Channel.WHATSAPP):
        return False
    _normalized, digest = hash_address(merchant_id=merchant.pk, channel=channel, address=address)
    scope = (
        SuppressionEntry.objects.for_merchant(merchant)
        .matching(channel=channel, address_hash=digest)
        .values_list("scope", flat=True)
        .first()
    )
    if scope is None:
        return False
    return scope == SuppressionEntry.Scope.ALL or message_class in (None, "review_request")


def suppressions_of(merchant, *, channel: str = "", reason: str = "", search: str = ""):
    rows = SuppressionEntry.objects.for_merchant(merchant)
    if channel:
        rows = rows.filter(channel=channel)
    if reason:
        rows = rows.filter(reason=reason)
    if search:
        rows = rows.filter(address__icontains=search.strip())
    return rows.order_by("-created_at", "-id")


def events_of(merchant, *, account=None, event_type: str = ""):
    rows = DeliveryEvent.objects.for_merchant(merchant).select_related("account")
    if account is not None:
        rows = rows.filter(account=account)
    if event_type:
        rows = rows.filter(event_type=event_type)
    return rows.order_by("-occurred_at", "-id")


def outbox_of(merchant):
    return OutboxMessage.objects.for_merchant(merchant).select_related("account").order_by("-created_at", "-id")


def sent_message(*, message_ref: str) -> SentMessage | None:
    """Channels' record of a message reference (status, provider id), for the campaigns app."""
    return SentMessage.objects.filter(message_ref=message_ref).first()


def delivery_status(*, message_ref: str) -> str | None:
    return SentMessage.objects.filter(message_ref=message_ref).values_list("status", flat=True).first()


def push_account_for(*, merchant, kind: str) -> ChannelAccount | None:
    """The account to push to a subscription of `kind` ("fcm" or "web_push": the sender kind of the same
    name), active ones before failing ones; None when the merchant has none."""
    rows = accounts_of(merchant).filter(kind=kind).exclude(status=ChannelAccount.Status.DISABLED)
    return rows.order_by("status", "name", "id").first()
