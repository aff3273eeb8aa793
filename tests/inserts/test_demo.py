"""The demo end to end: a merchant test-sends an app push and a web push from the channel account page to
the local fakes, pushes reach a demo buyer's browser subscription, and the demo sheet of insert cards
downloads with QR codes that open the card page."""

import io
import json
import socket

import pytest
from django.conf import settings
from django.core.management import call_command

from channels import services as channel_services
from channels.fakes.http import FakeProviderServer
from channels.models import ChannelAccount
from channels.senders import PushTarget
from inserts.models import CardBatch, CardScan
from orders import selectors as order_selectors
from orders.models import PushSubscription
from tests.channels.test_sender_push import push_message
from tests.conftest import log_in
from tests.inserts.test_cards import qr_urls

pytestmark = pytest.mark.django_db


def _free_port_pair() -> int:
    for _ in range(20):
        with socket.socket() as a:
            a.bind(("127.0.0.1", 0))
            port = a.getsockname()[1]
        with socket.socket() as b:
            try:
                b.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port
    raise RuntimeError("no free port pair")


@pytest.fixture
def demo_fakes(settings):
    port = _free_port_pair()
    settings.CHANNELS_FAKES_PORT = port
    with FakeProviderServer(port=port + 1) as server:  # as `manage.py run_fake_providers` starts it
        call_command("demo", stdout=io.StringIO())
        yield server


def test_demo_merchant_test_sends_a_push_and_a_web_push_from_the_account_page(demo_fakes, client):
    assert log_in(client, "alice@demo.linkstar.test", settings.DEMO_PASSWORD)
    fcm = ChannelAccount.objects.get(
        name="App push (fake FCM)", merchant__memberships__user__email="alice@demo.linkstar.test"
    )
    web = ChannelAccount.objects.get(name="Web push (fake)", merchant=fcm.merchant)

    page = client.get(f"/channels/accounts/{fcm.pk}/")
    assert fcm.config["test_token"].encode() in page.content  # prefilled
    client.post(f"/channels/accounts/{fcm.pk}/test/", {"to": fcm.config["test_token"]})
    client.post(f"/channels/accounts/{web.pk}/test/", {"to": web.config["test_subscription"]})

    assert demo_fakes.state.fcm_messages[0]["message"]["notification"]["title"] == "Linkstar test message"
    assert json.loads(demo_fakes.state.webpush_messages[0]["payload"])["title"] == "Linkstar test message"
    fcm.refresh_from_db()
    web.refresh_from_db()
    assert fcm.verified_at and web.verified_at


def test_demo_buyers_browser_subscription_receives_a_web_push(demo_fakes):
    sub = PushSubscription.objects.filter(kind="web_push").first()
    web = ChannelAccount.objects.get(name="Web push (fake)", merchant=sub.merchant)
    target = PushTarget(**order_selectors.push_target_values(sub))
    result = channel_services.send_message(account=web, message=push_message(web, target))
    assert result.accepted, result.detail


def test_demo_sheet_of_insert_cards_opens_the_card_page(demo_fakes, client):
    assert log_in(client, "chen@demo.linkstar.test", settings.DEMO_PASSWORD)
    batch = CardBatch.objects.filter(merchant__memberships__user__email="chen@demo.linkstar.test").get()
    pdf = client.get(f"/inserts/sheets/{batch.pk}/cards.pdf")
    urls = qr_urls(pdf.content)
    assert len(urls) == batch.card_count == 8
    landing = client.get(urls[0].removeprefix(settings.PUBLIC_BASE_URL), follow=True)
    assert landing.status_code == 200
    assert CardScan.objects.count() == 1
