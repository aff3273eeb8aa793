import io
import socket

import pytest
from django.core.management import call_command

from accounts.models import Merchant
from channels.models import ChannelAccount, OutboxMessage, SuppressionEntry
from tests.conftest import log_in

pytestmark = pytest.mark.django_db


def test_demo_gives_each_merchant_an_outbox_fake_accounts_suppressions_and_messages():
    call_command("demo", stdout=io.StringIO())
    counts = (ChannelAccount.objects.count(), SuppressionEntry.objects.count(), OutboxMessage.objects.count())
    call_command("demo", stdout=io.StringIO())
    assert (ChannelAccount.objects.count(), SuppressionEntry.objects.count(), OutboxMessage.objects.count()) == counts
    for merchant in Merchant.objects.all():
        kinds = set(ChannelAccount.objects.for_merchant(merchant).values_list("kind", flat=True))
        assert {"outbox", "smtp", "postmark", "twilio_sms", "amazon_solicitations"} <= kinds
        assert SuppressionEntry.objects.for_merchant(merchant).count() == 4
        assert OutboxMessage.objects.for_merchant(merchant).count() == 2


def test_demo_outbox_page_shows_the_messages(client):
    call_command("demo", stdout=io.StringIO())
    from django.conf import settings

    assert log_in(client, "alice@demo.linkstar.test", settings.DEMO_PASSWORD)
    assert b"How is your new tent?" in client.get("/channels/outbox/").content


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


def test_run_fake_providers_starts_both_fakes_and_stops():
    out = io.StringIO()
    port = _free_port_pair()
    call_command("run_fake_providers", port=port, seconds=0.3, stdout=out)
    text = out.getvalue()
    assert f"smtp://127.0.0.1:{port}" in text and f"http://127.0.0.1:{port + 1}" in text
    assert "stopped" in text
