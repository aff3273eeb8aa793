"""App push through Firebase Cloud Messaging HTTP v1, and Web Push (RFC 8030) with VAPID (RFC 8292).

Neither channel has addresses: the caller (campaigns) hands the buyer's device token or browser
subscription over in `OutboundMessage.push_target`, and a provider's "this token / subscription is gone"
comes back as `SendResult.permanent(SUBSCRIPTION_GONE)` so the caller removes it (orders owns them).

FCM: the merchant's service-account JSON (encrypted) is exchanged for an OAuth 2 access token by
google-auth, which signs an RS256 JWT assertion and posts it to the JSON's `token_uri`, exactly as for
any Google API; the token is cached per account until shortly before it expires. Errors follow FCM's
documented error JSON (`error.status` and the FcmError `errorCode` in `error.details`).

Web push: the payload is encrypted for the subscription's keys (aes128gcm, RFC 8188 / RFC 8291) by
pywebpush / http_ece, and the request carries `Authorization: vapid t=<ES256 JWT>, k=<public key>`
signed with the merchant's VAPID key (py_vapid).
"""

from __future__ import annotations

import datetime as dt
import email.utils
import ipaddress
import json
import re
import threading
import time
import uuid
from urllib.parse import urlsplit

import httpx
import requests
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .base import (
    AUTH_FAILED,
    CONNECTION_FAILED,
    PAYLOAD_TOO_LARGE,
    RATE_LIMITED,
    SUBSCRIPTION_GONE,
    TIMEOUT_AFTER_SEND,
    Channel,
    OutboundMessage,
    PushKind,
    PushTarget,
    Sender,
    SendResult,
)
from .esp import url_overrides_allowed

FCM_SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
FCM_API = "https://fcm.googleapis.com"
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"  # noqa: S105  (a URL, not a secret)
TOKEN_MARGIN = dt.timedelta(minutes=5)
FCM_TOKEN = re.compile(r"^[A-Za-z0-9_:\-.]{20,4096}$")
# aes128gcm in one record of at most 4096 bytes: 86 bytes of header, a 16-byte tag and a delimiter.
WEB_PUSH_MAX_PLAINTEXT = 4096 - 86 - 16 - 1


def retry_at_from(headers, default_seconds: int) -> dt.datetime:
    """Retry-After as seconds or an HTTP date; the default when absent or unreadable."""
    value = (headers.get("Retry-After") or "").strip()
    now = timezone.now()
    if value.isdigit():
        return now + dt.timedelta(seconds=min(int(value), 86400))
    if value:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            when = None
        if when is not None and when.tzinfo is not None:
            return max(now, when)
    return now + dt.timedelta(seconds=default_seconds)


def push_text(message: OutboundMessage) -> tuple[str, str, str]:
    """(title, body, link) of a push message."""
    return message.subject.strip(), message.text_body.strip(), message.push_link.strip()


def _check_target(sender: Sender, message: OutboundMessage, kind: str) -> SendResult | PushTarget:
    wrong = sender.check_channel(message)
    if wrong:
        return wrong
    target = message.push_target
    if target is None:
        return SendResult.permanent("missing_push_target", "a push needs the device token or browser subscription")
    if target.kind != kind:
        return SendResult.permanent(
            "wrong_push_kind", f"a {sender.kind} account cannot send to a {target.kind} subscription"
        )
    title, body, _link = push_text(message)
    if not (title or body):
        return SendResult.permanent("empty_message", "a push needs a title or a body")
    return target


# -- Firebase Cloud Messaging ---------------------------------------------------------------------
class _TimedRequest:
    """google-auth's requests transport with our timeout (its own default is two minutes)."""

    def __init__(self, session: requests.Session, timeout: float):
        from google.auth.transport.requests import Request

        self.inner = Request(session)
        self.timeout = timeout

    def __call__(self, url, method="GET", body=None, headers=None, timeout=None, **kwargs):
        return self.inner(url, method=method, body=body, headers=headers, timeout=timeout or self.timeout, **kwargs)


_token_cache: dict[tuple, tuple[str, dt.datetime]] = {}
_token_lock = threading.Lock()


def parse_service_account(raw) -> dict:
    """The service-account JSON as a dict; ValueError with a readable reason when it is not one."""
    if isinstance(raw, dict):
        info = raw
    else:
        try:
            info = json.loads(raw or "")
        except (TypeError, ValueError) as exc:
            raise ValueError("the service account is not valid JSON") from exc
    if not isinstance(info, dict) or info.get("type") != "service_account":
        raise ValueError('the JSON is not a service account key ("type": "service_account")')
    missing = [k for k in ("project_id", "private_key", "client_email", "token_uri") if not info.get(k)]
    if missing:
        raise ValueError(f"the service account lacks {', '.join(missing)}")
    if info["token_uri"] != GOOGLE_TOKEN_URI and not url_overrides_allowed():
        raise ValueError(f"token_uri must be {GOOGLE_TOKEN_URI}")
    return info


class FcmSender(Sender):
    kind = "fcm"
    label = _("App push (Firebase Cloud Messaging)")
    channel = Channel.PUSH
    provider = "fcm"
    description = _("Push notifications to your Android / iOS app through Firebase Cloud Messaging (HTTP v1).")

    def __init__(self, account):
        super().__init__(account)
        self.http: httpx.Client | None = None
        self.session: requests.Session | None = None
        self._credentials = None

    def open(self) -> None:
        timeout = float(self.config.get("timeout") or 20)
        self.http = httpx.Client(timeout=timeout)
        self.session = requests.Session()
        super().open()

    def close(self) -> None:
        if self.http is not None:
            self.http.close()
        if self.session is not None:
            self.session.close()
        self.http = self.session = None
        super().close()

    # -- OAuth 2 -------------------------------------------------------------------------------------
    def service_account(self) -> dict:
        return parse_service_account(self.credentials.get("service_account"))

    def _cache_key(self, info: dict) -> tuple:
        return (self.account.pk, info.get("client_email"), info.get("private_key_id"), info.get("token_uri"))

    def access_token(self, *, force: bool = False) -> str:
        """A cached OAuth 2 access token for the FCM scope; google-auth signs and exchanges the JWT."""
        from google.oauth2 import service_account

        info = self.service_account()
        key = self._cache_key(info)
        now = timezone.now()
        with _token_lock:
            cached = _token_cache.get(key)
            if cached and not force and cached[1] - TOKEN_MARGIN > now:
                return cached[0]
        credentials = service_account.Credentials.from_service_account_info(info, scopes=[FCM_SCOPE])
        credentials.refresh(_TimedRequest(self.session or requests.Session(), float(self.config.get("timeout") or 20)))
        expiry = credentials.expiry.replace(tzinfo=dt.UTC) if credentials.expiry else now + dt.timedelta(minutes=30)
        with _token_lock:
            _token_cache[key] = (credentials.token, expiry)
        return credentials.token

    def forget_token(self) -> None:
        try:
            key = self._cache_key(self.service_account())
        except ValueError:
            return
        with _token_lock:
            _token_cache.pop(key, None)

    def endpoint(self, project_id: str) -> str:
        base = FCM_API
        if url_overrides_allowed() and self.config.get("api_url"):
            base = self.config["api_url"].rstrip("/")
        return f"{base}/v1/projects/{project_id}/messages:send"

    # -- sending -------------------------------------------------------------------------------------
    def payload(self, message: OutboundMessage, target: PushTarget) -> dict:
        title, body, link = push_text(message)
        data = {"linkstar_ref": message.message_ref}
        if link:
            data["link"] = link
        payload: dict = {
            "token": target.token,
            "notification": {k: v for k, v in (("title", title), ("body", body)) if v},
            "data": data,
            "fcm_options": {"analytics_label": "linkstar"},
        }
        if link.startswith("https://"):
            payload["webpush"] = {"fcm_options": {"link": link}}
        return {"message": payload}

    def send(self, message: OutboundMessage) -> SendResult:
        checked = _check_target(self, message, PushKind.FCM)
        if isinstance(checked, SendResult):
            return checked
        if not FCM_TOKEN.match(checked.token):
            return SendResult.permanent("invalid_argument", "not an FCM registration token")
        if not self.is_open:
            self.open()
        try:
            info = self.service_account()
        except ValueError as exc:
            return SendResult.permanent(AUTH_FAILED, f"FCM service account: {exc}")
        for attempt in (1, 2):
            result = self._post(info, message, checked, force_token=attempt == 2)
            if isinstance(result, SendResult):
                return result
            # a 401 with a cached token: the token was revoked or expired early; fetch a new one once
        return SendResult.permanent(AUTH_FAILED, "FCM refused the access token (UNAUTHENTICATED)")

    def _post(self, info: dict, message: OutboundMessage, target: PushTarget, *, force_token: bool):
        from google.auth import exceptions as google_exceptions

        try:
            token = self.access_token(force=force_token)
        except google_exceptions.RefreshError as exc:
            if getattr(exc, "retryable", False):
                return SendResult.temporary("oauth_unavailable", f"Google OAuth: {exc}")
            return SendResult.permanent(AUTH_FAILED, f"Google OAuth refused the service account: {exc}")
        except google_exceptions.TransportError as exc:
            return SendResult.temporary(CONNECTION_FAILED, f"Google OAuth: {exc}")
        except ValueError as exc:  # an unreadable private key
            return SendResult.permanent(AUTH_FAILED, f"FCM service account: {exc}")
        try:
            response = self.http.post(
                self.endpoint(info["project_id"]),
                json=self.payload(message, target),
                headers={"Authorization": f"Bearer {token}"},
            )
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            return SendResult.temporary(CONNECTION_FAILED, f"FCM: {exc or type(exc).__name__}")
        except httpx.TransportError as exc:  # the request went out: FCM may have delivered it
            return SendResult.unknown(TIMEOUT_AFTER_SEND, f"FCM: {exc or type(exc).__name__}")
        if response.status_code == 200:
            return SendResult.ok(response.json().get("name", ""))
        if response.status_code == 401 and not force_token:
            self.forget_token()
            return None
        return self.classify(response)

    def classify(self, response: httpx.Response) -> SendResult:
        status = response.status_code
        try:
            error = response.json().get("error") or {}
        except ValueError:
            error = {}
        code = ""
        for detail in error.get("details") or []:
            if isinstance(detail, dict) and detail.get("errorCode"):
                code = detail["errorCode"]
        state = error.get("status") or ""
        reason = code or state or f"HTTP {status}"
        text = f"FCM {status} {reason}: {error.get('message') or response.text[:200]}".strip()
        if code == "UNREGISTERED" or (not code and state == "NOT_FOUND") or (status == 404 and not code):
            return SendResult.permanent(SUBSCRIPTION_GONE, text)
        if code == "SENDER_ID_MISMATCH":
            return SendResult.permanent("sender_id_mismatch", text)
        if code == "INVALID_ARGUMENT" or state == "INVALID_ARGUMENT":
            return SendResult.permanent("invalid_argument", text)
        if code in ("QUOTA_EXCEEDED",) or state == "RESOURCE_EXHAUSTED" or status == 429:
            return SendResult.temporary(RATE_LIMITED, text, retry_at_from(response.headers, 60))
        if code == "UNAVAILABLE" or state == "UNAVAILABLE" or status == 503:
            return SendResult.temporary("unavailable", text, retry_at_from(response.headers, 30))
        if code == "INTERNAL" or state == "INTERNAL" or status >= 500:
            return SendResult.temporary("internal", text, retry_at_from(response.headers, 30))
        if code == "THIRD_PARTY_AUTH_ERROR" or status in (401, 403):
            return SendResult.permanent(AUTH_FAILED, text)
        return SendResult.permanent(f"fcm_{(code or state or status)}".lower()[:64], text)


# -- Web Push -------------------------------------------------------------------------------------------
def endpoint_allowed(endpoint: str) -> bool:
    """Only push services' https addresses (WEB_PUSH_ENDPOINT_REGEX); loopback only where the fakes run."""
    parts = urlsplit(endpoint or "")
    if not parts.hostname:
        return False
    loopback = parts.hostname in ("localhost",) or _is_loopback(parts.hostname)
    if loopback:
        return bool(getattr(settings, "WEB_PUSH_ALLOW_LOOPBACK", False)) and parts.scheme in ("http", "https")
    return parts.scheme == "https" and bool(re.match(settings.WEB_PUSH_ENDPOINT_REGEX, endpoint))


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def generate_vapid_keys() -> tuple[str, str]:
    """(private, public) as base64url: the raw 32-byte key and the 65-byte uncompressed point that a
    site passes to `pushManager.subscribe({applicationServerKey})`."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from py_vapid.utils import b64urlencode

    key = ec.generate_private_key(ec.SECP256R1())
    private = key.private_numbers().private_value.to_bytes(32, "big")
    public = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return b64urlencode(private), b64urlencode(public)


def vapid_public_key(private_key: str) -> str:
    from cryptography.hazmat.primitives import serialization
    from py_vapid import Vapid
    from py_vapid.utils import b64urlencode

    vapid = Vapid.from_string(private_key=private_key)
    return b64urlencode(
        vapid.public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )


class WebPushSender(Sender):
    kind = "web_push"
    label = _("Web push (VAPID)")
    channel = Channel.PUSH
    provider = "web_push"
    description = _("Browser notifications to buyers who allowed them on your web shop (Web Push with VAPID keys).")

    def __init__(self, account):
        super().__init__(account)
        self.session: requests.Session | None = None

    def open(self) -> None:
        self.session = requests.Session()
        super().open()

    def close(self) -> None:
        if self.session is not None:
            self.session.close()
        self.session = None
        super().close()

    def vapid_headers(self, endpoint: str) -> dict:
        from py_vapid import Vapid

        parts = urlsplit(endpoint)
        vapid = Vapid.from_string(private_key=self.credentials.get("vapid_private_key", ""))
        claims = {
            "aud": f"{parts.scheme}://{parts.netloc}",
            "exp": int(time.time()) + 12 * 3600,
            "sub": self.config.get("subject") or "mailto:push@linkstar.invalid",
        }
        return vapid.sign(claims)

    def payload(self, message: OutboundMessage) -> bytes:
        title, body, link = push_text(message)
        data = {"title": title, "body": body, "ref": message.message_ref}
        if link:
            data["link"] = link
        return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    def send(self, message: OutboundMessage) -> SendResult:
        from pywebpush import WebPusher, WebPushException

        checked = _check_target(self, message, PushKind.WEB_PUSH)
        if isinstance(checked, SendResult):
            return checked
        if not endpoint_allowed(checked.endpoint):
            return SendResult.permanent("endpoint_not_allowed", "the subscription's endpoint is not a push service")
        data = self.payload(message)
        if len(data) > WEB_PUSH_MAX_PLAINTEXT:
            return SendResult.permanent(
                PAYLOAD_TOO_LARGE, f"{len(data)} bytes; web push carries at most {WEB_PUSH_MAX_PLAINTEXT}"
            )
        if not self.is_open:
            self.open()
        try:
            headers = self.vapid_headers(checked.endpoint)
        except Exception as exc:  # noqa: BLE001  (py_vapid raises bare ValueError / binascii errors)
            return SendResult.permanent(AUTH_FAILED, f"VAPID private key: {type(exc).__name__}")
        headers["Urgency"] = str(self.config.get("urgency") or "normal")
        subscription = {"endpoint": checked.endpoint, "keys": {"p256dh": checked.p256dh, "auth": checked.auth}}
        try:
            pusher = WebPusher(subscription, requests_session=self.session)
            response = pusher.send(
                data,
                headers=headers,
                ttl=int(self.config.get("ttl") or 2 * 86400),
                content_encoding="aes128gcm",
                timeout=float(self.config.get("timeout") or 20),
            )
        except (WebPushException, ValueError, TypeError) as exc:  # unreadable p256dh / auth
            return SendResult.permanent("invalid_subscription", f"web push subscription: {exc}")
        except requests.ConnectTimeout as exc:
            return SendResult.temporary(CONNECTION_FAILED, f"web push: {type(exc).__name__}")
        except requests.ConnectionError as exc:
            if "NewConnectionError" in repr(exc) or "Failed to establish" in str(exc):
                return SendResult.temporary(CONNECTION_FAILED, f"web push: {type(exc).__name__}")
            return SendResult.unknown(TIMEOUT_AFTER_SEND, f"web push: {type(exc).__name__}")
        except requests.RequestException as exc:  # read timeout and the like: the push may have been taken
            return SendResult.unknown(TIMEOUT_AFTER_SEND, f"web push: {type(exc).__name__}")
        return self.classify(response)

    def classify(self, response) -> SendResult:
        status = response.status_code
        text = f"web push {status}: {(response.text or '')[:200]}".strip()
        if status in (200, 201, 202):
            return SendResult.ok(response.headers.get("Location") or f"webpush:{uuid.uuid4()}")
        if status in (404, 410):
            return SendResult.permanent(SUBSCRIPTION_GONE, text)
        if status == 429:
            return SendResult.temporary(RATE_LIMITED, text, retry_at_from(response.headers, 60))
        if status == 413:
            return SendResult.permanent(PAYLOAD_TOO_LARGE, text)
        if status == 401:
            return SendResult.permanent(AUTH_FAILED, text)
        if status == 403:  # the subscription was made for another applicationServerKey
            return SendResult.permanent("vapid_mismatch", text)
        if status >= 500:
            return SendResult.temporary(f"http_{status}", text, retry_at_from(response.headers, 30))
        return SendResult.permanent(f"http_{status}", text)
