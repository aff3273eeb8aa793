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
from sp_api.api import Solicitations
from sp_api.auth import AccessTokenClient
from sp_api.auth.exceptions import AuthorizationError
from sp_api.base import Marketplaces
from sp_api.base.credential_provider import MissingCredentials
from sp_api.base.exceptions import SellingApiException

from ..ratelimit import TokenBucket
from .base import (
    AUTH_FAILED,
    CONNECTION_FAILED,
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
            client = _Solicitations(**kwargs)
            if url_overrides_allowed() and self.config.get("api_url"):
                client.endpoint = self.config["api_url"].rstrip("/")
            self.clients[marketplace_id] = client
        return self.clients[marketplace_id]

    def bucket(self) -> TokenBucket:
        rate = float(getattr(settings, "CHANNELS_AMAZON_RATE", 1.0))
        burst = int(getattr(settings, "CHANNELS_AMAZON_BURST", 5))
        return TokenBucket(f"sp-api:{self.account.amazon_seller_id or self.account.pk}", rate=rate, burst=burst)

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
            return SendResult.permanent("missing_order", "an Amazon solicitation needs the Amazon order id")
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
