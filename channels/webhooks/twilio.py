"""Twilio status callbacks and inbound messages, verified with twilio's RequestValidator.

Twilio signs the exact URL it called (our PUBLIC_BASE_URL + path + query, whatever proxies sit in
between) plus the POSTed parameters with the account's auth token (X-Twilio-Signature).
Inbound STOP / STOPALL / UNSUBSCRIBE / CANCEL / END / QUIT suppress the number at once, START /
UNSTOP / YES lift it, HELP / INFO are answered with the account's help text.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from linkstar.webhooks import WebhookRejected

from ..events import ProviderEvent
from ..models import DeliveryEvent, SuppressionEntry
from ..senders.base import Channel
from .base import AccountWebhookView, accepted

logger = logging.getLogger(__name__)

# https://help.twilio.com/articles/223134027 (default opt-out, opt-in and help keywords)
STOP_WORDS = {"STOP", "STOPALL", "STOP ALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE"}
START_WORDS = {"START", "UNSTOP", "YES"}
HELP_WORDS = {"HELP", "INFO"}

STATUS_TYPES = {
    "accepted": DeliveryEvent.Type.SENT,
    "scheduled": DeliveryEvent.Type.SENT,
    "queued": DeliveryEvent.Type.SENT,
    "sending": DeliveryEvent.Type.SENT,
    "sent": DeliveryEvent.Type.SENT,
    "delivered": DeliveryEvent.Type.DELIVERED,
    "read": DeliveryEvent.Type.OPENED,
    "undelivered": DeliveryEvent.Type.FAILED,
    "failed": DeliveryEvent.Type.FAILED,
    "canceled": DeliveryEvent.Type.FAILED,
}
STOP_CODES = {"21610"}
INVALID_CODES = {"21211", "21614", "30005", "30006", "63024"}


def public_url(request: HttpRequest) -> str:
    """The URL Twilio requested, as the world sees it (configurable base URL; proxies)."""
    return settings.PUBLIC_BASE_URL + request.get_full_path()


class TwilioHook(AccountWebhookView):
    account_kinds = ("twilio_sms", "twilio_whatsapp")

    def verify(self, request: HttpRequest, **kwargs) -> None:
        self.account = self.resolve_account(kwargs["token"])
        auth_token = (self.account.credentials or {}).get("auth_token", "")
        signature = request.headers.get("X-Twilio-Signature", "")
        if not signature:
            raise WebhookRejected("Missing X-Twilio-Signature.", status=401)
        if not auth_token or not RequestValidator(auth_token).validate(public_url(request), request.POST, signature):
            raise WebhookRejected("Invalid X-Twilio-Signature.", status=403)

    def channel_of(self, address: str) -> str:
        return Channel.WHATSAPP if address.startswith("whatsapp:") else Channel.SMS


class TwilioStatusHook(TwilioHook):
    def handle(self, request: HttpRequest, **kwargs):
        from ..services import record_provider_events

        data = request.POST
        sid, status = data.get("MessageSid", ""), data.get("MessageStatus", "")
        if not sid or not status:
            return HttpResponse("MessageSid and MessageStatus are required.", status=400)
        code = data.get("ErrorCode", "") or ""
        suppress = ""
        if status in ("undelivered", "failed"):
            if code in STOP_CODES:
                suppress = SuppressionEntry.Reason.STOP_KEYWORD
            elif code in INVALID_CODES:
                suppress = SuppressionEntry.Reason.INVALID
        to = data.get("To", "")
        event = ProviderEvent(
            provider="twilio",
            provider_event_id=request.headers.get("I-Twilio-Idempotency-Token") or f"{sid}:{status}",
            event_type=STATUS_TYPES.get(status, DeliveryEvent.Type.OTHER),
            occurred_at=timezone.now(),
            message_ref=request.GET.get("ref", "")[:64],
            provider_message_id=sid,
            recipient=to,
            channel=self.channel_of(to),
            detail=f"{status}{f' (error {code})' if code else ''}",
            payload=dict(data.items()),
            suppress=suppress,
        )
        return accepted(len(record_provider_events(account=self.account, events=[event])))


class TwilioInboundHook(TwilioHook):
    def handle(self, request: HttpRequest, **kwargs):
        from ..services import record_provider_events

        data = request.POST
        sid, sender = data.get("MessageSid", "") or data.get("SmsSid", ""), data.get("From", "")
        if not sid or not sender:
            return HttpResponse("MessageSid and From are required.", status=400)
        body = " ".join((data.get("Body", "") or "").split()).upper()
        opt_out_type = (data.get("OptOutType", "") or "").upper()  # set when Twilio's Advanced Opt-Out acted
        keyword = opt_out_type or body
        event_type, suppress, resubscribe = DeliveryEvent.Type.INBOUND, "", False
        if keyword in STOP_WORDS:
            event_type, suppress = DeliveryEvent.Type.UNSUBSCRIBED, SuppressionEntry.Reason.STOP_KEYWORD
        elif keyword in START_WORDS:
            event_type, resubscribe = DeliveryEvent.Type.RESUBSCRIBED, True
        event = ProviderEvent(
            provider="twilio",
            provider_event_id=sid,
            event_type=event_type,
            occurred_at=timezone.now(),
            recipient=sender,
            channel=self.channel_of(sender),
            detail=(data.get("Body", "") or "")[:200],
            payload=dict(data.items()),
            suppress=suppress,
            resubscribe=resubscribe,
        )
        record_provider_events(account=self.account, events=[event])
        reply = MessagingResponse()
        if keyword in HELP_WORDS and not opt_out_type:  # Advanced Opt-Out already answered HELP itself
            reply.message(
                (self.account.config or {}).get("help_text")
                or _("%(name)s: reply STOP to stop messages, START to receive them again.")
                % {"name": self.account.merchant.name}
            )
        return HttpResponse(str(reply), content_type="text/xml")
