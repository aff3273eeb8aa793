"""17TRACK: register tracking numbers (POST /register) and receive its signed webhook pushes.

Docs followed: 17TRACK API v2.2 (base https://api.17track.net/track/v2.2, `17token` header; "register"
takes a list of {number, carrier?, tag} and answers {code: 0, data: {accepted: [...], rejected: [{number,
error: {code, message}}]}}, -18019901 = already registered; "getquota"), and "WebHook" (a POST of {event:
TRACKING_UPDATED | TRACKING_STOPPED, data: {number, carrier, tag, track_info: {latest_status: {status,
sub_status}, latest_event: {time_iso, time_utc, description}}}} with header `sign` = SHA-256 hex of
"<raw body>/<security key>").
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..models import Source
from .base import CredentialField, Outcome, PlatformError, http_client, json_of, parse_time, request
from .ingest import apply_events
from .trackers import Registration, RegistrationResult, TrackerConnector

PLATFORM = "17TRACK"
ALREADY_REGISTERED = -18019901
EVENT_OF_STATUS = {
    "Delivered": "delivered",
    "OutForDelivery": "out_for_delivery",
    "AvailableForPickup": "out_for_delivery",
    "DeliveryFailure": "delivery_exception",
    "Exception": "delivery_exception",
    "InTransit": "shipped",
}
# Exception sub-statuses that mean the carrier sends the parcel back to the merchant.
RETURN_TO_SENDER_SUB_STATUSES = frozenset({"Exception_Returning", "Exception_Returned"})


def sign(body: bytes, key: str) -> str:
    """17TRACK's webhook signature: SHA-256 (hex) of the raw body, a slash and the key."""
    return hashlib.sha256(body + b"/" + key.encode("utf-8")).hexdigest()


class SeventeenTrackConnector(TrackerConnector):
    kind = "17track"
    label = gettext_lazy("17TRACK")
    fields = [
        CredentialField("api_key", gettext_lazy("API key (security key)")),
        CredentialField(
            "webhook_secret",
            gettext_lazy("Webhook key"),
            required=False,
            help_text=gettext_lazy("The key 17TRACK signs pushes with; empty means the API key."),
        ),
        CredentialField(
            "api_base_url",
            gettext_lazy("API address (optional)"),
            secret=False,
            required=False,
            help_text=gettext_lazy("Leave empty for https://api.17track.net/track/v2.2."),
        ),
    ]

    def webhook_secret(self, connection) -> str:
        return connection.credentials.get("webhook_secret") or connection.credentials.get("api_key", "")

    def _headers(self, connection) -> dict[str, str]:
        return {"17token": connection.credentials.get("api_key", ""), "Content-Type": "application/json"}

    def _post(self, connection, path: str, body) -> dict:
        base = self.base_url(connection, settings.SEVENTEENTRACK_API_BASE)
        with http_client() as client:
            response = request(
                client, "POST", f"{base}/{path}", platform=PLATFORM, headers=self._headers(connection), json=body
            )
        data = json_of(response, PLATFORM) or {}
        if data.get("code") not in (0, None):
            raise PlatformError(
                _("17TRACK answered code %(c)s: %(d)s") % {"c": data.get("code"), "d": str(data.get("data"))[:200]},
                retryable=False,
            )
        return data

    def test_connection(self, connection) -> str:
        data = (self._post(connection, "getquota", {}).get("data")) or {}
        return _("Connected to 17TRACK: %(left)s of %(total)s registrations left.") % {
            "left": data.get("quota_remain", "?"),
            "total": data.get("quota_total", "?"),
        }

    def register(self, connection, registrations: list[Registration]) -> list[RegistrationResult]:
        body = [{"number": r.tracking_number, "tag": r.order_reference} for r in registrations]
        data = self._post(connection, "register", body).get("data") or {}
        results = {
            r.tracking_number: RegistrationResult(r.tracking_number, "rejected", "no answer") for r in registrations
        }
        for accepted in data.get("accepted") or []:
            number = str(accepted.get("number", "")).upper()
            if number in results:
                results[number] = RegistrationResult(number, "registered")
        for rejected in data.get("rejected") or []:
            number = str(rejected.get("number", "")).upper()
            error = rejected.get("error") or {}
            if number in results:
                status = "registered" if error.get("code") == ALREADY_REGISTERED else "rejected"
                results[number] = RegistrationResult(number, status, str(error.get("message", ""))[:500])
        return list(results.values())

    def event_identity(self, request_headers, body: bytes, payload: dict) -> tuple[str, str]:
        return str(payload.get("event") or "TRACKING_UPDATED"), hashlib.sha256(body).hexdigest()

    def handle_event(self, connection, event, payload: dict) -> Outcome:
        if payload.get("event") != "TRACKING_UPDATED":
            return Outcome("ignored", f"event {payload.get('event')} changes nothing")
        data = payload.get("data") or {}
        info = data.get("track_info") or {}
        status = (info.get("latest_status") or {}).get("status") or ""
        kind = EVENT_OF_STATUS.get(status)
        sub_status = (info.get("latest_status") or {}).get("sub_status") or ""
        if status == "Exception" and sub_status in RETURN_TO_SENDER_SUB_STATUSES:
            kind = "returned_to_sender"
        number = data.get("number") or ""
        if not kind or not number:
            return Outcome("ignored", f"status {status or '—'} changes nothing")
        latest = info.get("latest_event") or {}
        occurred = parse_time(latest.get("time_utc")) or parse_time(latest.get("time_iso")) or event.received_at
        row = {
            "tracking_number": number,
            "type": kind,
            "occurred_at": occurred,
            "dedupe_key": f"17track:{status if kind != 'returned_to_sender' else kind}:{occurred.isoformat()}"[:200],
            "data": {
                "status": status,
                "sub_status": (info.get("latest_status") or {}).get("sub_status") or "",
                "description": (latest.get("description") or "")[:300],
                "carrier": data.get("carrier"),
            },
        }
        return apply_events(connection=connection, rows=[row], source=Source.SEVENTEEN_TRACK)
