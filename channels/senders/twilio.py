"""SMS and WhatsApp through twilio's `Client` with the merchant's own account.

Every message asks Twilio to post its status to our per-account URL carrying the message reference.
`TwilioRestException.code` decides the outcome: 21610 (the recipient replied STOP) is permanent and
suppresses the number; 21211 / 21614 (invalid / not a mobile) are permanent; 20429 and 5xx are
temporary; a timeout once the request went out is `unknown`. WhatsApp sends only approved Content
templates (`content_sid` + `content_variables`); 63016 (free text outside the 24-hour window) is
permanent so the campaign falls back to its next channel.
"""

from __future__ import annotations

import json
from abc import abstractmethod
from urllib.parse import urlencode

import requests
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from .base import (
    AUTH_FAILED,
    CONNECTION_FAILED,
    INVALID_ADDRESS,
    RATE_LIMITED,
    TIMEOUT_AFTER_SEND,
    Channel,
    OutboundMessage,
    Sender,
    SendResult,
)
from .esp import url_overrides_allowed

TWILIO_API = "https://api.twilio.com"

# https://www.twilio.com/docs/api/errors
OPTED_OUT = 21610
PERMANENT_CODES = {
    21211: INVALID_ADDRESS,  # invalid 'To' number
    21614: "not_mobile",  # 'To' is not a valid mobile number
    21612: "unreachable",  # cannot route to this number
    21408: "region_not_enabled",  # permission to send to this region is not enabled
    21606: "invalid_sender",  # 'From' is not a valid, SMS-capable number for this account
    21705: "invalid_sender",  # invalid Messaging Service
    63016: "outside_session_window",  # WhatsApp free-form text outside the 24-hour window
    63024: INVALID_ADDRESS,  # invalid WhatsApp recipient
    63018: "rate_limited_by_whatsapp",
}
TEMPORARY_CODES = {20429: RATE_LIMITED, 20500: "twilio_internal", 20503: "twilio_unavailable", 30001: "queue_overflow"}
AUTH_CODES = {20003, 20005, 20008}


class RoutedHttpClient(TwilioHttpClient):
    """twilio's own HTTP client, optionally pointed at another base URL (a local fake in tests)."""

    def __init__(self, *, base_url: str | None, timeout: float):
        super().__init__(pool_connections=True, timeout=timeout, max_retries=0)
        self.base_url = (base_url or "").rstrip("/")

    def request(self, method, url, *args, **kwargs):
        if self.base_url and url.startswith(TWILIO_API):
            url = self.base_url + url[len(TWILIO_API) :]
        return super().request(method, url, *args, **kwargs)

    def close(self) -> None:
        if self.session is not None:
            self.session.close()


def status_callback_url(account, message_ref: str) -> str:
    from django.conf import settings

    path = reverse("channels:hook_twilio_status", kwargs={"token": account.webhook_token})
    return f"{settings.PUBLIC_BASE_URL}{path}?{urlencode({'ref': message_ref})}"


def classify_twilio_error(exc: TwilioRestException) -> SendResult:
    code = exc.code or 0
    detail = f"Twilio {code}: {exc.msg}"
    if code == OPTED_OUT:
        return SendResult.permanent("opted_out", detail)
    if code in AUTH_CODES or exc.status == 401:
        return SendResult.permanent(AUTH_FAILED, detail)
    if code in PERMANENT_CODES:
        return SendResult.permanent(PERMANENT_CODES[code], detail)
    if code in TEMPORARY_CODES or exc.status == 429 or exc.status >= 500:
        return SendResult.temporary(TEMPORARY_CODES.get(code, f"http_{exc.status}"), detail)
    return SendResult.permanent(f"twilio_{code or exc.status}", detail)


class TwilioSender(Sender):
    webhooks = ("status", "inbound")
    provider = "twilio"

    def __init__(self, account):
        super().__init__(account)
        self.client: Client | None = None
        self.http_client: RoutedHttpClient | None = None

    def open(self) -> None:
        if self.client is None:
            base_url = self.config.get("api_url") if url_overrides_allowed() else None
            self.http_client = RoutedHttpClient(base_url=base_url, timeout=float(self.config.get("timeout") or 20))
            self.client = Client(
                self.config.get("account_sid", ""),
                self.credentials.get("auth_token", ""),
                http_client=self.http_client,
            )
        super().open()

    def close(self) -> None:
        if self.http_client is not None:
            self.http_client.close()
        self.client = self.http_client = None
        super().close()

    @abstractmethod
    def create_kwargs(self, message: OutboundMessage) -> dict | SendResult:
        """The channel's arguments for `messages.create`, or a refusal."""

    def send(self, message: OutboundMessage) -> SendResult:
        wrong = self.check_channel(message)
        if wrong:
            return wrong
        kwargs = self.create_kwargs(message)
        if isinstance(kwargs, SendResult):
            return kwargs
        if self.client is None:
            self.open()
        kwargs["status_callback"] = status_callback_url(self.account, message.message_ref)
        try:
            created = self.client.messages.create(**kwargs)
        except TwilioRestException as exc:
            return classify_twilio_error(exc)
        except requests.ConnectionError as exc:  # includes ConnectTimeout: nothing reached Twilio
            return SendResult.temporary(CONNECTION_FAILED, f"Twilio: {exc}")
        except requests.Timeout:  # the request went out; Twilio may have queued it
            return SendResult.unknown(TIMEOUT_AFTER_SEND, "Twilio: no answer in time")
        except (TwilioException, requests.RequestException, ValueError) as exc:
            return SendResult.unknown("twilio_error", f"Twilio: {exc}")
        if created.status in ("failed", "undelivered"):
            return SendResult.permanent(f"twilio_{created.error_code or created.status}", created.error_message or "")
        return SendResult.ok(created.sid)

    def sender_kwargs(self, *, prefix: str = "") -> dict:
        if self.account.messaging_service_sid:
            return {"messaging_service_sid": self.account.messaging_service_sid}
        sender = self.account.whatsapp_from if prefix else self.account.sms_from
        return {"from_": f"{prefix}{sender}"}


class TwilioSmsSender(TwilioSender):
    kind = "twilio_sms"
    label = _("Twilio SMS")
    channel = Channel.SMS
    description = _("SMS from a Twilio number or Messaging Service.")

    def create_kwargs(self, message: OutboundMessage) -> dict | SendResult:
        if not message.text_body:
            return SendResult.permanent("empty_body", "an SMS needs a text body")
        return {"to": message.to, "body": message.text_body, **self.sender_kwargs()}


class TwilioWhatsAppSender(TwilioSender):
    kind = "twilio_whatsapp"
    label = _("Twilio WhatsApp")
    channel = Channel.WHATSAPP
    description = _("WhatsApp through Twilio, approved Content templates only.")

    def create_kwargs(self, message: OutboundMessage) -> dict | SendResult:
        if not message.content_sid:
            return SendResult.permanent(
                "template_required", "WhatsApp messages must use an approved Content template (content_sid)"
            )
        to = message.to if message.to.startswith("whatsapp:") else f"whatsapp:{message.to}"
        kwargs = {"to": to, "content_sid": message.content_sid, **self.sender_kwargs(prefix="whatsapp:")}
        if message.content_variables:
            kwargs["content_variables"] = json.dumps(message.content_variables, ensure_ascii=False)
        return kwargs
