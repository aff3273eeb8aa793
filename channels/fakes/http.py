"""One local HTTP server that speaks the provider APIs the senders use, in their documented formats.

- Twilio Messages API: POST /2010-04-01/Accounts/{sid}/Messages.json (form; basic auth sid:token);
  error JSON {"code", "message", "more_info", "status"}. Twilio's magic test numbers answer as at
  Twilio: +15005550001 → 21211, +15005550009 → 21614, +15005550004 → 21610, +15005550002 → 21612;
  numbers ending 0429 → 20429, 0500 → HTTP 500, 0999 → no answer in time. WhatsApp free text
  (no ContentSid) → 63016. With `send_callbacks`, signed status callbacks follow (sent, delivered).
- Postmark: POST /email (X-Postmark-Server-Token) → {"MessageID", "ErrorCode": 0, ...}; errors 401/10,
  422/300 (invalid To), 422/406 (inactive recipient), 429, 500.
- Mailgun: POST /v3/{domain}/messages (basic auth api:key) → {"id", "message"}; 401, 400, 429, 500.
- Amazon SES v2: POST /v2/email/outbound-emails (SigV4) → {"MessageId"}; errors with
  x-amzn-ErrorType (MessageRejected, BadRequestException, TooManyRequestsException,
  UnrecognizedClientException).
- Login with Amazon: POST /auth/o2/token; SP-API Solicitations: GET /solicitations/v1/orders/{id},
  POST .../solicitations/productReviewAndSellerFeedback (HAL JSON; 403 "Unauthorized" answers as
  documented; 429 QuotaExceeded above 1 request/s with a burst of 5 per access token).
- SP-API Messaging: GET /messaging/v1/orders/{id} (the message types permitted for the order),
  POST /messaging/v1/orders/{id}/messages/{type} with {"text": …}; order ids ending -0000004 permit
  nothing. Same token and rate rules as Solicitations.
- Amazon SNS: GET /sns/cert.pem (the signing certificate), GET /sns/confirm (SubscribeURL).
- Google OAuth token endpoint, FCM HTTP v1 and a Web Push service: see channels/fakes/push.py.

ESP recipients pick an answer by local part: invalid@, inactive@, ratelimit@, error@, slow@.
Amazon order ids ending -0000001 are not eligible yet, -0000002 past the window, -0000003 already
solicited; every other order is eligible once.
"""

from __future__ import annotations

import base64
import datetime as dt
import email
import json
import re
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

from .push import PushHandlerMixin

SOLICITATION = "productReviewAndSellerFeedback"
MESSAGING_TYPES = ["unexpectedProblem", "confirmDeliveryDetails", "confirmOrderDetails", "negativeFeedbackRemoval"]
TWILIO_ERRORS = {
    "+15005550001": (400, 21211, "The 'To' number +15005550001 is not a valid phone number."),
    "+15005550009": (400, 21614, "'To' number is not a valid mobile number"),
    "+15005550004": (400, 21610, "Attempt to send to unsubscribed recipient"),
    "+15005550002": (400, 21612, "The 'To' phone number is not currently reachable via SMS."),
}


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict
    body: bytes
    query: dict = field(default_factory=dict)


class FakeState:
    """What the fake expects and what it saw. Leave an expected credential as None to accept any."""

    def __init__(self):
        self.lock = threading.Lock()
        self.requests: list[Recorded] = []
        self.postmark_token: str | None = None
        self.mailgun_key: str | None = None
        self.ses_access_key: str | None = None
        self.twilio: tuple[str, str] | None = None
        self.lwa: tuple[str, str, str] | None = None  # client id, client secret, refresh token
        self.slow_seconds = 3.0
        self.send_callbacks = False
        # WhatsApp numbers whose 24-hour session is closed and whose template Twilio sends as free-form (63016)
        self.whatsapp_window_closed: set[str] = set()
        self.orders: dict[str, str] = {}
        self.tokens: set[str] = set()
        self.buckets: dict[str, tuple[float, float]] = {}
        self.rate, self.burst = 1.0, 5
        self.sns_confirmations: list[dict] = []
        self.callbacks_sent: list[tuple[str, dict]] = []
        # Push: service accounts' public keys by client_email (None: claims checked, any signature taken),
        # access tokens issued, messages accepted, browser subscriptions made by FakeBrowser.
        self.fcm_keys: dict | None = None
        self.fcm_tokens: dict[str, str] = {}
        self.fcm_messages: list[dict] = []
        self.webpush_subscriptions: dict = {}
        self.webpush_messages: list[dict] = []
        self.amazon_messages: list[dict] = []
        self._make_sns_key()

    def _make_sns_key(self) -> None:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import rsa
        from cryptography.x509.oid import NameOID

        self.sns_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.local.test")])
        now = dt.datetime.now(dt.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.sns_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=365))
            .sign(self.sns_key, hashes.SHA256())
        )
        self.sns_cert_pem = cert.public_bytes(serialization.Encoding.PEM)

    def take_token(self, key: str) -> bool:
        with self.lock:
            now = time.monotonic()
            tokens, ts = self.buckets.get(key, (float(self.burst), now))
            tokens = min(self.burst, tokens + (now - ts) * self.rate)
            ok = tokens >= 1
            self.buckets[key] = (tokens - 1 if ok else tokens, now)
            return ok


def _address(text: str) -> str:
    match = re.search(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+", text or "")
    return match.group(0).lower() if match else ""


def _local_part(address: str) -> str:
    match = re.search(r"([A-Za-z0-9._%+-]+)@", address or "")
    return match.group(1).lower() if match else ""


class _Handler(PushHandlerMixin, BaseHTTPRequestHandler):
    server_version = "LinkstarFakeProviders/1.0"
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # noqa: A002  (quiet: tests and the demo read `requests`)
        return

    @property
    def state(self) -> FakeState:
        return self.server.state

    # -- plumbing ------------------------------------------------------------------------------
    def _read(self) -> Recorded:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        record = Recorded(self.command, parts.path, dict(self.headers.items()), body, parse_qs(parts.query))
        with self.state.lock:
            self.state.requests.append(record)
        return record

    def _send(self, status: int, payload, headers: dict | None = None, content_type="application/json"):
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def _basic_auth(self) -> tuple[str, str] | None:
        header = self.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return None
        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        return user, password

    def _form(self, record: Recorded) -> dict:
        ctype = self.headers.get("Content-Type", "")
        if ctype.startswith("multipart/form-data"):
            message = email.message_from_bytes(b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + record.body)
            form: dict[str, list[str]] = {}
            for part in message.get_payload():
                name = part.get_param("name", header="content-disposition")
                form.setdefault(name, []).append(part.get_payload(decode=True).decode("utf-8", "replace"))
            return form
        return parse_qs(record.body.decode("utf-8", "replace"))

    def _slow(self) -> None:
        time.sleep(self.state.slow_seconds)

    def do_GET(self):  # noqa: N802
        record = self._read()
        if record.path == "/sns/cert.pem":
            return self._send(200, self.state.sns_cert_pem, content_type="application/x-pem-file")
        if record.path == "/sns/confirm":
            with self.state.lock:
                self.state.sns_confirmations.append({k: v[0] for k, v in record.query.items()})
            return self._send(200, b"<ConfirmSubscriptionResponse/>", content_type="text/xml")
        match = re.fullmatch(r"/solicitations/v1/orders/([\w-]+)", record.path)
        if match:
            return self._sp_actions(record, match.group(1))
        match = re.fullmatch(r"/messaging/v1/orders/([\w-]+)", record.path)
        if match:
            return self._messaging_actions(record, match.group(1))
        return self._send(404, {"message": "not found"})

    def do_POST(self):  # noqa: N802
        record = self._read()
        path = record.path
        match = re.fullmatch(r"/2010-04-01/Accounts/(\w+)/Messages\.json", path)
        if match:
            return self._twilio(record, match.group(1))
        if path == "/email":
            return self._postmark(record)
        match = re.fullmatch(r"/v3/([^/]+)/messages", path)
        if match:
            return self._mailgun(record, match.group(1))
        if path == "/v2/email/outbound-emails":
            return self._ses(record)
        if path == "/auth/o2/token":
            return self._lwa(record)
        match = re.fullmatch(rf"/solicitations/v1/orders/([\w-]+)/solicitations/{SOLICITATION}", path)
        if match:
            return self._sp_create(record, match.group(1))
        match = re.fullmatch(r"/messaging/v1/orders/([\w-]+)/messages/(\w+)", path)
        if match:
            return self._messaging_create(record, match.group(1), match.group(2))
        if path == "/oauth2/token":
            return self._google_token(record)
        match = re.fullmatch(r"/v1/projects/([\w-]+)/messages:send", path)
        if match:
            return self._fcm_send(record, match.group(1))
        match = re.fullmatch(r"/webpush/([\w-]+)", path)
        if match:
            return self._webpush(record, match.group(1))
        return self._send(404, {"message": "not found"})

    # -- Twilio ----------------------------------------------------------------------------------
    def _twilio_error(self, status: int, code: int, message: str):
        return self._send(
            status,
            {
                "code": code,
                "message": message,
                "more_info": f"https://www.twilio.com/docs/errors/{code}",
                "status": status,
            },
        )

    def _twilio(self, record: Recorded, account_sid: str):
        auth = self._basic_auth()
        if auth is None or (self.state.twilio is not None and auth != self.state.twilio) or auth[0] != account_sid:
            return self._twilio_error(401, 20003, "Authenticate")
        form = {k: v[0] for k, v in self._form(record).items()}
        to = form.get("To", "")
        number = to.removeprefix("whatsapp:")
        if number in TWILIO_ERRORS:
            return self._twilio_error(*TWILIO_ERRORS[number])
        if number.endswith("0429"):
            return self._twilio_error(429, 20429, "Too Many Requests")
        if number.endswith("0500"):
            return self._twilio_error(500, 20500, "Internal Server Error")
        if number.endswith("0999"):
            self._slow()
        if to.startswith("whatsapp:") and (not form.get("ContentSid") or number in self.state.whatsapp_window_closed):
            return self._twilio_error(
                400, 63016, "Failed to send freeform message because you are outside the allowed window."
            )
        if not form.get("From") and not form.get("MessagingServiceSid"):
            return self._twilio_error(400, 21603, "A 'From' or 'MessagingServiceSid' parameter is required")
        sid = "SM" + uuid.uuid4().hex
        now = time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime())
        self._send(
            201,
            {
                "sid": sid, "account_sid": account_sid, "to": to, "from": form.get("From"),
                "messaging_service_sid": form.get("MessagingServiceSid"), "body": form.get("Body", ""),
                "status": "accepted" if form.get("MessagingServiceSid") else "queued", "direction": "outbound-api",
                "num_segments": "1", "error_code": None, "error_message": None, "price": None,
                "api_version": "2010-04-01", "date_created": now, "date_updated": now, "date_sent": None,
                "uri": f"/2010-04-01/Accounts/{account_sid}/Messages/{sid}.json",
            },
        )  # fmt: skip
        if self.state.send_callbacks and form.get("StatusCallback"):
            threading.Thread(
                target=_post_twilio_callbacks,
                args=(self.state, form["StatusCallback"], auth[1], sid, account_sid, form),
                daemon=True,
            ).start()

    # -- Postmark --------------------------------------------------------------------------------
    def _postmark(self, record: Recorded):
        token = self.headers.get("X-Postmark-Server-Token", "")
        if not token or (self.state.postmark_token is not None and token != self.state.postmark_token):
            return self._send(401, {"ErrorCode": 10, "Message": "Bad or missing Server API token."})
        data = json.loads(record.body or b"{}")
        to = data.get("To", "")
        local = _local_part(to)
        if local == "invalid":
            return self._send(422, {"ErrorCode": 300, "Message": f"Invalid 'To' address: '{to}'."})
        if local == "inactive":
            message = (
                "You tried to send to a recipient that has been marked as inactive.\n"
                f"Found inactive addresses: {_address(to)}.\n"
                "Inactive recipients are ones that have generated a hard bounce or a spam complaint. "
            )
            return self._send(422, {"ErrorCode": 406, "Message": message})
        if local == "ratelimit":
            return self._send(429, {"ErrorCode": 429, "Message": "Rate limit exceeded."})
        if local == "error":
            return self._send(500, {"ErrorCode": 500, "Message": "Internal server error."})
        if local == "slow":
            self._slow()
        submitted = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        return self._send(
            200, {"To": to, "SubmittedAt": submitted, "MessageID": str(uuid.uuid4()), "ErrorCode": 0, "Message": "OK"}
        )

    # -- Mailgun ---------------------------------------------------------------------------------
    def _mailgun(self, record: Recorded, domain: str):
        auth = self._basic_auth()
        if (
            auth is None
            or auth[0] != "api"
            or (self.state.mailgun_key is not None and auth[1] != self.state.mailgun_key)
        ):
            return self._send(401, b"Forbidden", content_type="text/plain")
        form = self._form(record)
        to = " ".join(form.get("to", []))
        local = _local_part(to)
        if local in ("invalid", "inactive"):
            return self._send(400, {"message": "'to' parameter is not a valid address. please check documentation"})
        if local == "ratelimit":
            return self._send(429, {"message": "Too many requests"})
        if local == "error":
            return self._send(500, {"message": "Internal error"})
        if local == "slow":
            self._slow()
        return self._send(200, {"id": f"<{uuid.uuid4().hex}@{domain}>", "message": "Queued. Thank you."})

    # -- Amazon SES v2 ---------------------------------------------------------------------------
    def _ses_error(self, status: int, name: str, message: str):
        return self._send(status, {"__type": name, "message": message}, headers={"x-amzn-ErrorType": name})

    def _ses(self, record: Recorded):
        auth = self.headers.get("Authorization", "")
        match = re.search(r"Credential=([^/]+)/", auth)
        if not match or (self.state.ses_access_key is not None and match.group(1) != self.state.ses_access_key):
            return self._ses_error(
                403, "UnrecognizedClientException", "The security token included in the request is invalid."
            )
        data = json.loads(record.body or b"{}")
        raw = base64.b64decode(data.get("Content", {}).get("Raw", {}).get("Data", "") or b"")
        message = email.message_from_bytes(raw)
        to = " ".join(data.get("Destination", {}).get("ToAddresses", [])) or str(message.get("To", ""))
        local = _local_part(to)
        if local == "invalid":
            return self._ses_error(400, "BadRequestException", "Missing final '@domain'")
        if local == "inactive":
            return self._ses_error(400, "MessageRejected", "Email address is on the account-level suppression list.")
        if local == "ratelimit":
            return self._ses_error(429, "TooManyRequestsException", "Maximum sending rate exceeded.")
        if local == "error":
            return self._ses_error(500, "InternalFailure", "The request processing has failed.")
        if local == "slow":
            self._slow()
        return self._send(200, {"MessageId": f"0100{uuid.uuid4().hex}-000000"})

    # -- Login with Amazon and SP-API Solicitations ------------------------------------------------
    def _lwa(self, record: Recorded):
        form = {k: v[0] for k, v in parse_qs(record.body.decode()).items()}
        given = (form.get("client_id", ""), form.get("client_secret", ""), form.get("refresh_token", ""))
        if form.get("grant_type") != "refresh_token" or (self.state.lwa is not None and given != self.state.lwa):
            return self._send(
                400, {"error": "invalid_grant", "error_description": "The request has an invalid grant parameter"}
            )
        token = "Atza|" + secrets.token_urlsafe(24)
        with self.state.lock:
            self.state.tokens.add(token)
        return self._send(
            200, {"access_token": token, "token_type": "bearer", "expires_in": 3600, "refresh_token": given[2]}
        )

    def _sp_guard(self) -> bool:
        """True when the request was refused (and answered): a wrong access token, or over the quota."""
        token = self.headers.get("x-amz-access-token", "")
        if token not in self.state.tokens:
            message = "Access to requested resource is denied."
            self._send(403, {"errors": [{"code": "Unauthorized", "message": message, "details": ""}]})
            return True
        if not self.state.take_token(token):
            message = "You exceeded your quota for the requested resource."
            self._send(429, {"errors": [{"code": "QuotaExceeded", "message": message, "details": ""}]})
            return True
        return False

    def _order_state(self, order_id: str) -> str:
        with self.state.lock:
            if order_id not in self.state.orders:
                suffix = {"-0000001": "early", "-0000002": "late", "-0000003": "solicited"}
                self.state.orders[order_id] = next((v for k, v in suffix.items() if order_id.endswith(k)), "eligible")
            return self.state.orders[order_id]

    def _sp_actions(self, record: Recorded, order_id: str):
        if self._sp_guard():
            return None
        marketplace = (record.query.get("marketplaceIds") or [""])[0]
        href = f"/solicitations/v1/orders/{order_id}/solicitations/{SOLICITATION}?marketplaceIds={marketplace}"
        actions = [{"href": href, "name": SOLICITATION}] if self._order_state(order_id) == "eligible" else []
        self_link = {"href": f"/solicitations/v1/orders/{order_id}?marketplaceIds={marketplace}"}
        embedded = [{"_links": {"self": {"href": href, "name": SOLICITATION}}}] if actions else []
        return self._send(200, {"_links": {"actions": actions, "self": self_link}, "_embedded": {"actions": embedded}})

    def _sp_create(self, record: Recorded, order_id: str):
        if self._sp_guard():
            return None
        state = self._order_state(order_id)
        if state in ("early", "late"):
            message = (
                "You can’t use this feature to request a review outside the 5-30 day range "
                "after the order delivery date."
            )
            return self._send(403, {"errors": [{"code": "Unauthorized", "message": message, "details": ""}]})
        if state == "solicited":
            message = "The requested solicitation is not available for this amazonOrderId."
            return self._send(403, {"errors": [{"code": "Unauthorized", "message": message, "details": ""}]})
        with self.state.lock:
            self.state.orders[order_id] = "solicited"
        return self._send(201, {})

    # -- SP-API Messaging ---------------------------------------------------------------------------
    def _messaging_types(self, order_id: str) -> list[str]:
        return [] if order_id.endswith("-0000004") else list(MESSAGING_TYPES)

    def _messaging_actions(self, record: Recorded, order_id: str):
        if self._sp_guard():
            return None
        marketplace = (record.query.get("marketplaceIds") or [""])[0]
        base = f"/messaging/v1/orders/{order_id}"
        actions = [
            {"href": f"{base}/messages/{name}?marketplaceIds={marketplace}", "name": name}
            for name in self._messaging_types(order_id)
        ]
        return self._send(
            200,
            {
                "_links": {"actions": actions, "self": {"href": f"{base}?marketplaceIds={marketplace}"}},
                "_embedded": {"actions": [{"_links": {"self": a}} for a in actions]},
            },
        )

    def _messaging_create(self, record: Recorded, order_id: str, kind: str):
        if self._sp_guard():
            return None
        if kind not in self._messaging_types(order_id):
            message = f"The {kind} message type is not available for this amazonOrderId."
            return self._send(403, {"errors": [{"code": "Unauthorized", "message": message, "details": ""}]})
        try:
            body = json.loads(record.body or b"{}")
        except ValueError:
            body = None
        text = body.get("text") if isinstance(body, dict) else None
        if kind != "negativeFeedbackRemoval" and (not isinstance(text, str) or not 1 <= len(text) <= 2000):
            message = "text is required and must be between 1 and 2000 characters."
            return self._send(400, {"errors": [{"code": "InvalidInput", "message": message, "details": ""}]})
        with self.state.lock:
            self.state.amazon_messages.append({"order_id": order_id, "type": kind, "text": text})
        return self._send(201, {})


def _post_twilio_callbacks(state: FakeState, url: str, auth_token: str, sid: str, account_sid: str, form: dict):
    """Post Twilio-signed status callbacks (sent, then delivered), as Twilio does after accepting."""
    import requests
    from twilio.request_validator import RequestValidator

    for status in ("sent", "delivered"):
        time.sleep(0.3)
        params = {
            "MessageSid": sid, "SmsSid": sid, "AccountSid": account_sid, "MessageStatus": status,
            "SmsStatus": status, "To": form.get("To", ""), "From": form.get("From", "") or "",
            "ApiVersion": "2010-04-01",
        }  # fmt: skip
        signature = RequestValidator(auth_token).compute_signature(url, params)
        try:
            requests.post(url, data=params, headers={"X-Twilio-Signature": signature}, timeout=5)
        except requests.RequestException:
            return
        with state.lock:
            state.callbacks_sent.append((url, params))


def sign_sns_message(state: FakeState, message: dict, *, cert_url: str, version: str = "1") -> dict:
    """Sign an SNS message as Amazon SNS does (for tests and the demo), with this fake's key."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    from ..webhooks.sns import string_to_sign

    signed = {**message, "SignatureVersion": version, "SigningCertURL": cert_url}
    algorithm = hashes.SHA1() if version == "1" else hashes.SHA256()  # noqa: S303
    signature = state.sns_key.sign(string_to_sign(signed), padding.PKCS1v15(), algorithm)
    signed["Signature"] = base64.b64encode(signature).decode()
    return signed


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        """A client that gave up (its timeout) is part of the game, not an error to print."""
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            super().handle_error(request, client_address)


class FakeProviderServer:
    """`with FakeProviderServer() as fake:` → fake.url, fake.state."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0):
        self.httpd = _QuietServer((host, port), _Handler)
        self.httpd.state = FakeState()
        self.thread: threading.Thread | None = None

    @property
    def state(self) -> FakeState:
        return self.httpd.state

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeProviderServer:
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> FakeProviderServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def form_body(params: dict) -> bytes:
    return urlencode(params).encode()
