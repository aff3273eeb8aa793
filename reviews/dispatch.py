"""Dispatch: send planned messages exactly once (beat kicks workers; each worker loops over batches).

1. **Claim** due messages in a short transaction (`SELECT … FOR UPDATE SKIP LOCKED`), mark them `sending`
   with a lease and this worker's token, commit. Any number of workers share the work.
2. **Check** each message, in this order: campaign active (stopped: skip; paused: wait), merchant not
   paused, global stop, then per channel of the plan: contact, test allow-list, suppression, consent
   (marketing class); then the frequency cap per buyer identity (race-free: a transaction-scoped
   advisory lock per identity), the sending window, the account's send rate, the template, the budget
   (`billing.services.authorize_send`). A channel that cannot be used falls through to the next one.
3. **Send** outside any transaction, one sender (one SMTP / HTTP connection) per account for the whole
   batch, in chunks; before each chunk the stop flags are read again, so a pause or an emergency stop
   holds within a chunk.
4. **Record** each chunk's results, attempts, usage (`record_usage`) and statuses in one transaction, each
   message by a conditional update on (status `sending`, this worker's token): a row that changed
   meanwhile belongs to someone else and is left alone.

A claimed message whose lease runs out (the worker died between the provider's answer and the commit)
becomes `unknown` and is never resent; the merchant sees it in the send log. Temporary failures retry with
exponential backoff up to `REVIEWS_MAX_ATTEMPTS`; permanent failures fall back to the next channel.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Merchant
from billing import services as billing
from channels import services as channels
from channels.ratelimit import TokenBucket
from channels.senders import OutboundMessage, Outcome, PushTarget, SendResult
from linkstar.identity import InvalidAddress, normalize_email, normalize_phone
from orders import selectors as order_selectors
from orders import services as order_services
from orders.models import Buyer
from templates_review import selectors as template_selectors
from templates_review.linting import count_segments
from templates_review.rendering import RenderLimitError
from templates_review.services import RenderError, render_for_send

from . import links, notices, rules
from .codes import BUDGET_WAIT_CODES, Code
from .models import (
    BILLING_CHANNEL,
    COUNTED_STATUSES,
    PUSH_CHANNELS,
    TEMPLATE_CHANNEL,
    AccountRate,
    Campaign,
    CampaignStatus,
    Channel,
    Message,
    MessageAttempt,
    MessageStatus,
    SendingSwitch,
)
from .windows import next_opening, zone

logger = logging.getLogger(__name__)

REVIEW_LINK_SALT = links.REVIEW_LINK_SALT


def _setting(name: str, default):
    return getattr(settings, name, default)


def lease_seconds() -> int:
    return int(_setting("REVIEWS_LEASE_SECONDS", 300))


def batch_size() -> int:
    return int(_setting("REVIEWS_BATCH_SIZE", 500))


def chunk_size() -> int:
    return max(1, int(_setting("REVIEWS_SEND_CHUNK", 100)))


def max_attempts() -> int:
    return int(_setting("REVIEWS_MAX_ATTEMPTS", 5))


def backoff(attempt: int) -> dt.timedelta:
    """1, 2, 4, 8 … minutes, at most an hour."""
    return dt.timedelta(minutes=min(60, 2 ** max(0, attempt - 1)))


# --- the stop flags, read again at most every REVIEWS_STOP_CHECK_SECONDS -----------------------------


def global_stop() -> SendingSwitch | None:
    return SendingSwitch.objects.filter(stopped=True).first()


class StopFlags:
    """Campaign, merchant and global stop states for a batch, refreshed while the batch sends."""

    def __init__(self, campaign_ids, merchant_ids):
        self.campaign_ids = set(campaign_ids)
        self.merchant_ids = set(merchant_ids)
        self.read_at = 0.0
        self.refresh(force=True)

    def refresh(self, *, force: bool = False) -> None:
        if not force and time.monotonic() - self.read_at < float(_setting("REVIEWS_STOP_CHECK_SECONDS", 1.0)):
            return
        self.campaigns = dict(Campaign.objects.filter(pk__in=self.campaign_ids).values_list("pk", "status"))
        self.merchants = dict(Merchant.objects.filter(pk__in=self.merchant_ids).values_list("pk", "status"))
        self.stopped = SendingSwitch.objects.filter(stopped=True).exists()
        self.read_at = time.monotonic()

    def hold(self, message: Message) -> str | None:
        """Why this message must not go out now: a code, or None."""
        if self.stopped:
            return Code.GLOBAL_STOP
        status = self.campaigns.get(message.campaign_id)
        if status == CampaignStatus.STOPPED:
            return Code.CAMPAIGN_STOPPED
        if status != CampaignStatus.ACTIVE:
            return Code.CAMPAIGN_PAUSED
        if self.merchants.get(message.merchant_id) != Merchant.Status.ACTIVE:
            return Code.MERCHANT_PAUSED
        return None


# --- claiming ------------------------------------------------------------------------------------------


def expire_leases(*, now: dt.datetime | None = None) -> int:
    """Claimed messages whose worker went silent become `unknown`: maybe sent, never resent."""
    now = now or timezone.now()
    ids = list(
        Message.objects.filter(status=MessageStatus.SENDING, lease_until__lt=now).values_list("pk", flat=True)[:1000]
    )
    if not ids:
        return 0
    return Message.objects.filter(pk__in=ids, status=MessageStatus.SENDING, lease_until__lt=now).update(
        status=MessageStatus.UNKNOWN, reason_code=Code.LEASE_EXPIRED, reason_detail="", updated_at=now
    )


def claim(*, now: dt.datetime, limit: int, token: str) -> list[int]:
    """Take up to `limit` due messages for this worker; other workers skip the rows locked here."""
    if global_stop() is not None:
        return []
    with transaction.atomic():
        ids = list(
            Message.objects.due(now)
            .filter(campaign__status=CampaignStatus.ACTIVE, merchant__status=Merchant.Status.ACTIVE)
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("send_at", "id")
            .values_list("pk", flat=True)[:limit]
        )
        if ids:
            Message.objects.filter(pk__in=ids, status=MessageStatus.PLANNED).update(
                status=MessageStatus.SENDING,
                lease_until=now + dt.timedelta(seconds=lease_seconds()),
                lease_token=token,
                updated_at=now,
            )
    return ids


# --- writing outcomes (conditional on this worker still owning the rows) -----------------------------------


@dataclass
class Change:
    """New values for one claimed message, written only where this worker still owns the row."""

    message: Message
    fields: dict
    kind: str = ""  # "skipped" / "waiting": counted in the batch result when written
    code: str = ""


def _finish_fields(status: str, code: str = "", detail: str = "", **fields) -> dict:
    return {"status": status, "reason_code": code, "reason_detail": detail[:300], "lease_until": None, **fields}


def _release_fields(send_at: dt.datetime, code: str, detail: str = "", **fields) -> dict:
    """Back to `planned` (a wait, a retry or the next channel); it stops counting against the cap."""
    return _finish_fields(MessageStatus.PLANNED, code, detail, send_at=send_at, counted_at=None, **fields)


def _apply(changes: list[Change], token: str, *, status: str = MessageStatus.SENDING) -> set[int]:
    """Write the changes to the rows still in `status` under this worker's token; return the ids written.

    One UPDATE … RETURNING per set of changed fields (values that differ between rows come from arrays), each
    conditional on (status, worker token): a row that changed hands meanwhile (its lease ran out) is left
    alone, and PostgreSQL re-checks the condition on a row another transaction is changing at that moment.
    """
    if not changes:
        return set()
    now = timezone.now()
    groups: dict[tuple[str, ...], list[Change]] = defaultdict(list)
    for change in changes:
        groups[tuple(sorted(change.fields))].append(change)
    owned: set[int] = set()
    with transaction.atomic(savepoint=False):
        for names, group in groups.items():
            owned |= _update_owned(group, names, token=token, status=status, now=now)
    for change in changes:
        if change.message.pk in owned:
            for name, value in change.fields.items():
                setattr(change.message, name, value)
            change.message.updated_at = now
    return owned


def _update_owned(group: list[Change], names: tuple[str, ...], *, token: str, status: str, now) -> set[int]:
    pks = [c.message.pk for c in group]
    if connection.vendor != "postgresql":  # SQLite (the demo): lock-free, one writer at a time
        owned = set(Message.objects.filter(pk__in=pks, status=status, lease_token=token).values_list("pk", flat=True))
        rows = []
        for change in group:
            if change.message.pk in owned:
                row = Message(pk=change.message.pk, updated_at=now, **change.fields)
                rows.append(row)
        Message.objects.bulk_update(rows, [*names, "updated_at"])
        return owned
    meta, quote = Message._meta, connection.ops.quote_name
    sets, params, columns, arrays = [], [], ["id"], [pks]
    types = ["bigint"]
    for name in (*names, "updated_at"):
        field = meta.get_field(name)
        values = [now] if name == "updated_at" else [c.fields[name] for c in group]
        if len(set(values)) == 1:
            sets.append(f"{quote(field.column)} = %s")
            params.append(field.get_db_prep_save(values[0], connection))
        else:
            sets.append(f"{quote(field.column)} = v.{quote(field.column)}")
            columns.append(quote(field.column))
            types.append(field.db_type(connection))
            arrays.append([field.get_db_prep_save(v, connection) for v in values])
    table = quote(meta.db_table)
    # Identifiers and types come from the model's own metadata; every value is a parameter.
    if len(columns) == 1:
        sql = (
            f"UPDATE {table} SET {', '.join(sets)} WHERE id = ANY(%s) AND status = %s AND lease_token = %s RETURNING id"  # noqa: S608
        )
        params += [pks, status, token]
    else:
        source = ", ".join(f"%s::{t}[]" for t in types)
        sql = (
            f"UPDATE {table} AS m SET {', '.join(sets)} FROM unnest({source}) AS v({', '.join(columns)}) "  # noqa: S608
            f"WHERE m.id = v.id AND m.status = %s AND m.lease_token = %s RETURNING m.id"
        )
        params += [*arrays, status, token]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {row[0] for row in cursor.fetchall()}


# --- preparing one message ----------------------------------------------------------------------------


@dataclass
class Candidate:
    """A message with a usable channel, before its frequency cap, window, rate and budget checks."""

    message: Message
    index: int
    step: object
    address: str
    version: object


@dataclass
class Ready:
    message: Message
    outbound: OutboundMessage
    plan_index: int
    channel: str
    account: object
    version_id: int | None
    quantity: int
    cost: object = None  # what the budget reserved (Decimal), what sending bills unless the reservation changed
    currency: str = ""


@dataclass
class BatchResult:
    claimed: int = 0
    sent: int = 0
    failed: int = 0
    skipped: int = 0
    waiting: int = 0
    unknown: int = 0
    lost: int = 0  # results for rows someone else owned by then
    codes: dict[str, int] = field(default_factory=dict)

    def count(self, code: str) -> None:
        if code:
            self.codes[code] = self.codes.get(code, 0) + 1


def _lock_number(key: str) -> int:
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)


def _advisory_locks(keys) -> None:
    """Transaction-scoped advisory locks on all `keys`, taken in one statement in ascending order (every
    dispatcher takes them in the same order, so two chunks sharing buyers cannot deadlock)."""
    if connection.vendor != "postgresql":
        return  # SQLite (the demo) runs write transactions one at a time anyway
    numbers = sorted({_lock_number(key) for key in keys})
    if numbers:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(pg_advisory_xact_lock(k)) FROM unnest(%s::bigint[]) AS k", [numbers])


def _allowed_in_test_mode(campaign, channel: str, address: str, order) -> bool:
    allowed = set()
    for raw in campaign.test_recipients or []:
        value = str(raw).strip()
        try:
            allowed.add(normalize_email(value) if "@" in value else normalize_phone(value))
        except InvalidAddress:
            allowed.add(value)
    if channel == Channel.AMAZON:
        return order.external_id in allowed
    try:
        normalized = normalize_email(address) if channel == Channel.EMAIL else normalize_phone(address)
    except InvalidAddress:
        return False
    return normalized in allowed


def _template_version(campaign, step, variant_name: str, buyer, store, cache: dict):
    if step.channel == Channel.AMAZON:
        return None
    name = step.template_name
    if variant_name:
        variant = next((v for v in campaign.variants.all() if v.name == variant_name), None)
        if variant is not None and variant.template_name:
            name = variant.template_name
    locale = (buyer.language if buyer and buyer.language else "") or store.default_language or "en"
    key = (campaign.merchant_id, campaign.purpose, step.channel, locale, store.default_language, name)
    if key not in cache:
        cache[key] = template_selectors.approved_version_for(
            merchant=campaign.merchant,
            purpose=campaign.purpose,
            channel=TEMPLATE_CHANNEL[step.channel],
            locale=locale,
            fallback_locale=store.default_language or "en",
            name=name or None,
        )
    return cache[key]


def warm_up() -> None:
    """Load once, before a worker process claims anything, what its first batch would otherwise load while its
    lease runs: the URL resolver (review links) and the country list (billing's checks)."""
    from billing.countries import country_codes

    reverse("reviews:review_link", kwargs={"token": "warm-up"})
    country_codes()


def review_link(message: Message) -> str:
    """The buyer's review link: our signed message reference (see reviews.links)."""
    return links.review_url(message.ref)


def support_link(message: Message) -> str:
    """The campaign's own support page when it has one, else Linkstar's help page for this order."""
    return message.campaign.support_url or links.help_url(order_id=message.order_id, message_ref=message.ref)


def open_pixel_allowed(message: Message, version) -> bool:
    """An open pixel only in our own HTML email, never for an Amazon order, never where the template's
    marketplace profile forbids remote content (Amazon's), and only if the campaign tracks opens."""
    from templates_review.linting.profiles import MARKETPLACE_RULES

    if not message.campaign.track_opens or message.order.store.is_amazon:
        return False
    buyer = message.buyer
    if buyer is not None and buyer.email_is_relay:
        return False
    marketplace = getattr(getattr(version, "template", None), "marketplace", "") or ""
    return "amazon.remote_content" not in MARKETPLACE_RULES.get(marketplace, frozenset()) and marketplace != "amazon"


def with_open_pixel(html: str, url: str) -> str:
    pixel = f'<img src="{url}" width="1" height="1" alt="" style="display:block;border:0;width:1px;height:1px">'
    lowered = html.lower()
    at = lowered.rfind("</body>")
    return html[:at] + pixel + html[at:] if at != -1 else html + pixel


def render_context(message: Message, *, address: str, channel: str) -> dict:
    order, buyer, store = message.order, message.buyer, message.order.store
    first, _sep, last = (buyer.name if buyer else "").partition(" ")
    language = (buyer.language if buyer else "") or store.default_language or "en"
    tracking = notices.tracking_of(message)
    return {
        "buyer": {
            "first_name": (buyer.first_name if buyer else "") or first,
            "last_name": (buyer.last_name if buyer else "") or last,
            "name": buyer.name if buyer else "",
        },
        "order": {
            "number": order.display_number,
            "items": [{"title": i.title, "sku": i.sku, "quantity": i.quantity} for i in order.items.all()],
            "carrier": tracking.carrier,
            "tracking_number": tracking.number,
        },
        "tracking_link": tracking.link,
        "store": {"name": store.name, "postal_address": store.postal_address},
        "review_link": review_link(message),
        "support_link": support_link(message),
        # a push has no address to unsubscribe (the buyer turns notifications off on the device)
        "unsubscribe_link": ""
        if channel in PUSH_CHANNELS
        else channels.build_unsubscribe_url(
            merchant_id=message.merchant_id,
            message_ref=message.ref,
            channel=channel,
            address=address,
            language="zh-hans" if language.lower().startswith("zh") else language,
        ),
    }


def _resolve(path: str, context: dict) -> str:
    value = context
    for part in str(path).split("."):
        value = value.get(part, "") if isinstance(value, dict) else ""
    return str(value)


def _amazon_dt(value: dt.date | None) -> dt.datetime | None:
    return dt.datetime.combine(value, dt.time(0), tzinfo=dt.UTC) if value else None


def _outbound(message: Message, *, channel: str, account, address: str, version, push=None) -> OutboundMessage | str:
    """The rendered message, or a code saying why it cannot be rendered (`push`: the step's subscription)."""
    order, buyer = message.order, message.buyer
    language = ((buyer.language if buyer else "") or order.store.default_language or "en").lower()
    message_class = notices.outbound_class(message.campaign)
    if channel == Channel.AMAZON:
        return OutboundMessage(
            merchant_id=message.merchant_id,
            message_ref=message.ref,
            channel=Channel.AMAZON,
            amazon_order_id=order.external_id,
            marketplace_id=next(iter(account.amazon_marketplaces or []), ""),
            amazon_earliest_delivery=_amazon_dt(order.earliest_delivery_date),
            amazon_latest_delivery=_amazon_dt(order.latest_delivery_date or order.earliest_delivery_date),
            language=language,
            message_class=message_class,
        )
    context = render_context(message, address=address, channel=channel)
    try:
        try:
            rendered = render_for_send(version=version, context=context)
        except RenderLimitError:
            # The time bound is wall-clock: a loaded machine can stall one render. A template that really is too
            # slow (or too long) fails again, and only then is the message skipped.
            rendered = render_for_send(version=version, context=context)
    except RenderError as exc:
        return f"{Code.RENDER_FAILED}:{exc}"
    html = rendered.html if channel == Channel.EMAIL else ""
    if html and open_pixel_allowed(message, version):
        html = with_open_pixel(html, links.open_pixel_url(message.ref))
    fields = {}
    if channel in PUSH_CHANNELS:
        return _push_outbound(message, push=push, rendered=rendered, language=language, message_class=message_class)
    if channel == Channel.WHATSAPP:
        fields = {
            "content_sid": version.whatsapp_content_sid,
            "content_variables": {k: _resolve(v, context) for k, v in (version.whatsapp_variables or {}).items()},
        }
    return OutboundMessage(
        merchant_id=message.merchant_id,
        message_ref=message.ref,
        channel=channel,
        to=address,
        subject=rendered.subject if channel == Channel.EMAIL else "",
        text_body=rendered.text,
        html_body=html,
        metadata={"campaign": str(message.campaign_id), "step": str(message.step)},
        language=language,
        message_class=message_class,
        **fields,
    )


# --- push steps (app push, web push): the buyer's registered device instead of an address ------------------


def _push_outbound(message: Message, *, push, rendered, language: str, message_class: str) -> OutboundMessage | str:
    if push is None:
        return f"{Code.RENDER_FAILED}:no push subscription"
    return OutboundMessage(
        merchant_id=message.merchant_id,
        message_ref=message.ref,
        channel="push",
        to=push.label,
        subject=rendered.subject,
        text_body=rendered.text,
        push_target=PushTarget(**order_selectors.push_target_values(push)),
        push_link=rendered.link or review_link(message),
        metadata={"campaign": str(message.campaign_id), "step": str(message.step)},
        language=language,
        message_class=message_class,
    )


def usable_push_step(campaign, order, step, *, facts: BatchFacts | None) -> tuple[str | None, object]:
    """(None, subscription) when the buyer has an active subscription of the step's kind, else (code, None).

    No address, so no suppression list and no test allow-list (test mode never pushes); consent as for email:
    a review request needs none, a marketing message needs a grant (there is no push consent record)."""
    buyer = order.buyer
    if order.store.is_amazon:
        return Code.AMAZON_ONLY, None
    if buyer is None:
        return Code.NO_CONTACT, None
    if buyer.erased_at is not None:
        return Code.BUYER_ERASED, None
    if campaign.test_mode:
        return Code.TEST_MODE, None
    kind = PUSH_CHANNELS[step.channel]
    if facts is not None:
        subscription = facts.push.get((buyer.pk, kind))
    else:
        subscription = order_selectors.active_push_subscriptions_by_buyer(buyer_ids=[buyer.pk]).get((buyer.pk, kind))
    if subscription is None:
        return Code.NO_CONTACT, None
    if campaign.message_class == "marketing":
        return Code.NO_CONSENT, None
    return None, subscription


def _forget_gone_subscriptions(go: list[Ready], results: list[SendResult]) -> None:
    """A provider's "gone" answer: orders marks the subscription gone (the message falls back like any
    permanent failure)."""
    gone: dict[int, list[str]] = defaultdict(list)
    merchants = {}
    for ready, result in zip(go, results, strict=True):
        target = ready.outbound.push_target
        if target is not None and result.error_code == channels.SUBSCRIPTION_GONE:
            gone[ready.message.merchant_id].append(target.subscription_id)
            merchants[ready.message.merchant_id] = ready.message.campaign.merchant
    for merchant_id, ids in gone.items():
        order_services.mark_push_subscriptions_gone(
            merchant=merchants[merchant_id], subscription_ids=ids, reason="gone"
        )


class BatchFacts:
    """Suppressions and consents of every buyer of a batch, read in a few queries instead of two per message."""

    def __init__(self, merchant_id: int, orders):
        from channels.addresses import hash_address
        from channels.selectors import suppressed_scopes

        buyers = {o.buyer.pk: o.buyer for o in orders if o.buyer is not None}
        self.consents = order_selectors.current_consent_statuses(buyer_ids=buyers)
        self.hashes: dict[tuple[str, str], str] = {}
        for buyer in buyers.values():
            for channel, address in (("email", buyer.email), ("sms", buyer.phone), ("whatsapp", buyer.phone)):
                if address:
                    try:
                        self.hashes[(channel, address)] = hash_address(
                            merchant_id=merchant_id, channel=channel, address=address
                        )[1]
                    except InvalidAddress:
                        continue
        pairs = {(channel, digest) for (channel, _a), digest in self.hashes.items()}
        self.suppressed = suppressed_scopes(merchant_id=merchant_id, pairs=pairs)
        self._buyer_ids = list(buyers)
        self._push: dict | None = None
        self._push_by_label: dict = {}

    @property
    def push(self) -> dict:
        """{(buyer id, kind): active push subscription}, read once, on the batch's first push step."""
        if self._push is None:
            self._push = order_selectors.active_push_subscriptions_by_buyer(buyer_ids=self._buyer_ids)
            self._push_by_label = {s.label: s for s in self._push.values()}
        return self._push

    @property
    def push_by_label(self) -> dict:
        """The same subscriptions by label (the `address` a push step's candidate carries)."""
        self.push  # noqa: B018  (read on first use)
        return self._push_by_label

    def is_suppressed(self, channel: str, address: str) -> bool:
        digest = self.hashes.get((channel, address))
        if digest is None:
            raise InvalidAddress(address)
        scope = self.suppressed.get((channel, digest))
        return scope is not None  # either scope blocks a review request

    def consent(self, buyer_id: int, channel: str) -> str | None:
        return self.consents.get((buyer_id, channel))


def usable_step(
    campaign, order, step, *, variant: str, cache: dict, facts: BatchFacts | None = None
) -> tuple[str | None, str, object]:
    """(None, address, template version) when this plan step can reach the order's buyer, else (code, "", None).

    Contact (Amazon orders only through Amazon, never a relay address), test allow-list, suppression,
    consent (a withdrawal blocks every class; a marketing message needs a grant), approved template.
    """
    buyer, store = order.buyer, order.store
    if step.channel in PUSH_CHANNELS:
        code, subscription = usable_push_step(campaign, order, step, facts=facts)
        if code:
            return code, "", None
        version = _template_version(campaign, step, variant, buyer, store, cache)
        return (Code.NO_TEMPLATE, "", None) if version is None else (None, subscription.label, version)
    address, code = rules.contact_for(step.channel, buyer, store)
    if code:
        return code, "", None
    if campaign.test_mode and not _allowed_in_test_mode(campaign, step.channel, address, order):
        return Code.TEST_MODE, "", None
    if step.channel != Channel.AMAZON:
        try:
            suppressed = (
                facts.is_suppressed(step.channel, address)
                if facts is not None
                else channels.is_suppressed(
                    merchant=campaign.merchant, channel=step.channel, address=address, message_class="review_request"
                )
            )
        except InvalidAddress:
            return Code.NO_CONTACT, "", None
        if suppressed:
            return Code.SUPPRESSED, "", None
        if facts is not None:
            status = facts.consent(buyer.pk, step.channel)
        else:
            consent = order_selectors.current_consent(buyer=buyer, channel=step.channel)
            status = consent.status if consent is not None else None
        if status == "withdrawn" or (campaign.message_class == "marketing" and status != "granted"):
            return Code.NO_CONSENT, "", None
    version = _template_version(campaign, step, variant, buyer, store, cache)
    if step.channel != Channel.AMAZON and version is None:
        return Code.NO_TEMPLATE, "", None
    return None, address, version


class Preparer:
    """Runs the checks for one batch; caches what messages of the batch share (templates, rates).

    Skips and waits are collected (`changes`) and written together by `flush()`; the frequency caps, the
    window and the budget are decided a chunk at a time (`gate`).
    """

    def __init__(self, *, token: str, now: dt.datetime, flags: StopFlags, result: BatchResult):
        self.token = token
        self.now = now
        self.flags = flags
        self.result = result
        self.templates: dict = {}
        self.rates: dict[int, AccountRate | None] = {}
        self.facts: BatchFacts | None = None
        self.first_clicks: dict[tuple[int, int], dt.datetime | None] = {}
        self.changes: list[Change] = []

    # outcomes
    def skip(self, message: Message, code: str, detail: str = "", **fields) -> None:
        self.changes.append(
            Change(message, _finish_fields(MessageStatus.SKIPPED, code, detail, **fields), "skipped", code)
        )

    def wait(self, message: Message, until: dt.datetime, code: str, detail: str = "", **fields) -> None:
        self.changes.append(Change(message, _release_fields(until, code, detail, **fields), "waiting", code))

    def flush(self, extra: list[Change] | None = None) -> set[int]:
        """Write the skips and waits decided so far (and `extra` changes); returns the ids written."""
        changes, self.changes = [*self.changes, *(extra or [])], []
        owned = _apply(changes, self.token)
        for change in changes:
            if change.kind and change.message.pk in owned:
                if change.kind == "skipped":
                    self.result.skipped += 1
                else:
                    self.result.waiting += 1
                self.result.count(change.code)
        return owned

    def prepare(self, message: Message) -> Candidate | None:
        """The checks that need no lock: stop flags, exclusions, age, channel plan, contact, consent, template."""
        campaign, order, store = message.campaign, message.order, message.order.store
        held = self.flags.hold(message)
        if held == Code.CAMPAIGN_STOPPED:
            self.skip(message, held)
            return None
        if held:
            self.wait(message, message.send_at, held)
            return None
        code = rules.exclusion_of(campaign, order)
        if code:
            self.skip(message, code)
            return None
        if message.step == 2 and self.first_clicks.get((campaign.pk, order.pk)) is not None:
            self.skip(message, Code.REMINDER_NOT_NEEDED)
            return None
        if rules.too_old(campaign, order, self.now):
            self.skip(message, Code.TOO_OLD)
            return None
        plan = rules.plan_for(list(campaign.plan_steps.all()), order)
        if not plan:
            self.skip(message, Code.AMAZON_ONLY if store.is_amazon else Code.NO_CHANNEL_PLAN)
            return None
        misses = []
        chosen = None
        for index in range(message.plan_index, len(plan)):
            step = plan[index]
            code, address, version = self._usable(message, step)
            if code is None:
                chosen = (index, step, address, version)
                break
            misses.append(f"{step.channel}: {code}")
            last_code = code
        if chosen is None:
            self.skip(message, last_code if misses else Code.NO_CHANNEL_PLAN, "; ".join(misses))
            return None
        return Candidate(message, *chosen)

    def _usable(self, message: Message, step) -> tuple[str | None, str, object]:
        return usable_step(
            message.campaign, message.order, step, variant=message.variant, cache=self.templates, facts=self.facts
        )

    def _window_opening(self, message: Message, channel: str) -> tuple[dt.datetime | None, str]:
        """(when the window opens if not now, code) or (None, "") when the message may go now."""
        order = message.order
        if channel == Channel.AMAZON:
            window = rules.amazon_window(order)
            if window is None:
                return self.now, Code.AMAZON_NO_DATES
            opens, closes = window
            if self.now >= closes:
                return self.now, Code.AMAZON_WINDOW_CLOSED
            if self.now < opens:
                return opens, Code.AMAZON_WINDOW_NOT_OPEN
            return None, ""
        buyer = message.buyer
        tz = zone(buyer.time_zone if buyer else "", message.campaign.merchant.default_time_zone)
        opening = next_opening(
            self.now, window=rules.window_of(message.campaign), tz=tz, country=message.country, channel=channel
        )
        if opening is None:
            return self.now + dt.timedelta(days=1), Code.OUTSIDE_WINDOW
        if opening > self.now:
            return opening, Code.OUTSIDE_WINDOW
        return None, ""

    def gate(self, candidates: list[Candidate]) -> list[Ready]:
        """Frequency cap, window, rate, render and budget, a chunk at a time; the messages that may go."""
        ready: list[Ready] = []
        size = chunk_size()
        for start in range(0, len(candidates), size):
            chunk = candidates[start : start + size]
            try:
                ready.extend(self._gate_chunk(chunk))
            except Exception:  # one broken chunk must not strand the batch: it waits, the rest goes on
                logger.exception("checking messages %s failed", [c.message.pk for c in chunk])
                pks = {c.message.pk for c in chunk}
                self.changes = [c for c in self.changes if c.message.pk not in pks]
                for candidate in chunk:
                    self.wait(candidate.message, self.now + dt.timedelta(minutes=15), Code.RETRYING, "internal error")
                self.flush()
        return ready

    def _gate_chunk(self, chunk: list[Candidate]) -> list[Ready]:
        """Frequency caps and the window for the whole chunk under its buyers' locks, in one transaction: the
        locks of all its identities (and capped campaigns' days) in one statement, one query for the
        identities' recent counted messages, decisions in order (two messages of one buyer in the chunk count
        against each other). Then rate and render per message, and the budget in one call per merchant, before
        the same commit."""
        now = self.now
        pks = [c.message.pk for c in chunk]
        passed: list[tuple[Candidate, dict]] = []
        with transaction.atomic():
            keys = {f"identity:{c.message.merchant_id}:{c.message.identity}" for c in chunk}
            keys |= {f"campaign-day:{c.message.campaign_id}" for c in chunk if c.message.campaign.daily_cap}
            _advisory_locks(keys)
            horizon = max(c.message.campaign.cap_days for c in chunk)
            # order news and marketing are capped apart: the key carries the message's `transactional` flag
            counted: dict[tuple[int, str, bool], list[dt.datetime]] = defaultdict(list)
            for merchant_id, identity, transactional, at in (
                Message.objects.filter(
                    merchant_id__in={c.message.merchant_id for c in chunk},
                    identity__in={c.message.identity for c in chunk},
                    counted_at__gte=now - dt.timedelta(days=horizon),
                    status__in=COUNTED_STATUSES,
                )
                .exclude(pk__in=pks)
                .values_list("merchant_id", "identity", "transactional", "counted_at")
            ):
                counted[(merchant_id, identity, transactional)].append(at)
            day = now.replace(hour=0, minute=0, second=0, microsecond=0)
            today: dict[int, int] = {}
            grants: list[Change] = []
            for candidate in chunk:
                message, step = candidate.message, candidate.step
                campaign = message.campaign
                plan_fields = {"plan_index": candidate.index, "channel": step.channel, "account_id": step.account_id}
                since = now - dt.timedelta(days=campaign.cap_days)
                recent = [
                    at for at in counted[(message.merchant_id, message.identity, message.transactional)] if at >= since
                ]
                if len(recent) >= campaign.cap_messages:
                    self.skip(message, Code.FREQUENCY_CAP, **plan_fields)
                    continue
                gap = dt.timedelta(hours=campaign.min_gap_hours)
                last = max(recent, default=None)
                if last is not None and gap and last > now - gap:
                    self.wait(message, last + gap, Code.FREQUENCY_GAP, **plan_fields)
                    continue
                opening, code = self._window_opening(message, step.channel)
                if code in (Code.AMAZON_WINDOW_CLOSED, Code.AMAZON_NO_DATES):
                    self.skip(message, code, **plan_fields)
                    continue
                if opening is not None:
                    self.wait(message, opening, code, **plan_fields)
                    continue
                if campaign.daily_cap:
                    if campaign.pk not in today:
                        today[campaign.pk] = (
                            Message.objects.filter(
                                campaign_id=campaign.pk, counted_at__gte=day, status__in=COUNTED_STATUSES
                            )
                            .exclude(pk__in=pks)
                            .count()
                        )
                    if today[campaign.pk] >= campaign.daily_cap:
                        self.wait(message, day + dt.timedelta(days=1), Code.CAMPAIGN_DAILY_CAP, **plan_fields)
                        continue
                    today[campaign.pk] += 1
                counted[(message.merchant_id, message.identity, message.transactional)].append(now)
                grants.append(Change(message, {"counted_at": now, **plan_fields}))
                passed.append((candidate, plan_fields))
            owned = self.flush(grants)
            self.result.lost += sum(1 for c, _f in passed if c.message.pk not in owned)
            # the budget in the same transaction: one commit for the chunk's checks, the wallet lock taken last
            return self._authorize([(c, f) for c, f in passed if c.message.pk in owned])

    def _authorize(self, passed: list[tuple[Candidate, dict]]) -> list[Ready]:
        """Rate and render each message, then reserve the budget in one call per merchant."""
        rendered: list[tuple[Candidate, dict, OutboundMessage, int]] = []
        for candidate, plan_fields in passed:
            message, step = candidate.message, candidate.step
            wait = self._rate_wait(step.account)
            if wait:
                self.wait(message, self.now + dt.timedelta(seconds=wait), Code.RATE_LIMITED, **plan_fields)
                continue
            outbound = _outbound(
                message,
                channel=step.channel,
                account=step.account,
                address=candidate.address,
                version=candidate.version,
                push=self.facts.push_by_label.get(candidate.address) if step.channel in PUSH_CHANNELS else None,
            )
            if isinstance(outbound, str):
                self.skip(message, Code.RENDER_FAILED, outbound.partition(":")[2], **plan_fields)
                continue
            quantity = count_segments(outbound.text_body).count if step.channel == Channel.SMS else 1
            rendered.append((candidate, plan_fields, outbound, max(1, quantity)))
        by_merchant: dict[int, list] = defaultdict(list)
        for item in rendered:
            by_merchant[item[0].message.merchant_id].append(item)
        ready: list[Ready] = []
        for items in by_merchant.values():
            merchant = items[0][0].message.campaign.merchant
            answers = billing.authorize_sends(
                merchant=merchant,
                requests=[
                    billing.SendRequest(
                        message_ref=c.message.ref,
                        channel=BILLING_CHANNEL[c.step.channel],
                        country=c.message.country,
                        message_class=c.message.campaign.message_class,
                        quantity=quantity,
                    )
                    for c, _f, _o, quantity in items
                ],
            )
            for (candidate, plan_fields, outbound, quantity), auth in zip(items, answers, strict=True):
                message = candidate.message
                if auth.ok:
                    version_id = getattr(candidate.version, "pk", None)
                    step = candidate.step
                    ready.append(
                        Ready(
                            message,
                            outbound,
                            candidate.index,
                            step.channel,
                            step.account,
                            version_id,
                            quantity,
                            cost=auth.amount,
                            currency=auth.currency,
                        )  # fmt: skip
                    )
                elif auth.reason in BUDGET_WAIT_CODES:
                    retry = self.now + dt.timedelta(hours=1)
                    if auth.reason == Code.DAILY_CAP_REACHED:
                        retry = self.now.replace(hour=0, minute=0, second=0, microsecond=0) + dt.timedelta(days=1)
                    self.wait(message, retry, auth.reason, auth.reason_label, **plan_fields)
                else:
                    self.skip(message, auth.reason, auth.reason_label, **plan_fields)
        self.flush()
        return ready

    def _rate_wait(self, account) -> float:
        if account.pk not in self.rates:
            self.rates[account.pk] = AccountRate.objects.filter(account_id=account.pk).first()
        rate = self.rates[account.pk]
        if rate is None:
            return 0.0
        return TokenBucket(f"account:{account.pk}", rate=rate.per_minute / 60.0, burst=rate.burst).take()


# --- recording ------------------------------------------------------------------------------------------


def _record_chunk(go: list[Ready], results: list[SendResult], *, token: str, latency_ms: int, batch: BatchResult):
    """One transaction for a chunk's answers: statuses (conditional on this worker's token, one UPDATE per kind
    of outcome), reminders (one INSERT … ON CONFLICT DO NOTHING), attempts (one INSERT), and last the usage
    (`record_usages`), so the merchant's wallet stays locked only from there to the commit."""
    from .planning import plan_reminders

    now = timezone.now()
    attempts, usages = [], []
    for ready, result in zip(go, results, strict=True):
        message = ready.message
        attempts.append(
            MessageAttempt(
                merchant_id=message.merchant_id,
                message=message,
                number=message.attempt_count + 1,
                channel=ready.channel,
                account=ready.account,
                outcome=result.outcome,
                error_code=result.error_code[:64],
                detail=result.detail[:500],
                provider_message_id=result.provider_message_id[:255],
                latency_ms=latency_ms,
            )
        )
        if result.outcome != Outcome.UNKNOWN:
            # Maybe sent (unknown): never resent; the reservation stays held until billing's stale-reservation job.
            usages.append(billing.Usage(message_ref=message.ref, sent=result.outcome == Outcome.ACCEPTED))
    with transaction.atomic():
        changes: list[Change] = []
        kinds: dict[int, tuple[str, str]] = {}  # message id -> (what it counts as, code)
        accepted: dict[int, Ready] = {}
        for ready, result in zip(go, results, strict=True):
            message = ready.message
            common = {"attempt_count": message.attempt_count + 1, "template_version_id": ready.version_id}
            provider_id = result.provider_message_id[:255]
            if result.outcome == Outcome.ACCEPTED:
                fields = {
                    "provider_message_id": provider_id,
                    "sent_at": now,
                    "cost": ready.cost,
                    "currency": ready.currency,
                    **common,
                }
                changes.append(Change(message, _finish_fields(MessageStatus.SENT, **fields)))
                kinds[message.pk] = ("sent", "")
                accepted[message.pk] = ready
                continue
            if result.outcome == Outcome.UNKNOWN:
                detail = f"{result.error_code}: {result.detail}"
                changes.append(
                    Change(message, _finish_fields(MessageStatus.UNKNOWN, Code.PROVIDER_UNKNOWN, detail, **common))
                )
                kinds[message.pk] = ("unknown", "")
                continue
            detail = f"{ready.channel}: {result.error_code} {result.detail}".strip()
            plan_length = len(rules.plan_for(list(message.campaign.plan_steps.all()), message.order))
            number = common["attempt_count"]
            if result.outcome == Outcome.TEMPORARY_FAILURE and number < max_attempts():
                retry_at = result.retry_at or now + backoff(number)
                changes.append(Change(message, _release_fields(retry_at, Code.RETRYING, detail, **common)))
                kinds[message.pk] = ("waiting", "")
                continue
            code = Code.RETRIES_EXHAUSTED if result.outcome == Outcome.TEMPORARY_FAILURE else Code.PERMANENT_FAILURE
            if result.error_code == "suppressed":
                code = Code.SUPPRESSED
            if ready.plan_index + 1 < plan_length:
                # the next channel of the plan, at once (its own checks run when it is claimed again)
                fields = {"plan_index": ready.plan_index + 1, **common}
                changes.append(Change(message, _release_fields(now, code, detail, **fields)))
                kinds[message.pk] = ("waiting", "")
                continue
            changes.append(Change(message, _finish_fields(MessageStatus.FAILED, code, detail, **common)))
            kinds[message.pk] = ("failed", code)
        owned = _apply(changes, token)
        # Accepted rows whose lease ran out meanwhile became `unknown`: the provider's answer proves they went.
        rescue = [
            Change(
                ready.message,
                {
                    "status": MessageStatus.SENT,
                    "reason_code": "",
                    "sent_at": now,
                    "provider_message_id": change.fields["provider_message_id"],
                    "cost": change.fields["cost"],
                    "currency": change.fields["currency"],
                    "attempt_count": change.fields["attempt_count"],
                    "template_version_id": ready.version_id,
                },
            )
            for change in changes
            if (ready := accepted.get(change.message.pk)) is not None and change.message.pk not in owned
        ]
        owned |= _apply(rescue, token, status=MessageStatus.UNKNOWN)
        for pk, (kind, code) in kinds.items():
            if pk in owned:
                setattr(batch, kind, getattr(batch, kind) + 1)
                if kind == "failed":
                    batch.count(code)
            elif kind == "sent":
                batch.lost += 1
        plan_reminders(messages=[r.message for pk, r in accepted.items() if pk in owned], sent_at=now)
        MessageAttempt.objects.bulk_create(attempts)
        billed = billing.record_usages(usages=usages, now=now) if usages else {}
        # A reservation settled differently from what was reserved (released meanwhile): the bill is the truth.
        corrected = []
        for pk, ready in accepted.items():
            usage = billed.get(ready.message.ref)
            cost, currency = getattr(usage, "amount", None), getattr(usage, "currency", "")
            if pk in owned and (cost, currency) != (ready.cost, ready.currency):
                corrected.append(Change(ready.message, {"cost": cost, "currency": currency}))
        _apply(corrected, token, status=MessageStatus.SENT)


def _send_group(account, group: list[Ready], *, token: str, flags: StopFlags, preparer: Preparer) -> None:
    """One connection for this account's messages of the batch; stop flags read before each chunk."""
    batch = preparer.result
    size = chunk_size()
    with channels.get_sender(account) as sender:
        for start in range(0, len(group), size):
            chunk = group[start : start + size]
            flags.refresh()
            owned = set(
                Message.objects.filter(
                    pk__in=[r.message.pk for r in chunk], status=MessageStatus.SENDING, lease_token=token
                ).values_list("pk", flat=True)
            )
            go, release = [], []
            for ready in chunk:
                if ready.message.pk not in owned:  # the lease ran out (now `unknown`): not ours to send any more
                    release.append(billing.Usage(message_ref=ready.message.ref, sent=False))
                    batch.lost += 1
                    continue
                held = flags.hold(ready.message)
                if held is None:
                    go.append(ready)
                    continue
                release.append(billing.Usage(message_ref=ready.message.ref, sent=False))
                if held == Code.CAMPAIGN_STOPPED:
                    preparer.skip(ready.message, held)
                else:
                    preparer.wait(ready.message, ready.message.send_at, held)
            if release:
                with transaction.atomic():
                    billing.record_usages(usages=release)
                    preparer.flush()
            if not go:
                continue
            started = time.monotonic()
            results = channels.send_messages(account=account, messages=[r.outbound for r in go], sender=sender)
            latency = int((time.monotonic() - started) * 1000 / len(go))
            _record_chunk(go, results, token=token, latency_ms=latency, batch=batch)
            _forget_gone_subscriptions(go, results)


def _first_clicks(messages: list[Message]) -> dict[tuple[int, int], dt.datetime | None]:
    """(campaign, order) -> when the first message's review link was clicked, for the reminders of a batch."""
    reminders = [m for m in messages if m.step == 2]
    if not reminders:
        return {}
    rows = Message.objects.filter(
        step=1, campaign_id__in={m.campaign_id for m in reminders}, order_id__in={m.order_id for m in reminders}
    ).values_list("campaign_id", "order_id", "clicked_at")
    return {(campaign_id, order_id): clicked for campaign_id, order_id, clicked in rows}


def dispatch_batch(
    *, limit: int | None = None, now: dt.datetime | None = None, token: str | None = None
) -> BatchResult:
    """Claim one batch, check, send and record it. Returns what happened (claimed 0: nothing was due)."""
    now = now or timezone.now()
    token = token or uuid.uuid4().hex
    result = BatchResult()
    ids = claim(now=now, limit=limit or batch_size(), token=token)
    result.claimed = len(ids)
    if not ids:
        return result
    messages = list(
        Message.objects.filter(pk__in=ids, lease_token=token, status=MessageStatus.SENDING)
        .select_related("order", "order__store", "buyer")
        .prefetch_related("order__items")
        .order_by("send_at", "pk")
    )
    # The batch's few campaigns (with merchant, plan and variants) loaded once and shared by their messages.
    campaigns = {
        c.pk: c
        for c in Campaign.objects.filter(pk__in={m.campaign_id for m in messages})
        .select_related("merchant")
        .prefetch_related("plan_steps__account", "variants")
    }
    other_buyers = {m.order.buyer_id for m in messages if m.order.buyer_id not in (None, m.buyer_id)}
    buyers = {b.pk: b for b in Buyer.objects.filter(pk__in=other_buyers)} if other_buyers else {}
    for message in messages:
        message.campaign = campaigns[message.campaign_id]
        if message.order.buyer_id is not None:
            message.order.buyer = (
                message.buyer if message.order.buyer_id == message.buyer_id else buyers[message.order.buyer_id]
            )
    flags = StopFlags({m.campaign_id for m in messages}, {m.merchant_id for m in messages})
    preparer = Preparer(token=token, now=now, flags=flags, result=result)
    preparer.first_clicks = _first_clicks(messages)
    facts_by_merchant = {
        merchant_id: BatchFacts(merchant_id, [m.order for m in messages if m.merchant_id == merchant_id])
        for merchant_id in {m.merchant_id for m in messages}
    }
    candidates: list[Candidate] = []
    for message in messages:
        preparer.facts = facts_by_merchant[message.merchant_id]
        try:
            candidate = preparer.prepare(message)
        except Exception:  # one broken message must not strand the batch: it waits, the rest goes on
            logger.exception("preparing message %s failed", message.pk)
            preparer.wait(message, now + dt.timedelta(minutes=15), Code.RETRYING, "internal error")
            continue
        if candidate is not None:
            candidates.append(candidate)
    preparer.flush()
    groups: dict[int, list[Ready]] = defaultdict(list)
    accounts = {}
    for ready in preparer.gate(candidates):
        groups[ready.account.pk].append(ready)
        accounts[ready.account.pk] = ready.account
    for account_id, group in groups.items():
        _send_group(accounts[account_id], group, token=token, flags=flags, preparer=preparer)
    return result


def dispatch_due(*, max_seconds: float = 50.0, limit: int | None = None) -> BatchResult:
    """A worker's loop: batches until nothing is due or the time budget is spent."""
    total = BatchResult()
    deadline = time.monotonic() + max_seconds
    expire_leases()
    while time.monotonic() < deadline:
        part = dispatch_batch(limit=limit)
        if not part.claimed:
            break
        for name in ("claimed", "sent", "failed", "skipped", "waiting", "unknown", "lost"):
            setattr(total, name, getattr(total, name) + getattr(part, name))
        for code, n in part.codes.items():
            total.codes[code] = total.codes.get(code, 0) + n
    return total
