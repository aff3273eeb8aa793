"""The push side of the provider fake: Google's OAuth token endpoint, FCM HTTP v1, a Web Push service,
and a stand-in browser that makes subscriptions.

- `POST /oauth2/token`: the JWT-bearer grant (RFC 7523) as Google's token endpoint takes it. The RS256
  assertion's signature is checked against the service account's public key when the test registered
  one (`state.fcm_keys[client_email]`); its claims (iss, scope, aud = this URL, iat / exp) always.
- `POST /v1/projects/{project}/messages:send`: FCM HTTP v1 with its error JSON. Tokens pick an answer
  by prefix: `gone-` UNREGISTERED (404), `invalid-` INVALID_ARGUMENT (400), `mismatch-`
  SENDER_ID_MISMATCH (403), `quota-` QUOTA_EXCEEDED (429, Retry-After), `unavailable-` UNAVAILABLE
  (503, Retry-After), `internal-` INTERNAL (500).
- `POST /webpush/{id}`: a push service. It checks the VAPID JWT (ES256, RFC 8292) against the `k=` key,
  that `k` is the applicationServerKey the subscription was made with, the aes128gcm headers, and
  decrypts the payload with the subscription's private key (RFC 8291). Ids `gone-…` answer 410,
  `missing-…` 404, `busy-…` 429.

A subscription's keys are those a test registered with `FakeBrowser`, else derived from its id and a
fixed seed (`derived_browser_keys`), so the demo's seeded subscriptions work with a separately started
fake. Everything here is for tests and the demo only.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
import uuid
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

DEMO_BROWSER_SEED = b"linkstar-fake-browser-v1"
FCM_SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"  # noqa: S105  (a URL)
_P256_ORDER = int("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", 16)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    text = text.strip()
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def derived_browser_keys(subscription_id: str, seed: bytes = DEMO_BROWSER_SEED):
    """(private key, p256dh, auth) of a fake browser subscription, derived from its id."""
    digest = hashlib.sha256(seed + b":key:" + subscription_id.encode()).digest()
    private = ec.derive_private_key(int.from_bytes(digest, "big") % (_P256_ORDER - 1) + 1, ec.SECP256R1())
    auth = hashlib.sha256(seed + b":auth:" + subscription_id.encode()).digest()[:16]
    public = private.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return private, b64url(public), b64url(auth)


@dataclass
class BrowserSubscription:
    id: str
    endpoint: str
    private_key: ec.EllipticCurvePrivateKey
    p256dh: str
    auth: str
    application_server_key: str | None

    def as_json(self) -> dict:
        """What `PushSubscription.toJSON()` gives a site."""
        return {"endpoint": self.endpoint, "expirationTime": None, "keys": {"p256dh": self.p256dh, "auth": self.auth}}


class FakeBrowser:
    """Makes push subscriptions like a browser: a fresh P-256 key pair and a 16-byte auth secret."""

    def __init__(self, server):
        self.server = server

    def subscribe(self, application_server_key: str | None, *, prefix: str = "") -> BrowserSubscription:
        sub_id = prefix + secrets.token_urlsafe(16)
        private = ec.generate_private_key(ec.SECP256R1())
        public = private.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        subscription = BrowserSubscription(
            id=sub_id,
            endpoint=f"{self.server.url}/webpush/{sub_id}",
            private_key=private,
            p256dh=b64url(public),
            auth=b64url(secrets.token_bytes(16)),
            application_server_key=application_server_key,
        )
        with self.server.state.lock:
            self.server.state.webpush_subscriptions[sub_id] = subscription
        return subscription


def _jwt_parts(token: str):
    header_b64, payload_b64, signature_b64 = token.split(".")
    header = json.loads(unb64url(header_b64))
    claims = json.loads(unb64url(payload_b64))
    return header, claims, f"{header_b64}.{payload_b64}".encode(), unb64url(signature_b64)


def google_error(status: int, state: str, message: str, error_code: str | None = None) -> dict:
    details = []
    if error_code:
        details.append({"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": error_code})
    return {"error": {"code": status, "message": message, "status": state, "details": details}}


FCM_ANSWERS = {
    "gone-": (404, "NOT_FOUND", "Requested entity was not found.", "UNREGISTERED", None),
    "invalid-": (400, "INVALID_ARGUMENT", "The registration token is not valid", "INVALID_ARGUMENT", None),
    "mismatch-": (403, "PERMISSION_DENIED", "SenderId mismatch", "SENDER_ID_MISMATCH", None),
    "quota-": (429, "RESOURCE_EXHAUSTED", "Quota exceeded for sending messages.", "QUOTA_EXCEEDED", "17"),
    "unavailable-": (503, "UNAVAILABLE", "The service is currently unavailable.", "UNAVAILABLE", "11"),
    "internal-": (500, "INTERNAL", "Internal error encountered.", "INTERNAL", None),
}  # fmt: skip


class PushHandlerMixin:
    """Mixed into the fake's request handler (channels.fakes.http._Handler)."""

    # -- Google OAuth 2 token endpoint ------------------------------------------------------------
    def _google_token(self, record):
        from urllib.parse import parse_qs

        form = {k: v[0] for k, v in parse_qs(record.body.decode()).items()}

        def refuse(description: str):
            return self._send(400, {"error": "invalid_grant", "error_description": description})

        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" or not form.get("assertion"):
            return self._send(400, {"error": "unsupported_grant_type", "error_description": "Invalid grant_type"})
        try:
            header, claims, signed, signature = _jwt_parts(form["assertion"])
        except (ValueError, KeyError):
            return refuse("Invalid JWT.")
        if header.get("alg") != "RS256":
            return refuse("Invalid JWT: only RS256 is accepted.")
        # Google's token endpoint is the audience of every assertion (google-auth always says so).
        audiences = {GOOGLE_TOKEN_URI, f"http://{self.headers.get('Host')}{record.path}"}
        now = time.time()
        if claims.get("aud") not in audiences:
            return refuse(f"Invalid JWT: aud must be {GOOGLE_TOKEN_URI}.")
        if FCM_SCOPE not in str(claims.get("scope", "")).split():
            return refuse("Invalid JWT: the firebase.messaging scope is missing.")
        if (
            not (claims.get("iat", 0) - 300 <= now <= claims.get("exp", 0) + 300)
            or claims["exp"] - claims["iat"] > 3600
        ):
            return refuse("Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.")
        keys = self.state.fcm_keys
        if keys is not None:
            public = keys.get(claims.get("iss"))
            if public is None:
                return refuse("Invalid JWT: unknown service account.")
            try:
                public.verify(signature, signed, padding.PKCS1v15(), hashes.SHA256())
            except InvalidSignature:
                return refuse("Invalid JWT Signature.")
        token = "ya29.fake-" + secrets.token_urlsafe(24)
        with self.state.lock:
            self.state.fcm_tokens[token] = claims.get("iss")
        return self._send(200, {"access_token": token, "expires_in": 3599, "token_type": "Bearer"})

    # -- FCM HTTP v1 --------------------------------------------------------------------------------
    def _fcm_send(self, record, project: str):
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in self.state.fcm_tokens:
            return self._send(
                401,
                google_error(
                    401, "UNAUTHENTICATED", "Request had invalid authentication credentials. Expected OAuth 2 "
                    "access token, login cookie or other valid authentication credential.",
                ),
            )  # fmt: skip
        try:
            message = json.loads(record.body or b"{}")["message"]
        except (ValueError, KeyError, TypeError):
            return self._send(400, google_error(400, "INVALID_ARGUMENT", "Invalid JSON payload received."))
        token = message.get("token") or ""
        if not token:
            return self._send(
                400, google_error(400, "INVALID_ARGUMENT", "Request contains an invalid argument.", "INVALID_ARGUMENT")
            )
        for prefix, (status, state, text, code, retry) in FCM_ANSWERS.items():
            if token.startswith(prefix):
                headers = {"Retry-After": retry} if retry else None
                return self._send(status, google_error(status, state, text, code), headers=headers)
        name = f"projects/{project}/messages/0:{int(time.time() * 1000)}%{uuid.uuid4().hex[:16]}"
        with self.state.lock:
            self.state.fcm_messages.append({"project": project, "name": name, "message": message})
        return self._send(200, {"name": name})

    # -- Web Push -----------------------------------------------------------------------------------
    def _subscription(self, sub_id: str) -> BrowserSubscription:
        with self.state.lock:
            known = self.state.webpush_subscriptions.get(sub_id)
        if known is not None:
            return known
        private, p256dh, auth = derived_browser_keys(sub_id)
        return BrowserSubscription(sub_id, "", private, p256dh, auth, None)

    def _vapid_check(self, record, subscription: BrowserSubscription) -> tuple[int, str] | None:
        """None when the Authorization header is a valid VAPID token for this push service."""
        header = self.headers.get("Authorization", "")
        if not header.lower().startswith("vapid "):
            return 401, "missing VAPID authorization"
        params = {}
        for part in header[6:].split(","):
            key, _, value = part.strip().partition("=")
            params[key.strip()] = value.strip()
        if not params.get("t") or not params.get("k"):
            return 401, "VAPID authorization needs t= and k="
        try:
            raw_key = unb64url(params["k"])
            public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw_key)
            jwt_header, claims, signed, signature = _jwt_parts(params["t"])
        except (ValueError, KeyError, TypeError):
            return 401, "unreadable VAPID token or key"
        if jwt_header.get("alg") != "ES256" or len(signature) != 64:
            return 401, "VAPID tokens are ES256"
        try:
            public.verify(
                encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")),
                signed,
                ec.ECDSA(hashes.SHA256()),
            )
        except InvalidSignature:
            return 401, "VAPID signature does not verify"
        origin = f"http://{self.headers.get('Host')}"
        now = time.time()
        if claims.get("aud") != origin:
            return 401, f"VAPID aud must be {origin}"
        if not (now < claims.get("exp", 0) <= now + 24 * 3600):
            return 401, "VAPID exp must be within 24 hours"
        if not claims.get("sub"):
            return 401, "VAPID sub (contact) is missing"
        if subscription.application_server_key and subscription.application_server_key != params["k"]:
            return 403, "the VAPID key is not the applicationServerKey of this subscription"
        return None

    def _webpush(self, record, sub_id: str):
        import http_ece

        if sub_id.startswith("gone-"):
            return self._send(410, b"push subscription has unsubscribed or expired.", content_type="text/plain")
        if sub_id.startswith("missing-"):
            return self._send(404, b"push subscription not found", content_type="text/plain")
        subscription = self._subscription(sub_id)
        refused = self._vapid_check(record, subscription)
        if refused is not None:
            return self._send(refused[0], refused[1].encode(), content_type="text/plain")
        if sub_id.startswith("busy-"):
            return self._send(429, b"too many requests", headers={"Retry-After": "7"}, content_type="text/plain")
        if self.headers.get("TTL") is None:
            return self._send(400, b"a TTL header is required", content_type="text/plain")
        if self.headers.get("Content-Encoding") != "aes128gcm":
            return self._send(400, b"Content-Encoding must be aes128gcm", content_type="text/plain")
        if len(record.body) > 4096:
            return self._send(413, b"payload too large", content_type="text/plain")
        try:
            plaintext = http_ece.decrypt(
                record.body,
                private_key=subscription.private_key,
                auth_secret=unb64url(subscription.auth),
                version="aes128gcm",
            )
        except Exception:  # noqa: BLE001  (http_ece raises several kinds for a bad record)
            return self._send(
                400, b"the payload does not decrypt with the subscription's keys", content_type="text/plain"
            )
        location = f"/webpush/messages/{uuid.uuid4().hex}"
        with self.state.lock:
            self.state.webpush_messages.append(
                {"subscription": sub_id, "payload": plaintext, "headers": dict(record.headers), "location": location}
            )
        return self._send(201, b"", headers={"Location": location}, content_type="text/plain")
