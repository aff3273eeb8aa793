"""The connections pages: connect, credentials never shown back, test button, webhook URL, health."""

import pytest
from django.test import override_settings
from django.urls import reverse

from accounts.roles import Role
from orders.models import Connection, Store
from tests.conftest import logged_in_client
from tests.factories.accounts import MembershipFactory

from .conftest import connect_shopify, connect_woo

pytestmark = pytest.mark.django_db


def test_merchant_connects_shopify_from_the_page(client_a, alice, fake):
    c = fake.credentials
    response = client_a.post(
        reverse("orders:connections") + "?kind=shopify",
        {
            "kind": "shopify",
            "label": "My Shopify",
            "shop_domain": f"{fake.url}/shopify",
            "access_token": c.shopify_token,
            "app_secret": c.shopify_secret,
        },
    )
    connection = Connection.objects.get(merchant=alice.merchant)
    assert response.status_code == 302 and response.url == reverse("orders:connection", args=[connection.pk])
    assert connection.store.platform == "shopify" and connection.store.name == "My Shopify"
    assert connection.credentials["access_token"] == c.shopify_token
    page = client_a.get(response.url).content.decode()
    assert c.shopify_token not in page and c.shopify_secret not in page
    assert "currently: set" in page
    assert f"http://testserver/orders/webhooks/shopify/{connection.webhook_token}/" in page


def test_missing_credentials_are_a_form_error(client_a, alice):
    response = client_a.post(
        reverse("orders:connections") + "?kind=woocommerce",
        {"kind": "woocommerce", "label": "Woo", "site_url": "https://shop.example.com"},
    )
    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    assert not Connection.objects.exists() and not Store.objects.filter(merchant=alice.merchant).exists()


@override_settings(CONNECTORS_ALLOW_LOOPBACK=False)
def test_a_plain_http_or_internal_address_is_refused(alice, fake):
    from orders.connectors.services import test_connection

    connection = connect_woo(alice.merchant, fake)
    ok, message = test_connection(connection=connection)
    assert not ok and "https://" in message
    assert fake.requests == []


def test_blank_secret_keeps_the_stored_one(client_a, alice, fake):
    connection = connect_woo(alice.merchant, fake)
    response = client_a.post(
        reverse("orders:connection", args=[connection.pk]),
        {
            "label": "Renamed",
            "site_url": f"{fake.url}/woo",
            "consumer_key": "",
            "consumer_secret": "",
            "webhook_secret": "",
        },
    )
    assert response.status_code == 302
    connection.refresh_from_db()
    assert connection.label == "Renamed"
    assert connection.credentials["consumer_secret"] == fake.credentials.woo_secret


def test_test_connection_button_shows_the_platform_answer_or_the_error(client_a, alice, fake):
    connection = connect_shopify(alice.merchant, fake)
    response = client_a.post(reverse("orders:connection_test", args=[connection.pk]), follow=True)
    assert "Connected to the shop Demo Shopify shop" in response.content.decode()
    connection.credentials = {**connection.credentials, "access_token": "revoked"}
    connection.save()
    response = client_a.post(reverse("orders:connection_test", args=[connection.pk]), follow=True)
    body = response.content.decode()
    assert "The connection test failed" in body and "401" in body


def test_a_failing_connection_is_flagged_on_the_dashboard(client_a, alice, fake):
    connection = connect_shopify(alice.merchant, fake, label="Flaky shop")
    assert "All connections are working" in client_a.get(reverse("accounts:dashboard")).content.decode()
    Connection.objects.filter(pk=connection.pk).update(consecutive_failures=3, last_error="Shopify answered 401")
    body = client_a.get(reverse("accounts:dashboard")).content.decode()
    assert "Needs attention" in body and "Flaky shop" in body and "Shopify answered 401" in body


def test_sync_button_queues_a_backfill(client_a, alice, fake, django_capture_on_commit_callbacks):
    from orders.connectors.fakes import shopify_order

    connection = connect_shopify(alice.merchant, fake)
    fake.shopify_orders[77] = shopify_order(77)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_a.post(reverse("orders:connection_sync", args=[connection.pk]), {"days": "30"})
    assert response.status_code == 302
    assert connection.store.orders.filter(external_id="77").exists()


def test_a_viewer_sees_health_but_cannot_connect_or_test(alice, fake):
    viewer = MembershipFactory(merchant=alice.merchant, role=Role.VIEWER).user
    client = logged_in_client(viewer)
    connection = connect_shopify(alice.merchant, fake)
    assert client.get(reverse("orders:connection", args=[connection.pk])).status_code == 200
    assert client.post(reverse("orders:connection_test", args=[connection.pk])).status_code == 403
    assert client.get(reverse("orders:connections") + "?kind=shopify").status_code == 403
    assert fake.requests == []


@pytest.mark.parametrize(
    "address",
    ["https://10.0.0.5", "https://169.254.169.254/latest", "http://shop.example.com", "ftp://shop.example.com"],
)
def test_internal_or_plain_http_site_addresses_are_refused(alice, fake, address):
    from orders.connectors.services import test_connection

    connection = connect_woo(alice.merchant, fake)
    connection.credentials = {**connection.credentials, "site_url": address}
    connection.save()
    ok, message = test_connection(connection=connection)
    assert not ok and ("not allowed" in message or "https://" in message)


def test_a_shopify_shop_must_be_a_myshopify_domain(alice, fake):
    from orders.connectors.services import test_connection

    connection = connect_shopify(alice.merchant, fake)
    connection.credentials = {**connection.credentials, "shop_domain": "https://evil.example.com"}
    connection.save()
    ok, message = test_connection(connection=connection)
    assert not ok and "myshopify.com" in message


def test_an_existing_store_can_be_connected_and_shows_its_health_on_the_stores_page(client_a, alice, fake):
    from tests.factories.orders import StoreFactory

    store = StoreFactory(merchant=alice.merchant, name="Old Shopify", platform="shopify")
    c = fake.credentials
    response = client_a.post(
        reverse("orders:connections") + "?kind=shopify",
        {"kind": "shopify", "label": "Old Shopify", "store": store.pk, "shop_domain": f"{fake.url}/shopify",
         "access_token": c.shopify_token, "app_secret": c.shopify_secret},
    )  # fmt: skip
    assert response.status_code == 302
    connection = Connection.objects.get(store=store)
    assert Store.objects.filter(merchant=alice.merchant).count() == 1
    page = client_a.get(reverse("orders:stores")).content.decode()
    assert reverse("orders:connection", args=[connection.pk]) in page


def test_another_merchants_store_cannot_be_connected(alice, bob, fake):
    from django.core.exceptions import ValidationError

    from orders.connectors import services
    from tests.factories.orders import StoreFactory

    bobs = StoreFactory(merchant=bob.merchant, platform="shopify")
    with pytest.raises(ValidationError):
        services.connect(
            merchant=alice.merchant,
            kind="shopify",
            label="x",
            store=bobs,
            credentials={"shop_domain": "a.myshopify.com", "access_token": "t", "app_secret": "s"},
        )


def test_a_disconnected_store_refuses_webhooks_and_is_not_polled_until_reconnected(client_a, alice, fake):
    from django.test import Client

    from orders.connectors.fakes import shopify_order, signed
    from orders.connectors.services import pollable_connection_ids

    from .conftest import post_hook

    connection = connect_shopify(alice.merchant, fake)
    client_a.post(reverse("orders:connection_toggle", args=[connection.pk]))
    connection.refresh_from_db()
    assert not connection.enabled and connection.pk not in pollable_connection_ids("shopify")
    body, headers = signed("shopify", connection.credentials["app_secret"], shopify_order(5), topic="orders/create")
    assert post_hook(Client(), connection, body, headers).status_code == 404
    client_a.post(reverse("orders:connection_toggle", args=[connection.pk]))
    assert post_hook(Client(), connection, body, headers).status_code == 200
