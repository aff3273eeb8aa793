"""Writes of the insights app: circuit breakers, notices (in-app and email), the weekly digest.

    evaluate_breakers(*, now=None) -> list[BreakerTrip]           (beat, and after complaint/bounce events)
    evaluate_account(*, account, now=None) -> BreakerTrip | None
    create_notice(*, merchant, kind, key, params, url="", level="info", email=True) -> Notice | None
    send_notice_email(*, notice_id) -> bool
    collect_notices(*, now=None) -> int     (budget alerts, rejected templates, failing stores and accounts)
    mark_read(*, merchant, notice_id=None) -> int
    send_weekly_digests(*, today=None) -> int

Campaigns are paused through reviews.services.pause_campaigns_of_account; nothing here resumes them.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import Merchant
from accounts.selectors import owners_of
from channels.models import ChannelAccount
from reviews import services as reviews

from . import selectors
from .models import BreakerRule, BreakerTrip, Notice, NoticeKind, NoticeLevel
from .notices import breaker_reason, render

logger = logging.getLogger(__name__)


# --- circuit breakers ----------------------------------------------------------------------


@dataclass(frozen=True)
class Thresholds:
    window: dt.timedelta
    min_sends: int
    complaint_rate: Decimal
    hard_bounce_rate: Decimal
    provider_error_rate: Decimal
    unsubscribe_factor: Decimal
    unsubscribe_floor: int

    @classmethod
    def from_settings(cls) -> Thresholds:
        return cls(
            window=dt.timedelta(hours=settings.INSIGHTS_BREAKER_WINDOW_HOURS),
            min_sends=settings.INSIGHTS_BREAKER_MIN_SENDS,
            complaint_rate=Decimal(settings.INSIGHTS_BREAKER_COMPLAINT_RATE),
            hard_bounce_rate=Decimal(settings.INSIGHTS_BREAKER_HARD_BOUNCE_RATE),
            provider_error_rate=Decimal(settings.INSIGHTS_BREAKER_PROVIDER_ERROR_RATE),
            unsubscribe_factor=Decimal(settings.INSIGHTS_BREAKER_UNSUBSCRIBE_FACTOR),
            unsubscribe_floor=settings.INSIGHTS_BREAKER_UNSUBSCRIBE_FLOOR,
        )


@dataclass(frozen=True)
class Verdict:
    rule: str
    rate: Decimal
    threshold: Decimal
    events: int
    sample: int


def judge(f: selectors.AccountFigures, t: Thresholds) -> Verdict | None:
    """The first rule the figures break (strictly above its threshold, on at least the minimum sample).

    Rates are exact decimals, so 3 complaints in 1,000 sends (0.3 %) does not trip and 4 does.
    """
    if f.sends >= t.min_sends:
        for rule, events, threshold in (
            (BreakerRule.COMPLAINTS, f.complaints, t.complaint_rate),
            (BreakerRule.HARD_BOUNCES, f.hard_bounces, t.hard_bounce_rate),
        ):
            rate = Decimal(events) / Decimal(f.sends)
            if rate > threshold:
                return Verdict(rule, rate, threshold, events, f.sends)
    if f.attempts >= t.min_sends:
        rate = Decimal(f.provider_errors) / Decimal(f.attempts)
        if rate > t.provider_error_rate:
            return Verdict(BreakerRule.PROVIDER_ERRORS, rate, t.provider_error_rate, f.provider_errors, f.attempts)
    # The usual number of unsubscribes in a window as long as this one, from the 7 days before it.
    hours = Decimal((f.until - f.since).total_seconds()) / Decimal(3600)
    baseline = Decimal(f.trailing_unsubscribes) * hours / Decimal(7 * 24)
    if f.unsubscribes > t.unsubscribe_floor and Decimal(f.unsubscribes) > t.unsubscribe_factor * baseline:
        return Verdict(
            BreakerRule.UNSUBSCRIBE_SPIKE, Decimal(f.unsubscribes), t.unsubscribe_factor * baseline, f.unsubscribes, 0
        )
    return None


def _percent(value: Decimal) -> str:
    return f"{(value * 100).quantize(Decimal('0.01'))} %"


def _trip(account: ChannelAccount, figures: selectors.AccountFigures, verdict: Verdict, now) -> BreakerTrip | None:
    merchant = account.merchant
    tz = selectors.zone_of(merchant)
    params = {
        "account": account.name,
        "account_id": account.pk,
        "rule": verdict.rule,
        "rate": _percent(verdict.rate) if verdict.rule != BreakerRule.UNSUBSCRIBE_SPIKE else str(verdict.events),
        "threshold": _percent(verdict.threshold)
        if verdict.rule != BreakerRule.UNSUBSCRIBE_SPIKE
        else str(verdict.threshold.quantize(Decimal("0.1"))),
        "events": verdict.events,
        "sample": verdict.sample,
        "since": figures.since.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
        "factor": str(settings.INSIGHTS_BREAKER_UNSUBSCRIBE_FACTOR),
        "baseline": str(
            (verdict.threshold / Decimal(settings.INSIGHTS_BREAKER_UNSUBSCRIBE_FACTOR)).quantize(Decimal("0.1"))
        )
        if verdict.rule == BreakerRule.UNSUBSCRIBE_SPIKE
        else "",
    }
    with translation.override(merchant.default_language):
        reason = breaker_reason(params)
    try:
        with transaction.atomic():
            trip = BreakerTrip.objects.create(
                merchant=merchant,
                account=account,
                rule=verdict.rule,
                key=f"{account.pk}:{figures.last_trip_id or 0}",
                rate=verdict.rate.quantize(Decimal("0.000001")),
                threshold=verdict.threshold.quantize(Decimal("0.000001")),
                numerator=verdict.events,
                denominator=verdict.sample,
                window_start=figures.since,
                window_end=figures.until,
                reason=reason[:300],
                tripped_at=now,
            )
            paused = reviews.pause_campaigns_of_account(merchant_id=merchant.pk, account_id=account.pk, reason=reason)
            trip.campaign_ids = paused
            trip.save(update_fields=["campaign_ids"])
            names = list(reviews.Campaign.objects.filter(pk__in=paused).order_by("name").values_list("name", flat=True))
            create_notice(
                merchant=merchant,
                kind=NoticeKind.BREAKER_TRIP,
                key=f"breaker:{trip.pk}",
                params={**params, "campaigns": names},
                url=reverse("insights:breakers"),
                level=NoticeLevel.DANGER,
            )
    except IntegrityError:  # another evaluation tripped on the same figures first
        return None
    logger.warning("circuit breaker %s tripped on account %s: %s", verdict.rule, account.pk, reason)
    return trip


def evaluate_account(*, account: ChannelAccount, now: dt.datetime | None = None) -> BreakerTrip | None:
    now = now or timezone.now()
    thresholds = Thresholds.from_settings()
    figures = selectors.account_figures(account, window=thresholds.window, now=now)
    verdict = judge(figures, thresholds)
    if verdict is None:
        return None
    return _trip(account, figures, verdict, now)


def evaluate_breakers(*, now: dt.datetime | None = None, merchant_id: int | None = None) -> list[BreakerTrip]:
    """Every account that was active in the window (optionally one merchant's)."""
    now = now or timezone.now()
    window = Thresholds.from_settings().window
    ids = selectors.breaker_candidates(since=now - window, until=now)
    accounts = ChannelAccount.objects.filter(pk__in=ids).select_related("merchant").order_by("pk")
    if merchant_id is not None:
        accounts = accounts.filter(merchant_id=merchant_id)
    trips = []
    for account in accounts:
        trip = evaluate_account(account=account, now=now)
        if trip is not None:
            trips.append(trip)
    return trips


# --- notices ---------------------------------------------------------------------------------


def create_notice(
    *,
    merchant: Merchant,
    kind: str,
    key: str,
    params: dict,
    url: str = "",
    level: str = NoticeLevel.INFO,
    email: bool = True,
) -> Notice | None:
    """A notice, once per (merchant, key): None when it exists already. The email follows the commit."""
    try:
        with transaction.atomic():
            notice = Notice.objects.create(
                merchant=merchant, kind=kind, key=key[:120], params=params, url=url[:300], level=level
            )
    except IntegrityError:
        return None
    if email:
        from .tasks import send_notice_email_task

        transaction.on_commit(lambda: send_notice_email_task.delay(notice.pk), robust=True)
    else:
        Notice.objects.filter(pk=notice.pk).update(emailed_at=timezone.now())
    return notice


def send_notice_email(*, notice_id: int) -> bool:
    """Email the notice to every owner, each in their language; claimed first, so it goes once."""
    notice = Notice.objects.select_related("merchant").filter(pk=notice_id).first()
    if notice is None:
        return False
    if Notice.objects.filter(pk=notice.pk, emailed_at__isnull=True).update(emailed_at=timezone.now()) != 1:
        return False
    merchant = notice.merchant
    link = settings.PUBLIC_BASE_URL + (notice.url or reverse("insights:notices"))
    for owner in owners_of(merchant):
        with translation.override(owner.language or merchant.default_language):
            text = render(notice)
            body = render_to_string(
                "insights/email/notice.txt", {"notice": notice, "text": text, "merchant": merchant, "url": link}
            )
            send_mail(f"{merchant.name}: {text.title}", body, None, [owner.email])
    return True


def mark_read(*, merchant: Merchant, notice_id: int | None = None) -> int:
    """Mark one notice (or all of the merchant's) read; another merchant's notice is not touched."""
    rows = Notice.objects.for_merchant(merchant).unread()
    if notice_id is not None:
        rows = rows.filter(pk=notice_id)
    return rows.update(read_at=timezone.now())


def _money(value) -> str:
    from billing.money import display

    return display(value)


def _collect_budget_alerts(since: dt.datetime) -> int:
    """billing's CapAlert rows (80 % / 100 %). billing emails its owners itself, so these are in-app only."""
    from billing.models import CapAlert

    made = 0
    for alert in CapAlert.objects.filter(created_at__gte=since).select_related("merchant"):
        made += bool(
            create_notice(
                merchant=alert.merchant,
                kind=NoticeKind.BUDGET_ALERT,
                key=f"cap_alert:{alert.pk}",
                params={
                    "threshold": alert.threshold,
                    "scope": alert.scope,
                    "channel": alert.channel,
                    "limit": _money(alert.limit),
                    "spent": _money(alert.spent),
                },
                url=reverse("billing:overview"),
                level=NoticeLevel.DANGER if alert.threshold >= 100 else NoticeLevel.WARNING,
                email=False,
            )
        )
    return made


def _collect_rejected_templates(since: dt.datetime) -> int:
    from templates_review.models import TemplateVersion, VersionStatus

    made = 0
    rejected = TemplateVersion.objects.filter(status=VersionStatus.REJECTED, decided_at__gte=since).select_related(
        "template", "merchant"
    )
    for version in rejected:
        made += bool(
            create_notice(
                merchant=version.merchant,
                kind=NoticeKind.TEMPLATE_REJECTED,
                key=f"template_rejected:{version.pk}",
                params={
                    "template": version.template.name,
                    "version": version.number,
                    "reason": (version.rejection_reason or "—")[:500],
                },
                url=reverse("templates_review:edit", args=[version.template_id]),
                level=NoticeLevel.WARNING,
            )
        )
    return made


def _collect_failing_stores() -> int:
    from orders.connectors.models import Connection

    made = 0
    for connection in Connection.objects.needing_attention().filter(enabled=True).select_related("merchant"):
        # one notice per failing spell: a new one only after a successful sync
        spell = connection.last_sync_at.isoformat() if connection.last_sync_at else "never"
        made += bool(
            create_notice(
                merchant=connection.merchant,
                kind=NoticeKind.STORE_FAILING,
                key=f"store_failing:{connection.pk}:{spell}",
                params={
                    "store": connection.label,
                    "failures": connection.consecutive_failures,
                    "error": (connection.last_error or "—")[:300],
                },
                url=reverse("orders:connection", args=[connection.pk]),
                level=NoticeLevel.WARNING,
            )
        )
    return made


def _collect_failing_accounts() -> int:
    made = 0
    failing = ChannelAccount.objects.filter(status=ChannelAccount.Status.FAILING).select_related("merchant")
    for account in failing:
        day = (account.last_error_at or account.updated_at).date().isoformat()
        made += bool(
            create_notice(
                merchant=account.merchant,
                kind=NoticeKind.ACCOUNT_FAILING,
                key=f"account_failing:{account.pk}:{day}",  # at most one a day per account
                params={"account": account.name, "error": (account.last_error or "—")[:300]},
                url=reverse("channels:account_detail", args=[account.pk]),
                level=NoticeLevel.WARNING,
            )
        )
    return made


def collect_notices(*, now: dt.datetime | None = None, lookback: dt.timedelta = dt.timedelta(days=7)) -> int:
    """Turn other apps' news into notices (idempotent: every notice has a unique key). Reads their tables
    through their models, writes only notices, so billing, templates_review, orders and channels need no
    change to be heard."""
    now = now or timezone.now()
    since = now - lookback
    return (
        _collect_budget_alerts(since)
        + _collect_rejected_templates(since)
        + _collect_failing_stores()
        + _collect_failing_accounts()
    )


# --- weekly digest -----------------------------------------------------------------------------


def last_week_start(today: dt.date) -> dt.date:
    """The Monday of the week before `today`'s week."""
    return today - dt.timedelta(days=today.weekday() + 7)


def send_weekly_digest(*, merchant: Merchant, week_start: dt.date) -> Notice | None:
    from billing.selectors import wallet_of

    digest = selectors.weekly_digest(merchant, week_start=week_start)
    year, week, _day = week_start.isocalendar()
    return create_notice(
        merchant=merchant,
        kind=NoticeKind.WEEKLY_DIGEST,
        key=f"digest:{year}-W{week:02d}",
        params={
            "start": digest.start.isoformat(),
            "end": digest.end.isoformat(),
            "sent": digest.sent,
            "review_clicks": digest.review_clicks,
            "complaints": digest.complaints,
            "cost": _money(digest.cost),
            "currency": wallet_of(merchant).currency,
            "trips": digest.trips,
            "tickets": digest.tickets,
        },
        url=reverse("insights:reports")
        + f"?date_from={digest.start.isoformat()}&date_to={digest.end.isoformat()}&period=day",
    )


def send_weekly_digests(*, today: dt.date | None = None) -> int:
    """Last week's digest for every active merchant, once per merchant and week."""
    made = 0
    for merchant in Merchant.objects.order_by("pk"):
        day = today or timezone.now().astimezone(selectors.zone_of(merchant)).date()
        made += bool(send_weekly_digest(merchant=merchant, week_start=last_week_start(day)))
    return made
