"""The buyer's unsubscribe link: GET confirms and changes nothing; POST (button or RFC 8058) suppresses at once."""

import pytest
from django.core import signing

from channels import services
from channels.models import DeliveryEvent, SuppressionEntry
from channels.senders import Outcome
from channels.unsubscribe import SALT, build_unsubscribe_url, read_token
from tests.factories.channels import ChannelAccountFactory, outbound

pytestmark = pytest.mark.django_db


def url_for(merchant, address="buyer@example.com", language="en", ref="ref-1", channel="email"):
    full = build_unsubscribe_url(
        merchant_id=merchant.pk, message_ref=ref, channel=channel, address=address, language=language
    )
    return full.removeprefix("http://testserver")


def test_get_shows_a_confirm_page_in_the_buyers_language_and_changes_nothing(client, alice):
    response = client.get(url_for(alice.merchant, language="zh-CN"))
    assert response.status_code == 200
    assert "退订".encode() in response.content
    assert response["Content-Language"] == "zh-hans"
    assert b'method="post"' in response.content
    assert not SuppressionEntry.objects.exists() and not DeliveryEvent.objects.exists()


def test_other_buyer_languages_fall_back_to_english(client, alice):
    response = client.get(url_for(alice.merchant, language="de"))
    assert response["Content-Language"] == "en"
    assert b"Unsubscribe" in response.content


def test_rfc8058_one_click_post_suppresses_at_once_and_answers_200_without_redirect(client, alice):
    response = client.post(url_for(alice.merchant), {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    entry = SuppressionEntry.objects.get()
    assert (entry.reason, entry.scope, entry.channel) == ("unsubscribe", "all", "email")
    assert services.is_suppressed(merchant=alice.merchant, channel="email", address="Buyer@Example.com")
    event = DeliveryEvent.objects.get()
    assert (event.event_type, event.message_ref) == ("unsubscribed", "ref-1")


def test_one_click_needs_no_csrf_token(alice):
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post(url_for(alice.merchant), {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200


def test_posting_twice_is_harmless(client, alice):
    client.post(url_for(alice.merchant))
    client.post(url_for(alice.merchant))
    assert SuppressionEntry.objects.count() == 1 and DeliveryEvent.objects.count() == 1


def test_review_requests_only_still_lets_other_messages_through(client, alice):
    client.post(url_for(alice.merchant), {"scope": "review_requests"})
    check = services.is_suppressed
    assert check(merchant=alice.merchant, channel="email", address="buyer@example.com", message_class="review_request")
    assert not check(
        merchant=alice.merchant, channel="email", address="buyer@example.com", message_class="order_update"
    )


def test_unsubscribe_is_honoured_by_the_very_next_send(client, alice):
    account = ChannelAccountFactory(merchant=alice.merchant, kind="outbox")
    client.post(url_for(alice.merchant))
    result = services.send_message(account=account, message=outbound(account, to="buyer@example.com"))
    assert (result.outcome, result.error_code) == (Outcome.PERMANENT_FAILURE, "suppressed")


def test_a_changed_token_is_refused(client, alice):
    url = url_for(alice.merchant)
    tampered = url[:-3] + ("A" if url[-3] != "A" else "B") + url[-2:]
    assert client.get(tampered).status_code == 404
    assert client.post(tampered).status_code == 404
    assert not SuppressionEntry.objects.exists()


def test_a_token_signed_for_another_purpose_is_refused(alice):
    forged = signing.dumps({"m": alice.merchant.pk, "r": "x", "c": "email", "h": "0" * 64, "l": "en"}, salt="other")
    assert read_token(forged) is None
    assert read_token(signing.dumps({"m": 1}, salt=SALT)) is None


def test_sms_unsubscribe_link_suppresses_the_sms_channel(client, alice):
    client.post(url_for(alice.merchant, address="+14155550100", channel="sms"))
    assert services.is_suppressed(merchant=alice.merchant, channel="sms", address="+1 415 555 0100")
