"""Channel account pages for the new kinds: adding FCM and web-push accounts, test sends from the page."""

import json

import pytest

from channels.fakes.push import FakeBrowser
from channels.models import ChannelAccount
from tests.factories.channels import fcm_account, service_account_info, web_push_account

pytestmark = pytest.mark.django_db


def test_adding_an_fcm_account_keeps_the_service_account_encrypted_and_shows_only_the_project(client_a, fake):
    info, _key = service_account_info(fake.url + "/oauth2/token", project_id="acme-app")
    response = client_a.post(
        "/channels/accounts/new/fcm/", {"name": "Acme app", "service_account": json.dumps(info), "api_url": fake.url}
    )
    assert response.status_code == 302
    account = ChannelAccount.objects.get(name="Acme app")
    assert account.config["project_id"] == "acme-app"
    assert json.loads(account.credentials["service_account"])["private_key"] == info["private_key"]
    page = client_a.get(f"/channels/accounts/{account.pk}/").content.decode()
    assert "acme-app" in page and "BEGIN PRIVATE KEY" not in page


def test_a_json_that_is_not_a_service_account_is_refused(client_a):
    response = client_a.post("/channels/accounts/new/fcm/", {"name": "x", "service_account": '{"type": "user"}'})
    assert response.status_code == 200
    assert "service account" in response.content.decode()
    assert not ChannelAccount.objects.exists()


def test_adding_a_web_push_account_generates_a_vapid_key_pair(client_a):
    response = client_a.post(
        "/channels/accounts/new/web_push/", {"name": "Shop push", "subject": "mailto:care@shop.example", "ttl": 3600}
    )
    assert response.status_code == 302
    account = ChannelAccount.objects.get(name="Shop push")
    assert len(account.credentials["vapid_private_key"]) == 43
    public = account.config["vapid_public_key"]
    assert len(public) == 87
    assert public in client_a.get(f"/channels/accounts/{account.pk}/").content.decode()


def test_test_send_pushes_to_a_pasted_browser_subscription(alice, client_a, fake):
    account = web_push_account(alice.merchant)
    browser = FakeBrowser(fake).subscribe(account.config["vapid_public_key"])
    response = client_a.post(
        f"/channels/accounts/{account.pk}/test/", {"to": json.dumps(browser.as_json())}, follow=True
    )
    assert "Accepted" in response.content.decode()
    assert json.loads(fake.state.webpush_messages[0]["payload"])["title"] == "Linkstar test message"


def test_test_send_with_something_that_is_not_a_subscription_says_so(alice, client_a, fake):
    account = web_push_account(alice.merchant)
    response = client_a.post(f"/channels/accounts/{account.pk}/test/", {"to": "hello"}, follow=True)
    assert "Paste the subscription as JSON" in response.content.decode()
    assert not fake.state.requests


def test_test_send_of_an_fcm_account_from_the_page(alice, client_a, fake):
    account = fcm_account(alice.merchant, fake)
    token = "dGVzdA:APA91bHPRgkF3JUikC4ENAHEeMrd41Zxv3hVZjC9KtT8"
    response = client_a.post(f"/channels/accounts/{account.pk}/test/", {"to": token}, follow=True)
    assert "Accepted" in response.content.decode()
    assert fake.state.fcm_messages[0]["message"]["token"] == token


def test_push_account_for_a_subscription_kind(alice, bob, fake):
    from channels.selectors import push_account_for

    web = web_push_account(alice.merchant)
    web_push_account(bob.merchant)
    assert push_account_for(merchant=alice.merchant, kind="web_push") == web
    assert push_account_for(merchant=alice.merchant, kind="fcm") is None
    web.status = ChannelAccount.Status.DISABLED
    web.save()
    assert push_account_for(merchant=alice.merchant, kind="web_push") is None
