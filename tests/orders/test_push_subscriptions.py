"""Buyers' push subscriptions: registered by the merchant's app or site through the API, removed when the
provider says they are gone, part of the buyer's export and erased with them."""

import pytest

from channels.fakes.push import derived_browser_keys
from orders import selectors, services
from orders.models import PushSubscription
from tests.conftest import api_client_for
from tests.factories.accounts import make_api_key
from tests.factories.orders import BuyerFactory, PushSubscriptionFactory

pytestmark = pytest.mark.django_db

TOKEN = "fGx2mQ:APA91bHPRgkF3JUikC4ENAHEeMrd41Zxv3hVZjC9KtT8OvPVGJ-hQMRKRrZu"


def url(buyer):
    return f"/api/v1/buyers/{buyer.pk}/push-subscriptions"


def browser_subscription(sub_id="chrome-1", host="https://fcm.googleapis.com/fcm/send/"):
    _private, p256dh, auth = derived_browser_keys(sub_id)
    return {"endpoint": host + sub_id, "expirationTime": None, "keys": {"p256dh": p256dh, "auth": auth}}


def test_app_registers_a_device_token_once(alice, api_a):
    buyer = BuyerFactory(store__merchant=alice.merchant)
    first = api_a.post(url(buyer), {"kind": "fcm", "token": TOKEN, "platform": "android"}, format="json")
    again = api_a.post(url(buyer), {"kind": "fcm", "token": TOKEN, "platform": "android"}, format="json")

    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert first.json()["token_preview"] == TOKEN[:12] + "…"
    assert PushSubscription.objects.filter(buyer=buyer).count() == 1


def test_site_registers_a_browser_subscription_as_the_browser_gives_it(alice, api_a):
    buyer = BuyerFactory(store__merchant=alice.merchant)
    response = api_a.post(url(buyer), {"kind": "web_push", "subscription": browser_subscription()}, format="json")

    assert response.status_code == 201, response.json()
    row = PushSubscription.objects.get(pk=response.json()["id"])
    assert (row.kind, row.platform, row.endpoint) == ("web_push", "web", "https://fcm.googleapis.com/fcm/send/chrome-1")
    assert response.json()["endpoint_host"] == "fcm.googleapis.com"
    assert selectors.push_target_values(row)["p256dh"] == browser_subscription()["keys"]["p256dh"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "fcm", "token": "short"}, "token"),
        ({"kind": "web_push", "subscription": browser_subscription(host="https://169.254.169.254/")}, "endpoint"),
        (
            {"kind": "web_push", "subscription": browser_subscription(host="http://fcm.googleapis.com/fcm/send/")},
            "endpoint",
        ),
        (
            {"kind": "web_push", "subscription": {**browser_subscription(), "keys": {"p256dh": "AAAA", "auth": "x"}}},
            "p256dh",
        ),
        ({"kind": "telegram", "token": TOKEN}, "kind"),
        ({"kind": "fcm", "token": TOKEN, "platform": "fridge"}, "platform"),
    ],
)
def test_bad_subscriptions_are_refused_with_the_field_named(alice, api_a, body, field):
    buyer = BuyerFactory(store__merchant=alice.merchant)
    response = api_a.post(url(buyer), body, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not PushSubscription.objects.exists()


def test_another_merchants_buyer_is_not_found(alice, bob, api_a):
    buyer = BuyerFactory(store__merchant=bob.merchant)
    assert api_a.post(url(buyer), {"kind": "fcm", "token": TOKEN}, format="json").status_code == 404
    assert api_a.get(url(buyer)).status_code == 404
    assert not PushSubscription.objects.exists()


def test_a_read_only_key_cannot_register(alice):
    _key, plaintext = make_api_key(alice.merchant, scope="read")
    buyer = BuyerFactory(store__merchant=alice.merchant)
    client = api_client_for(plaintext)
    assert client.post(url(buyer), {"kind": "fcm", "token": TOKEN}, format="json").status_code == 403
    assert client.get(url(buyer)).status_code == 200


def test_list_and_delete(alice, api_a):
    buyer = BuyerFactory(store__merchant=alice.merchant)
    sub = PushSubscriptionFactory(buyer=buyer)
    assert [row["id"] for row in api_a.get(url(buyer)).json()] == [sub.pk]
    assert api_a.delete(f"{url(buyer)}/{sub.pk}").status_code == 204
    assert not PushSubscription.objects.exists()


def test_gone_subscriptions_are_marked_and_emptied_and_never_offered_again(alice, bob):
    mine = PushSubscriptionFactory(buyer__store__merchant=alice.merchant)
    theirs = PushSubscriptionFactory(buyer__store__merchant=bob.merchant)

    changed = services.mark_push_subscriptions_gone(
        merchant=alice.merchant, subscription_ids=[str(mine.pk), theirs.pk, "not-an-id"], reason="FCM UNREGISTERED"
    )

    assert changed == 1
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.status, mine.token, mine.gone_reason) == ("gone", "", "FCM UNREGISTERED")
    assert theirs.status == "active"
    assert not selectors.active_push_subscriptions(buyer=mine.buyer).exists()


def test_a_gone_device_registering_again_is_active_again(alice):
    buyer = BuyerFactory(store__merchant=alice.merchant)
    sub, _created = services.register_push_subscription(buyer=buyer, kind="fcm", token=TOKEN)
    services.mark_push_subscriptions_gone(merchant=alice.merchant, subscription_ids=[sub.pk])
    again, created = services.register_push_subscription(buyer=buyer, kind="fcm", token=TOKEN)
    assert (again.pk, created, again.status, again.token) == (sub.pk, False, "active", TOKEN)


def test_export_includes_and_erasure_deletes_push_subscriptions(alice):
    buyer = BuyerFactory(store__merchant=alice.merchant)
    services.register_push_subscription(buyer=buyer, kind="fcm", token=TOKEN, platform="ios", app_id="com.acme")

    export = services.export_buyer(buyer)
    assert export["push_subscriptions"][0]["token"] == TOKEN
    assert export["push_subscriptions"][0]["app_id"] == "com.acme"

    buyer = services.erase_buyer(buyer)
    assert not PushSubscription.objects.filter(buyer=buyer).exists()
    with pytest.raises(Exception, match="erased"):
        services.register_push_subscription(buyer=buyer, kind="fcm", token=TOKEN)


def test_buyer_page_lists_push_devices(alice, client_a):
    sub = PushSubscriptionFactory(buyer__store__merchant=alice.merchant, app_id="com.acme.canary")
    page = client_a.get(f"/orders/buyers/{sub.buyer_id}/")
    assert page.status_code == 200
    assert b"com.acme.canary" in page.content
