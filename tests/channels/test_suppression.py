"""The suppression list: one entry per merchant, channel and address hash; checked before every send."""

import pytest

from channels import services
from channels.models import SentMessage, SuppressionEntry
from channels.senders import Outcome
from linkstar.identity import InvalidAddress, email_hash, phone_hash
from tests.factories.channels import ChannelAccountFactory, outbound

pytestmark = pytest.mark.django_db


def test_suppression_uses_the_same_hash_as_orders_buyer_identity(alice):
    entry = services.suppress(merchant=alice.merchant, channel="email", address=" Buyer@Example.COM ", reason="manual")
    assert entry.address_hash == email_hash(alice.merchant.pk, "buyer@example.com")
    sms = services.suppress(merchant=alice.merchant, channel="sms", address="+1 (415) 555-0100", reason="manual")
    assert sms.address_hash == phone_hash(alice.merchant.pk, "+14155550100")


def test_suppression_is_per_merchant(alice, bob):
    services.suppress(merchant=alice.merchant, channel="email", address="buyer@example.com", reason="manual")
    assert services.is_suppressed(merchant=alice.merchant, channel="email", address="buyer@example.com")
    assert not services.is_suppressed(merchant=bob.merchant, channel="email", address="buyer@example.com")


def test_suppressing_twice_keeps_one_entry_and_the_first_reason_and_widens_the_scope(alice):
    services.suppress(
        merchant=alice.merchant, channel="email", address="a@example.com", reason="unsubscribe", scope="review_requests"
    )
    services.suppress(merchant=alice.merchant, channel="email", address="A@example.com", reason="complaint")
    entry = SuppressionEntry.objects.get()
    assert (entry.reason, entry.scope) == ("unsubscribe", "all")


def test_unreadable_addresses_are_refused(alice):
    with pytest.raises(InvalidAddress):
        services.suppress(merchant=alice.merchant, channel="email", address="not-an-address", reason="manual")


def test_amazon_has_no_suppression_list(alice):
    assert not services.is_suppressed(merchant=alice.merchant, channel="amazon", address="")


def test_erasure_forgets_the_address_but_keeps_suppressing(alice):
    account = ChannelAccountFactory(merchant=alice.merchant, kind="outbox")
    services.send_message(account=account, message=outbound(account, to="gone@example.com"))
    entry = services.suppress(merchant=alice.merchant, channel="email", address="gone@example.com", reason="manual")
    services.erase_addresses(merchant=alice.merchant, address_hashes=[entry.address_hash])
    entry.refresh_from_db()
    assert entry.address == ""
    assert SentMessage.objects.get().recipient == ""
    assert services.is_suppressed(merchant=alice.merchant, channel="email", address="gone@example.com")


def test_a_batch_skips_suppressed_recipients_without_contacting_the_provider(alice):
    account = ChannelAccountFactory(merchant=alice.merchant, kind="outbox")
    services.suppress(merchant=alice.merchant, channel="email", address="no@example.com", reason="manual")
    results = services.send_messages(
        account=account, messages=[outbound(account, to="yes@example.com"), outbound(account, to="no@example.com")]
    )
    assert [r.outcome for r in results] == [Outcome.ACCEPTED, Outcome.PERMANENT_FAILURE]
    assert results[1].error_code == "suppressed"
    assert SentMessage.objects.count() == 1


def test_disabled_accounts_send_nothing(alice):
    account = ChannelAccountFactory(merchant=alice.merchant, kind="outbox", status="disabled")
    result = services.send_message(account=account, message=outbound(account))
    assert (result.outcome, result.error_code) == (Outcome.PERMANENT_FAILURE, "account_disabled")


def test_messages_of_another_merchant_are_refused(alice, bob):
    account = ChannelAccountFactory(merchant=alice.merchant, kind="outbox")
    result = services.send_message(account=account, message=outbound(account, merchant_id=bob.merchant.pk))
    assert result.error_code == "wrong_merchant"


def test_status_only_moves_forward_by_rank(alice):
    from django.utils import timezone

    from tests.factories.channels import SentMessageFactory

    sent = SentMessageFactory(merchant=alice.merchant, status="sent")
    now = timezone.now()
    assert services.advance_status(sent_message_id=sent.pk, status="delivered", at=now)
    assert not services.advance_status(sent_message_id=sent.pk, status="sent", at=now)
    assert services.advance_status(sent_message_id=sent.pk, status="bounced", at=now)
    assert not services.advance_status(sent_message_id=sent.pk, status="failed", at=now)
    assert not services.advance_status(sent_message_id=sent.pk, status="delivered", at=now)
    sent.refresh_from_db()
    assert sent.status == "bounced"


def test_a_sender_that_raises_makes_the_message_unknown_and_the_batch_goes_on(alice, monkeypatch):
    from channels.senders.outbox import OutboxSender

    account = ChannelAccountFactory(merchant=alice.merchant, kind="outbox")
    original = OutboxSender.send

    def flaky(self, message):
        if message.to == "boom@example.com":
            raise RuntimeError("unexpected")
        return original(self, message)

    monkeypatch.setattr(OutboxSender, "send", flaky)
    results = services.send_messages(
        account=account, messages=[outbound(account, to="boom@example.com"), outbound(account, to="ok@example.com")]
    )
    assert [r.outcome for r in results] == [Outcome.UNKNOWN, Outcome.ACCEPTED]
    assert sorted(SentMessage.objects.values_list("status", flat=True)) == ["sent", "unknown"]
