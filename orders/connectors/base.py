"""What every connector shares: the base class, the error that says whether to retry, a small HTTP client
and helpers that turn a platform's contact details into values `orders.services.upsert_orders` accepts."""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from linkstar.identity import InvalidAddress, normalize_email, normalize_phone

logger = logging.getLogger(__name__)


class PlatformError(Exception):
    """A platform call failed. `retryable`: a 429, a 5xx or a network error (try again later, lose nothing);
    otherwise the merchant must act (wrong credentials, a removed shop). `retry_after` in seconds, if known."""

    def __init__(self, message: str, *, retryable: bool, retry_after: float | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.retry_after = retry_after
        self.status = status


@dataclass
class CredentialField:
    name: str
    label: str
    secret: bool = True
    required: bool = True
    help_text: str = ""


@dataclass
class Outcome:
    """What handling one webhook event did: `status` is processed, waiting (its order is not here yet) or
    ignored; `detail` is shown in the event list."""

    status: str
    detail: str = ""
    order_ids: list[int] = field(default_factory=list)


@dataclass
class PollResult:
    fetched: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped_stale: int = 0
    errors: list[dict] = field(default_factory=list)
    order_ids: list[int] = field(default_factory=list)

    def add(self, other: PollResult) -> None:
        for name in ("fetched", "created", "updated", "unchanged", "skipped_stale"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.errors.extend(other.errors)
        self.order_ids.extend(other.order_ids)

    def summary(self) -> str:
        return _("%(fetched)d fetched: %(created)d new, %(updated)d updated, %(unchanged)d unchanged.") % {
            "fetched": self.fetched,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
        }


class Connector:
    """One platform. Subclasses set `kind`, `label`, `fields` and implement what the platform offers."""

    kind: str = ""
    label = gettext_lazy("Platform")
    fields: list[CredentialField] = []
    is_tracker = False
    has_webhooks = True
    can_poll = False

    def test_connection(self, connection) -> str:
        """Call the platform with the stored credentials; the platform's answer in a sentence."""
        raise PlatformError(_("This platform has no connection test."), retryable=False)

    def webhook_secret(self, connection) -> str:
        return connection.credentials.get("webhook_secret", "")


# --- HTTP --------------------------------------------------------------------------------------------------


def parse_retry_after(value: str | None) -> float | None:
    """`Retry-After` as seconds: a number of seconds or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - timezone.now()).total_seconds())


def is_loopback_url(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _is_internal_ip(host: str) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_private or address.is_link_local or address.is_reserved or address.is_multicast


def check_base_url(url: str) -> str:
    """A platform address must be https; plain http only to this machine and only where allowed (the demo
    fakes, tests), so a merchant cannot point the connector at internal services (private, link-local or
    loopback addresses are refused as https too)."""
    url = (url or "").strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        if is_loopback_url(url) and not settings.CONNECTORS_ALLOW_LOOPBACK:
            raise ValueError(_("This address is not allowed."))
        if _is_internal_ip(parts.hostname) and not is_loopback_url(url):
            raise ValueError(_("This address is not allowed."))
        return url
    if parts.scheme == "http" and is_loopback_url(url) and settings.CONNECTORS_ALLOW_LOOPBACK:
        return url
    raise ValueError(_("Use an https:// address."))


def http_client() -> httpx.Client:
    return httpx.Client(timeout=settings.CONNECTORS_HTTP_TIMEOUT, follow_redirects=False)


def request(client: httpx.Client, method: str, url: str, *, platform: str, **kwargs: Any) -> httpx.Response:
    """One call; raises PlatformError for anything but a 2xx (and for the statuses listed in `accept`)."""
    accept = kwargs.pop("accept", ())
    try:
        response = client.request(method, url, **kwargs)
    except httpx.TimeoutException:
        raise PlatformError(_("%(p)s did not answer in time.") % {"p": platform}, retryable=True) from None
    except httpx.HTTPError as exc:
        raise PlatformError(
            _("Could not reach %(p)s (%(e)s).") % {"p": platform, "e": exc.__class__.__name__}, retryable=True
        ) from None
    if response.is_success or response.status_code in accept:
        return response
    raise error_for_response(response, platform)


def error_for_response(response: httpx.Response, platform: str) -> PlatformError:
    status = response.status_code
    detail = _short_detail(response)
    if status == 429:
        return PlatformError(
            _("%(p)s is rate limiting us (429); trying again later.") % {"p": platform},
            retryable=True,
            retry_after=parse_retry_after(response.headers.get("Retry-After")),
            status=status,
        )
    if status >= 500:
        return PlatformError(
            _("%(p)s answered with a server error (%(s)d); trying again later.") % {"p": platform, "s": status},
            retryable=True,
            retry_after=parse_retry_after(response.headers.get("Retry-After")),
            status=status,
        )
    if status in (401, 403):
        message = _("%(p)s refused the credentials (%(s)d): %(d)s") % {"p": platform, "s": status, "d": detail}
    elif status == 404:
        message = _("%(p)s answered 404: check the address. %(d)s") % {"p": platform, "d": detail}
    else:
        message = _("%(p)s answered %(s)d: %(d)s") % {"p": platform, "s": status, "d": detail}
    return PlatformError(message, retryable=False, status=status)


def _short_detail(response: httpx.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(data, dict):
        for key in ("errors", "error", "message", "meta"):
            if key in data:
                return str(data[key])[:200]
    return str(data)[:200]


def json_of(response: httpx.Response, platform: str) -> Any:
    try:
        return response.json()
    except ValueError:
        raise PlatformError(_("%(p)s sent an answer that is not JSON.") % {"p": platform}, retryable=True) from None


# --- mapping helpers ---------------------------------------------------------------------------------------


def clean_email(raw: Any) -> str:
    """A platform's email, or "" when it is not an address (an order is never rejected for it)."""
    if not isinstance(raw, str) or not raw.strip():
        return ""
    try:
        return normalize_email(raw)
    except InvalidAddress:
        return ""


def clean_phone(raw: Any, country: str) -> str:
    if not isinstance(raw, str) or not raw.strip():
        return ""
    try:
        return normalize_phone(raw, country or None)
    except InvalidAddress:
        return ""


def parse_time(value: Any) -> dt.datetime | None:
    """An ISO 8601 time from a platform (naive values are UTC)."""
    if not value or not isinstance(value, str):
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC)


def iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def pages(first_url: str, fetch) -> Iterator[Any]:
    """Follow a chain of pages: `fetch(url)` returns (data, next_url or None)."""
    url: str | None = first_url
    while url:
        data, url = fetch(url)
        yield data
