"""Fulfilment notices: shipped, out for delivery, delivery problem, returned to sender.

A notice campaign (purpose `order_shipped`, `out_for_delivery`, `delivery_exception` or
`returned_to_sender`) plans one `Message` per order event of that kind, at once and inside the buyer's
sending window, through the same outbox, checks, billing and reports as a review request:

- **Promptly.** `orders.events` tells the listener registered in `ReviewsConfig.ready()` about new events
  after their commit; it queues `plan_order_events_task`. The per-minute beat planner reads the events
  received since the campaign's cursor as well, so an event whose task was lost is planned a minute later.
- **At most one per order and event type**, whatever the number of campaigns or replays: the message's
  `dedupe_key` (`notice:<order>:<event type>`) is unique per merchant in the database, and rows are
  inserted with ON CONFLICT DO NOTHING.
- **Transactional.** No marketing consent is needed (a withdrawal still blocks), suppression applies,
  the frequency cap counts transactional messages only (`Message.transactional`), billing prices the
  `transactional` class.
- News about a parcel is only worth sending while it is news: an event that happened more than
  `NOTICE_MAX_AGE` ago (an import of old orders) is not planned at all, and one for an order already
  delivered is recorded as skipped (`notice_superseded`).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from urllib.parse import quote

from django.db.models import CharField, Exists, OuterRef, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from orders import selectors as order_selectors

from .codes import Code
from .models import (
    EVENT_OF_PURPOSE,
    NOTICE_PURPOSES,
    PURPOSE_OF_EVENT,
    Campaign,
    CampaignStatus,
    Message,
    MessageStatus,
    Purpose,
)

logger = logging.getLogger(__name__)

NOTICE_MAX_AGE = dt.timedelta(days=3)
CURSOR_SLACK = dt.timedelta(minutes=10)
CHUNK = 2000

# Public tracking pages of common carriers ({n}: the tracking number); any other carrier: 17TRACK's page.
CARRIER_TRACKING_URLS = {
    "ups": "https://www.ups.com/track?tracknum={n}",
    "usps": "https://tools.usps.com/go/TrackConfirmAction?tLabels={n}",
    "fedex": "https://www.fedex.com/fedextrack/?trknbr={n}",
    "dhl": "https://www.dhl.com/global-en/home/tracking/tracking-express.html?submit=1&tracking-id={n}",
    "dhl paket": "https://www.dhl.de/de/privatkunden/pakete-empfangen/verfolgen.html?piececode={n}",
    "royal mail": "https://www.royalmail.com/track-your-item#/tracking-results/{n}",
    "colissimo": "https://www.laposte.fr/outils/suivre-vos-envois?code={n}",
    "la poste": "https://www.laposte.fr/outils/suivre-vos-envois?code={n}",
    "japan post": "https://trackings.post.japanpost.jp/services/srv/search/direct?reqCodeNo1={n}",
    "correos": "https://www.correos.es/es/es/herramientas/localizador/envios/detalle?tracking-number={n}",
}
ANY_CARRIER_TRACKING_URL = "https://t.17track.net/en#nums={n}"


def dedupe_key(order_id: int, event_type: str) -> str:
    return f"notice:{order_id}:{event_type}"


def outbound_class(campaign: Campaign) -> str:
    """The class channels see on the outbound message (suppression scope, ESP tags, Amazon's refusals)."""
    if campaign.purpose == Purpose.REVIEW_REQUEST:
        return "review_request"
    if campaign.purpose in NOTICE_PURPOSES:
        return "transactional"
    return "marketing"


# --- the tracking link ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tracking:
    carrier: str = ""
    number: str = ""
    link: str = ""


def tracking_link(*, carrier: str, number: str, url: str = "") -> str:
    """The platform's own tracking address when it gave one (https only), else the carrier's public page."""
    if url.startswith("https://"):
        return url
    if not number:
        return ""
    pattern = CARRIER_TRACKING_URLS.get(carrier.strip().casefold(), ANY_CARRIER_TRACKING_URL)
    return pattern.format(n=quote(number.strip(), safe=""))


def tracking_of(message: Message) -> Tracking:
    """Carrier, number and link for a message's order; for a notice, the triggering event's own details win."""
    order = message.order
    carrier, number, url = order.carrier or "", order.tracking_number or "", ""
    event_type = EVENT_OF_PURPOSE.get(message.campaign.purpose)
    if event_type:
        from orders.models import OrderEvent

        data = (
            OrderEvent.objects.filter(order_id=order.pk, type=event_type)
            .order_by("-occurred_at", "-pk")
            .values_list("data", flat=True)
            .first()
        ) or {}
        carrier = carrier or str(data.get("carrier") or data.get("slug") or "")
        number = number or str(data.get("tracking_number") or "")
        url = str(data.get("tracking_url") or "")
    return Tracking(carrier=carrier, number=number, link=tracking_link(carrier=carrier, number=number, url=url))


# --- planning -----------------------------------------------------------------------------------------------


def _rows(campaign: Campaign, events, *, steps, variants, now: dt.datetime):
    from . import planning, rules

    need_items = rules.needs_items(campaign)
    rows, outcome = [], planning.PlanResult()
    for event in events:
        order = event.order
        if order.delivered_at is not None:
            decision = planning.Decision(MessageStatus.SKIPPED, Code.NOTICE_SUPERSEDED)
        else:
            items = list(order.items.all()) if need_items else None
            decision = planning.decide(campaign, order, steps=steps, variants=variants, now=now, items=items)
        rows.append(
            Message(
                merchant_id=campaign.merchant_id,
                campaign=campaign,
                order=order,
                buyer_id=order.buyer_id,
                step=1,
                status=decision.status,
                reason_code=decision.code,
                country=(order.ship_country or "")[:2].upper(),
                identity=rules.identity_of(order.buyer, order),
                variant=decision.variant,
                channel=decision.channel,
                account_id=decision.account_id,
                send_at=decision.send_at or now,
                transactional=True,
                dedupe_key=dedupe_key(order.pk, event.type),
            )
        )
        outcome.add(planning.PlanResult(**{_bucket(decision.status): 1}, codes=_codes(decision)))
    return rows, outcome


def _bucket(status: str) -> str:
    return {MessageStatus.PLANNED: "planned", MessageStatus.HELD_OUT: "held_out"}.get(status, "skipped")


def _codes(decision) -> dict[str, int]:
    return {decision.code: 1} if decision.status == MessageStatus.SKIPPED and decision.code else {}


def _plan_events(campaign: Campaign, events: list, *, now: dt.datetime):
    """Insert the notices of these events for one campaign (events already announced are left out, and so
    are events older than NOTICE_MAX_AGE: a bulk import of last year's orders writes no rows at all)."""
    from . import planning

    result = planning.PlanResult()
    events = [e for e in events if now - e.occurred_at <= NOTICE_MAX_AGE]
    if not events:
        return result
    known = set(
        Message.objects.filter(
            merchant_id=campaign.merchant_id, dedupe_key__in=[dedupe_key(e.order_id, e.type) for e in events]
        ).values_list("dedupe_key", flat=True)
    )
    fresh, seen = [], set()
    for event in events:
        key = dedupe_key(event.order_id, event.type)
        if key in known or key in seen:
            continue  # a replay, a second source of the same news, or another campaign was first
        seen.add(key)
        fresh.append(event)
    if not fresh:
        return result
    rows, result = _rows(
        campaign, fresh, steps=list(campaign.plan_steps.all()), variants=list(campaign.variants.all()), now=now
    )
    planning.insert_rows(rows)
    return result


def _unannounced(events):
    """Leave out, in SQL, the events whose notice exists already (the beat re-reads the last minutes)."""
    key = Concat(
        Value("notice:"), Cast(OuterRef("order_id"), CharField()), Value(":"), OuterRef("type"),
        output_field=CharField(),
    )  # fmt: skip
    # `.exclude(dedupe_key="")` repeats the partial unique index's condition, so PostgreSQL probes that index
    announced = Message.objects.filter(merchant_id=OuterRef("merchant_id"), dedupe_key=key).exclude(dedupe_key="")
    return events.exclude(Exists(announced))


def plan_notice_campaign(*, campaign: Campaign, now: dt.datetime):
    """The beat's pass for one notice campaign: events received since its cursor."""
    from . import planning

    result = planning.PlanResult()
    start = campaign.planned_at or campaign.status_changed_at or now
    query = {
        "merchant_id": campaign.merchant_id,
        "store_ids": planning.campaign_store_ids(campaign),
        "types": [EVENT_OF_PURPOSE[campaign.purpose]],
        "occurred_after": now - NOTICE_MAX_AGE,
        "received_after": start - CURSOR_SLACK,  # in the chunks' query too: either index reads few rows
    }
    # The ids first, by the (merchant, type, received_at) index and without ORDER BY … LIMIT (which would
    # tempt PostgreSQL to walk the primary key through the whole table); then the events in chunks.
    ids = sorted(_unannounced(order_selectors.fulfilment_events(**query)).order_by().values_list("pk", flat=True))
    for first in range(0, len(ids), CHUNK):
        chunk = order_selectors.fulfilment_events(event_ids=ids[first : first + CHUNK], **query)
        result.add(_plan_events(campaign, list(chunk.prefetch_related("order__items")), now=now))
    Campaign.objects.filter(pk=campaign.pk).update(planned_until=now, planned_at=now)
    return result


def plan_order_events(*, event_ids: list[int], now: dt.datetime | None = None):
    """The on-commit path: plan the notices of just-recorded events, for every matching active campaign."""
    from orders.models import OrderEvent

    from . import planning

    now = now or timezone.now()
    result = planning.PlanResult()
    heads = list(
        OrderEvent.objects.filter(pk__in=event_ids, type__in=list(PURPOSE_OF_EVENT)).values_list("merchant_id", "type")
    )
    wanted = {(merchant_id, PURPOSE_OF_EVENT[kind]) for merchant_id, kind in heads}
    if not wanted:
        return result
    campaigns = (
        Campaign.objects.filter(status=CampaignStatus.ACTIVE, merchant_id__in={m for m, _p in wanted})
        .filter(purpose__in=NOTICE_PURPOSES)
        .select_related("merchant")
        .prefetch_related("stores", "plan_steps", "variants")
        .order_by("pk")
    )
    for campaign in campaigns:
        if (campaign.merchant_id, campaign.purpose) not in wanted:
            continue
        events = list(
            order_selectors.fulfilment_events(
                merchant_id=campaign.merchant_id,
                store_ids=planning.campaign_store_ids(campaign),
                types=[EVENT_OF_PURPOSE[campaign.purpose]],
                event_ids=event_ids,
                occurred_after=now - NOTICE_MAX_AGE,
            ).prefetch_related("order__items")
        )
        try:
            result.add(_plan_events(campaign, events, now=now))
        except Exception:  # one campaign's failure must not keep the others; the beat planner retries
            logger.exception("planning notices of campaign %s failed", campaign.pk)
    return result


def on_order_events(events) -> None:
    """orders' listener (after commit): queue planning for the events a notice campaign may announce."""
    ids = [e.event_id for e in events if e.type in PURPOSE_OF_EVENT]
    if not ids:
        return
    from .tasks import plan_order_events_task

    plan_order_events_task.delay(ids)
