"""Twilio status callbacks and inbound messages, verified with RequestValidator on the public URL."""

import pytest
from django.urls import reverse

from channels import services
from channels.models import DeliveryEvent, SentMessage, SuppressionEntry
from tests.channels.payloads import twilio_signature
from tests.factories.channels import TWILIO_TOKEN, ChannelAccountFactory, SentMessageFactory, outbound, twilio_account

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(alice, fake):
    return twilio_account(alice.merchant, fake)


def post_signed(client, url, params, *, public_base="http://testserver", token=TWILIO_TOKEN, signature=None, **headers):
    if signature is None:
        signature = twilio_signature(token, public_base + url, params)
    return client.post(url, params, HTTP_X_TWILIO_SIGNATURE=signature, **headers)


def status_url(account, ref):
    return reverse("channels:hook_twilio_status", kwargs={"token": account.webhook_token}) + f"?ref={ref}"


def inbound_url(account):
    return reverse("channels:hook_twilio_inbound", kwargs={"token": account.webhook_token})


def status_params(sid, status, to="+14155550100", **extra):
    return {"MessageSid": sid, "MessageStatus": status, "AccountSid": "AC" + "1" * 32, "To": to, **extra}


def test_delivered_callback_moves_the_message_forward(client, account, django_capture_on_commit_callbacks):
    sent = SentMessageFactory(merchant=account.merchant, account=account, kind="twilio_sms", channel="sms")
    with django_capture_on_commit_callbacks(execute=True):
        response = post_signed(client, status_url(account, sent.message_ref), status_params("SM1", "delivered"))
    assert response.status_code == 200
    sent.refresh_from_db()
    assert sent.status == SentMessage.Status.DELIVERED


def test_the_signature_is_checked_on_the_configured_public_url(client, account, settings):
    settings.PUBLIC_BASE_URL = "https://linkstar.example.com"
    url, params = status_url(account, "r"), status_params("SM2", "sent")
    assert post_signed(client, url, params).status_code == 403  # signed for the internal address
    assert post_signed(client, url, params, public_base="https://linkstar.example.com").status_code == 200


@pytest.mark.parametrize(("signature", "status"), [("", 401), ("bm90IGl0", 403)])
def test_bad_or_missing_signature_is_refused_and_nothing_written(client, account, signature, status):
    response = post_signed(client, status_url(account, "r"), status_params("SM3", "delivered"), signature=signature)
    assert response.status_code == status
    assert not DeliveryEvent.objects.exists()


def test_a_signature_made_with_another_token_is_refused(client, account):
    response = post_signed(client, status_url(account, "r"), status_params("SM4", "sent"), token="other-token")
    assert response.status_code == 403


def test_replayed_callback_is_one_event(client, account):
    url, params = status_url(account, "r"), status_params("SM5", "delivered")
    post_signed(client, url, params)
    post_signed(client, url, params)
    assert DeliveryEvent.objects.count() == 1


def test_twilios_idempotency_token_names_the_event(client, account):
    post_signed(
        client, status_url(account, "r"), status_params("SM6", "sent"), HTTP_I_TWILIO_IDEMPOTENCY_TOKEN="idem-1"
    )
    assert DeliveryEvent.objects.get().provider_event_id == "idem-1"


def test_late_sent_callback_never_undoes_delivered(client, account, django_capture_on_commit_callbacks):
    sent = SentMessageFactory(merchant=account.merchant, account=account, kind="twilio_sms", channel="sms")
    for status in ("delivered", "sent"):
        with django_capture_on_commit_callbacks(execute=True):
            post_signed(client, status_url(account, sent.message_ref), status_params("SM7", status))
    sent.refresh_from_db()
    assert sent.status == SentMessage.Status.DELIVERED


def test_undelivered_because_opted_out_suppresses(client, account):
    post_signed(client, status_url(account, "r"), status_params("SM8", "undelivered", ErrorCode="21610"))
    entry = SuppressionEntry.objects.get()
    assert (entry.channel, entry.reason, entry.address) == ("sms", "stop_keyword", "+14155550100")


def test_a_callback_arriving_before_our_own_record_is_applied_when_the_send_is_recorded(
    client, account, alice, django_capture_on_commit_callbacks
):
    outbox = ChannelAccountFactory(merchant=alice.merchant, kind="outbox")
    message = outbound(outbox, channel="sms")
    with django_capture_on_commit_callbacks(execute=True):
        post_signed(client, status_url(account, message.message_ref), status_params("SM9", "delivered"))
    assert services.send_message(account=outbox, message=message).accepted
    assert SentMessage.objects.get(message_ref=message.message_ref).status == SentMessage.Status.DELIVERED


@pytest.mark.parametrize("word", ["STOP", "stop", "Unsubscribe", "CANCEL", "END", "QUIT", "STOPALL"])
def test_stop_keywords_suppress_at_once(client, account, word):
    params = {"MessageSid": f"SMin{word}", "From": "+14155550100", "To": "+15005550006", "Body": f" {word} "}
    response = post_signed(client, inbound_url(account), params)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/xml")
    assert services.is_suppressed(merchant=account.merchant, channel="sms", address="+14155550100")
    assert DeliveryEvent.objects.get().event_type == "unsubscribed"


def test_start_lifts_a_stop(client, account):
    post_signed(client, inbound_url(account), {"MessageSid": "SMa", "From": "+14155550100", "Body": "STOP"})
    post_signed(client, inbound_url(account), {"MessageSid": "SMb", "From": "+14155550100", "Body": "START"})
    assert not services.is_suppressed(merchant=account.merchant, channel="sms", address="+14155550100")


def test_whatsapp_stop_suppresses_the_whatsapp_channel(client, alice, fake):
    account = twilio_account(alice.merchant, fake, kind="twilio_whatsapp")
    post_signed(client, inbound_url(account), {"MessageSid": "SMw", "From": "whatsapp:+14155550100", "Body": "STOP"})
    assert services.is_suppressed(merchant=account.merchant, channel="whatsapp", address="+14155550100")
    assert not services.is_suppressed(merchant=account.merchant, channel="sms", address="+14155550100")


def test_help_is_answered(client, account):
    response = post_signed(client, inbound_url(account), {"MessageSid": "SMh", "From": "+14155550100", "Body": "help"})
    assert b"<Message>" in response.content and b"STOP" in response.content
    assert not SuppressionEntry.objects.exists()


def test_help_already_answered_by_advanced_opt_out_is_not_answered_twice(client, account):
    params = {"MessageSid": "SMh2", "From": "+14155550100", "Body": "help", "OptOutType": "HELP"}
    assert b"<Message>" not in post_signed(client, inbound_url(account), params).content


def test_an_ordinary_reply_is_kept_as_an_inbound_event(client, account):
    post_signed(client, inbound_url(account), {"MessageSid": "SMr", "From": "+14155550100", "Body": "Thanks!"})
    event = DeliveryEvent.objects.get()
    assert (event.event_type, event.detail) == ("inbound", "Thanks!")
    assert not SuppressionEntry.objects.exists()
