"""The one interface every sender implements, and the plain values it takes and returns.

A sender is built for one `ChannelAccount` (`SenderClass(account)`), may keep one connection open
across a batch (`with sender:` or `open()` / `close()`), and answers every `send(message)` with a
`SendResult` instead of raising: dispatch must never guess what a provider meant.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")
    WHATSAPP = "whatsapp", _("WhatsApp")
    AMAZON = "amazon", _("Amazon Request a Review")
    AMAZON_MESSAGING = "amazon_messaging", _("Amazon buyer-seller messages")
    PUSH = "push", _("App and web push")


# Channels whose recipient is not an address (no suppression list, no address hash): Amazon reaches the
# buyer by order id, push by a device token or browser subscription the caller hands over.
ADDRESSLESS_CHANNELS = frozenset({"amazon", "amazon_messaging", "push"})


class Outcome(models.TextChoices):
    ACCEPTED = "accepted", _("Accepted")
    TEMPORARY_FAILURE = "temporary_failure", _("Temporary failure (retry later)")
    PERMANENT_FAILURE = "permanent_failure", _("Permanent failure (do not retry)")
    UNKNOWN = "unknown", _("Unknown (may have been sent; never resent automatically)")


# error_code values shared by every sender (provider-specific codes are kept as they come).
AUTH_FAILED = "auth_failed"  # the account's credentials were refused: the account is marked failing
SUPPRESSED = "suppressed"
INVALID_ADDRESS = "invalid_address"
ACCOUNT_DISABLED = "account_disabled"
RATE_LIMITED = "rate_limited"
TIMEOUT_AFTER_SEND = "timeout_after_send"
CONNECTION_FAILED = "connection_failed"
# Push: the provider says this device token / browser subscription no longer exists (FCM UNREGISTERED,
# web push 404 / 410). The caller removes it (orders.services.mark_push_subscriptions_gone).
SUBSCRIPTION_GONE = "subscription_gone"
PAYLOAD_TOO_LARGE = "payload_too_large"


class PushKind(models.TextChoices):
    FCM = "fcm", _("App push (Firebase Cloud Messaging)")
    WEB_PUSH = "web_push", _("Web push (browser)")


@dataclass(frozen=True)
class PushTarget:
    """Where one push goes, as the buyer's app or browser registered it (orders keeps these).

    FCM: `token` is the device registration token. Web push: `endpoint`, `p256dh` and `auth` are the
    browser's PushSubscription (`subscription.toJSON()`). `subscription_id` is the caller's id for it,
    handed back untouched so a "gone" answer can be traced to the row to remove.
    """

    kind: str
    token: str = ""
    endpoint: str = ""
    p256dh: str = ""
    auth: str = ""
    subscription_id: str = ""

    @classmethod
    def from_subscription_json(cls, data: dict, *, subscription_id: str = "") -> PushTarget:
        keys = data.get("keys") or {}
        return cls(
            kind=PushKind.WEB_PUSH,
            endpoint=str(data.get("endpoint") or ""),
            p256dh=str(keys.get("p256dh") or ""),
            auth=str(keys.get("auth") or ""),
            subscription_id=subscription_id,
        )


@dataclass(frozen=True)
class OutboundMessage:
    """One rendered message to one recipient, as any app hands it to channels.

    `message_ref` is the UUID string the campaigns app minted; it travels in headers / provider
    metadata so delivery events find their way back, and billing keys its usage record on it.
    `to` is an email address (email), an E.164 number (sms, whatsapp), empty (amazon) or, for push, a
    label of the device or subscription (kept as the recipient; the push itself goes to `push_target`).
    Push messages use `subject` as the title, `text_body` as the body and `push_link` as the link opened
    on tap. Amazon buyer-seller messages name the message type in `amazon_message_type`.
    """

    merchant_id: int
    message_ref: str
    channel: str
    to: str = ""
    subject: str = ""
    text_body: str = ""
    html_body: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    metadata: dict[str, str] = field(default_factory=dict)
    # WhatsApp: only approved Content templates are sent.
    content_sid: str = ""
    content_variables: dict[str, str] = field(default_factory=dict)
    # Amazon Solicitations.
    amazon_order_id: str = ""
    marketplace_id: str = ""
    amazon_earliest_delivery: dt.datetime | None = None
    amazon_latest_delivery: dt.datetime | None = None
    # Amazon buyer-seller messages (Messaging API): e.g. "unexpectedProblem", "confirmDeliveryDetails".
    amazon_message_type: str = ""
    # Push (FCM, web push).
    push_target: PushTarget | None = None
    push_link: str = ""
    # The buyer's language (unsubscribe page) and the message class (preference "review requests only").
    language: str = "en"
    message_class: str = "review_request"


@dataclass(frozen=True)
class SendResult:
    outcome: str
    provider_message_id: str = ""
    error_code: str = ""
    detail: str = ""
    retry_at: dt.datetime | None = None

    @property
    def accepted(self) -> bool:
        return self.outcome == Outcome.ACCEPTED

    @classmethod
    def ok(cls, provider_message_id: str, detail: str = "") -> SendResult:
        return cls(Outcome.ACCEPTED, provider_message_id=str(provider_message_id or ""), detail=detail)

    @classmethod
    def temporary(cls, error_code: str, detail: str = "", retry_at: dt.datetime | None = None) -> SendResult:
        return cls(Outcome.TEMPORARY_FAILURE, error_code=str(error_code), detail=_clip(detail), retry_at=retry_at)

    @classmethod
    def permanent(cls, error_code: str, detail: str = "") -> SendResult:
        return cls(Outcome.PERMANENT_FAILURE, error_code=str(error_code), detail=_clip(detail))

    @classmethod
    def unknown(cls, error_code: str, detail: str = "", provider_message_id: str = "") -> SendResult:
        return cls(
            Outcome.UNKNOWN, provider_message_id=provider_message_id, error_code=str(error_code), detail=_clip(detail)
        )


def _clip(text: Any, limit: int = 480) -> str:
    text = " ".join(str(text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class Sender(ABC):
    """Base of every sender. Subclasses set the class attributes and implement `send`.

    `open()` / `close()` hold one provider connection for a batch; `send()` opens one lazily when
    used outside a `with` block and then keeps it until `close()`.
    """

    kind: ClassVar[str]
    label: ClassVar[Any]
    channel: ClassVar[str]
    provider: ClassVar[str]  # names the provider's event-id space for deduplication
    webhooks: ClassVar[tuple[str, ...]] = ()  # hook names under /channels/hooks/<token>/<provider>/
    description: ClassVar[Any] = ""

    def __init__(self, account):
        self.account = account
        self.is_open = False

    def open(self) -> None:
        self.is_open = True

    def close(self) -> None:
        self.is_open = False

    def __enter__(self) -> Sender:
        self.open()
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    @abstractmethod
    def send(self, message: OutboundMessage) -> SendResult:
        """Send one message; never raises for a provider's answer."""

    # -- helpers ---------------------------------------------------------------
    @property
    def credentials(self) -> dict:
        return self.account.credentials or {}

    @property
    def config(self) -> dict:
        return self.account.config or {}

    def check_channel(self, message: OutboundMessage) -> SendResult | None:
        if message.channel != self.channel:
            return SendResult.permanent(
                "wrong_channel", f"a {self.kind} account sends {self.channel} messages, not {message.channel}"
            )
        return None
