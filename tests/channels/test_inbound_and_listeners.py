"""Inbound email through Mailgun (form post, HMAC-signed) and the listener registry's isolation."""

import hashlib
import hmac
import time

import pytest
from django.urls import reverse
from django.utils import timezone

from channels import services
from channels.events import notify_listeners, register_delivery_listener, unregister_delivery_listener
from channels.models import DeliveryEvent
from tests.factories.channels import mailgun_account

pytestmark = pytest.mark.django_db


def mailgun_inbound_form(key, subject, sender="buyer@example.com", token="tok-1"):
    timestamp = str(int(time.time()))  # Mailgun timestamps must be recent
    mime = f"From: Buyer <{sender}>\r\nTo: unsubscribe@mg.merchant.example\r\nSubject: {subject}\r\n"
    mime += "Message-ID: <reply-1@example.com>\r\n\r\nPlease stop.\r\n"
    signature = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    return {
        "timestamp": timestamp, "token": token, "signature": signature, "sender": sender,
        "recipient": "unsubscribe@mg.merchant.example", "body-mime": mime,
    }  # fmt: skip


def test_mailgun_inbound_unsubscribe_reply_suppresses_the_sender(client, alice, fake):
    account = mailgun_account(alice.merchant, fake)
    url = reverse("channels:hook_mailgun_inbound", kwargs={"token": account.webhook_token})
    response = client.post(url, mailgun_inbound_form("mg-signing-key", "unsubscribe"))
    assert response.status_code == 200
    assert DeliveryEvent.objects.get().event_type == "unsubscribed"
    assert services.is_suppressed(merchant=alice.merchant, channel="email", address="buyer@example.com")


def test_mailgun_inbound_with_a_forged_signature_is_refused(client, alice, fake):
    account = mailgun_account(alice.merchant, fake)
    url = reverse("channels:hook_mailgun_inbound", kwargs={"token": account.webhook_token})
    assert client.post(url, mailgun_inbound_form("guessed-key", "unsubscribe")).status_code == 403
    assert not DeliveryEvent.objects.exists()


def test_a_failing_listener_does_not_hide_the_event_from_the_others():
    heard = []

    def broken(**kwargs):
        raise RuntimeError("listener bug")

    def working(**kwargs):
        heard.append(kwargs["message_ref"])

    register_delivery_listener(broken)
    register_delivery_listener(working)
    try:
        notify_listeners(
            merchant_id=1, message_ref="ref-7", event_type="delivered", occurred_at=timezone.now(),
            provider_event_id="e-1", detail="",
        )  # fmt: skip
    finally:
        unregister_delivery_listener(broken)
        unregister_delivery_listener(working)
    assert heard == ["ref-7"]


def test_a_listener_is_registered_once():
    def listener(**kwargs):
        return None

    register_delivery_listener(listener)
    register_delivery_listener(listener)
    from channels import events

    try:
        assert events._listeners.count(listener) == 1
    finally:
        unregister_delivery_listener(listener)
