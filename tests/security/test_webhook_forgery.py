"""The webhook forgery matrix: every inbound endpoint against every forgery we can make.

Each endpoint of the URL resolver that providers call (a `VerifiedWebhookView`, or any CSRF-exempt page
route) is listed in `ENDPOINTS` with a way to make Alice's genuine, signed request. From that request each
attack is derived: no signature, a wrong one, one made with Bob's secret, the signed material changed by
one byte, a stale timestamp (where the scheme signs one), an oversize body, malformed JSON under a valid
signature. Every attack must answer 4xx with 0 rows written in any table (row counts and PostgreSQL's own
per-transaction insert/update/delete counters), 0 tasks queued and no 5xx. The genuine request is sent
last and must be accepted, so a verifier that refuses everything cannot pass.
"""

from __future__ import annotations

import ast
import base64
import json
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.apps import apps
from django.conf import settings
from django.db import connection
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from linkstar.webhooks import VerifiedWebhookView

pytestmark = pytest.mark.django_db

REPO = Path(__file__).resolve().parents[2]
ATTACKS = ("unsigned", "wrong_signature", "other_merchants_secret", "one_byte_changed", "stale_timestamp",
           "oversize", "malformed_json")  # fmt: skip

# CSRF-exempt page routes that are not provider webhooks, and why they are safe.
NOT_WEBHOOKS = {
    "channels:unsubscribe": "RFC 8058 one-click unsubscribe: the signed token in the path names one recipient",
}


@dataclass
class Request:
    path: str
    body: bytes
    content_type: str
    headers: dict[str, str]


@dataclass
class Endpoint:
    """`make(side, secret=None, **overrides)` builds a genuine request for that side's account."""

    make: Callable[..., Request]
    # attack -> why it does not apply to this signature scheme
    not_applicable: dict[str, str]


# -- the accounts each endpoint needs --------------------------------------------------------------------


def _connection(side, kind, credentials):
    from orders.connectors.models import Connection

    return Connection.objects.create(merchant=side.merchant, kind=kind, label=f"{kind} {side.tag}",
                                     credentials=credentials)  # fmt: skip


def _platform(kind, secret_key, payload):
    def make(side, secret=None, **_):
        from orders.connectors.fakes import signed

        own = f"{kind}-secret-{side.tag}"
        conn = side.objects.get(f"conn-{kind}") or _connection(side, kind, {secret_key: own, "api_key": "k"})
        side.objects[f"conn-{kind}"] = conn
        topic = {"shopify": "orders/create", "woocommerce": "order.created"}.get(kind, "")
        body, headers = signed(kind, secret or own, payload(), topic=topic)
        path = reverse(f"orders:webhook_{kind}", kwargs={"token": conn.webhook_token})
        return Request(path, body, "application/json", headers)

    return make


def _shopify_payload():
    from orders.connectors.fakes import shopify_order

    return shopify_order(450789469)


def _woo_payload():
    from orders.connectors.fakes import woo_order

    return woo_order(727)


def _aftership_payload():
    from orders.connectors.fakes import aftership_webhook

    return aftership_webhook("1Z999", "Delivered")


def _seventeen_payload():
    from orders.connectors.fakes import seventeentrack_webhook

    return seventeentrack_webhook("RR123456789CN", "Delivered")


def _account(side, name, build):
    if name not in side.objects:
        side.objects[name] = build()
    return side.objects[name]


def _basic(credentials: str) -> str:
    return "Basic " + base64.b64encode(credentials.encode()).decode()


def _postmark(hook):
    def make(side, secret=None, **_):
        from tests.channels import payloads
        from tests.factories.channels import ChannelAccountFactory

        own = f"hooks:pm-{side.tag}"
        account = _account(
            side,
            "postmark",
            lambda: ChannelAccountFactory(
                merchant=side.merchant, kind="postmark", credentials={"server_token": "t", "webhook_secret": own}
            ),
        )
        payload = payloads.postmark_bounce("ref-1") if hook == "tracking" else payloads.postmark_inbound("Hello")
        path = reverse(f"channels:hook_postmark_{hook}", kwargs={"token": account.webhook_token})
        return Request(path, json.dumps(payload).encode(), "application/json",
                       {"Authorization": _basic(secret or own)})  # fmt: skip

    return make


def _mailgun(hook):
    def make(side, secret=None, timestamp=None, **_):
        import hashlib
        import hmac

        from tests.factories.channels import ChannelAccountFactory

        own = f"mg-signing-{side.tag}"
        account = _account(
            side,
            "mailgun",
            lambda: ChannelAccountFactory(
                merchant=side.merchant, kind="mailgun", credentials={"api_key": "k", "webhook_signing_key": own}
            ),
        )
        stamp = str(int(timestamp if timestamp is not None else time.time()))
        token = uuid.uuid4().hex
        signature = hmac.new((secret or own).encode(), f"{stamp}{token}".encode(), hashlib.sha256).hexdigest()
        path = reverse(f"channels:hook_mailgun_{hook}", kwargs={"token": account.webhook_token})
        if hook == "tracking":
            payload = {
                "signature": {"timestamp": stamp, "token": token, "signature": signature},
                "event-data": {"event": "delivered", "id": uuid.uuid4().hex[:22], "timestamp": time.time(),
                               "recipient": "buyer@example.com", "message": {"headers": {"message-id": "a@b"}}},
            }  # fmt: skip
            return Request(path, json.dumps(payload).encode(), "application/json", {})
        mime = "From: Buyer <buyer@example.com>\r\nTo: u@mg.example\r\nSubject: stop\r\n\r\nstop\r\n"
        form = {"timestamp": stamp, "token": token, "signature": signature, "sender": "buyer@example.com",
                "recipient": "u@mg.example", "body-mime": mime}  # fmt: skip
        return Request(path, urlencode(form).encode(), "application/x-www-form-urlencoded", {})

    return make


def _twilio(hook):
    def make(side, secret=None, **_):
        from twilio.request_validator import RequestValidator

        from tests.factories.channels import ChannelAccountFactory

        own = f"twilio-token-{side.tag}"
        account = _account(side, "twilio", lambda: ChannelAccountFactory(
            merchant=side.merchant, kind="twilio_sms", sms_from="+15005550006",
            config={"account_sid": "AC" + "0" * 32}, credentials={"auth_token": own}))  # fmt: skip
        path = reverse(f"channels:hook_twilio_{hook}", kwargs={"token": account.webhook_token})
        if hook == "status":
            params = {"MessageSid": "SM" + "1" * 32, "MessageStatus": "undelivered", "ErrorCode": "21610",
                      "To": "+15558675310"}  # fmt: skip
        else:
            params = {"MessageSid": "SM" + "2" * 32, "From": "+15558675310", "Body": "STOP"}
        signature = RequestValidator(secret or own).compute_signature(settings.PUBLIC_BASE_URL + path, params)
        return Request(path, urlencode(params).encode(), "application/x-www-form-urlencoded",
                       {"X-Twilio-Signature": signature})  # fmt: skip

    return make


def _ses(hook):
    def make(side, secret=None, sns_fake=None, **_):
        from channels.fakes.http import sign_sns_message
        from tests.channels import payloads
        from tests.factories.channels import ChannelAccountFactory

        own = f"sns:ses-{side.tag}"
        account = _account(side, "ses", lambda: ChannelAccountFactory(
            merchant=side.merchant, kind="amazon_ses", config={"region": "us-east-1"},
            credentials={"access_key_id": "AKID", "secret_access_key": "s", "webhook_secret": own}))  # fmt: skip
        inner = payloads.ses_event("ref-1", event_type="Bounce")
        if hook == "inbound":
            inner = {"notificationType": "Received", "mail": inner["mail"],
                     "receipt": {"action": {"type": "SNS", "encoding": "UTF8"}},
                     "content": "From: buyer@example.com\r\nSubject: stop\r\n\r\nstop\r\n"}  # fmt: skip
        message = {"Type": "Notification", "MessageId": str(uuid.uuid4()),
                   "TopicArn": "arn:aws:sns:us-east-1:123456789012:ses", "Message": json.dumps(inner),
                   "Timestamp": "2026-11-20T16:34:01.000Z"}  # fmt: skip
        signed = sign_sns_message(sns_fake.state, message, cert_url=f"{sns_fake.url}/sns/cert.pem")
        path = reverse(f"channels:hook_amazon_ses_{hook}", kwargs={"token": account.webhook_token})
        return Request(path, json.dumps(signed).encode(), "text/plain; charset=UTF-8",
                       {"Authorization": _basic(secret or own), "x-amz-sns-message-type": "Notification",
                        "x-amz-sns-message-id": signed["MessageId"]})  # fmt: skip

    return make


NO_TIMESTAMP = "the scheme signs no timestamp"
BASIC_AUTH_ONLY = "basic auth over TLS is the provider's whole scheme; it signs no body (the secret is the check)"
FORM_BODY = "the provider posts form fields, not JSON"
ENDPOINTS: dict[str, Endpoint] = {
    "orders:webhook_shopify": Endpoint(
        _platform("shopify", "app_secret", _shopify_payload), {"stale_timestamp": NO_TIMESTAMP}
    ),  # fmt: skip
    "orders:webhook_woocommerce": Endpoint(
        _platform("woocommerce", "webhook_secret", _woo_payload), {"stale_timestamp": NO_TIMESTAMP}
    ),  # fmt: skip
    "orders:webhook_aftership": Endpoint(
        _platform("aftership", "webhook_secret", _aftership_payload), {"stale_timestamp": NO_TIMESTAMP}
    ),  # fmt: skip
    "orders:webhook_17track": Endpoint(
        _platform("17track", "webhook_secret", _seventeen_payload), {"stale_timestamp": NO_TIMESTAMP}
    ),  # fmt: skip
    "channels:hook_postmark_tracking": Endpoint(
        _postmark("tracking"), {"stale_timestamp": NO_TIMESTAMP, "one_byte_changed": BASIC_AUTH_ONLY}
    ),
    "channels:hook_postmark_inbound": Endpoint(
        _postmark("inbound"), {"stale_timestamp": NO_TIMESTAMP, "one_byte_changed": BASIC_AUTH_ONLY}
    ),
    "channels:hook_mailgun_tracking": Endpoint(_mailgun("tracking"), {}),
    "channels:hook_mailgun_inbound": Endpoint(_mailgun("inbound"), {"malformed_json": FORM_BODY}),
    "channels:hook_amazon_ses_tracking": Endpoint(_ses("tracking"), {"stale_timestamp": NO_TIMESTAMP}),
    "channels:hook_amazon_ses_inbound": Endpoint(_ses("inbound"), {"stale_timestamp": NO_TIMESTAMP}),
    "channels:hook_twilio_status": Endpoint(
        _twilio("status"), {"stale_timestamp": NO_TIMESTAMP, "malformed_json": FORM_BODY}
    ),
    "channels:hook_twilio_inbound": Endpoint(
        _twilio("inbound"), {"stale_timestamp": NO_TIMESTAMP, "malformed_json": FORM_BODY}
    ),
}


# -- discovery ------------------------------------------------------------------------------------------


def _walk(patterns, namespace=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace or ""
            full = f"{namespace}:{ns}" if namespace and ns else (ns or namespace)
            yield from _walk(entry.url_patterns, full)
        elif isinstance(entry, URLPattern):
            yield (f"{namespace}:{entry.name}" if namespace else entry.name), entry


def inbound_routes() -> set[str]:
    """Routes a provider can POST to without a session: webhook views and every CSRF-exempt page route."""
    found = set()
    for name, pattern in _walk(get_resolver().url_patterns):
        namespace = (name or "").split(":")[0]
        if namespace == "admin" or namespace.endswith("-api") or (name or "").startswith("api-"):
            continue  # admin needs a staff session; the API an API key or a session with CSRF (DRF)
        callback = pattern.callback
        view_class = getattr(callback, "view_class", None)
        is_webhook = isinstance(view_class, type) and issubclass(view_class, VerifiedWebhookView)
        if is_webhook or getattr(callback, "csrf_exempt", False):
            found.add(name or f"<unnamed {pattern.pattern}>")
    return found


def test_every_inbound_webhook_route_is_in_the_forgery_matrix():
    routes = inbound_routes()
    missing = sorted(routes - set(ENDPOINTS) - set(NOT_WEBHOOKS))
    assert not missing, f"inbound routes missing from the forgery matrix (tests/security): {missing}"
    assert not sorted(set(ENDPOINTS) - routes), "the matrix names routes that are not webhooks any more"
    for name, endpoint in ENDPOINTS.items():
        assert set(endpoint.not_applicable) <= set(ATTACKS), name


# -- what a request left behind ---------------------------------------------------------------------------


def _tables() -> list[str]:
    models = {m._meta.db_table for m in apps.get_models() if m._meta.managed and not m._meta.proxy}
    return sorted(models & set(connection.introspection.table_names()))  # test-only models may have no table


def footprint() -> dict[str, tuple[int, int]]:
    """(rows, inserts + updates + deletes in this transaction) for every table, in one round trip."""
    tables = _tables()
    counts = ", ".join(f'(SELECT count(*) FROM "{t}")' for t in tables)  # noqa: S608  (names from the registry)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {counts}")  # noqa: S608
        rows = cursor.fetchone()
        cursor.execute(
            "SELECT relname, n_tup_ins + n_tup_upd + n_tup_del FROM pg_stat_xact_user_tables WHERE relname = ANY(%s)",
            [tables],
        )
        writes = dict(cursor.fetchall())
    return {t: (rows[i], writes.get(t, 0)) for i, t in enumerate(tables)}


@pytest.fixture
def world(alice, bob):
    """Only the two merchants: each endpoint creates the accounts it needs."""
    from tests.tenancy import World

    return World(alice=alice, bob=bob)


@pytest.fixture(scope="module")
def _sns_fake():
    from channels.fakes.http import FakeProviderServer

    with FakeProviderServer() as server:
        yield server


@pytest.fixture
def sns_fake(_sns_fake, settings):
    settings.CHANNELS_SNS_URL_REGEX = rf"^{re.escape(_sns_fake.url)}/sns/"
    return _sns_fake


@pytest.fixture
def queued(monkeypatch):
    """Every Celery task queued (eager or not) during the test."""
    from celery.app.task import Task

    calls = []
    original = Task.apply_async

    def record(self, *args, **kwargs):
        calls.append(self.name)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Task, "apply_async", record)
    return calls


def _send(request: Request):
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in request.headers.items()}
    return Client().post(request.path, data=request.body, content_type=request.content_type, **extra)


def _flip_one_byte(request: Request, endpoint_name: str) -> Request:
    """Change one byte of what the signature covers (the body; Mailgun's signed token)."""
    body = request.body
    if "mailgun" in endpoint_name:
        # Mailgun signs timestamp + token, not the event: change one character of the signed token.
        text = body.decode()
        match = re.search(r'("token": "|token=)([0-9a-f])', text)
        swapped = "0" if match.group(2) != "0" else "1"
        return Request(request.path, (text[: match.start(2)] + swapped + text[match.end(2) :]).encode(),
                       request.content_type, request.headers)  # fmt: skip
    if "ses" in endpoint_name:
        # The SNS signature covers the Message string: change one byte inside it.
        index = body.index(b"Bounce") if b"Bounce" in body else body.index(b"Received")
    elif request.content_type.startswith("application/x-www-form-urlencoded"):
        index = body.index(b"=") + 3  # a byte of the first value
    else:
        index = len(body) // 2
    changed = bytes([body[index] ^ 0x01])
    return Request(request.path, body[:index] + changed + body[index + 1 :], request.content_type, request.headers)


def forge(attack: str, name: str, endpoint: Endpoint, world, sns_fake) -> Request:
    make = endpoint.make
    alice, bob = world.alice, world.bob
    genuine = make(alice, sns_fake=sns_fake)
    if attack == "unsigned":
        headers = {
            k: v for k, v in genuine.headers.items() if not re.search(r"hmac|signature|sign$|authorization", k, re.I)
        }
        body = genuine.body
        if "mailgun" in name:
            body = re.sub(rb'"signature": \{[^}]*\}, ', b"", body) if b"event-data" in body else re.sub(
                rb"&?signature=[0-9a-f]+", b"", body)  # fmt: skip
        if "ses" in name:
            data = json.loads(body)
            data.pop("Signature")
            body = json.dumps(data).encode()
        return Request(genuine.path, body, genuine.content_type, headers)
    if attack == "wrong_signature":
        return make(alice, secret=("hooks:" if "postmark" in name else "sns:" if "ses" in name else "") + "wrong",
                    sns_fake=sns_fake)  # fmt: skip
    if attack == "other_merchants_secret":
        bobs = make(bob, sns_fake=sns_fake)  # Bob's own genuine request, signed with Bob's secret ...
        return Request(genuine.path, bobs.body, bobs.content_type, bobs.headers)  # ... sent to Alice's address
    if attack == "one_byte_changed":
        return _flip_one_byte(genuine, name)
    if attack == "stale_timestamp":
        return make(alice, timestamp=time.time() - 2 * 24 * 3600, sns_fake=sns_fake)
    if attack == "oversize":
        padding = b" " * (VerifiedWebhookView.max_body_bytes + 1)
        return Request(genuine.path, genuine.body + padding, genuine.content_type, genuine.headers)
    if attack == "malformed_json":
        return _malformed(name, endpoint, world, sns_fake)
    raise AssertionError(attack)


def _malformed(name, endpoint, world, sns_fake) -> Request:
    """Broken JSON under a signature that is valid for it (the strongest form: an authentic mistake)."""
    from linkstar.webhooks import hmac_sha256_base64
    from orders.connectors.fakes import signed

    genuine = endpoint.make(world.alice, sns_fake=sns_fake)
    broken = b'{"id": 1, "line_items": [{'
    if name.startswith("orders:"):
        kind = name.split("_", 1)[1]
        secret = f"{kind}-secret-alice"
        _body, headers = signed(kind, secret, {}, topic="orders/create" if kind == "shopify" else "order.created")
        header = {"shopify": "X-Shopify-Hmac-Sha256", "woocommerce": "X-WC-Webhook-Signature",
                  "aftership": "aftership-hmac-sha256"}.get(kind)  # fmt: skip
        if header:
            headers[header] = hmac_sha256_base64(secret, broken)
        else:
            from orders.connectors.seventeentrack import sign

            headers["sign"] = sign(broken, secret)
        return Request(genuine.path, broken, genuine.content_type, headers)
    if "ses" in name:
        from channels.fakes.http import sign_sns_message

        message = {
            "Type": "Notification",
            "MessageId": str(uuid.uuid4()),
            "Message": broken.decode(),
            "TopicArn": "arn:aws:sns:us-east-1:123456789012:ses",
            "Timestamp": "2026-11-20T16:34:01.000Z",
        }
        signed_message = sign_sns_message(sns_fake.state, message, cert_url=f"{sns_fake.url}/sns/cert.pem")
        return Request(genuine.path, json.dumps(signed_message).encode(), genuine.content_type, genuine.headers)
    return Request(genuine.path, broken, genuine.content_type, genuine.headers)  # Postmark, Mailgun tracking


CASES = [(name, attack) for name in ENDPOINTS for attack in ATTACKS if attack not in ENDPOINTS[name].not_applicable]


@pytest.mark.parametrize(("name", "attack"), CASES, ids=[f"{n}-{a}" for n, a in CASES])
def test_forged_webhook_is_refused_writes_nothing_and_queues_nothing(
    name, attack, world, sns_fake, queued, django_capture_on_commit_callbacks
):
    endpoint = ENDPOINTS[name]
    forged = forge(attack, name, endpoint, world, sns_fake)
    queued.clear()
    before = footprint()
    with django_capture_on_commit_callbacks() as callbacks:
        response = _send(forged)
    after = footprint()
    assert 400 <= response.status_code < 500, f"{name} {attack}: {response.status_code} {response.content[:300]!r}"
    changed = {t: (before[t], after[t]) for t in before if before[t] != after[t]}
    assert not changed, f"{name} {attack} wrote rows: {changed}"
    assert not callbacks and not queued, f"{name} {attack} queued work: {callbacks} {queued}"

    # The same endpoint accepts Alice's genuine request, so the refusal above is the verifier's doing.
    accepted = _send(endpoint.make(world.alice, sns_fake=sns_fake))
    assert accepted.status_code == 200, f"{name} genuine: {accepted.status_code} {accepted.content[:300]!r}"


# -- constant-time comparison -----------------------------------------------------------------------------

DIGEST_NAME = re.compile(r"(digest|signature|signed|hmac|^sig$|_sig$|^mac$|expected|computed)", re.IGNORECASE)
# Equality on digest-like names that compares no secret, and why.
NOT_SECRETS = {
    "orders/ingest.py": "old_digest == digest: the content hash of a buyer row, to skip unchanged upserts",
}
APP_DIRS = ("accounts", "billing", "channels", "inserts", "linkstar", "orders", "reviews", "templates_review")


def _names(node: ast.AST) -> list[str]:
    out = []
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name):
            out.append(sub.id)
        elif isinstance(sub, ast.Attribute):
            out.append(sub.attr)
        elif isinstance(sub, ast.Constant) and isinstance(sub.value, str) and sub.value:
            out.append(sub.value)
    return out


def _is_plain_constant(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) or (
        isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in {"len", "type"}
    )


def digest_comparisons(source: str, filename: str = "<string>") -> list[str]:
    """`==` / `!=` between values named like digests or signatures, outside `signatures_match`."""
    tree = ast.parse(source, filename)
    allowed = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == "signatures_match":
            allowed.update(id(n) for n in ast.walk(node))
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Compare) or id(node) in allowed:
            continue
        if not any(isinstance(op, ast.Eq | ast.NotEq) for op in node.ops):
            continue
        sides = [node.left, *node.comparators]
        if any(_is_plain_constant(side) for side in sides):
            continue  # `signature == ""`, `len(sig) != 64`: not a comparison of two digests
        if any(DIGEST_NAME.search(name) for side in sides for name in _names(side)):
            found.append(f"{filename}:{node.lineno}: {ast.unparse(node)}")
    return found


def test_the_digest_scanner_catches_an_equality_compare():
    bad = "def verify(body, given):\n    expected = hmac_sha256_hex(KEY, body)\n    return expected == given\n"
    assert digest_comparisons(bad) == ["<string>:3: expected == given"]
    ok = "def verify(body, given):\n    return signatures_match(hmac_sha256_hex(KEY, body), given)\n"
    assert digest_comparisons(ok) == []


def test_no_verifier_compares_digests_with_equality():
    found = []
    for folder in APP_DIRS:
        for path in sorted((REPO / folder).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            relative = str(path.relative_to(REPO))
            for hit in digest_comparisons(path.read_text(), relative):
                if not (relative in NOT_SECRETS and hit.split(": ", 1)[1] in NOT_SECRETS[relative]):
                    found.append(hit)
    assert not found, "digests compared with ==/!= (use linkstar.webhooks.signatures_match):\n" + "\n".join(found)


def test_signatures_match_compares_in_constant_time(monkeypatch):
    import hmac

    from linkstar import webhooks

    calls = []
    real = hmac.compare_digest

    def spy(a, b):
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(webhooks.hmac, "compare_digest", spy)
    assert webhooks.signatures_match("abc", "abc")
    assert not webhooks.signatures_match("abc", "abd")
    assert not webhooks.signatures_match("abc", None)
    assert calls == [(b"abc", b"abc"), (b"abc", b"abd")]
