"""Inbound platform webhooks: find the connection by its unguessable token, verify the signature over the
raw body with that connection's secret (constant time), then store the event and queue it. A missing or
wrong signature is 401 with nothing written or queued; an unknown token is 404."""

from __future__ import annotations

import json
import re

from django.http import HttpRequest, HttpResponse, JsonResponse

from linkstar.webhooks import VerifiedWebhookView, WebhookRejected, hmac_sha256_base64, signatures_match

from . import services
from .models import Connection
from .registry import connector_for
from .seventeentrack import sign as seventeentrack_sign

WOO_PING = re.compile(rb"^webhook_id=\d+$")
KEPT_HEADERS = re.compile(r"^(x-shopify-|x-wc-webhook-|aftership-|content-type$)", re.IGNORECASE)


class ConnectorWebhookView(VerifiedWebhookView):
    kind = ""
    signature_header = ""

    def expected_signature(self, secret: str, body: bytes) -> str:
        return hmac_sha256_base64(secret, body)

    def verify(self, request: HttpRequest, token: str = "", **kwargs) -> None:
        self.connection = (
            Connection.objects.select_related("store", "merchant")
            .filter(webhook_token=token, kind=self.kind, enabled=True)
            .first()
        )
        if self.connection is None:
            raise WebhookRejected("Unknown webhook address.", status=404)
        secret = connector_for(self.kind).webhook_secret(self.connection)
        given = request.headers.get(self.signature_header)
        if not secret:
            raise WebhookRejected("This connection has no webhook secret yet.", status=401)
        if not signatures_match(self.expected_signature(secret, request.body), given):
            raise WebhookRejected("Missing or wrong signature.", status=401)

    def handle(self, request: HttpRequest, **kwargs) -> HttpResponse:
        body = request.body
        try:
            payload = json.loads(body) if body else {}
        except ValueError:
            return JsonResponse({"detail": "The body is not JSON."}, status=400)
        if not isinstance(payload, dict):
            return JsonResponse({"detail": "The body is not a JSON object."}, status=400)
        topic, event_id = connector_for(self.kind).event_identity(request.headers, body, payload)
        if not event_id:
            return JsonResponse({"detail": "The event has no id."}, status=400)
        headers = {k: v for k, v in request.headers.items() if KEPT_HEADERS.match(k) and "hmac" not in k.lower()}
        headers.pop("X-Wc-Webhook-Signature", None)
        _event, created = services.receive_webhook(
            connection=self.connection, topic=topic, event_id=event_id, body=body, headers=headers
        )
        return JsonResponse({"status": "accepted" if created else "duplicate"})


class ShopifyWebhookView(ConnectorWebhookView):
    kind = "shopify"
    signature_header = "X-Shopify-Hmac-Sha256"


class WooCommerceWebhookView(ConnectorWebhookView):
    kind = "woocommerce"
    signature_header = "X-WC-Webhook-Signature"

    def post(self, request: HttpRequest, **kwargs) -> HttpResponse:
        # Saving a webhook in WooCommerce sends an unsigned form body `webhook_id=N` to check the address.
        # It carries nothing: answer 200 without reading or writing anything.
        if not request.headers.get(self.signature_header) and WOO_PING.match(request.body[:64]):
            return JsonResponse({"status": "pong"})
        return super().post(request, **kwargs)


class AfterShipWebhookView(ConnectorWebhookView):
    kind = "aftership"
    signature_header = "aftership-hmac-sha256"


class SeventeenTrackWebhookView(ConnectorWebhookView):
    kind = "17track"
    signature_header = "sign"

    def expected_signature(self, secret: str, body: bytes) -> str:
        return seventeentrack_sign(body, secret)
