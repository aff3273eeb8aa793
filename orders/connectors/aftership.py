"""AfterShip Tracking: register tracking numbers (POST /trackings) and receive its signed webhooks.

Docs followed: AfterShip Tracking API 2025-01 "Quick start" (as-api-key header, base
https://api.aftership.com/tracking/2025-01), "Create a tracking" (POST /trackings with tracking_number,
slug, order_id, order_number; meta.code 4003 "Tracking already exists"), "Webhook" → "Webhook
Specifications" (body: ts, event, event_id, is_tracking_first_tag, msg = the tracking with tag, subtag,
subtag_message, tracking_number, slug, checkpoints[]) and "Webhook Signature" (aftership-hmac-sha256 =
base64 HMAC-SHA256 of the raw body keyed with the webhook secret); "Delivery statuses" (tags InfoReceived,
InTransit, OutForDelivery, AttemptFail, Delivered, AvailableForPickup, Exception, Expired, Pending; subtags
such as Delivered_001 … Delivered_004, Delivered_003 "signed by customer"; Exception_010 "returning to
sender" and Exception_011 "returned to sender", which become `returned_to_sender` events).
"""

from __future__ import annotations

import datetime as dt
import hashlib

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..models import Source
from .base import CredentialField, Outcome, http_client, json_of, parse_time, request
from .ingest import apply_events
from .trackers import Registration, RegistrationResult, TrackerConnector

PLATFORM = "AfterShip"
ALREADY_EXISTS = 4003
EVENT_OF_TAG = {
    "Delivered": "delivered",
    "OutForDelivery": "out_for_delivery",
    "AvailableForPickup": "out_for_delivery",
    "AttemptFail": "delivery_exception",
    "Exception": "delivery_exception",
    "InTransit": "shipped",
}
# Exception subtags that mean the carrier sends the parcel back to the merchant.
RETURN_TO_SENDER_SUBTAGS = frozenset({"Exception_010", "Exception_011"})


class AfterShipConnector(TrackerConnector):
    kind = "aftership"
    label = gettext_lazy("AfterShip")
    fields = [
        CredentialField("api_key", gettext_lazy("API key")),
        CredentialField(
            "webhook_secret",
            gettext_lazy("Webhook secret"),
            help_text=gettext_lazy("AfterShip → Settings → Webhooks; it signs every webhook."),
        ),
        CredentialField(
            "api_base_url",
            gettext_lazy("API address (optional)"),
            secret=False,
            required=False,
            help_text=gettext_lazy("Leave empty for https://api.aftership.com/tracking/2025-01."),
        ),
    ]

    def _headers(self, connection) -> dict[str, str]:
        return {"as-api-key": connection.credentials.get("api_key", ""), "Content-Type": "application/json"}

    def test_connection(self, connection) -> str:
        base = self.base_url(connection, settings.AFTERSHIP_API_BASE)
        with http_client() as client:
            response = request(client, "GET", f"{base}/couriers", platform=PLATFORM, headers=self._headers(connection))
        data = (json_of(response, PLATFORM) or {}).get("data") or {}
        total = data.get("total", len(data.get("couriers") or []))
        return _("Connected to AfterShip: %(n)s carriers activated.") % {"n": total}

    def register(self, connection, registrations: list[Registration]) -> list[RegistrationResult]:
        base = self.base_url(connection, settings.AFTERSHIP_API_BASE)
        results = []
        with http_client() as client:
            for item in registrations:
                body = {"tracking_number": item.tracking_number, "order_id": item.order_reference}
                response = request(
                    client,
                    "POST",
                    f"{base}/trackings",
                    platform=PLATFORM,
                    headers=self._headers(connection),
                    json=body,
                    accept=(400, 422),
                )
                meta = (json_of(response, PLATFORM) or {}).get("meta") or {}
                if response.is_success or meta.get("code") == ALREADY_EXISTS:
                    results.append(RegistrationResult(item.tracking_number, "registered", str(meta.get("message", ""))))
                else:
                    results.append(RegistrationResult(item.tracking_number, "rejected", str(meta.get("message", ""))))
        return results

    def event_identity(self, request_headers, body: bytes, payload: dict) -> tuple[str, str]:
        return str(payload.get("event") or "tracking_update"), str(
            payload.get("event_id") or hashlib.sha256(body).hexdigest()
        )

    def handle_event(self, connection, event, payload: dict) -> Outcome:
        msg = payload.get("msg") or {}
        tag = msg.get("tag") or ""
        kind = EVENT_OF_TAG.get(tag)
        if tag == "Exception" and (msg.get("subtag") or "") in RETURN_TO_SENDER_SUBTAGS:
            kind = "returned_to_sender"
        number = msg.get("tracking_number") or ""
        if not kind or not number:
            return Outcome("ignored", f"tag {tag or '—'} changes nothing")
        occurred = None
        if kind == "delivered":
            occurred = parse_time(msg.get("shipment_delivery_date"))
        if occurred is None:
            matching = [c for c in msg.get("checkpoints") or [] if c.get("tag") == tag]
            if matching:
                occurred = parse_time(matching[-1].get("checkpoint_time"))
        if occurred is None and str(payload.get("ts") or "").isdigit():
            occurred = dt.datetime.fromtimestamp(int(payload["ts"]), tz=dt.UTC)
        occurred = occurred or event.received_at
        row = {
            "tracking_number": number,
            "type": kind,
            "occurred_at": occurred,
            "dedupe_key": f"aftership:{tag if kind != 'returned_to_sender' else kind}:{occurred.isoformat()}"[:200],
            "data": {
                "tag": tag,
                "subtag": msg.get("subtag") or "",
                "subtag_message": msg.get("subtag_message") or "",
                "signed_by": msg.get("signed_by") or "",
                "slug": msg.get("slug") or "",
                "tracking_url": msg.get("courier_tracking_link") or "",
            },
        }
        return apply_events(connection=connection, rows=[row], source=Source.AFTERSHIP)
