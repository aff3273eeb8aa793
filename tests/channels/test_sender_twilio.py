"""Twilio SMS and WhatsApp through twilio's Client against the local Messages API fake."""

import base64
from urllib.parse import parse_qs, urlsplit

import pytest
from twilio.base.exceptions import TwilioRestException

from channels import services
from channels.models import SentMessage, SuppressionEntry
from channels.senders import Outcome
from channels.senders.twilio import classify_twilio_error
from tests.factories.channels import TWILIO_SID, TWILIO_TOKEN, outbound, twilio_account

pytestmark = pytest.mark.django_db


def last_form(fake):
    record = [r for r in fake.state.requests if r.path.endswith("/Messages.json")][-1]
    return {k: v[0] for k, v in parse_qs(record.body.decode()).items()}, record


def test_sms_is_sent_with_the_merchants_account_and_a_status_callback_carrying_the_reference(alice, fake):
    account = twilio_account(alice.merchant, fake)
    message = outbound(account)
    result = services.send_message(account=account, message=message)

    assert result.outcome == Outcome.ACCEPTED
    assert result.provider_message_id.startswith("SM")
    form, record = last_form(fake)
    assert record.path == f"/2010-04-01/Accounts/{TWILIO_SID}/Messages.json"
    assert base64.b64decode(record.headers["Authorization"][6:]).decode() == f"{TWILIO_SID}:{TWILIO_TOKEN}"
    assert form["To"] == "+14155550100" and form["From"] == "+15005550006"
    assert form["Body"] == message.text_body
    callback = urlsplit(form["StatusCallback"])
    assert callback.path == f"/channels/hooks/{account.webhook_token}/twilio/status/"
    assert parse_qs(callback.query)["ref"] == [message.message_ref]
    assert SentMessage.objects.get(message_ref=message.message_ref).provider_message_id == result.provider_message_id


def test_sms_through_a_messaging_service(alice, fake):
    account = twilio_account(alice.merchant, fake, messaging_service_sid="MG" + "2" * 32)
    assert services.send_message(account=account, message=outbound(account)).accepted
    form, _ = last_form(fake)
    assert form["MessagingServiceSid"] == "MG" + "2" * 32 and "From" not in form


def test_opted_out_recipient_21610_is_permanent_and_lands_on_the_suppression_list(alice, fake):
    account = twilio_account(alice.merchant, fake)
    result = services.send_message(account=account, message=outbound(account, to="+15005550004"))
    assert result.outcome == Outcome.PERMANENT_FAILURE and result.error_code == "opted_out"
    entry = SuppressionEntry.objects.get(merchant=alice.merchant, channel="sms")
    assert entry.reason == SuppressionEntry.Reason.STOP_KEYWORD and entry.address == "+15005550004"
    again = services.send_message(account=account, message=outbound(account, to="+15005550004"))
    assert again.error_code == "suppressed"


@pytest.mark.parametrize(
    ("to", "outcome", "code"),
    [
        ("+15005550001", Outcome.PERMANENT_FAILURE, "invalid_address"),  # 21211
        ("+15005550009", Outcome.PERMANENT_FAILURE, "not_mobile"),  # 21614
        ("+14155550429", Outcome.TEMPORARY_FAILURE, "rate_limited"),  # 20429
        ("+14155550500", Outcome.TEMPORARY_FAILURE, "twilio_internal"),  # 5xx
        ("+14155550999", Outcome.UNKNOWN, "timeout_after_send"),  # sent, no answer in time
    ],
)
def test_twilio_error_codes_map_to_outcomes(alice, fake, to, outcome, code):
    account = twilio_account(alice.merchant, fake)
    result = services.send_message(account=account, message=outbound(account, to=to))
    assert (result.outcome, result.error_code) == (outcome, code), result


def test_refused_auth_token_is_permanent_and_marks_the_account_failing(alice, fake):
    fake.state.twilio = (TWILIO_SID, "another-token")
    account = twilio_account(alice.merchant, fake)
    result = services.send_message(account=account, message=outbound(account))
    assert result.error_code == "auth_failed"
    account.refresh_from_db()
    assert account.status == "failing"


def test_whatsapp_sends_only_approved_content_templates(alice, fake):
    account = twilio_account(alice.merchant, fake, kind="twilio_whatsapp")
    message = outbound(account, content_sid="HX" + "3" * 32, content_variables={"1": "Ana"}, text_body="")
    assert services.send_message(account=account, message=message).accepted
    form, _ = last_form(fake)
    assert form["To"] == "whatsapp:+14155550100" and form["From"] == "whatsapp:+14155238886"
    assert form["ContentSid"] == "HX" + "3" * 32 and form["ContentVariables"] == '{"1": "Ana"}'
    assert "Body" not in form


def test_whatsapp_free_text_is_refused_before_reaching_twilio(alice, fake):
    account = twilio_account(alice.merchant, fake, kind="twilio_whatsapp")
    result = services.send_message(account=account, message=outbound(account, text_body="free text"))
    assert result.outcome == Outcome.PERMANENT_FAILURE and result.error_code == "template_required"
    assert not fake.state.requests


def test_whatsapp_outside_the_session_window_63016_is_permanent_so_the_campaign_falls_back():
    exc = TwilioRestException(400, "/Messages.json", msg="outside the allowed window", code=63016)
    result = classify_twilio_error(exc)
    assert (result.outcome, result.error_code) == (Outcome.PERMANENT_FAILURE, "outside_session_window")


def test_a_batch_keeps_one_twilio_client(alice, fake):
    account = twilio_account(alice.merchant, fake)
    results = services.send_messages(
        account=account, messages=[outbound(account, to=f"+1415555010{i}") for i in range(4)]
    )
    assert all(r.accepted for r in results)
    assert len(fake.state.requests) == 4
