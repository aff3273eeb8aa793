"""Amazon "Request a Review" through the Solicitations API (python-amazon-sp-api).

Amazon's buyers are reached only this way: once per order, between 5 days after the earliest and
30 days after the latest delivery date, with Amazon's own template. The sender first asks which
solicitation actions the order offers (`getSolicitationActionsForOrder`) and only then calls
`createProductReviewAndSellerFeedbackSolicitation`. Both calls share a per-seller token bucket
(1 request/s, burst 5) in Redis across every worker.

Amazon's answers: an already solicited order answers 403 "Unauthorized ... not available for this
amazonOrderId" (permanent); outside the window it answers 403 "... outside the 5-30 day range"
(temporary with the window start as the next attempt while the window is still ahead; permanent
once it has closed).
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from redis.exceptions import RedisError
from sp_api.api import Messaging, Solicitations
from sp_api.auth import AccessTokenClient
from sp_api.auth.exceptions import AuthorizationError
from sp_api.base import Marketplaces
from sp_api.base.credential_provider import MissingCredentials
from sp_api.base.exceptions import SellingApiException

from ..ratelimit import TokenBucket
from .base import (
    AUTH_FAILED,
    CONNECTION_FAILED,
    PAYLOAD_TOO_LARGE,
    RATE_LIMITED,
    TIMEOUT_AFTER_SEND,
    Channel,
    OutboundMessage,
    Sender,
    SendResult,
)
from .esp import url_overrides_allowed

ACTION = "productReviewAndSellerFeedback"
WINDOW_OPENS = dt.timedelta(days=5)
WINDOW_CLOSES = dt.timedelta(days=30)
MARKETPLACES = {m.marketplace_id: m for m in Marketplaces}


class _Solicitations(Solicitations):
    """The library's client, with a Host header that is right for any endpoint."""

    @property
    def headers(self):
        headers = super().headers
        headers["host"] = urlsplit(self.endpoint).netloc
        return headers


class _Messaging(Messaging):
    """The Messaging client, with the same Host header fix."""

    @property
    def headers(self):
        headers = super().headers
        headers["host"] = urlsplit(self.endpoint).netloc
        return headers


def _token_client_class(token_url: str) -> type[AccessTokenClient]:
    parts = urlsplit(token_url)
    return type(
        "RoutedAccessTokenClient",
        (AccessTokenClient,),
        {"scheme": f"{parts.scheme}://", "host": parts.netloc, "path": parts.path or "/auth/o2/token"},
    )


def solicitation_window(message: OutboundMessage) -> tuple[dt.datetime | None, dt.datetime | None]:
    earliest = message.amazon_earliest_delivery
    latest = message.amazon_latest_delivery or earliest
    return (earliest + WINDOW_OPENS if earliest else None, latest + WINDOW_CLOSES if latest else None)


def outside_window(message: OutboundMessage, code: str, detail: str) -> SendResult:
    """Before the window: try again when it opens. After it (or unknown dates): give up."""
    opens, closes = solicitation_window(message)
    now = timezone.now()
    if opens is not None and now < opens:
        return SendResult.temporary("not_eligible_yet", detail, retry_at=opens)
    if closes is not None and now > closes:
        return SendResult.permanent("window_closed", detail)
    return SendResult.permanent(code, detail)


class AmazonSolicitationsSender(Sender):
    kind = "amazon_solicitations"
    label = _("Amazon Solicitations")
    channel = Channel.AMAZON
    provider = "amazon"
    description = _("Amazon's own “Request a Review” for Amazon orders (SP-API).")

    client_class: type = _Solicitations
    bucket_api = ""  # "" keeps the Solicitations bucket key as it was

    def __init__(self, account):
        super().__init__(account)
        self.clients: dict[str, _Solicitations] = {}

    def close(self) -> None:
        for client in self.clients.values():
            client.close()
        self.clients = {}
        super().close()

    def _client(self, marketplace_id: str) -> _Solicitations:
        if marketplace_id not in self.clients:
            kwargs = {
                "marketplace": MARKETPLACES[marketplace_id],
                "refresh_token": self.credentials.get("refresh_token", ""),
                "credentials": {
                    "lwa_app_id": self.config.get("lwa_app_id", ""),
                    "lwa_client_secret": self.credentials.get("lwa_client_secret", ""),
                },
                "timeout": float(self.config.get("timeout") or 20),
            }
            if url_overrides_allowed() and self.config.get("token_url"):
                kwargs["auth_token_client_class"] = _token_client_class(self.config["token_url"])
            client = self.client_class(**kwargs)
            if url_overrides_allowed() and self.config.get("api_url"):
                client.endpoint = self.config["api_url"].rstrip("/")
            self.clients[marketplace_id] = client
        return self.clients[marketplace_id]

    def bucket(self) -> TokenBucket:
        rate = float(getattr(settings, "CHANNELS_AMAZON_RATE", 1.0))
        burst = int(getattr(settings, "CHANNELS_AMAZON_BURST", 5))
        key = f"sp-api:{self.account.amazon_seller_id or self.account.pk}"
        return TokenBucket(f"{key}:{self.bucket_api}" if self.bucket_api else key, rate=rate, burst=burst)

    def _wait_for_token(self) -> SendResult | None:
        try:
            wait = self.bucket().acquire(max_wait=float(getattr(settings, "CHANNELS_AMAZON_MAX_WAIT", 5.0)))
        except RedisError as exc:  # without the shared bucket Amazon's limit cannot be kept: try later
            return SendResult.temporary("rate_limiter_unavailable", f"Redis: {exc}")
        if wait > 0:
            retry_at = timezone.now() + dt.timedelta(seconds=wait)
            return SendResult.temporary(RATE_LIMITED, "Amazon SP-API rate limit (shared by all workers)", retry_at)
        return None

    def _prepare(self, message: OutboundMessage) -> tuple[_Solicitations, str] | SendResult:
        wrong = self.check_channel(message)
        if wrong:
            return wrong
        marketplace_id = message.marketplace_id or next(iter(self.account.amazon_marketplaces or []), "")
        if not message.amazon_order_id:
            return SendResult.permanent("missing_order", "an Amazon message needs the Amazon order id")
        if marketplace_id not in MARKETPLACES:
            return SendResult.permanent("unknown_marketplace", f"unknown Amazon marketplace {marketplace_id!r}")
        try:
            return self._client(marketplace_id), marketplace_id
        except MissingCredentials as exc:
            return SendResult.permanent(AUTH_FAILED, f"Amazon SP-API: {exc}")

    def _offered(self, client, marketplace_id: str, message: OutboundMessage) -> SendResult:
        """Accepted when Amazon offers the review request for this order now; else why not."""
        limited = self._wait_for_token()
        if limited:
            return limited
        try:
            actions = client.get_solicitation_actions_for_order(
                message.amazon_order_id, marketplaceIds=[marketplace_id]
            )
        except (httpx.TimeoutException, httpx.TransportError) as exc:
            return SendResult.temporary(CONNECTION_FAILED, f"Amazon SP-API: {exc or type(exc).__name__}")
        except (SellingApiException, AuthorizationError) as exc:
            return self.classify(exc, message)
        links = actions.payload.get("_links") or {}
        offered = [a.get("name") for a in links.get("actions") or [] if isinstance(a, dict)]
        if ACTION not in offered:
            return outside_window(
                message,
                "not_offered",
                "Amazon offers no review request for this order (already requested or not eligible)",
            )
        return SendResult.ok(ACTION, detail="Amazon offers a review request for this order")

    def check_order(self, message: OutboundMessage) -> SendResult:
        """The test button: is a review request offered for this order? Never sends one."""
        prepared = self._prepare(message)
        if isinstance(prepared, SendResult):
            return prepared
        return self._offered(*prepared, message)

    def send(self, message: OutboundMessage) -> SendResult:
        prepared = self._prepare(message)
        if isinstance(prepared, SendResult):
            return prepared
        client, marketplace_id = prepared
        offered = self._offered(client, marketplace_id, message)
        if not offered.accepted:
            return offered
        limited = self._wait_for_token()
        if limited:
            return limited
        try:
            client.create_product_review_and_seller_feedback_solicitation(
                message.amazon_order_id, marketplaceIds=[marketplace_id]
            )
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            return SendResult.temporary(CONNECTION_FAILED, f"Amazon SP-API: {exc or type(exc).__name__}")
        except httpx.TransportError as exc:  # the request went out: Amazon may have sent it
            return SendResult.unknown(TIMEOUT_AFTER_SEND, f"Amazon SP-API: {exc or type(exc).__name__}")
        except (SellingApiException, AuthorizationError) as exc:
            return self.classify(exc, message)
        return SendResult.ok(f"{message.amazon_order_id}:{ACTION}")

    def classify(self, exc: Exception, message: OutboundMessage) -> SendResult:
        if isinstance(exc, AuthorizationError):
            status = getattr(exc, "status_code", 0) or 0
            detail = f"Amazon login: {exc}"
            return (
                SendResult.temporary("lwa_unavailable", detail)
                if status >= 500
                else SendResult.permanent(AUTH_FAILED, detail)
            )
        status = getattr(exc, "code", 0)
        amzn_code = getattr(exc, "amzn_code", "") or ""
        text = getattr(exc, "message", "") or ""
        detail = f"Amazon SP-API {status} {amzn_code}: {text}".strip()
        lowered = text.lower()
        if status == 429:
            return SendResult.temporary(RATE_LIMITED, detail, retry_at=timezone.now() + dt.timedelta(seconds=1))
        if status >= 500:
            return SendResult.temporary(f"http_{status}", detail)
        if "not available for this amazonorderid" in lowered:
            return SendResult.permanent("already_solicited", detail)
        if "outside the 5-30 day range" in lowered or "day range" in lowered:
            return outside_window(message, "outside_window", detail)
        if status == 403 and amzn_code == "Unauthorized" and "access" in lowered:
            return SendResult.permanent(AUTH_FAILED, detail)
        if status == 403 and amzn_code in {"Unauthenticated", "InvalidSignature", "AccessDenied"}:
            return SendResult.permanent(AUTH_FAILED, detail)
        return SendResult.permanent(f"sp_api_{amzn_code or status}", detail)


# -- Buyer-seller messages (Messaging API) ----------------------------------------------------------
# The text messages we send, and the library method of each. Other types need attachments (warranty,
# legal disclosure, Amazon Motors, customization, digital access key) and are not offered here.
MESSAGE_METHODS = {
    "unexpectedProblem": "create_unexpected_problem",
    "confirmDeliveryDetails": "create_confirm_delivery_details",
    "confirmOrderDetails": "create_confirm_order_details",
    "confirmServiceDetails": "create_confirm_service_details",
}
MESSAGE_TEXT_LIMIT = 2000  # characters, for every text message type above
# Never through this sender: asking to remove negative feedback is asking to change a review.
FORBIDDEN_MESSAGE_TYPES = frozenset({"negativeFeedbackRemoval"})
REFUSED_CLASSES = {
    "review_request": (
        "review_request_not_allowed",
        "review requests go through Amazon's Request a Review (Solicitations), never buyer-seller messages",
    ),
    "marketing": ("marketing_not_allowed", "Amazon forbids marketing in buyer-seller messages"),
}


class AmazonMessagingSender(AmazonSolicitationsSender):
    """Amazon buyer-seller messages (SP-API Messaging): only what Amazon permits for the order.

    Asks `getMessagingActionsForOrder` first and sends only a message type that is offered for the
    order now (e.g. `unexpectedProblem` for service recovery, `confirmDeliveryDetails`). Never a review
    request (Solicitations does that) and never marketing: both are refused before any call. Uses the
    same credentials as a Solicitations account; its calls share the seller's rate settings with a
    bucket of their own (Amazon's quotas are per API operation).
    """

    kind = "amazon_messaging"
    label = _("Amazon buyer-seller messages")
    channel = Channel.AMAZON_MESSAGING
    provider = "amazon_messaging"
    description = _(
        "Messages Amazon permits for an order (an unexpected problem, delivery details), through the SP-API "
        "Messaging API. Never review requests or marketing."
    )
    client_class = _Messaging
    bucket_api = "messaging"

    def _refusal(self, message: OutboundMessage) -> SendResult | None:
        refused = REFUSED_CLASSES.get(message.message_class)
        if refused:
            return SendResult.permanent(*refused)
        kind = message.amazon_message_type
        if kind in FORBIDDEN_MESSAGE_TYPES:
            return SendResult.permanent("message_type_not_allowed", f"{kind} is never sent by Linkstar")
        if kind not in MESSAGE_METHODS:
            return SendResult.permanent(
                "message_type_not_supported",
                f"unknown or unsupported Amazon message type {kind!r} (supported: {', '.join(MESSAGE_METHODS)})",
            )
        if not message.text_body.strip():
            return SendResult.permanent("empty_message", "an Amazon message needs a text")
        if len(message.text_body) > MESSAGE_TEXT_LIMIT:
            return SendResult.permanent(
                "text_too_long", f"Amazon takes at most {MESSAGE_TEXT_LIMIT} characters ({len(message.text_body)})"
            )
        return None

    def offered_types(self, client, marketplace_id: str, message: OutboundMessage) -> list[str] | SendResult:
        limited = self._wait_for_token()
        if limited:
            return limited
        try:
            actions = client.get_messaging_actions_for_order(message.amazon_order_id, marketplaceIds=[marketplace_id])
        except (httpx.TimeoutException, httpx.TransportError) as exc:
            return SendResult.temporary(CONNECTION_FAILED, f"Amazon SP-API: {exc or type(exc).__name__}")
        except (SellingApiException, AuthorizationError) as exc:
            return self.classify(exc, message)
        links = (actions.payload or {}).get("_links") or {}
        return [a.get("name") for a in links.get("actions") or [] if isinstance(a, dict) and a.get("name")]

    def check_order(self, message: OutboundMessage) -> SendResult:
        """The test button: which message types does Amazon permit for this order? Never sends one."""
        prepared = self._prepare(message)
        if isinstance(prepared, SendResult):
            return prepared
        offered = self.offered_types(*prepared, message)
        if isinstance(offered, SendResult):
            return offered
        usable = [t for t in offered if t in MESSAGE_METHODS]
        return SendResult.ok(
            ",".join(usable) or "-", detail=f"Amazon permits for this order: {', '.join(offered) or '—'}"
        )

    def send(self, message: OutboundMessage) -> SendResult:
        refused = self._refusal(message)
        if refused:
            return refused
        prepared = self._prepare(message)
        if isinstance(prepared, SendResult):
            return prepared
        client, marketplace_id = prepared
        offered = self.offered_types(client, marketplace_id, message)
        if isinstance(offered, SendResult):
            return offered
        kind = message.amazon_message_type
        if kind not in offered:
            return SendResult.permanent(
                "message_type_not_offered",
                f"Amazon does not permit {kind} for this order now (permitted: {', '.join(offered) or 'none'})",
            )
        limited = self._wait_for_token()
        if limited:
            return limited
        try:
            getattr(client, MESSAGE_METHODS[kind])(message.amazon_order_id, body={"text": message.text_body})
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            return SendResult.temporary(CONNECTION_FAILED, f"Amazon SP-API: {exc or type(exc).__name__}")
        except httpx.TransportError as exc:  # the request went out: Amazon may have delivered it
            return SendResult.unknown(TIMEOUT_AFTER_SEND, f"Amazon SP-API: {exc or type(exc).__name__}")
        except (SellingApiException, AuthorizationError) as exc:
            return self.classify(exc, message)
        return SendResult.ok(f"{message.amazon_order_id}:{kind}:{message.message_ref}")

    def classify(self, exc: Exception, message: OutboundMessage) -> SendResult:
        status = getattr(exc, "code", 0)
        if not isinstance(exc, AuthorizationError) and status in (404, 413, 415, 400):
            amzn_code = getattr(exc, "amzn_code", "") or ""
            detail = f"Amazon SP-API {status} {amzn_code}: {getattr(exc, 'message', '') or ''}".strip()
            codes = {404: "order_not_found", 413: PAYLOAD_TOO_LARGE, 415: "unsupported_media", 400: "invalid_input"}
            return SendResult.permanent(codes[status], detail)
        result = super().classify(exc, message)
        if result.error_code in ("already_solicited", "outside_window", "not_eligible_yet", "window_closed"):
            return SendResult.permanent(f"sp_api_{getattr(exc, 'amzn_code', '') or status}", result.detail)
        return result
