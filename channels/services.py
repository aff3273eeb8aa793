"""Writes of the channels app: accounts, sending, suppression, unsubscribe and delivery events.

Other apps call (keyword-only arguments):

    get_sender(account) -> Sender
    send_messages(*, account, messages) -> list[SendResult]       # one connection for the batch
    send_message(*, account, message) -> SendResult
    is_suppressed(*, merchant, channel, address, message_class=None) -> bool   (from selectors)
    suppress(*, merchant, channel, address=..., reason=..., ...) -> SuppressionEntry
    unsuppress(*, merchant, channel, address=...) -> int
    erase_addresses(*, merchant, address_hashes) -> int
    erase_recipient(*, merchant, email="", phone="") -> int        # a buyer's erasure
    build_unsubscribe_url(*, merchant_id, message_ref, channel, address, language="en") -> str
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import logging
import uuid
from collections.abc import Sequence

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables

from linkstar.identity import InvalidAddress

from .addresses import hash_address
from .events import ProviderEvent, notify_listeners
from .models import ChannelAccount, DeliveryEvent, OutboxMessage, SentMessage, SuppressionEntry
from .selectors import is_suppressed, suppressed_scopes  # noqa: F401  (re-exported for other apps)
from .senders import SENDERS, Channel, OutboundMessage, Outcome, Sender, SendResult
from .senders.base import (
    ACCOUNT_DISABLED,
    ADDRESSLESS_CHANNELS,
    AUTH_FAILED,
    INVALID_ADDRESS,
    SUBSCRIPTION_GONE,  # noqa: F401  (re-exported: the error code of a gone push token / subscription)
    SUPPRESSED,
    PushTarget,
)
from .unsubscribe import build_unsubscribe_url, read_token  # noqa: F401  (re-exported)

logger = logging.getLogger(__name__)

IDENTITY_FIELDS = (
    "from_email",
    "from_name",
    "reply_to",
    "sms_from",
    "messaging_service_sid",
    "whatsapp_from",
    "amazon_seller_id",
    "amazon_marketplaces",
)


# -- accounts --------------------------------------------------------------------------------
@sensitive_variables("credentials", "account")
def create_account(
    *, merchant, kind: str, name: str, config: dict, credentials: dict, identity: dict
) -> ChannelAccount:
    if kind not in SENDERS:
        raise ValidationError({"kind": _("Unknown account kind.")})
    account = ChannelAccount(merchant=merchant, kind=kind, name=name, config=config, credentials=credentials)
    for field in IDENTITY_FIELDS:
        if field in identity:
            setattr(account, field, identity[field])
    account.full_clean(exclude=["credentials", "merchant"])
    account.save()
    return account


@sensitive_variables("credentials", "stored", "account")
def update_account(
    *, account: ChannelAccount, name: str, config: dict, credentials: dict, identity: dict
) -> ChannelAccount:
    """Credentials given blank keep their stored value: secrets are never shown, so never re-typed."""
    stored = dict(account.credentials or {})
    stored.update({k: v for k, v in credentials.items() if v not in (None, "")})
    account.name = name
    account.config = config
    account.credentials = stored
    for field in IDENTITY_FIELDS:
        if field in identity:
            setattr(account, field, identity[field])
    account.full_clean(exclude=["credentials", "merchant"])
    account.save()
    return account


def set_account_status(*, account: ChannelAccount, status: str) -> ChannelAccount:
    if status not in ChannelAccount.Status.values:
        raise ValidationError(_("Unknown status."))
    account.status = status
    account.save(update_fields=["status", "updated_at"])
    return account


def delete_account(*, account: ChannelAccount) -> None:
    account.delete()


def get_sender(account: ChannelAccount) -> Sender:
    """The sender for this account; use it as `with get_sender(account) as sender:` for a batch."""
    return SENDERS[account.kind](account)


def _record_account_health(account: ChannelAccount, results: Sequence[SendResult]) -> None:
    auth = next((r for r in results if r.error_code == AUTH_FAILED), None)
    now = timezone.now()
    if auth is not None:
        ChannelAccount.objects.filter(pk=account.pk).exclude(status=ChannelAccount.Status.DISABLED).update(
            status=ChannelAccount.Status.FAILING, last_error=auth.detail[:500], last_error_at=now, updated_at=now
        )
        account.status = ChannelAccount.Status.FAILING
        account.last_error = auth.detail[:500]
    elif any(r.accepted for r in results) and account.status == ChannelAccount.Status.FAILING:
        ChannelAccount.objects.filter(pk=account.pk, status=ChannelAccount.Status.FAILING).update(
            status=ChannelAccount.Status.ACTIVE, updated_at=now
        )
        account.status = ChannelAccount.Status.ACTIVE


# -- address locks: a suppression never races a send ------------------------------------------
# A send holds a shared advisory lock on each of its addresses from the suppression check until the
# provider has answered; `suppress()` (unsubscribe, STOP, complaint, erasure) takes the same lock
# exclusively inside its transaction. So a suppression either commits before the check (and the message
# is refused) or waits until the send that already started is done: no send starts after it commits.


def _address_lock_key(merchant_id: int, channel: str, digest: str) -> int:
    raw = hashlib.sha256(f"address:{merchant_id}:{channel}:{digest}".encode()).digest()[:8]
    return int.from_bytes(raw, "big", signed=True)


def _lock_addresses_for_send(keys: list[int]) -> list[int]:
    """Session-level shared locks (outside any transaction); returns what `_unlock_addresses` must free."""
    if not keys or connection.vendor != "postgresql":
        return []
    keys = sorted(set(keys))
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock_shared(k) FROM unnest(%s::bigint[]) AS k ORDER BY k", [keys])
    return keys


def _unlock_addresses(keys: list[int]) -> None:
    if not keys:
        return
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock_shared(k) FROM unnest(%s::bigint[]) AS k", [keys])
    except DatabaseError:  # the connection is gone, and its session locks with it
        logger.warning("could not release address locks (connection lost)")


def _lock_address_for_suppression(merchant_id: int, channel: str, digest: str) -> None:
    """Inside the suppression's transaction: waits for sends to this address that already started."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_address_lock_key(merchant_id, channel, digest)])


# -- sending ---------------------------------------------------------------------------------
STATUS_BY_OUTCOME = {
    Outcome.ACCEPTED: SentMessage.Status.SENT,
    Outcome.TEMPORARY_FAILURE: SentMessage.Status.QUEUED,
    Outcome.PERMANENT_FAILURE: SentMessage.Status.FAILED,
    Outcome.UNKNOWN: SentMessage.Status.UNKNOWN,
}


def _message_channel(account: ChannelAccount, message: OutboundMessage) -> str:
    return message.channel if account.kind == "outbox" else account.channel


def send_messages(
    *, account: ChannelAccount, messages: Sequence[OutboundMessage], sender: Sender | None = None
) -> list[SendResult]:
    """Send a batch through one account over one connection; one result per message, in order.

    `sender`: an open sender of this account (`with get_sender(account) as sender:`) to reuse across
    several calls, so a caller that checks something between chunks keeps one connection; it is left open.

    Refuses (without contacting the provider) messages of a disabled account, to suppressed
    addresses, to addresses that cannot be read, and messages of another merchant. Records one
    `SentMessage` per attempted message in a single upsert, so delivery events can find it.
    Never call inside a transaction: a rollback after a provider accepted would lose the record.
    """
    results: list[SendResult | None] = [None] * len(messages)
    if not account.is_usable:
        return [SendResult.permanent(ACCOUNT_DISABLED, _("This channel account is disabled.")) for _m in messages]

    hashes: dict[int, tuple[str, str]] = {}
    for i, message in enumerate(messages):
        if message.merchant_id != account.merchant_id:
            results[i] = SendResult.permanent("wrong_merchant", "the message belongs to another merchant")
            continue
        if message.channel in ADDRESSLESS_CHANNELS:
            continue
        try:
            hashes[i] = hash_address(merchant_id=account.merchant_id, channel=message.channel, address=message.to)
        except InvalidAddress as exc:
            results[i] = SendResult.permanent(INVALID_ADDRESS, str(exc))

    locked = _lock_addresses_for_send(
        [_address_lock_key(account.merchant_id, messages[i].channel, h) for i, (_n, h) in hashes.items()]
    )
    try:
        blocked = suppressed_scopes(
            merchant_id=account.merchant_id, pairs={(messages[i].channel, h) for i, (_n, h) in hashes.items()}
        )
        for i, (_normalized, digest) in hashes.items():
            scope = blocked.get((messages[i].channel, digest))
            if scope and (scope == SuppressionEntry.Scope.ALL or messages[i].message_class == "review_request"):
                results[i] = SendResult.permanent(SUPPRESSED, _("The recipient is on the suppression list."))

        to_send = [i for i, r in enumerate(results) if r is None]
        if to_send:
            with contextlib.nullcontext(sender) if sender is not None else get_sender(account) as open_sender:
                for i in to_send:
                    results[i] = _send_one(open_sender, messages[i])
    finally:
        _unlock_addresses(locked)
    if to_send:
        _record_sent(account, [(messages[i], results[i], hashes.get(i)) for i in to_send])
        _record_account_health(account, [results[i] for i in to_send])
        _suppress_from_results(account, [(messages[i], results[i]) for i in to_send])
    return results


def _send_one(sender: Sender, message: OutboundMessage) -> SendResult:
    """A sender answers with a SendResult; should one still raise, the message may have gone out:
    it is `unknown` (never resent automatically) and the rest of the batch goes on."""
    try:
        return sender.send(message)
    except Exception as exc:  # noqa: BLE001  (any escape means "we cannot tell whether it was sent")
        logger.exception("sender %s raised for message %s", sender.kind, message.message_ref)
        return SendResult.unknown("sender_error", f"{type(exc).__name__}: {exc}")


def send_message(*, account: ChannelAccount, message: OutboundMessage) -> SendResult:
    return send_messages(account=account, messages=[message])[0]


def _record_sent(account: ChannelAccount, sent: list[tuple[OutboundMessage, SendResult, tuple[str, str] | None]]):
    now = timezone.now()
    rows = [
        SentMessage(
            merchant_id=account.merchant_id,
            account=account,
            kind=account.kind,
            channel=message.channel,
            message_ref=message.message_ref,
            provider_message_id=result.provider_message_id[:255],
            recipient=(address[0] if address else (message.amazon_order_id or message.to))[:320],
            recipient_hash=address[1] if address else "",
            status=STATUS_BY_OUTCOME[result.outcome],
            error_code=result.error_code[:64],
            detail=result.detail[:500],
            attempts=1,
            sent_at=now if result.accepted else None,
            status_changed_at=now,
        )
        for message, result, address in sent
    ]
    SentMessage.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["message_ref"],
        update_fields=[
            "account",
            "kind",
            "provider_message_id",
            "status",
            "error_code",
            "detail",
            "sent_at",
            "status_changed_at",
        ],
    )
    _reconcile_early_events([m.message_ref for m, _r, _a in sent])


def _reconcile_early_events(message_refs: list[str]) -> None:
    """A status callback can beat our own record of the send: attach and apply such events now."""
    early = []
    for start in range(0, len(message_refs), 500):
        early += DeliveryEvent.objects.filter(
            message_ref__in=message_refs[start : start + 500], sent_message__isnull=True
        ).values_list("id", flat=True)
    for event_id in early:
        _apply_event_to_message(event_id, force=True)


def _suppress_from_results(account: ChannelAccount, sent: list[tuple[OutboundMessage, SendResult]]) -> None:
    for message, result in sent:
        reason = {
            "opted_out": SuppressionEntry.Reason.STOP_KEYWORD,
            INVALID_ADDRESS: SuppressionEntry.Reason.INVALID,
            "not_mobile": SuppressionEntry.Reason.INVALID,
        }.get(result.error_code)
        if reason and message.to:
            try:
                suppress(
                    merchant=account.merchant,
                    channel=message.channel,
                    address=message.to,
                    reason=reason,
                    source=f"{account.get_kind_display()}: {result.detail}"[:200],
                )
            except InvalidAddress:
                continue


def test_message(
    *,
    account: ChannelAccount,
    to: str,
    channel: str | None = None,
    language: str = "en",
    push_target: PushTarget | None = None,
) -> OutboundMessage:
    """The fixed message of the "test send" button (push: `push_target` is the typed token / subscription)."""
    channel = channel or account.channel or Channel.EMAIL
    text = _(
        "This is a test message from Linkstar for the channel account “%(name)s”. "
        "If you can read it, the account works."
    ) % {"name": account.name}
    is_amazon = channel in (Channel.AMAZON, Channel.AMAZON_MESSAGING)
    return OutboundMessage(
        merchant_id=account.merchant_id,
        message_ref=str(uuid.uuid4()),
        channel=channel,
        to=_("test device") if channel == Channel.PUSH else ("" if is_amazon else to),
        subject=_("Linkstar test message") if channel in (Channel.EMAIL, Channel.PUSH) else "",
        text_body=text,
        html_body=f"<p>{text}</p>" if channel == Channel.EMAIL else "",
        metadata={"test": "1"},
        content_sid=(account.config or {}).get("test_content_sid", "") if channel == Channel.WHATSAPP else "",
        content_variables={"1": account.name} if channel == Channel.WHATSAPP else {},
        amazon_order_id=to if is_amazon else "",
        push_target=push_target if channel == Channel.PUSH else None,
        push_link=settings.PUBLIC_BASE_URL + "/" if channel == Channel.PUSH else "",
        language=language,
        message_class="test",
    )


def test_send(
    *, account: ChannelAccount, to: str, channel: str | None = None, push_target: PushTarget | None = None
) -> SendResult:
    """Send the fixed test message and keep what the provider answered on the account.

    Amazon accounts only ask which solicitations (or buyer-seller messages) the typed order offers: a
    test must never send a real message to a real Amazon buyer. Push accounts send the test push to the
    device token or browser subscription typed on the page.
    """
    message = test_message(account=account, to=to, channel=channel, push_target=push_target)
    if account.kind in ("amazon_solicitations", "amazon_messaging"):
        with get_sender(account) as sender:
            result = sender.check_order(message)
        _record_account_health(account, [result])
    else:
        result = send_message(account=account, message=message)
    now = timezone.now()
    if result.accepted:
        ChannelAccount.objects.filter(pk=account.pk).update(verified_at=now, updated_at=now)
        account.verified_at = now
    elif result.error_code not in (SUPPRESSED, ACCOUNT_DISABLED):
        ChannelAccount.objects.filter(pk=account.pk).update(last_error=result.detail[:500], last_error_at=now)
        account.last_error = result.detail[:500]
    return result


# -- suppression -----------------------------------------------------------------------------
def _resolve_hash(*, merchant_id: int, channel: str, address: str | None, address_hash: str | None) -> tuple[str, str]:
    if address:
        return hash_address(merchant_id=merchant_id, channel=channel, address=address)
    if address_hash:
        return "", address_hash
    raise InvalidAddress("an address or its hash is needed")


def suppress(
    *,
    merchant,
    channel: str,
    reason: str,
    address: str | None = None,
    address_hash: str | None = None,
    scope: str = SuppressionEntry.Scope.ALL,
    source: str = "",
    source_event: DeliveryEvent | None = None,
) -> SuppressionEntry:
    """Put an address on the merchant's suppression list at once (idempotent).

    An existing entry keeps its first reason; a wider scope ("all messages") replaces a narrower one.
    Raises InvalidAddress when the address cannot be normalised.
    """
    if channel not in (Channel.EMAIL, Channel.SMS, Channel.WHATSAPP):
        raise InvalidAddress(f"the {channel} channel has no suppression list")
    normalized, digest = _resolve_hash(
        merchant_id=merchant.pk, channel=channel, address=address, address_hash=address_hash
    )
    with transaction.atomic():
        _lock_address_for_suppression(merchant.pk, channel, digest)
        entry, created = SuppressionEntry.objects.select_for_update().get_or_create(
            merchant=merchant,
            channel=channel,
            address_hash=digest,
            defaults={
                "address": normalized,
                "reason": reason,
                "scope": scope,
                "source": source[:200],
                "source_event": source_event,
            },
        )
        if not created:
            changed = []
            if scope == SuppressionEntry.Scope.ALL and entry.scope != scope:
                entry.scope = scope
                changed.append("scope")
            if normalized and not entry.address:
                entry.address = normalized
                changed.append("address")
            if changed:
                entry.save(update_fields=[*changed, "updated_at"])
    return entry


def unsuppress(*, merchant, channel: str, address: str | None = None, address_hash: str | None = None) -> int:
    """Lift a suppression (a START reply, or the merchant removing an entry). Returns rows removed."""
    _normalized, digest = _resolve_hash(
        merchant_id=merchant.pk, channel=channel, address=address, address_hash=address_hash
    )
    deleted, _detail = (
        SuppressionEntry.objects.for_merchant(merchant).matching(channel=channel, address_hash=digest).delete()
    )
    return deleted


def remove_suppression(*, entry: SuppressionEntry) -> None:
    entry.delete()


def erase_addresses(*, merchant, address_hashes: Sequence[str]) -> int:
    """Forget the clear-text addresses behind these hashes (erasure); suppressions keep matching by hash."""
    hashes = list(address_hashes)
    refs = SentMessage.objects.for_merchant(merchant).filter(recipient_hash__in=hashes).values("message_ref")
    count = OutboxMessage.objects.for_merchant(merchant).filter(message_ref__in=refs).update(to="")
    count += SuppressionEntry.objects.for_merchant(merchant).filter(address_hash__in=hashes).update(address="")
    count += SentMessage.objects.for_merchant(merchant).filter(recipient_hash__in=hashes).update(recipient="")
    return count


def erase_recipient(*, merchant, email: str = "", phone: str = "") -> int:
    """A buyer's erasure: their addresses stay suppressed by hash only (never contacted again, even when
    re-imported), and every clear-text copy here is forgotten: sent-message recipients, outbox copies,
    suppression entries and the payloads of their delivery events. Run inside the erasure's transaction;
    sends to these addresses that already started finish first (address locks), none starts afterwards.
    """
    hashes = []
    for channel, address in ((Channel.EMAIL, email), (Channel.SMS, phone), (Channel.WHATSAPP, phone)):
        if not address:
            continue
        try:
            _normalized, digest = hash_address(merchant_id=merchant.pk, channel=channel, address=address)
        except InvalidAddress:
            continue
        suppress(
            merchant=merchant, channel=channel, address_hash=digest, reason=SuppressionEntry.Reason.ERASED,
            source=_("Personal data erased"),
        )  # fmt: skip
        hashes.append(digest)
    if not hashes:
        return 0
    count = erase_addresses(merchant=merchant, address_hashes=hashes)
    count += DeliveryEvent.objects.for_merchant(merchant).filter(recipient_hash__in=hashes).update(payload={})
    return count


def unsubscribe(
    *, token: str, scope: str = SuppressionEntry.Scope.ALL, one_click: bool = False
) -> SuppressionEntry | None:
    """The buyer's unsubscribe (link button or RFC 8058 one-click POST). None for a bad token."""
    from accounts.models import Merchant

    claim = read_token(token)
    if claim is None:
        return None
    merchant = Merchant.objects.filter(pk=claim.merchant_id).first()
    if merchant is None:
        return None
    if scope not in SuppressionEntry.Scope.values:
        scope = SuppressionEntry.Scope.ALL
    sent = SentMessage.objects.filter(merchant=merchant, message_ref=claim.message_ref).first()
    address = sent.recipient if sent is not None and sent.recipient_hash == claim.address_hash else ""
    occurred = timezone.now()
    with transaction.atomic():
        event = _store_event(
            merchant_id=merchant.pk,
            account_id=sent.account_id if sent else None,
            event=ProviderEvent(
                provider="linkstar",
                provider_event_id=f"unsubscribe:{claim.message_ref}:{claim.channel}:{claim.address_hash[:16]}",
                event_type=DeliveryEvent.Type.UNSUBSCRIBED,
                occurred_at=occurred,
                message_ref=claim.message_ref,
                channel=claim.channel,
                detail=_("One-click unsubscribe") if one_click else _("Unsubscribe page"),
                payload={"scope": scope, "one_click": one_click},
            ),
            recipient_hash=claim.address_hash,
        )
        entry = suppress(
            merchant=merchant,
            channel=claim.channel,
            address=address or None,
            address_hash=claim.address_hash,
            reason=SuppressionEntry.Reason.UNSUBSCRIBE,
            scope=scope,
            source=_("Unsubscribe link"),
            source_event=event,
        )
    return entry


# -- delivery events -------------------------------------------------------------------------
SECRET_WORDS = ("signature", "secret", "password", "auth", "token", "credential", "api_key", "apikey")
MAX_TEXT = 2000


def scrub(payload):
    """The payload as kept: no signatures, tokens or secrets, long texts cut."""
    if isinstance(payload, dict):
        return {
            str(k): scrub(v)
            for k, v in payload.items()
            if not any(word in str(k).lower().replace("-", "_") for word in SECRET_WORDS)
        }
    if isinstance(payload, list):
        return [scrub(v) for v in payload[:100]]
    if isinstance(payload, str):
        return payload if len(payload) <= MAX_TEXT else payload[:MAX_TEXT] + "…"
    if isinstance(payload, int | float | bool) or payload is None:
        return payload
    return str(payload)[:MAX_TEXT]


def _store_event(*, merchant_id: int, account_id: int | None, event: ProviderEvent, recipient_hash: str = ""):
    """Insert one event; None when the provider already sent this event id (a replay)."""
    sent = _find_sent_message(merchant_id, event)
    try:
        with transaction.atomic():
            row = DeliveryEvent.objects.create(
                merchant_id=merchant_id,
                account_id=account_id,
                sent_message=sent,
                provider=event.provider,
                provider_event_id=event.provider_event_id[:255],
                message_ref=(event.message_ref or (sent.message_ref if sent else ""))[:64],
                event_type=event.event_type,
                recipient_hash=recipient_hash,
                detail=event.detail[:500],
                payload=scrub(event.payload),
                occurred_at=event.occurred_at,
            )
    except IntegrityError:
        return None
    # robust: with the broker down the provider still gets its 2xx (the event is stored); the sweep below
    # processes what no task picked up
    transaction.on_commit(lambda: _queue_processing(row.pk), robust=True)
    return row


def _queue_processing(event_id: int) -> None:
    from .tasks import process_delivery_event_task

    process_delivery_event_task.delay(event_id)


def _find_sent_message(merchant_id: int, event: ProviderEvent) -> SentMessage | None:
    query = Q()
    if event.message_ref:
        query |= Q(message_ref=event.message_ref)
    if event.provider_message_id:
        query |= Q(provider_message_id=event.provider_message_id)
    if not query:
        return None
    return SentMessage.objects.filter(query, merchant_id=merchant_id).order_by("-id").first()


def record_provider_events(*, account: ChannelAccount, events: Sequence[ProviderEvent]) -> list[DeliveryEvent]:
    """Store verified provider events (deduplicated by provider event id) and act on suppressions at once.

    Status changes and listeners run in a task after commit (`process_delivery_event`).
    Returns the events that were new.
    """
    new = []
    with transaction.atomic():
        for event in events:
            channel = event.channel or account.channel
            recipient_hash = ""
            if event.recipient and channel in (Channel.EMAIL, Channel.SMS, Channel.WHATSAPP):
                try:
                    _n, recipient_hash = hash_address(
                        merchant_id=account.merchant_id, channel=channel, address=event.recipient
                    )
                except InvalidAddress:
                    recipient_hash = ""
            row = _store_event(
                merchant_id=account.merchant_id, account_id=account.pk, event=event, recipient_hash=recipient_hash
            )
            if row is None:
                continue
            new.append(row)
            if recipient_hash and event.suppress:
                suppress(
                    merchant=account.merchant,
                    channel=channel,
                    address=event.recipient,
                    reason=event.suppress,
                    source=f"{account.get_kind_display()}: {event.detail or event.event_type}"[:200],
                    source_event=row,
                )
            elif recipient_hash and event.resubscribe:
                unsuppress(merchant=account.merchant, channel=channel, address_hash=recipient_hash)
    return new


STATUS_BY_EVENT = {
    DeliveryEvent.Type.SENT: SentMessage.Status.SENT,
    DeliveryEvent.Type.DELIVERED: SentMessage.Status.DELIVERED,
    DeliveryEvent.Type.BOUNCED: SentMessage.Status.BOUNCED,
    DeliveryEvent.Type.FAILED: SentMessage.Status.FAILED,
}


def advance_status(*, sent_message_id: int, status: str, at: dt.datetime) -> bool:
    """Move a message's status forward by rank only; failures and bounces are terminal."""
    rank = SentMessage.RANK[status]
    lower = [s for s, r in SentMessage.RANK.items() if r < rank]
    changed = SentMessage.objects.filter(pk=sent_message_id, status__in=lower).update(
        status=status, status_changed_at=at
    )
    return changed == 1


def _apply_event_to_message(event_id: int, *, force: bool = False) -> None:
    event = DeliveryEvent.objects.filter(pk=event_id).first()
    if event is None:
        return
    sent = event.sent_message
    if sent is None and event.message_ref:
        sent = SentMessage.objects.filter(merchant_id=event.merchant_id, message_ref=event.message_ref).first()
        if sent is not None:
            DeliveryEvent.objects.filter(pk=event.pk).update(sent_message=sent)
    if sent is not None and event.event_type in STATUS_BY_EVENT and (force or event.processed_at is None):
        advance_status(sent_message_id=sent.pk, status=STATUS_BY_EVENT[event.event_type], at=event.occurred_at)


def process_pending_delivery_events(*, older_than: dt.timedelta = dt.timedelta(minutes=1), limit: int = 5000) -> int:
    """The beat sweep: stored events no task processed (the broker was down or lost its queue)."""
    cutoff = timezone.now() - older_than
    ids = list(
        DeliveryEvent.objects.filter(processed_at__isnull=True, received_at__lt=cutoff)
        .order_by("received_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    for event_id in ids:
        process_delivery_event(event_id=event_id)
    return len(ids)


def process_delivery_event(*, event_id: int) -> None:
    """Apply a stored event to its message's status and tell the listeners, once."""
    with transaction.atomic():
        event = DeliveryEvent.objects.select_for_update().filter(pk=event_id, processed_at__isnull=True).first()
        if event is None:
            return
        _apply_event_to_message(event.pk)
        event.processed_at = timezone.now()
        event.save(update_fields=["processed_at"])
        payload = {
            "merchant_id": event.merchant_id,
            "message_ref": event.message_ref,
            "event_type": event.event_type,
            "occurred_at": event.occurred_at,
            "provider_event_id": event.provider_event_id,
            "detail": event.detail,
        }
        transaction.on_commit(lambda: notify_listeners(**payload))


def record_tracking_event(
    *, merchant_id: int, message_ref: str, event_type: str, occurred_at: dt.datetime | None = None, detail: str = ""
) -> DeliveryEvent | None:
    """An open or a click seen by Linkstar itself (open pixel, tracked link), stored like a provider's event.

    At most one per message and type (the later ones are the same fact): returns the new event, or None
    when this message already has one. Listeners hear about it after commit, as for providers' events.
    """
    if event_type not in (DeliveryEvent.Type.OPENED, DeliveryEvent.Type.CLICKED):
        raise ValueError(f"not a tracking event: {event_type}")
    sent = SentMessage.objects.filter(merchant_id=merchant_id, message_ref=message_ref).first()
    event = ProviderEvent(
        provider="linkstar",
        provider_event_id=f"{event_type}:{message_ref}",
        event_type=event_type,
        occurred_at=occurred_at or timezone.now(),
        message_ref=message_ref,
        detail=detail,
    )
    return _store_event(merchant_id=merchant_id, account_id=sent.account_id if sent else None, event=event)
