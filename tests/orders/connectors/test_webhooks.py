"""Every platform webhook: verified before it is read, stored once, processed after commit."""

import datetime as dt
import json

import pytest
from django.test import Client

from orders.connectors.fakes import aftership_webhook, seventeentrack_webhook, shopify_order, signed, woo_order
from orders.models import Connection, Order, WebhookEvent
from tests.factories.orders import OrderFactory, StoreFactory

from .conftest import (
    connect_17track,
    connect_aftership,
    connect_shopify,
    connect_woo,
    hook_url,
    post_hook,
)

pytestmark = pytest.mark.django_db


def _shopify(merchant, fake, other=False):
    connection = connect_shopify(merchant, fake, label="Other" if other else "Alice Shopify",
                                 secret="another-secret" if other else None)  # fmt: skip
    secret = connection.credentials["app_secret"]
    return connection, lambda: signed("shopify", secret, shopify_order(450789469), topic="orders/create",
                                      webhook_id="b54557e4-bdd9-4b37-8a5f-bf7d70bcd043")  # fmt: skip


def _woo(merchant, fake, other=False):
    connection = connect_woo(merchant, fake, label="Other" if other else "Alice Woo")
    if other:
        connection.credentials = {**connection.credentials, "webhook_secret": "another-secret"}
        connection.save()
    secret = connection.credentials["webhook_secret"]
    return connection, lambda: signed("woocommerce", secret, woo_order(727), topic="order.created")


def _aftership(merchant, fake, other=False):
    connection = connect_aftership(merchant, fake)
    if other:
        connection.credentials = {**connection.credentials, "webhook_secret": "another-secret"}
        connection.save()
    secret = connection.credentials["webhook_secret"]
    return connection, lambda: signed("aftership", secret, aftership_webhook("1Z999", "Delivered"))


def _seventeen(merchant, fake, other=False):
    connection = connect_17track(merchant, fake)
    if other:
        connection.credentials = {**connection.credentials, "api_key": "another-key"}
        connection.save()
    secret = connection.credentials["api_key"]
    return connection, lambda: signed("17track", secret, seventeentrack_webhook("RR123456789CN", "Delivered"))


PLATFORMS = {"shopify": _shopify, "woocommerce": _woo, "aftership": _aftership, "17track": _seventeen}
SIGNATURE_HEADER = {
    "shopify": "X-Shopify-Hmac-Sha256",
    "woocommerce": "X-WC-Webhook-Signature",
    "aftership": "aftership-hmac-sha256",
    "17track": "sign",
}


@pytest.fixture(params=list(PLATFORMS))
def platform(request, alice, fake):
    connection, make = PLATFORMS[request.param](alice.merchant, fake)
    return request.param, connection, make


def test_webhook_with_a_good_signature_is_stored_and_queued(platform, django_capture_on_commit_callbacks):
    kind, connection, make = platform
    body, headers = make()
    with django_capture_on_commit_callbacks() as callbacks:
        response = post_hook(Client(), connection, body, headers)
    assert response.status_code == 200, response.content
    assert response.json() == {"status": "accepted"}
    event = WebhookEvent.objects.get(connection=connection)
    assert event.body == body.decode() and event.status == "pending"
    assert len(callbacks) == 1
    connection.refresh_from_db()
    assert connection.last_webhook_at is not None


@pytest.mark.parametrize("tamper", ["missing", "wrong", "one_byte_changed", "empty"])
def test_webhook_with_a_bad_signature_is_401_and_writes_nothing(platform, tamper, django_capture_on_commit_callbacks):
    kind, connection, make = platform
    body, headers = make()
    header = SIGNATURE_HEADER[kind]
    if tamper == "missing":
        headers.pop(header)
    elif tamper == "wrong":
        headers[header] = headers[header][::-1]
    elif tamper == "empty":
        headers[header] = ""
    else:
        index = body.index(b":") + 2
        body = body[:index] + bytes([body[index] ^ 1]) + body[index + 1 :]
    with django_capture_on_commit_callbacks() as callbacks:
        response = post_hook(Client(), connection, body, headers)
    assert response.status_code == 401
    assert not WebhookEvent.objects.exists()
    assert callbacks == []
    assert Connection.objects.get(pk=connection.pk).last_webhook_at is None


def test_webhook_signed_for_another_store_is_401(platform, bob, fake, django_capture_on_commit_callbacks):
    kind, connection, _make = platform
    _other_connection, make_other = PLATFORMS[kind](bob.merchant, fake, other=True)
    body, headers = make_other()
    with django_capture_on_commit_callbacks() as callbacks:
        response = post_hook(Client(), connection, body, headers)
    assert response.status_code == 401
    assert not WebhookEvent.objects.exists() and callbacks == []


def test_the_same_webhook_three_times_is_one_event(platform, django_capture_on_commit_callbacks):
    kind, connection, make = platform
    body, headers = make()
    answers = []
    with django_capture_on_commit_callbacks() as callbacks:
        for _ in range(3):
            answers.append(post_hook(Client(), connection, body, headers).json()["status"])
    assert answers == ["accepted", "duplicate", "duplicate"]
    assert WebhookEvent.objects.filter(connection=connection).count() == 1
    assert len(callbacks) == 1


def test_unknown_webhook_token_is_404(alice, fake):
    connection, make = _shopify(alice.merchant, fake)
    body, headers = make()
    url = hook_url(connection).replace(connection.webhook_token, "x" * 43)
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
    assert Client().post(url, data=body, content_type="application/json", **extra).status_code == 404


def test_a_token_of_another_platform_is_404(alice, fake):
    woo = connect_woo(alice.merchant, fake)
    connection, make = _shopify(alice.merchant, fake)
    body, headers = make()
    url = hook_url(connection).replace(connection.webhook_token, woo.webhook_token)
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
    assert Client().post(url, data=body, content_type="application/json", **extra).status_code == 404


def test_oversize_webhook_body_is_413(alice, fake):
    connection, _make = _shopify(alice.merchant, fake)
    body = b"{" + b" " * (1024 * 1024 + 10) + b"}"
    assert post_hook(Client(), connection, body, {"X-Shopify-Hmac-Sha256": "x"}).status_code == 413
    assert not WebhookEvent.objects.exists()


def test_woocommerce_ping_on_webhook_creation_answers_200_and_does_nothing(alice, fake):
    connection = connect_woo(alice.merchant, fake)
    response = Client().post(
        hook_url(connection), data=b"webhook_id=15", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert not WebhookEvent.objects.exists()


def test_processing_a_verified_shopify_order_webhook_creates_the_order(alice, fake, django_capture_on_commit_callbacks):
    connection, make = _shopify(alice.merchant, fake)
    body, headers = make()
    with django_capture_on_commit_callbacks(execute=True):
        post_hook(Client(), connection, body, headers)
    order = Order.objects.get(store=connection.store, external_id="450789469")
    assert order.number == "#89469" and order.buyer.email == "jane@example.test"
    assert order.buyer.consents.get().status == "granted"
    assert WebhookEvent.objects.get().status == "processed"


def test_tracker_event_for_another_merchants_tracking_number_changes_nothing(
    alice, bob, fake, django_capture_on_commit_callbacks
):
    bob_order = OrderFactory(store=StoreFactory(merchant=bob.merchant), tracking_number="1Z999", shipped_at=None)
    connection, make = _aftership(alice.merchant, fake)
    body, headers = make()
    with django_capture_on_commit_callbacks(execute=True):
        assert post_hook(Client(), connection, body, headers).status_code == 200
    bob_order.refresh_from_db()
    assert bob_order.delivered_at is None
    assert WebhookEvent.objects.get().status == "waiting"


def test_webhook_body_that_is_not_json_is_400_after_verification(alice, fake):
    connection, _make = _aftership(alice.merchant, fake)
    body = b"not json"
    from linkstar.webhooks import hmac_sha256_base64

    headers = {"aftership-hmac-sha256": hmac_sha256_base64(connection.credentials["webhook_secret"], body)}
    assert post_hook(Client(), connection, body, headers).status_code == 400
    assert not WebhookEvent.objects.exists()
    assert json.loads(b"{}") == {}
    assert dt.UTC
