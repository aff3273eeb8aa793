"""App push (FCM HTTP v1 with a service-account OAuth token) and Web Push (VAPID, aes128gcm) against the
local fakes: the FCM fake checks the RS256 JWT assertion with the service account's public key, the
web-push fake checks the VAPID JWT and decrypts the payload with the browser subscription's key."""

import datetime as dt
import json

import pytest
from django.utils import timezone

from channels import services
from channels.fakes.push import FakeBrowser, derived_browser_keys
from channels.models import ChannelAccount, SentMessage
from channels.senders import Outcome, PushKind, PushTarget
from channels.senders.base import SUBSCRIPTION_GONE
from channels.senders.push import FcmSender, endpoint_allowed, parse_service_account
from tests.factories.channels import fcm_account, outbound, service_account_info, web_push_account

pytestmark = pytest.mark.django_db

TOKEN = "dGVzdC1kZXZpY2UtdG9rZW4:APA91bHPRgkF3JUikC4ENAHEeMrd41Zxv3hVZjC9KtT8OvPVGJ-hQMRKRrZu" + "JAEcl7B338qju59z"


def push_message(account, target, **extra):
    return outbound(
        account,
        channel="push",
        to="Sam's phone",
        subject=extra.pop("subject", "Your parcel is on its way"),
        text_body=extra.pop("text_body", "Track it any time."),
        push_link=extra.pop("push_link", "https://shop.example/track/1"),
        push_target=target,
        **extra,
    )


def fcm_target(token=TOKEN):
    return PushTarget(kind=PushKind.FCM, token=token, subscription_id="17")


# -- FCM ------------------------------------------------------------------------------------------------
def test_fcm_push_gets_an_oauth_token_from_the_service_account_then_sends(alice, fake):
    account = fcm_account(alice.merchant, fake)
    message = push_message(account, fcm_target())

    result = services.send_message(account=account, message=message)

    assert result.outcome == Outcome.ACCEPTED, result.detail
    assert result.provider_message_id.startswith("projects/linkstar-test/messages/")
    assert [(r.method, r.path) for r in fake.state.requests] == [
        ("POST", "/oauth2/token"),
        ("POST", "/v1/projects/linkstar-test/messages:send"),
    ]
    sent = fake.state.fcm_messages[0]["message"]
    assert sent["token"] == TOKEN
    assert sent["notification"] == {"title": "Your parcel is on its way", "body": "Track it any time."}
    assert sent["data"] == {"linkstar_ref": message.message_ref, "link": "https://shop.example/track/1"}
    assert sent["webpush"]["fcm_options"]["link"] == "https://shop.example/track/1"
    row = SentMessage.objects.get(message_ref=message.message_ref)
    assert (row.channel, row.status, row.recipient) == ("push", "sent", "Sam's phone")


def test_fcm_access_token_is_reused_across_sends(alice, fake):
    account = fcm_account(alice.merchant, fake)
    for _ in range(3):
        assert services.send_message(account=account, message=push_message(account, fcm_target())).accepted
    assert [r.path for r in fake.state.requests].count("/oauth2/token") == 1


def test_fcm_refuses_a_service_account_signed_with_another_key(alice, fake):
    info, _key = service_account_info(fake.url + "/oauth2/token")
    _other_info, other_key = service_account_info(fake.url + "/oauth2/token")
    fake.state.fcm_keys[info["client_email"]] = other_key.public_key()
    account = fcm_account(alice.merchant, fake, info=info)

    result = services.send_message(account=account, message=push_message(account, fcm_target()))

    assert (result.outcome, result.error_code) == (Outcome.PERMANENT_FAILURE, "auth_failed")
    assert "Invalid JWT Signature" in result.detail
    account.refresh_from_db()
    assert account.status == ChannelAccount.Status.FAILING
    assert not fake.state.fcm_messages


@pytest.mark.parametrize(
    ("prefix", "outcome", "code"),
    [
        ("gone-", Outcome.PERMANENT_FAILURE, SUBSCRIPTION_GONE),
        ("invalid-", Outcome.PERMANENT_FAILURE, "invalid_argument"),
        ("mismatch-", Outcome.PERMANENT_FAILURE, "sender_id_mismatch"),
        ("quota-", Outcome.TEMPORARY_FAILURE, "rate_limited"),
        ("unavailable-", Outcome.TEMPORARY_FAILURE, "unavailable"),
        ("internal-", Outcome.TEMPORARY_FAILURE, "internal"),
    ],
)
def test_fcm_error_json_is_mapped(alice, fake, prefix, outcome, code):
    account = fcm_account(alice.merchant, fake)
    result = services.send_message(account=account, message=push_message(account, fcm_target(prefix + TOKEN)))
    assert (result.outcome, result.error_code) == (outcome, code)


def test_fcm_retry_after_sets_the_next_attempt(alice, fake):
    account = fcm_account(alice.merchant, fake)
    before = timezone.now()
    result = services.send_message(account=account, message=push_message(account, fcm_target("quota-" + TOKEN)))
    assert before + dt.timedelta(seconds=16) <= result.retry_at <= timezone.now() + dt.timedelta(seconds=18)


def test_fcm_revoked_access_token_is_fetched_again_once(alice, fake):
    account = fcm_account(alice.merchant, fake)
    assert services.send_message(account=account, message=push_message(account, fcm_target())).accepted
    fake.state.fcm_tokens.clear()  # Google revoked the token we cached

    result = services.send_message(account=account, message=push_message(account, fcm_target()))

    assert result.accepted
    assert [r.path for r in fake.state.requests].count("/oauth2/token") == 2


def test_fcm_gone_token_is_reported_for_the_caller_to_remove(alice, fake):
    account = fcm_account(alice.merchant, fake)
    result = services.send_message(account=account, message=push_message(account, fcm_target("gone-" + TOKEN)))
    assert result.error_code == services.SUBSCRIPTION_GONE
    assert "UNREGISTERED" in result.detail


def test_a_push_without_a_target_or_of_the_wrong_kind_is_refused_before_any_call(alice, fake):
    account = fcm_account(alice.merchant, fake)
    no_target = services.send_message(account=account, message=push_message(account, None))
    web = PushTarget(kind=PushKind.WEB_PUSH, endpoint=fake.url + "/webpush/x", p256dh="a", auth="b")
    wrong = services.send_message(account=account, message=push_message(account, web))
    assert no_target.error_code == "missing_push_target"
    assert wrong.error_code == "wrong_push_kind"
    assert not fake.state.requests


def test_service_account_token_uri_must_be_googles_in_production(settings, fake):
    info, _key = service_account_info(fake.url + "/oauth2/token")
    settings.CHANNELS_PROVIDER_URL_OVERRIDES = False
    with pytest.raises(ValueError, match="token_uri"):
        parse_service_account(json.dumps(info))
    info["token_uri"] = "https://oauth2.googleapis.com/token"
    assert parse_service_account(json.dumps(info))["project_id"] == "linkstar-test"


def test_fcm_sender_never_raises_on_an_unreadable_service_account(alice, fake):
    account = fcm_account(alice.merchant, fake)
    account.credentials = {"service_account": "{not json"}
    result = FcmSender(account).send(push_message(account, fcm_target()))
    assert (result.outcome, result.error_code) == (Outcome.PERMANENT_FAILURE, "auth_failed")


# -- Web Push --------------------------------------------------------------------------------------------
def web_target(subscription):
    return PushTarget.from_subscription_json(subscription.as_json(), subscription_id="42")


def test_web_push_is_encrypted_for_the_subscription_and_signed_with_vapid(alice, fake):
    account = web_push_account(alice.merchant)
    browser = FakeBrowser(fake).subscribe(account.config["vapid_public_key"])
    message = push_message(account, web_target(browser), subject="Votre colis arrive", text_body="Merci !")

    result = services.send_message(account=account, message=message)

    assert result.outcome == Outcome.ACCEPTED, result.detail
    assert result.provider_message_id.startswith("/webpush/messages/")
    (received,) = fake.state.webpush_messages
    assert json.loads(received["payload"]) == {
        "title": "Votre colis arrive",
        "body": "Merci !",
        "ref": message.message_ref,
        "link": "https://shop.example/track/1",
    }
    headers = {k.lower(): v for k, v in received["headers"].items()}
    assert headers["content-encoding"] == "aes128gcm"
    assert headers["ttl"] == "3600"
    assert headers["authorization"].startswith("vapid t=")
    assert message.text_body.encode() not in fake.state.requests[-1].body  # encrypted on the wire


def test_web_push_with_another_merchants_vapid_key_is_refused_by_the_push_service(alice, bob, fake):
    account = web_push_account(alice.merchant)
    other = web_push_account(bob.merchant)
    browser = FakeBrowser(fake).subscribe(other.config["vapid_public_key"])
    result = services.send_message(account=account, message=push_message(account, web_target(browser)))
    assert (result.outcome, result.error_code) == (Outcome.PERMANENT_FAILURE, "vapid_mismatch")
    assert not fake.state.webpush_messages


@pytest.mark.parametrize(
    ("prefix", "outcome", "code"),
    [
        ("gone-", Outcome.PERMANENT_FAILURE, SUBSCRIPTION_GONE),
        ("missing-", Outcome.PERMANENT_FAILURE, SUBSCRIPTION_GONE),
        ("busy-", Outcome.TEMPORARY_FAILURE, "rate_limited"),
    ],
)
def test_web_push_answers_are_mapped(alice, fake, prefix, outcome, code):
    account = web_push_account(alice.merchant)
    browser = FakeBrowser(fake).subscribe(account.config["vapid_public_key"], prefix=prefix)
    result = services.send_message(account=account, message=push_message(account, web_target(browser)))
    assert (result.outcome, result.error_code) == (outcome, code)
    if code == "rate_limited":
        assert result.retry_at > timezone.now() + dt.timedelta(seconds=5)


def test_web_push_to_a_subscription_whose_keys_do_not_match_fails_to_decrypt(alice, fake):
    account = web_push_account(alice.merchant)
    browser = FakeBrowser(fake).subscribe(account.config["vapid_public_key"])
    _private, other_p256dh, _auth = derived_browser_keys("someone-else")
    target = PushTarget(kind="web_push", endpoint=browser.endpoint, p256dh=other_p256dh, auth=browser.auth)
    result = services.send_message(account=account, message=push_message(account, target))
    assert (result.outcome, result.error_code) == (Outcome.PERMANENT_FAILURE, "http_400")


def test_web_push_to_an_address_that_is_no_push_service_is_refused(alice, settings, fake):
    account = web_push_account(alice.merchant)
    browser = FakeBrowser(fake).subscribe(account.config["vapid_public_key"])
    settings.WEB_PUSH_ALLOW_LOOPBACK = False
    result = services.send_message(account=account, message=push_message(account, web_target(browser)))
    assert result.error_code == "endpoint_not_allowed"
    assert not fake.state.requests
    assert endpoint_allowed("https://fcm.googleapis.com/fcm/send/abc")
    assert endpoint_allowed("https://web.push.apple.com/QGuQyavXutnMH")
    assert not endpoint_allowed("https://169.254.169.254/latest/meta-data")
    assert not endpoint_allowed("http://fcm.googleapis.com/fcm/send/abc")


def test_web_push_payload_larger_than_one_record_is_refused(alice, fake):
    account = web_push_account(alice.merchant)
    browser = FakeBrowser(fake).subscribe(account.config["vapid_public_key"])
    message = push_message(account, web_target(browser), text_body="x" * 5000)
    result = services.send_message(account=account, message=message)
    assert result.error_code == "payload_too_large"
    assert not fake.state.requests


def test_demo_subscriptions_with_derived_keys_decrypt_at_a_separately_started_fake(alice, fake):
    account = web_push_account(alice.merchant)
    _private, p256dh, auth = derived_browser_keys("demo-sam-chrome")
    target = PushTarget(kind="web_push", endpoint=fake.url + "/webpush/demo-sam-chrome", p256dh=p256dh, auth=auth)
    assert services.send_message(account=account, message=push_message(account, target)).accepted
    assert json.loads(fake.state.webpush_messages[0]["payload"])["title"] == "Your parcel is on its way"


# -- the outbox and the test button -------------------------------------------------------------------------
def test_outbox_records_a_push(alice):
    from tests.factories.channels import ChannelAccountFactory

    outbox = ChannelAccountFactory(merchant=alice.merchant, kind="outbox")
    result = services.send_message(account=outbox, message=push_message(outbox, fcm_target()))
    assert result.accepted
    row = outbox.merchant.channels_outboxmessage_set.get()
    assert (row.channel, row.subject, row.headers["Push-Kind"]) == ("push", "Your parcel is on its way", "fcm")


def test_test_send_of_an_fcm_account_pushes_to_the_typed_token(alice, fake):
    account = fcm_account(alice.merchant, fake)
    result = services.test_send(account=account, to=TOKEN, push_target=fcm_target())
    assert result.accepted
    account.refresh_from_db()
    assert account.verified_at is not None
    assert fake.state.fcm_messages[0]["message"]["notification"]["title"] == "Linkstar test message"
