"""Writes for billing. Other apps call these with plain values (never `reviews` models).

Every write that touches a merchant's money takes that merchant's `Wallet`
row lock first (`SELECT … FOR UPDATE`), and changes balances and counters
with F() expressions while holding it. Authorisations, usage, top-ups and
statement closing of one merchant therefore run one after another, so twenty
workers racing for the last of a budget cannot overshoot it; different
merchants never wait for each other.

Dispatch (the campaigns app) calls, per message:

    auth = authorize_send(merchant=m, message_ref=ref, channel="sms", country="US",
                          message_class="marketing", quantity=segments)
    if not auth.ok: skip the message, show auth.reason_label
    ... send outside any transaction ...
    with transaction.atomic():
        mark the message sent (or failed)
        record_usage(message_ref=ref, sent=True)   # or sent=False to release
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, DecimalField, F, Q, Sum
from django.db.models.functions import Round
from django.utils import timezone
from django.utils.translation import gettext as _

from . import selectors
from .countries import country_codes, normalise_country
from .models import (
    ALL_CHANNELS,
    COUNTRY_RESTRICTED_CHANNELS,
    BudgetCap,
    CapAlert,
    Channel,
    ChannelCap,
    DenyReason,
    LedgerEntry,
    MessageClass,
    Plan,
    Price,
    PriceBook,
    Reservation,
    SpendCounter,
    Statement,
    StatementLine,
    Subscription,
    UsageRecord,
    Wallet,
)
from .money import ZERO, billing_currency, quantize, sum_of, to_decimal
from .periods import day_of, month_of, next_month, previous_month
from .quotes import Quote, QuoteLine, Volume, estimate_cost, volumes_from_mix  # noqa: F401  (public API)

logger = logging.getLogger(__name__)

ALERT_THRESHOLDS = (80, 100)


class BillingError(Exception):
    """A billing rule refused the request; the message is safe to show."""


class ReservationNotFound(BillingError):
    pass


class PriceBookLocked(BillingError):
    pass


class StatementClosed(BillingError):
    pass


class BooksDisagree(BillingError):
    pass


@dataclass(frozen=True)
class Authorization:
    """The answer of `authorize_send`: ok with the amount reserved, or the reason it was refused."""

    ok: bool
    message_ref: str
    reason: str = ""
    amount: Decimal = ZERO
    currency: str = ""
    quantity: int = 0
    unit_price: Decimal | None = None
    included_units: int = 0
    price_book_version: int | None = None

    @property
    def reason_label(self) -> str:
        return str(DenyReason(self.reason).label) if self.reason else ""


# --- locking helpers ---------------------------------------------------------------------------


def _locked_wallet(merchant_id: int) -> Wallet:
    """The merchant's wallet row, locked until the transaction ends (created on first use)."""
    wallet = Wallet.objects.select_for_update().filter(merchant_id=merchant_id).first()
    if wallet is None:
        Wallet.objects.bulk_create(
            [Wallet(merchant_id=merchant_id, currency=billing_currency())], ignore_conflicts=True
        )
        wallet = Wallet.objects.select_for_update().get(merchant_id=merchant_id)
    return wallet


def _counter_filter(*, channel: str, day: dt.date, month: dt.date) -> Q:
    return Q(scope=SpendCounter.Scope.DAY, period_start=day, channel__in=[ALL_CHANNELS, channel]) | Q(
        scope=SpendCounter.Scope.MONTH, period_start=month, channel__in=[ALL_CHANNELS, channel]
    )


def _rounded(expression):
    """Money arithmetic in the database, kept at the stored scale: SQLite (the demo) adds decimals in binary
    floating point, where 0.019 - 19 x 0.001 is -4e-19 and would break `wallet_reserved_not_negative`."""
    return Round(expression, 6, output_field=DecimalField(max_digits=18, decimal_places=6))


def _move_counters(
    merchant_id: int,
    *,
    channel: str,
    day: dt.date,
    month: dt.date,
    reserved: Decimal = ZERO,
    used: Decimal = ZERO,
    free_reserved: int = 0,
    free_used: int = 0,
) -> None:
    SpendCounter.objects.filter(merchant_id=merchant_id).filter(
        _counter_filter(channel=channel, day=day, month=month)
    ).update(
        amount_reserved=_rounded(F("amount_reserved") + reserved),
        amount_used=_rounded(F("amount_used") + used),
        free_reserved=F("free_reserved") + free_reserved,
        free_used=F("free_used") + free_used,
    )


def _open_period(merchant_id: int, month: dt.date) -> dt.date:
    """The statement month a new entry lands in: its own, unless that month (or a later one) is closed."""
    latest = selectors.latest_closed_month(merchant_id)
    if latest is not None and month <= latest:
        return next_month(latest)
    return month


def _post_ledger(
    wallet: Wallet,
    *,
    kind: str,
    amount: Decimal,
    period: dt.date,
    at: dt.datetime,
    reason: str = "",
    reference: str = "",
    created_by=None,
    usage_record: UsageRecord | None = None,
    release: Decimal = ZERO,
) -> LedgerEntry:
    """Append one entry and move the (locked) wallet's balance by the same amount (and free `release`
    from its reserved money in the same UPDATE)."""
    wallet.balance += amount
    entry = LedgerEntry.objects.create(
        merchant_id=wallet.merchant_id,
        kind=kind,
        amount=amount,
        balance_after=wallet.balance,
        currency=wallet.currency,
        period=period,
        reason=reason[:300],
        reference=reference[:120],
        created_by=created_by,
        usage_record=usage_record,
        created_at=at,
    )
    Wallet.objects.filter(pk=wallet.pk).update(
        balance=_rounded(F("balance") + amount), reserved=_rounded(F("reserved") - release), updated_at=at
    )
    return entry


# --- authorising and recording sends -----------------------------------------------------------


def _validated(channel: str, country: str, message_class: str, quantity: int) -> str:
    if channel not in Channel.values:
        raise ValueError(f"unknown channel {channel!r}")
    if message_class not in MessageClass.values:
        raise ValueError(f"unknown message class {message_class!r}")
    if not isinstance(quantity, int) or quantity < 1:
        raise ValueError("quantity must be a whole number of at least 1")
    code = (country or "").strip().upper()
    if code and code not in country_codes():
        raise ValueError(f"unknown country {country!r}")
    return code


def _refuse(
    message_ref: str, reason: str, *, currency: str = "", amount: Decimal = ZERO, quantity: int = 0
) -> Authorization:
    return Authorization(
        ok=False, message_ref=message_ref, reason=reason, currency=currency, amount=amount, quantity=quantity
    )


def _authorization_of(reservation: Reservation) -> Authorization:
    return Authorization(
        ok=True,
        message_ref=reservation.message_ref,
        amount=reservation.amount,
        currency=reservation.price_book.currency,
        quantity=reservation.quantity,
        unit_price=reservation.unit_price,
        included_units=reservation.free_units,
        price_book_version=reservation.price_book.version,
    )


def _raise_alerts(
    merchant_id: int, *, limits: list[tuple[str, str, Decimal]], totals: dict, starts: dict, reached: tuple | None
) -> None:
    """Write the 80 % / 100 % alerts newly crossed (once per period and cap value); email after commit."""
    from .tasks import send_cap_alert_email_task

    for scope, channel, limit in limits:
        spent = totals[(scope, channel)]
        crossed = [t for t in ALERT_THRESHOLDS if limit > 0 and spent * 100 >= limit * t]
        if reached == (scope, channel) and 100 not in crossed:
            crossed.append(100)
        for threshold in crossed:
            alert, created = CapAlert.objects.get_or_create(
                merchant_id=merchant_id,
                scope=scope,
                channel=channel,
                period_start=starts[scope],
                threshold=threshold,
                limit=limit,
                defaults={"spent": spent},
            )
            if created:
                # robust: a broker hiccup must not turn a committed reservation into an error for dispatch
                transaction.on_commit(lambda pk=alert.pk: send_cap_alert_email_task.delay(pk), robust=True)


@dataclass(frozen=True)
class SendRequest:
    """One message to price and reserve in `authorize_sends` (plain values, like `authorize_send`)."""

    message_ref: str
    channel: str
    country: str
    message_class: str
    quantity: int = 1


@dataclass(frozen=True)
class Usage:
    """One reservation to settle in `record_usages`: sent (billed) or not (released)."""

    message_ref: str
    sent: bool
    quantity: int | None = None


def _counters_for(
    merchant_id: int, *, channels: Iterable[str], day: dt.date, month: dt.date
) -> dict[tuple[str, str], SpendCounter]:
    """The counters a batch moves (day/month x all/each channel), created on first use; call with the wallet
    locked."""
    names = [ALL_CHANNELS, *sorted(set(channels))]
    where = Q(scope=SpendCounter.Scope.DAY, period_start=day, channel__in=names) | Q(
        scope=SpendCounter.Scope.MONTH, period_start=month, channel__in=names
    )
    found = {(c.scope, c.channel): c for c in SpendCounter.objects.filter(merchant_id=merchant_id).filter(where)}
    keys = [(scope, ch) for scope in (SpendCounter.Scope.DAY, SpendCounter.Scope.MONTH) for ch in names]
    missing = [k for k in keys if k not in found]
    if missing:
        SpendCounter.objects.bulk_create(
            [
                SpendCounter(
                    merchant_id=merchant_id,
                    scope=scope,
                    channel=ch,
                    period_start=day if scope == SpendCounter.Scope.DAY else month,
                )
                for scope, ch in missing
            ],
            ignore_conflicts=True,
        )
        found = {(c.scope, c.channel): c for c in SpendCounter.objects.filter(merchant_id=merchant_id).filter(where)}
    return found


def _limits_for(channel: str, cap: BudgetCap | None, channel_cap: ChannelCap | None) -> list[tuple[str, str, Decimal]]:
    limits = []
    for scope in (SpendCounter.Scope.MONTH, SpendCounter.Scope.DAY):
        field = "monthly_limit" if scope == SpendCounter.Scope.MONTH else "daily_limit"
        for source, ch in ((cap, ALL_CHANNELS), (channel_cap, channel)):
            limit = getattr(source, field, None) if source is not None else None
            if limit is not None:
                limits.append((scope, ch, limit))
    return limits


def authorize_send(
    *,
    merchant,
    message_ref: str,
    channel: str,
    country: str,
    message_class: str,
    quantity: int = 1,
    now: dt.datetime | None = None,
) -> Authorization:
    """Price one message and reserve its cost, or say why not (`authorize_sends` with one request).

    Checks, in order: a price exists, the country is allowed (SMS, WhatsApp),
    the monthly caps, the daily caps, the balance. Units still included in
    the plan this month cost nothing. Calling it again for a held reference
    returns the same reservation; a released one is reserved afresh. Run it
    in its own short transaction (autocommit), before the provider call.
    """
    request = SendRequest(message_ref, channel, country, message_class, quantity)
    return authorize_sends(merchant=merchant, requests=[request], now=now)[0]


def authorize_sends(
    *, merchant, requests: Sequence[SendRequest], now: dt.datetime | None = None
) -> list[Authorization]:
    """Price and reserve a batch of one merchant's messages under ONE wallet lock; one answer per request, in order.

    The requests are decided in order exactly as `authorize_send` would decide them one after another: a
    request that would pass a cap or the balance is refused on its own, the ones after it may still fit.
    Idempotent like `authorize_send` (a held reference returns its reservation; a reference twice in one
    batch gets the same answer twice). Invalid values raise ValueError before anything is written.
    """
    if not requests:
        return []
    codes = []
    for request in requests:
        codes.append(_validated(request.channel, request.country, request.message_class, request.quantity))
        if not request.message_ref or len(request.message_ref) > 64:
            raise ValueError("message_ref must be 1 to 64 characters")
    now = now or timezone.now()
    merchant_id = merchant.pk
    # Configuration first, before the lock, so the lock is held only for the counters and the writes.
    book = selectors.current_price_book(now)
    prices: dict[tuple[str, str, str], Price | None] = {}
    for request, code in zip(requests, codes, strict=True):
        key = (request.channel, code, request.message_class)
        if key not in prices:
            prices[key] = (
                selectors.find_price(
                    price_book=book, channel=request.channel, country=code, message_class=request.message_class
                )
                if book is not None
                else None
            )
    used_channels = sorted({r.channel for r in requests})
    cap = BudgetCap.objects.filter(merchant_id=merchant_id).first()
    channel_caps = {c.channel: c for c in ChannelCap.objects.filter(merchant_id=merchant_id, channel__in=used_channels)}
    plan = selectors.plan_of(merchant, now)
    allowed = (
        selectors.allowed_countries(merchant, cap)
        if any(ch in COUNTRY_RESTRICTED_CHANNELS for ch in used_channels)
        else set()
    )
    limits = {ch: _limits_for(ch, cap, channel_caps.get(ch)) for ch in used_channels}
    day, month = day_of(now), month_of(now)
    starts = {SpendCounter.Scope.DAY: day, SpendCounter.Scope.MONTH: month}

    answers: list[Authorization] = []
    with transaction.atomic():
        wallet = _locked_wallet(merchant_id)
        existing = {
            r.message_ref: r
            for r in Reservation.objects.select_related("price_book").filter(
                message_ref__in={r.message_ref for r in requests}
            )
        }
        if any(r.merchant_id != merchant_id for r in existing.values()):
            raise ValueError("this message reference belongs to another merchant")
        counters = _counters_for(merchant_id, channels=used_channels, day=day, month=month)
        totals = {key: counter.total for key, counter in counters.items()}
        month_of_channel = {ch: counters[(SpendCounter.Scope.MONTH, ch)] for ch in used_channels}
        free_taken = {ch: c.free_used + c.free_reserved for ch, c in month_of_channel.items()}
        available = wallet.available
        decided: dict[str, Authorization] = {}
        new: list[Reservation] = []
        renewed: list[Reservation] = []
        moved: dict[str, list] = {ch: [ZERO, 0] for ch in used_channels}  # channel -> [reserved, free units]
        reached: dict[str, tuple[str, str]] = {}
        checked: set[str] = set()  # channels that reached the cap checks (their alerts are looked at)

        for request, code in zip(requests, codes, strict=True):
            ref, channel, quantity = request.message_ref, request.channel, request.quantity
            if ref in decided:
                answers.append(decided[ref])
                continue
            answer = None
            found = existing.get(ref)
            if found is not None and found.status == Reservation.Status.HELD:
                answer = _authorization_of(found)
            elif found is not None and found.status == Reservation.Status.CONSUMED:
                answer = _refuse(ref, DenyReason.ALREADY_BILLED, currency=wallet.currency)
            price = prices[(channel, code, request.message_class)]
            if answer is None and price is None:
                answer = _refuse(ref, DenyReason.NO_PRICE, currency=wallet.currency, quantity=quantity)
            if answer is None:
                if book.currency != wallet.currency:
                    raise BillingError(
                        f"price book {book.version} is in {book.currency}, the wallet in {wallet.currency}"
                    )
                if channel in COUNTRY_RESTRICTED_CHANNELS and code not in allowed:
                    answer = _refuse(ref, DenyReason.COUNTRY_NOT_ALLOWED, currency=book.currency, quantity=quantity)
            if answer is None:
                checked.add(channel)
                included = plan.included_for(channel) if plan else 0
                free = max(0, min(quantity, included - free_taken[channel]))
                amount = quantize(price.unit_price * (quantity - free))
                for scope, ch, limit in limits[channel]:
                    if amount > 0 and totals[(scope, ch)] + amount > limit:
                        reached.setdefault(channel, (scope, ch))
                        reason = (
                            DenyReason.MONTHLY_CAP_REACHED
                            if scope == SpendCounter.Scope.MONTH
                            else DenyReason.DAILY_CAP_REACHED
                        )
                        answer = _refuse(ref, reason, currency=book.currency, amount=amount, quantity=quantity)
                        break
                if answer is None and amount > available:
                    answer = _refuse(
                        ref, DenyReason.INSUFFICIENT_BALANCE, currency=book.currency, amount=amount, quantity=quantity
                    )
            if answer is None:
                fields = {
                    "merchant_id": merchant_id,
                    "status": Reservation.Status.HELD,
                    "channel": channel,
                    "country": code,
                    "message_class": request.message_class,
                    "quantity": quantity,
                    "free_units": free,
                    "unit_price": price.unit_price,
                    "amount": amount,
                    "price_book": book,
                    "day": day,
                    "month": month,
                    "created_at": now,
                    "settled_at": None,
                }
                if found is not None:  # released earlier (a temporary failure): reserve it again
                    for name, value in fields.items():
                        setattr(found, name, value)
                    renewed.append(found)
                    reservation = found
                else:
                    reservation = Reservation(message_ref=ref, **fields)
                    new.append(reservation)
                available -= amount
                free_taken[channel] += free
                moved[channel][0] += amount
                moved[channel][1] += free
                for scope in (SpendCounter.Scope.DAY, SpendCounter.Scope.MONTH):
                    for ch in (ALL_CHANNELS, channel):
                        totals[(scope, ch)] += amount
                answer = _authorization_of(reservation)
            decided[ref] = answer
            answers.append(answer)

        if new:
            Reservation.objects.bulk_create(new)
        if renewed:
            Reservation.objects.bulk_update(
                renewed,
                ["status", "channel", "country", "message_class", "quantity", "free_units", "unit_price", "amount",
                 "price_book", "day", "month", "created_at", "settled_at"],
            )  # fmt: skip
        if new or renewed:
            _move_counter_rows(counters, moved)
            reserved = sum((amount for amount, _free in moved.values()), ZERO)
            Wallet.objects.filter(pk=wallet.pk).update(reserved=_rounded(F("reserved") + reserved))
        for channel in sorted(checked):
            _raise_alerts(
                merchant_id, limits=limits[channel], totals=totals, starts=starts, reached=reached.get(channel)
            )
    return answers


def _move_counter_rows(
    counters: dict[tuple[str, str], SpendCounter], moved: dict[str, list], *, used: dict[str, list] | None = None
) -> None:
    """Add each channel's reserved (and used) money and units to its counters and to the all-channel ones:
    one UPDATE per counter row, with F() (the wallet lock is held)."""
    deltas: dict[tuple[str, str], list] = {}
    for channel, (reserved, free_reserved) in moved.items():
        amount_used, free_used = (used or {}).get(channel, (ZERO, 0))
        for scope in (SpendCounter.Scope.DAY, SpendCounter.Scope.MONTH):
            for ch in (ALL_CHANNELS, channel):
                d = deltas.setdefault((scope, ch), [ZERO, ZERO, 0, 0])
                d[0] += reserved
                d[1] += amount_used
                d[2] += free_reserved
                d[3] += free_used
    for key, (reserved, amount_used, free_reserved, free_used) in deltas.items():
        if not (reserved or amount_used or free_reserved or free_used):
            continue
        SpendCounter.objects.filter(pk=counters[key].pk).update(
            amount_reserved=_rounded(F("amount_reserved") + reserved),
            amount_used=_rounded(F("amount_used") + amount_used),
            free_reserved=F("free_reserved") + free_reserved,
            free_used=F("free_used") + free_used,
        )


def record_usage(
    *, message_ref: str, sent: bool, quantity: int | None = None, now: dt.datetime | None = None
) -> UsageRecord | None:
    """Settle a reservation: one UsageRecord (and its ledger entry) when sent, a release otherwise.

    Call it inside the transaction that changes the message's status, so both
    commit together. Idempotent: a second call returns the first outcome and
    writes nothing. `quantity` overrides the reserved quantity (e.g. the
    segments the provider actually billed); extra units are charged at the
    reserved unit price. A message reported sent after its reservation was
    released is still billed: it went out. (`record_usages` with one entry.)
    """
    return record_usages(usages=[Usage(message_ref, sent, quantity)], now=now)[message_ref]


def record_usages(*, usages: Sequence[Usage], now: dt.datetime | None = None) -> dict[str, UsageRecord | None]:
    """Settle many reservations at once: per merchant (in merchant order) ONE wallet lock, the reservations
    locked in id order, usage records and ledger entries written with bulk inserts, the wallet and each
    counter moved by one UPDATE. Returns {message_ref: UsageRecord or None (released)}.

    Same rules as `record_usage`, and idempotent like it. A reference listed twice must say the same thing
    twice (ValueError otherwise); an unknown reference raises ReservationNotFound and nothing is written.
    """
    now = now or timezone.now()
    wanted: dict[str, Usage] = {}
    for usage in usages:
        seen = wanted.setdefault(usage.message_ref, usage)
        if seen != usage:
            raise ValueError(f"message {usage.message_ref} is listed twice with different outcomes")
    out: dict[str, UsageRecord | None] = {}
    if not wanted:
        return out
    with transaction.atomic():
        heads = dict(Reservation.objects.filter(message_ref__in=list(wanted)).values_list("message_ref", "merchant_id"))
        missing = [ref for ref in wanted if ref not in heads]
        if missing:
            records = {r.message_ref: r for r in UsageRecord.objects.filter(message_ref__in=missing)}
            for ref in missing:
                if ref not in records:
                    raise ReservationNotFound(f"no reservation for message {ref}")
                out[ref] = records[ref]
        by_merchant: dict[int, list[Usage]] = {}
        for ref, merchant_id in heads.items():
            by_merchant.setdefault(merchant_id, []).append(wanted[ref])
        for merchant_id in sorted(by_merchant):
            out.update(_settle(merchant_id, by_merchant[merchant_id], now=now))
    return out


def _settle(merchant_id: int, usages: list[Usage], *, now: dt.datetime) -> dict[str, UsageRecord | None]:
    wallet = _locked_wallet(merchant_id)
    wanted = {u.message_ref: u for u in usages}
    reservations = list(Reservation.objects.select_for_update().filter(message_ref__in=list(wanted)).order_by("pk"))
    out: dict[str, UsageRecord | None] = {}
    consumed = [r.message_ref for r in reservations if r.status == Reservation.Status.CONSUMED]
    if consumed:
        out.update({r.message_ref: r for r in UsageRecord.objects.filter(message_ref__in=consumed)})
    released_ids, consumed_ids = [], []
    records: list[tuple[UsageRecord, Decimal]] = []
    moved: dict[tuple, list] = {}  # (channel, day, month) -> [reserved, free reserved, used, free used]
    periods: dict[dt.date, dt.date] = {}
    reserved_change = ZERO
    for reservation in reservations:
        if reservation.status == Reservation.Status.CONSUMED:
            continue
        usage = wanted[reservation.message_ref]
        held = reservation.status == Reservation.Status.HELD
        held_amount = reservation.amount if held else ZERO
        held_free = reservation.free_units if held else 0
        move = moved.setdefault((reservation.channel, reservation.day, reservation.month), [ZERO, 0, ZERO, 0])
        if not usage.sent:
            out[reservation.message_ref] = None
            if held:
                released_ids.append(reservation.pk)
                move[0] -= held_amount
                move[1] -= held_free
                reserved_change -= held_amount
            continue
        units = reservation.quantity if usage.quantity is None else usage.quantity
        if not isinstance(units, int) or units < 1:
            raise ValueError("quantity must be a whole number of at least 1")
        free = min(units, held_free)
        amount = quantize(reservation.unit_price * (units - free))
        if reservation.month not in periods:
            periods[reservation.month] = _open_period(merchant_id, reservation.month)
        record = UsageRecord(
            merchant_id=merchant_id,
            message_ref=reservation.message_ref,
            channel=reservation.channel,
            country=reservation.country,
            message_class=reservation.message_class,
            quantity=units,
            included_units=free,
            unit_price=reservation.unit_price,
            amount=amount,
            currency=wallet.currency,
            price_book_id=reservation.price_book_id,
            period=periods[reservation.month],
            created_at=now,
        )
        records.append((record, amount))
        out[reservation.message_ref] = record
        consumed_ids.append(reservation.pk)
        move[0] -= held_amount
        move[1] -= held_free
        move[2] += amount
        move[3] += free
        reserved_change -= held_amount

    if records:
        UsageRecord.objects.bulk_create([r for r, _amount in records])
    entries = []
    balance = wallet.balance
    for record, amount in records:
        if amount:
            balance -= amount
            entries.append(
                LedgerEntry(
                    merchant_id=merchant_id,
                    kind=LedgerEntry.Kind.USAGE,
                    amount=-amount,
                    balance_after=balance,
                    currency=wallet.currency,
                    period=record.period,
                    reference=record.message_ref[:120],
                    usage_record=record,
                    created_at=now,
                )
            )
    if entries:
        LedgerEntry.objects.bulk_create(entries)
    if balance != wallet.balance or reserved_change:
        Wallet.objects.filter(pk=wallet.pk).update(
            balance=_rounded(F("balance") + (balance - wallet.balance)),
            reserved=_rounded(F("reserved") + reserved_change),
            updated_at=now,
        )
    if released_ids:
        Reservation.objects.filter(pk__in=released_ids).update(status=Reservation.Status.RELEASED, settled_at=now)
    if consumed_ids:
        Reservation.objects.filter(pk__in=consumed_ids).update(status=Reservation.Status.CONSUMED, settled_at=now)
    for (channel, day, month), (reserved, free_reserved, used, free_used) in moved.items():
        if reserved or free_reserved or used or free_used:
            _move_counters(
                merchant_id, channel=channel, day=day, month=month, reserved=reserved, used=used,
                free_reserved=free_reserved, free_used=free_used,
            )  # fmt: skip
    return out


def release_stale_reservations(*, older_than: dt.timedelta, now: dt.datetime | None = None) -> int:
    """Release reservations nobody settled (a worker died before `record_usage`), so money is not held forever."""
    now = now or timezone.now()
    refs = list(
        Reservation.objects.filter(status=Reservation.Status.HELD, created_at__lt=now - older_than)
        .order_by("created_at")
        .values_list("message_ref", flat=True)[:5000]
    )
    for ref in refs:
        record_usage(message_ref=ref, sent=False, now=now)
    if refs:
        logger.warning("released %d stale billing reservations", len(refs))
    return len(refs)


# --- wallet: top-ups, adjustments, refunds -----------------------------------------------------

MANUAL_KINDS = (LedgerEntry.Kind.TOP_UP, LedgerEntry.Kind.ADJUSTMENT, LedgerEntry.Kind.REFUND)


def manual_entry_errors(*, kind: str, amount: Decimal, reason: str) -> dict[str, str]:
    """What is wrong with a manual ledger entry, by field (empty when it may be posted)."""
    errors = {}
    if kind not in MANUAL_KINDS:
        errors["kind"] = _("Choose a top-up, an adjustment or a refund.")
    if not (reason or "").strip():
        errors["reason"] = _("Say why: the reason is kept in the ledger.")
    if kind in (LedgerEntry.Kind.TOP_UP, LedgerEntry.Kind.REFUND) and amount <= 0:
        errors["amount"] = _("Enter an amount above zero.")
    elif amount == 0:
        errors["amount"] = _("An adjustment cannot be zero.")
    elif amount != quantize(amount):
        errors["amount"] = _("Use at most six decimal places.")
    return errors


def post_manual_entry(
    *,
    merchant,
    kind: str,
    amount: Decimal | str,
    reason: str,
    created_by=None,
    reference: str = "",
    now: dt.datetime | None = None,
) -> LedgerEntry:
    """A top-up (amount > 0), a refund paid out (amount > 0, taken from the balance) or an adjustment
    (signed: positive credits the merchant). A reason is required. After a month is closed the entry
    goes on the next statement. A top-up with a payment reference already posted returns that entry."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    amount = to_decimal(amount)
    errors = manual_entry_errors(kind=kind, amount=amount, reason=reason)
    if errors:
        raise ValidationError(errors)
    signed = -amount if kind == LedgerEntry.Kind.REFUND else amount
    with transaction.atomic():
        wallet = _locked_wallet(merchant.pk)
        if kind == LedgerEntry.Kind.TOP_UP and reference:
            posted = LedgerEntry.objects.filter(merchant_id=merchant.pk, kind=kind, reference=reference).first()
            if posted is not None:
                return posted
        return _post_ledger(
            wallet,
            kind=kind,
            amount=signed,
            period=_open_period(merchant.pk, month_of(now)),
            at=now,
            reason=reason,
            reference=reference,
            created_by=created_by,
        )


def top_up(
    *, merchant, amount: Decimal | str, reason: str, reference: str = "", created_by=None, now=None
) -> LedgerEntry:
    return post_manual_entry(
        merchant=merchant,
        kind=LedgerEntry.Kind.TOP_UP,
        amount=amount,
        reason=reason,
        reference=reference,
        created_by=created_by,
        now=now,
    )


def set_credit_limit(*, merchant, credit_limit: Decimal) -> Wallet:
    with transaction.atomic():
        wallet = _locked_wallet(merchant.pk)
        if credit_limit < 0:
            raise ValidationError({"credit_limit": _("The credit limit cannot be negative.")})
        Wallet.objects.filter(pk=wallet.pk).update(credit_limit=credit_limit)
        wallet.credit_limit = credit_limit
        return wallet


# --- plans -------------------------------------------------------------------------------------


def change_plan(*, merchant, plan: Plan, now: dt.datetime | None = None) -> Subscription:
    """End the open subscription and start `plan` now. The month's fee is that of the latest plan."""
    now = now or timezone.now()
    with transaction.atomic():
        _locked_wallet(merchant.pk)  # one plan change at a time per merchant
        current = Subscription.objects.filter(merchant_id=merchant.pk, ended_at__isnull=True).first()
        if current is not None:
            if current.plan_id == plan.pk:
                return current
            Subscription.objects.filter(pk=current.pk).update(ended_at=now)
        return Subscription.objects.create(merchant_id=merchant.pk, plan=plan, started_at=now)


# --- caps ------------------------------------------------------------------------------------


def update_budget_caps(
    *,
    merchant,
    monthly_limit: Decimal | None,
    daily_limit: Decimal | None,
    channel_limits: Mapping[str, tuple[Decimal | None, Decimal | None]],
    allowed_countries: Iterable[str],
    countries_follow_stores: bool,
    updated_by=None,
) -> BudgetCap:
    """Set the merchant-wide and per-channel (monthly, daily) caps and the SMS/WhatsApp country list.

    A blank cap means none. Lowering a cap below what is already spent stops
    paid sends at once; raising it lets them resume (and re-arms its alerts).
    """
    errors = {}
    for name, value in (("monthly_limit", monthly_limit), ("daily_limit", daily_limit)):
        if value is not None and value < 0:
            errors[name] = _("A cap cannot be negative.")
    for channel, pair in channel_limits.items():
        if channel not in Channel.values:
            errors[channel] = _("Unknown channel.")
        elif any(v is not None and v < 0 for v in pair):
            errors[channel] = _("A cap cannot be negative.")
    countries = []
    for code in allowed_countries:
        try:
            countries.append(normalise_country(code))
        except ValidationError:
            errors["allowed_countries"] = _("%(value)s is not an ISO 3166 country code.") % {"value": code}
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        cap, _created = BudgetCap.objects.update_or_create(
            merchant_id=merchant.pk,
            defaults={
                "monthly_limit": monthly_limit,
                "daily_limit": daily_limit,
                "allowed_countries": sorted(set(countries)),
                "countries_follow_stores": countries_follow_stores,
                "updated_by": updated_by,
            },
        )
        for channel, (monthly, daily) in channel_limits.items():
            if monthly is None and daily is None:
                ChannelCap.objects.filter(merchant_id=merchant.pk, channel=channel).delete()
            else:
                ChannelCap.objects.update_or_create(
                    merchant_id=merchant.pk, channel=channel, defaults={"monthly_limit": monthly, "daily_limit": daily}
                )
    return cap


# --- price books -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PriceSpec:
    channel: str
    country: str
    message_class: str
    unit_price: Decimal


def ensure_price_book_editable(price_book: PriceBook) -> None:
    if selectors.price_book_is_used(price_book):
        raise PriceBookLocked(
            _("Price book v%(version)s has priced messages and cannot change; create a new version.")
            % {"version": price_book.version}
        )


def _validated_price(spec: PriceSpec) -> PriceSpec:
    if spec.channel not in Channel.values or spec.message_class not in MessageClass.values:
        raise ValidationError(_("Unknown channel or message class."))
    unit_price = to_decimal(spec.unit_price)
    if unit_price < 0 or unit_price != quantize(unit_price):
        raise ValidationError(_("A unit price is zero or more, with at most six decimal places."))
    country = normalise_country(spec.country, allow_any=True)
    return PriceSpec(spec.channel, country, spec.message_class, unit_price)


def create_price_book(
    *,
    name: str,
    effective_from: dt.datetime,
    prices: Iterable[PriceSpec] = (),
    copy_from: PriceBook | None = None,
    currency: str | None = None,
    note: str = "",
    created_by=None,
) -> PriceBook:
    """A new version (numbered after the last), with `prices` on top of a copy of `copy_from`'s."""
    specs = {}
    if copy_from is not None:
        for price in copy_from.prices.all():
            specs[(price.channel, price.country, price.message_class)] = price.unit_price
    for spec in prices:
        spec = _validated_price(spec)
        specs[(spec.channel, spec.country, spec.message_class)] = spec.unit_price
    with transaction.atomic():
        last = PriceBook.objects.select_for_update().order_by("-version").first()
        if PriceBook.objects.filter(effective_from=effective_from).exists():
            raise ValidationError({"effective_from": _("Another version takes effect at that moment.")})
        book = PriceBook.objects.create(
            version=(last.version + 1) if last else 1,
            name=name,
            currency=currency or (copy_from.currency if copy_from else billing_currency()),
            effective_from=effective_from,
            note=note,
            created_by=created_by,
        )
        Price.objects.bulk_create(
            [
                Price(price_book=book, channel=ch, country=co, message_class=mc, unit_price=up)
                for (ch, co, mc), up in sorted(specs.items())
            ]
        )
    return book


def set_price(*, price_book: PriceBook, spec: PriceSpec) -> Price:
    """Add or change one price of a version that has not priced anything yet."""
    spec = _validated_price(spec)
    with transaction.atomic():
        PriceBook.objects.select_for_update().get(pk=price_book.pk)
        ensure_price_book_editable(price_book)
        price, _created = Price.objects.update_or_create(
            price_book=price_book,
            channel=spec.channel,
            country=spec.country,
            message_class=spec.message_class,
            defaults={"unit_price": spec.unit_price},
        )
    return price


# --- statements --------------------------------------------------------------------------------


def _has_activity(merchant, month: dt.date) -> bool:
    return (
        LedgerEntry.objects.filter(merchant_id=merchant.pk, period=month).exists()
        or UsageRecord.objects.filter(merchant_id=merchant.pk, period=month).exists()
        or selectors.subscription_for_month(merchant, month) is not None
    )


def close_statement(*, merchant, month: dt.date, now: dt.datetime | None = None) -> Statement | None:
    """Close one past month: charge the plan fee, freeze lines and totals. Idempotent.

    Earlier months that are still open are closed first, so statements follow
    each other. A month with no plan, usage or ledger entry gets no statement
    (returns None). After closing, nothing can land in the month: usage and
    adjustments that arrive later go to the next statement.
    """
    now = now or timezone.now()
    month = month.replace(day=1)
    if next_month(month) > day_of(now):
        raise StatementClosed(_("A month can be closed only after it has ended."))
    latest = selectors.latest_closed_month(merchant.pk)
    if latest is not None and month <= latest:
        return Statement.objects.filter(merchant_id=merchant.pk, month=month).first()
    start = next_month(latest) if latest else (selectors.first_activity_month(merchant) or month)
    statement = None
    cursor = min(start, month)
    while cursor <= month:
        statement = _close_one(merchant, cursor, now) if _has_activity(merchant, cursor) else None
        cursor = next_month(cursor)
    return statement


def _close_one(merchant, month: dt.date, now: dt.datetime) -> Statement:
    with transaction.atomic():
        wallet = _locked_wallet(merchant.pk)
        existing = Statement.objects.filter(merchant_id=merchant.pk, month=month).first()
        if existing is not None:
            return existing
        latest = selectors.latest_closed_month(merchant.pk)
        if latest is not None and latest > month:
            raise StatementClosed(_("A later month is already closed."))

        subscription = selectors.subscription_for_month(merchant, month)
        plan = subscription.plan if subscription else None
        if plan is not None and plan.monthly_fee > 0:
            _post_ledger(
                wallet,
                kind=LedgerEntry.Kind.PLAN_FEE,
                amount=-plan.monthly_fee,
                period=month,
                at=now,
                reason=f"{plan.name} {month:%Y-%m}",
            )

        usage = list(
            UsageRecord.objects.filter(merchant_id=merchant.pk, period=month)
            .values("channel", "country", "message_class")
            .annotate(messages=Count("id"), units=Sum("quantity"), included=Sum("included_units"), amount=Sum("amount"))
            .order_by("channel", "country", "message_class")
        )
        for row in usage:
            row["amount"] = quantize(Decimal(row["amount"]))
        usage_amount = sum((row["amount"] for row in usage), ZERO)
        entries = list(LedgerEntry.objects.filter(merchant_id=merchant.pk, period=month).order_by("created_at", "id"))
        by_kind: dict[str, Decimal] = {}
        for entry in entries:
            by_kind[entry.kind] = by_kind.get(entry.kind, ZERO) + entry.amount
        if by_kind.get(LedgerEntry.Kind.USAGE, ZERO) != -usage_amount:
            raise BooksDisagree(
                f"{merchant} {month:%Y-%m}: usage {usage_amount} but the ledger has "
                f"{-by_kind.get(LedgerEntry.Kind.USAGE, ZERO)}"
            )
        opening = sum_of(LedgerEntry.objects.filter(merchant_id=merchant.pk, period__lt=month))
        plan_fee = -by_kind.get(LedgerEntry.Kind.PLAN_FEE, ZERO)
        adjustments = by_kind.get(LedgerEntry.Kind.ADJUSTMENT, ZERO)
        statement = Statement.objects.create(
            merchant_id=merchant.pk,
            month=month,
            currency=wallet.currency,
            plan_name=plan.name if plan else "",
            plan_fee=plan_fee,
            usage_amount=usage_amount,
            adjustments=adjustments,
            total=usage_amount + plan_fee - adjustments,
            top_ups=by_kind.get(LedgerEntry.Kind.TOP_UP, ZERO),
            refunds=-by_kind.get(LedgerEntry.Kind.REFUND, ZERO),
            opening_balance=opening,
            closing_balance=opening + sum((e.amount for e in entries), ZERO),
            message_count=sum(row["messages"] for row in usage),
            closed_at=now,
        )
        lines = []
        if plan is not None:
            lines.append(StatementLine(kind=StatementLine.Kind.PLAN_FEE, description=plan.name, amount=plan_fee))
        for row in usage:
            lines.append(
                StatementLine(
                    kind=StatementLine.Kind.USAGE,
                    channel=row["channel"],
                    country=row["country"],
                    message_class=row["message_class"],
                    messages=row["messages"],
                    units=row["units"],
                    included_units=row["included"],
                    amount=row["amount"],
                )
            )
        kinds = {
            LedgerEntry.Kind.ADJUSTMENT: StatementLine.Kind.ADJUSTMENT,
            LedgerEntry.Kind.TOP_UP: StatementLine.Kind.TOP_UP,
            LedgerEntry.Kind.REFUND: StatementLine.Kind.REFUND,
        }
        for entry in entries:
            if entry.kind in kinds:
                lines.append(StatementLine(kind=kinds[entry.kind], description=entry.reason, amount=entry.amount))
        for position, line in enumerate(lines, start=1):
            line.statement = statement
            line.position = position
        StatementLine.objects.bulk_create(lines)
        return statement


def close_due_statements(*, now: dt.datetime | None = None) -> int:
    """The beat job of the 1st: close last month (and any missed before it) for every merchant."""
    now = now or timezone.now()
    last_month = previous_month(month_of(now))
    merchant_ids = set(Wallet.objects.values_list("merchant_id", flat=True)) | set(
        Subscription.objects.values_list("merchant_id", flat=True)
    )
    from accounts.models import Merchant

    closed = 0
    for merchant in Merchant.objects.filter(pk__in=merchant_ids).order_by("pk"):
        try:
            if close_statement(merchant=merchant, month=last_month, now=now) is not None:
                closed += 1
        except BooksDisagree:
            logger.exception("statement of merchant %s not closed: the books disagree", merchant.pk)
    return closed


def check_books(*, merchant=None) -> dict[int, list[str]]:
    """Run `selectors.verify_books` for one or every merchant with a wallet; log what disagrees."""
    from accounts.models import Merchant

    merchants = (
        [merchant] if merchant is not None else Merchant.objects.filter(pk__in=Wallet.objects.values("merchant_id"))
    )
    found = {}
    for m in merchants:
        problems = selectors.verify_books(m)
        if problems:
            logger.error("billing books of merchant %s disagree: %s", m.pk, "; ".join(problems))
            found[m.pk] = problems
    return found
