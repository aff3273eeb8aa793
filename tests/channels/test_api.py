import pytest
from django.urls import reverse

from accounts.models import ApiKey
from channels import services
from channels.models import SuppressionEntry
from tests.conftest import api_client_for
from tests.factories.accounts import make_api_key
from tests.factories.channels import ChannelAccountFactory

pytestmark = pytest.mark.django_db


def test_api_lists_accounts_without_credentials(api_a, alice):
    ChannelAccountFactory(merchant=alice.merchant, name="Main outbox", credentials={"k": "v"})
    body = api_a.get(reverse("channels-api:account-list")).json()
    assert [a["name"] for a in body["results"]] == ["Main outbox"]
    assert "credentials" not in body["results"][0] and "config" not in body["results"][0]


def test_api_adds_and_removes_a_suppression(api_a, alice):
    url = reverse("channels-api:suppression-list")
    response = api_a.post(url, {"channel": "email", "address": "Buyer@Example.com"}, format="json")
    assert response.status_code == 201
    assert response.json()["reason"] == "manual" and response.json()["address"] == "buyer@example.com"
    assert services.is_suppressed(merchant=alice.merchant, channel="email", address="buyer@example.com")
    entry = SuppressionEntry.objects.get()
    assert api_a.delete(reverse("channels-api:suppression-detail", args=[entry.pk])).status_code == 204
    assert not SuppressionEntry.objects.exists()


def test_api_refuses_an_unreadable_address_with_a_message(api_a):
    response = api_a.post(reverse("channels-api:suppression-list"), {"channel": "sms", "address": "12"}, format="json")
    assert response.status_code == 400 and "address" in response.json()["errors"]


def test_read_only_keys_cannot_suppress(alice):
    _key, plaintext = make_api_key(alice.merchant, scope=ApiKey.Scope.READ)
    client = api_client_for(plaintext)
    response = client.post(
        reverse("channels-api:suppression-list"), {"channel": "email", "address": "a@b.co"}, format="json"
    )
    assert response.status_code == 403


def test_events_can_be_filtered_by_message_reference(api_a, alice, client):
    client.post(
        services.build_unsubscribe_url(
            merchant_id=alice.merchant.pk, message_ref="ref-x", channel="email", address="a@example.com"
        ).removeprefix("http://testserver")
    )
    body = api_a.get(reverse("channels-api:event-list"), {"message_ref": "ref-x"}).json()
    assert [e["event_type"] for e in body["results"]] == ["unsubscribed"]
    assert api_a.get(reverse("channels-api:event-list"), {"message_ref": "other"}).json()["results"] == []
