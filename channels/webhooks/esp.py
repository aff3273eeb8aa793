"""django-anymail's tracking and inbound webhooks, one URL and one secret per merchant account.

anymail reads one global WEBHOOK_SECRET (and one Mailgun signing key). These subclasses keep
anymail's own validators and parsers but feed them the secret of the account the URL names:

- Postmark: HTTP basic auth in the webhook URL (`https://user:password@.../postmark/tracking/`).
- Mailgun: HMAC-SHA256 of timestamp + token with the account's webhook signing key (and basic auth
  when the account has one).
- Amazon SES: SNS notifications with basic auth in the subscription URL, and the SNS message
  signature verified against Amazon's signing certificate (see sns.py).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import secrets
import time

from anymail.exceptions import AnymailError, AnymailWebhookValidationFailure
from anymail.signals import EventType
from anymail.webhooks.amazon_ses import AmazonSESInboundWebhookView, AmazonSESTrackingWebhookView
from anymail.webhooks.mailgun import MailgunInboundWebhookView, MailgunTrackingWebhookView
from anymail.webhooks.postmark import PostmarkInboundWebhookView, PostmarkTrackingWebhookView
from django.http import HttpRequest, JsonResponse
from django.utils import timezone

from linkstar.webhooks import WebhookRejected

from ..events import ProviderEvent
from ..models import DeliveryEvent, SuppressionEntry
from ..senders.base import Channel
from ..senders.email import METADATA_REF_KEY
from .base import AccountWebhookView, accepted

logger = logging.getLogger(__name__)

TYPE_MAP = {
    EventType.QUEUED: DeliveryEvent.Type.SENT,
    EventType.SENT: DeliveryEvent.Type.SENT,
    EventType.DELIVERED: DeliveryEvent.Type.DELIVERED,
    EventType.DEFERRED: DeliveryEvent.Type.DEFERRED,
    EventType.BOUNCED: DeliveryEvent.Type.BOUNCED,
    EventType.REJECTED: DeliveryEvent.Type.FAILED,
    EventType.FAILED: DeliveryEvent.Type.FAILED,
    EventType.OPENED: DeliveryEvent.Type.OPENED,
    EventType.CLICKED: DeliveryEvent.Type.CLICKED,
    EventType.COMPLAINED: DeliveryEvent.Type.COMPLAINED,
    EventType.UNSUBSCRIBED: DeliveryEvent.Type.UNSUBSCRIBED,
    EventType.SUBSCRIBED: DeliveryEvent.Type.RESUBSCRIBED,
    EventType.INBOUND: DeliveryEvent.Type.INBOUND,
}
MAILGUN_MAX_AGE_SECONDS = 12 * 3600
REF_IN_MESSAGE_ID = re.compile(r"<([0-9a-fA-F-]{36})@")
UNSUBSCRIBE_TOKEN = re.compile(r"unsubscribe\s+(\S+)", re.IGNORECASE)
UNSUBSCRIBE_WORDS = {"unsubscribe", "stop", "remove", "退订", "取消订阅"}


def _digest(value) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


class AnymailAccountWebhookView(AccountWebhookView):
    """Glue between linkstar's VerifiedWebhookView (verify, then handle) and an anymail webhook view."""

    provider: str = ""
    warn_if_no_basic_auth = False  # every account brings its own secret; none means refused
    basic_auth_required = True

    def configure(self, account) -> None:
        secret = (account.credentials or {}).get("webhook_secret", "")
        self.basic_auth = [secret] if secret else []

    def verify(self, request: HttpRequest, **kwargs) -> None:
        self.account = self.resolve_account(kwargs["token"])
        self.configure(self.account)
        if self.basic_auth_required and not self.basic_auth:
            raise WebhookRejected("This account has no webhook secret; set one on its settings page.", status=403)
        if self.basic_auth and not request.META.get("HTTP_AUTHORIZATION"):
            raise WebhookRejected("Basic authentication required.", status=401)
        try:
            self.run_validators(request)
        except AnymailWebhookValidationFailure as exc:
            raise WebhookRejected(str(exc), status=403) from None
        except AnymailError as exc:
            raise WebhookRejected(str(exc).splitlines()[0], status=400) from None

    def handle(self, request: HttpRequest, **kwargs):
        from ..services import record_provider_events

        try:
            events = [self.normalize(e) for e in self.parse_events(request)]
        except (AnymailError, ValueError, KeyError, TypeError) as exc:
            logger.info("unreadable %s webhook for account %s: %s", self.provider, self.account.pk, exc)
            return JsonResponse({"detail": "Unreadable event payload."}, status=400)
        events = [e for e in events if e is not None]
        return accepted(len(record_provider_events(account=self.account, events=events)))

    # -- normalisation -----------------------------------------------------------------------
    def event_id(self, event) -> str:
        return event.event_id or _digest(event.esp_event)

    def is_hard_bounce(self, event) -> bool:
        return True

    def normalize(self, event) -> ProviderEvent | None:
        if event.event_type == EventType.INBOUND:
            return self.normalize_inbound(event)
        event_type = TYPE_MAP.get(event.event_type, DeliveryEvent.Type.OTHER)
        if event_type == DeliveryEvent.Type.BOUNCED and not self.is_hard_bounce(event):
            event_type = DeliveryEvent.Type.DEFERRED
        suppress = {
            DeliveryEvent.Type.BOUNCED: SuppressionEntry.Reason.HARD_BOUNCE,
            DeliveryEvent.Type.COMPLAINED: SuppressionEntry.Reason.COMPLAINT,
            DeliveryEvent.Type.UNSUBSCRIBED: SuppressionEntry.Reason.UNSUBSCRIBE,
        }.get(event_type, "")
        if event_type == DeliveryEvent.Type.FAILED and event.reject_reason == "invalid":
            suppress = SuppressionEntry.Reason.INVALID
        metadata = event.metadata or {}
        return ProviderEvent(
            provider=self.provider,
            provider_event_id=self.event_id(event),
            event_type=event_type,
            occurred_at=event.timestamp or timezone.now(),
            message_ref=str(metadata.get(METADATA_REF_KEY, "")),
            provider_message_id=str(event.message_id or ""),
            recipient=event.recipient or "",
            channel=Channel.EMAIL,
            detail=" ".join(filter(None, [event.description, event.mta_response, event.reject_reason]))[:500],
            payload=event.esp_event if isinstance(event.esp_event, dict) else {"raw": str(event.esp_event)},
            suppress=suppress,
        )

    def normalize_inbound(self, event) -> ProviderEvent:
        """A reply by email: an unsubscribe token in the subject (our List-Unsubscribe mailto) or a
        subject saying "unsubscribe" suppresses the sender; anything else is kept as an inbound fact."""
        from ..services import unsubscribe

        message = event.message
        subject = (message.subject or "").strip()
        sender = message.from_email.addr_spec if message.from_email else ""
        reply_to = " ".join(filter(None, [message.get("In-Reply-To", ""), message.get("References", "")]))
        ref_match = REF_IN_MESSAGE_ID.search(reply_to)
        event_type, suppress, detail = DeliveryEvent.Type.INBOUND, "", subject[:200]
        token = UNSUBSCRIBE_TOKEN.search(subject)
        if token:
            entry = unsubscribe(token=token.group(1))
            if entry is not None and entry.merchant_id == self.account.merchant_id:
                event_type, detail = DeliveryEvent.Type.UNSUBSCRIBED, "List-Unsubscribe mailto"
        first_line = ((message.text or "").strip().splitlines() or [""])[0].strip().lower()
        if event_type == DeliveryEvent.Type.INBOUND and (
            subject.lower() in UNSUBSCRIBE_WORDS or first_line in UNSUBSCRIBE_WORDS
        ):
            event_type, suppress = DeliveryEvent.Type.UNSUBSCRIBED, SuppressionEntry.Reason.UNSUBSCRIBE
        return ProviderEvent(
            provider=self.provider,
            provider_event_id=event.event_id or message.get("Message-ID", "") or _digest(str(message)),
            event_type=event_type,
            occurred_at=event.timestamp or timezone.now(),
            message_ref=ref_match.group(1) if ref_match else "",
            recipient=sender,
            channel=Channel.EMAIL,
            detail=detail,
            payload={"from": sender, "subject": subject[:300], "text": (message.text or "")[:1000]},
            suppress=suppress,
        )


# -- Postmark --------------------------------------------------------------------------------
class PostmarkMixin(AnymailAccountWebhookView):
    provider = "postmark"
    account_kinds = ("postmark",)

    def is_hard_bounce(self, event) -> bool:
        # Postmark's bounce Type: HardBounce (and friends) vs SoftBounce / Transient / DnsError...
        return (event.esp_event or {}).get("Type") in {"HardBounce", "BadEmailAddress", "ManuallyDeactivated"}


class PostmarkTrackingHook(PostmarkMixin, PostmarkTrackingWebhookView):
    pass


class PostmarkInboundHook(PostmarkMixin, PostmarkInboundWebhookView):
    pass


# -- Mailgun ---------------------------------------------------------------------------------
class MailgunMixin(AnymailAccountWebhookView):
    provider = "mailgun"
    account_kinds = ("mailgun",)
    basic_auth_required = False  # the signing key is the secret; basic auth only if the account has one

    def __init__(self, **kwargs):
        # anymail insists on a key at construction; the account's key replaces it in configure().
        kwargs.setdefault("webhook_signing_key", secrets.token_hex(32))
        super().__init__(**kwargs)

    def configure(self, account) -> None:
        super().configure(account)
        self.signing_key = (account.credentials or {}).get("webhook_signing_key", "")
        self.webhook_signing_key = self.signing_key.encode("ascii")

    def verify(self, request: HttpRequest, **kwargs) -> None:
        account = self.resolve_account(kwargs["token"])
        if not (account.credentials or {}).get("webhook_signing_key"):
            raise WebhookRejected("This account has no Mailgun webhook signing key.", status=403)
        super().verify(request, **kwargs)
        # Mailgun signs only timestamp + token: a signed block copied from an old request would pass the
        # HMAC, so the timestamp must be recent (Mailgun's own advice). The window covers its 8-hour retries.
        stamp = self.signed_timestamp(request)
        if stamp is None or abs(time.time() - stamp) > MAILGUN_MAX_AGE_SECONDS:
            raise WebhookRejected("Stale or missing Mailgun timestamp.", status=403)

    @staticmethod
    def signed_timestamp(request: HttpRequest) -> float | None:
        try:
            if request.content_type == "application/json":
                raw = json.loads(request.body.decode("utf-8"))["signature"]["timestamp"]
            else:
                raw = request.POST["timestamp"]
            return float(raw)
        except (KeyError, TypeError, ValueError, UnicodeDecodeError):
            return None

    def event_id(self, event) -> str:
        data = (event.esp_event or {}).get("event-data", {}) if isinstance(event.esp_event, dict) else {}
        return data.get("id") or event.event_id or _digest(event.esp_event)

    def is_hard_bounce(self, event) -> bool:
        return event.event_type == EventType.BOUNCED  # anymail already maps temporary failures to DEFERRED


class MailgunTrackingHook(MailgunMixin, MailgunTrackingWebhookView):
    pass


class MailgunInboundHook(MailgunMixin, MailgunInboundWebhookView):
    pass


# -- Amazon SES through SNS ------------------------------------------------------------------
class SesMixin(AnymailAccountWebhookView):
    provider = "amazon_ses"
    account_kinds = ("amazon_ses",)

    def validate_request(self, request):
        """anymail runs this with its own validators: the SNS message must carry Amazon's signature."""
        from .sns import SnsVerificationError, verify_sns_message

        message = self._parse_sns_message(request)
        try:
            verify_sns_message(message)
        except SnsVerificationError as exc:
            raise AnymailWebhookValidationFailure(f"SNS signature: {exc}") from None
        topics = (self.account.config or {}).get("sns_topic_arns") or []
        if topics and message.get("TopicArn") not in topics:
            raise AnymailWebhookValidationFailure("SNS topic is not one of this account's topics")

    def auto_confirm_sns_subscription(self, sns_message):
        """Confirm (by visiting SubscribeURL, as AWS documents) in a task, after the signed request."""
        from django.db import transaction

        from ..tasks import confirm_sns_subscription_task

        account_id, url = self.account.pk, sns_message.get("SubscribeURL", "")
        transaction.on_commit(lambda: confirm_sns_subscription_task.delay(account_id, url))

    def event_id(self, event) -> str:
        base = event.event_id or _digest(event.esp_event)
        return f"{base}:{(event.recipient or '').lower()}" if event.recipient else base

    def is_hard_bounce(self, event) -> bool:
        bounce = (event.esp_event or {}).get("bounce", {})
        return bounce.get("bounceType") == "Permanent"


class SesTrackingHook(SesMixin, AmazonSESTrackingWebhookView):
    pass


class SesInboundHook(SesMixin, AmazonSESInboundWebhookView):
    pass
