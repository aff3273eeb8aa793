"""anymail tracking and inbound webhooks on per-account URLs, each verified with its account's secret."""

import json

import pytest
from django.urls import reverse

from channels import services
from channels.events import register_delivery_listener, unregister_delivery_listener
from channels.models import DeliveryEvent, SentMessage, SuppressionEntry
from channels.unsubscribe import token_for
from tests.channels import payloads
from tests.factories.channels import SentMessageFactory, mailgun_account, postmark_account, ses_account

pytestmark = pytest.mark.django_db


@pytest.fixture
def heard():
    calls = []

    def listener(**kwargs):
        calls.append(kwargs)

    register_delivery_listener(listener)
    yield calls
    unregister_delivery_listener(listener)


def hook(account, provider, name):
    return reverse(f"channels:hook_{provider}_{name}", kwargs={"token": account.webhook_token})


def post_json(client, url, payload, **headers):
    return client.post(url, json.dumps(payload), content_type="application/json", **headers)


@pytest.fixture
def postmark(alice, fake):
    return postmark_account(alice.merchant, fake)


def sent_for(account, **fields):
    return SentMessageFactory(merchant=account.merchant, account=account, kind=account.kind, **fields)


# -- Postmark -------------------------------------------------------------------------------------
def test_postmark_delivery_with_the_accounts_secret_moves_the_message_and_tells_listeners(
    client, postmark, heard, django_capture_on_commit_callbacks
):
    sent = sent_for(postmark)
    with django_capture_on_commit_callbacks(execute=True):
        response = post_json(
            client,
            hook(postmark, "postmark", "tracking"),
            payloads.postmark_delivery(sent.message_ref),
            HTTP_AUTHORIZATION=payloads.basic_auth("hooks:pm-secret"),
        )
    assert response.status_code == 200
    sent.refresh_from_db()
    assert sent.status == SentMessage.Status.DELIVERED
    assert heard == [
        {
            "merchant_id": postmark.merchant_id,
            "message_ref": sent.message_ref,
            "event_type": "delivered",
            "occurred_at": heard[0]["occurred_at"],
            "provider_event_id": heard[0]["provider_event_id"],
            "detail": heard[0]["detail"],
        }
    ]


@pytest.mark.parametrize(
    ("auth", "status"),
    [(None, 401), ("hooks:wrong", 403), ("other:pm-secret", 403)],
)
def test_postmark_without_the_right_secret_is_refused_and_nothing_is_written(client, postmark, auth, status):
    headers = {"HTTP_AUTHORIZATION": payloads.basic_auth(auth)} if auth else {}
    response = post_json(client, hook(postmark, "postmark", "tracking"), payloads.postmark_bounce("r"), **headers)
    assert response.status_code == status
    assert not DeliveryEvent.objects.exists() and not SuppressionEntry.objects.exists()
    if status == 401:
        assert response["WWW-Authenticate"].startswith("Basic")


def test_another_accounts_secret_does_not_open_this_accounts_url(client, alice, bob, fake):
    mine = postmark_account(alice.merchant, fake, credentials={"webhook_secret": "hooks:alice"})
    postmark_account(bob.merchant, fake, credentials={"webhook_secret": "hooks:bob"})
    response = post_json(
        client,
        hook(mine, "postmark", "tracking"),
        payloads.postmark_bounce("r"),
        HTTP_AUTHORIZATION=payloads.basic_auth("hooks:bob"),
    )
    assert response.status_code == 403


def test_an_account_without_a_webhook_secret_accepts_nothing(client, alice, fake):
    account = postmark_account(alice.merchant, fake, credentials={"webhook_secret": ""})
    response = post_json(
        client, hook(account, "postmark", "tracking"), payloads.postmark_bounce("r"), HTTP_AUTHORIZATION="Basic Og=="
    )
    assert response.status_code == 403


def test_unknown_webhook_address_is_404(client):
    url = reverse("channels:hook_postmark_tracking", kwargs={"token": "00000000-0000-0000-0000-000000000000"})
    assert post_json(client, url, {}).status_code == 404


def test_a_replayed_event_is_stored_once(client, postmark):
    url, payload = hook(postmark, "postmark", "tracking"), payloads.postmark_bounce("ref-1")
    auth = payloads.basic_auth("hooks:pm-secret")
    first = post_json(client, url, payload, HTTP_AUTHORIZATION=auth)
    second = post_json(client, url, payload, HTTP_AUTHORIZATION=auth)
    assert first.json()["new_events"] == 1 and second.json()["new_events"] == 0
    assert DeliveryEvent.objects.count() == 1


def test_deliveries_without_an_event_id_are_deduplicated_by_content(client, postmark):
    url, payload = hook(postmark, "postmark", "tracking"), payloads.postmark_delivery("ref-2")
    auth = payloads.basic_auth("hooks:pm-secret")
    post_json(client, url, payload, HTTP_AUTHORIZATION=auth)
    post_json(client, url, payload, HTTP_AUTHORIZATION=auth)
    assert DeliveryEvent.objects.count() == 1


def test_hard_bounce_suppresses_at_once_and_a_soft_bounce_does_not(client, postmark):
    auth = payloads.basic_auth("hooks:pm-secret")
    url = hook(postmark, "postmark", "tracking")
    post_json(client, url, payloads.postmark_bounce("r1", "soft@example.com", "SoftBounce", 1), HTTP_AUTHORIZATION=auth)
    post_json(client, url, payloads.postmark_bounce("r2", "hard@example.com", "HardBounce", 2), HTTP_AUTHORIZATION=auth)

    assert [e.event_type for e in DeliveryEvent.objects.order_by("id")] == ["deferred", "bounced"]
    entry = SuppressionEntry.objects.get()
    assert (entry.address, entry.reason) == ("hard@example.com", SuppressionEntry.Reason.HARD_BOUNCE)
    assert entry.source_event == DeliveryEvent.objects.get(event_type="bounced")
    assert services.is_suppressed(merchant=postmark.merchant, channel="email", address="HARD@example.com")


def test_a_complaint_suppresses(client, postmark):
    post_json(
        client,
        hook(postmark, "postmark", "tracking"),
        payloads.postmark_complaint("r"),
        HTTP_AUTHORIZATION=payloads.basic_auth("hooks:pm-secret"),
    )
    assert SuppressionEntry.objects.get().reason == SuppressionEntry.Reason.COMPLAINT


def test_status_never_moves_backward(client, postmark, django_capture_on_commit_callbacks):
    sent = sent_for(postmark)
    auth = payloads.basic_auth("hooks:pm-secret")
    url = hook(postmark, "postmark", "tracking")
    with django_capture_on_commit_callbacks(execute=True):
        post_json(client, url, payloads.postmark_bounce(sent.message_ref), HTTP_AUTHORIZATION=auth)
    with django_capture_on_commit_callbacks(execute=True):
        post_json(client, url, payloads.postmark_delivery(sent.message_ref), HTTP_AUTHORIZATION=auth)
    sent.refresh_from_db()
    assert sent.status == SentMessage.Status.BOUNCED
    assert DeliveryEvent.objects.filter(sent_message=sent).count() == 2


def test_inbound_reply_to_our_list_unsubscribe_mailto_unsubscribes(client, postmark):
    token = token_for(
        merchant_id=postmark.merchant_id, message_ref="ref-9", channel="email", address="buyer@example.com"
    )
    response = post_json(
        client,
        hook(postmark, "postmark", "inbound"),
        payloads.postmark_inbound(f"unsubscribe {token}"),
        HTTP_AUTHORIZATION=payloads.basic_auth("hooks:pm-secret"),
    )
    assert response.status_code == 200
    assert SuppressionEntry.objects.get().reason == SuppressionEntry.Reason.UNSUBSCRIBE
    assert services.is_suppressed(merchant=postmark.merchant, channel="email", address="buyer@example.com")


def test_inbound_reply_saying_unsubscribe_suppresses_the_sender_and_finds_the_message(client, postmark):
    sent = sent_for(postmark)
    post_json(
        client,
        hook(postmark, "postmark", "inbound"),
        payloads.postmark_inbound(
            "Re: How was your order?", sender="angry@example.com", text="unsubscribe\n> quoted",
            in_reply_to=f"<{sent.message_ref}@merchant.example>",
        ),
        HTTP_AUTHORIZATION=payloads.basic_auth("hooks:pm-secret"),
    )  # fmt: skip
    event = DeliveryEvent.objects.get()
    assert (event.event_type, event.message_ref) == ("unsubscribed", sent.message_ref)
    assert SuppressionEntry.objects.get().address == "angry@example.com"


# -- Mailgun --------------------------------------------------------------------------------------
def test_mailgun_signed_event_is_stored_under_its_event_id(client, alice, fake):
    account = mailgun_account(alice.merchant, fake)
    payload = payloads.mailgun_event("ref-m", event_id="G9Bn5sl1TC6nu79C8C0bwg")
    response = post_json(client, hook(account, "mailgun", "tracking"), payload)
    assert response.status_code == 200
    event = DeliveryEvent.objects.get()
    assert (event.provider, event.provider_event_id, event.event_type) == (
        "mailgun",
        "G9Bn5sl1TC6nu79C8C0bwg",
        "delivered",
    )
    assert "signature" not in event.payload


def test_mailgun_wrong_signature_is_refused_and_nothing_written(client, alice, fake):
    account = mailgun_account(alice.merchant, fake)
    response = post_json(client, hook(account, "mailgun", "tracking"), payloads.mailgun_event("r", key="other-key"))
    assert response.status_code == 403
    assert not DeliveryEvent.objects.exists()


def test_mailgun_permanent_failure_suppresses_and_temporary_does_not(client, alice, fake):
    account = mailgun_account(alice.merchant, fake)
    url = hook(account, "mailgun", "tracking")
    post_json(client, url, payloads.mailgun_event("r1", event="failed", severity="temporary"))
    assert not SuppressionEntry.objects.exists()
    post_json(client, url, payloads.mailgun_event("r2", event="failed", severity="permanent"))
    assert SuppressionEntry.objects.get().reason == SuppressionEntry.Reason.HARD_BOUNCE


def test_mailgun_replay_with_a_new_token_is_still_one_event(client, alice, fake):
    account = mailgun_account(alice.merchant, fake)
    url = hook(account, "mailgun", "tracking")
    post_json(client, url, payloads.mailgun_event("r", event_id="same-event"))
    post_json(client, url, payloads.mailgun_event("r", event_id="same-event"))
    assert DeliveryEvent.objects.count() == 1


# -- Amazon SES through SNS -----------------------------------------------------------------------
@pytest.fixture
def ses(alice, fake, sns_settings):
    return ses_account(alice.merchant, fake)


def post_sns(client, account, message, auth="sns:ses-hook-secret", hook_name="tracking"):
    headers = payloads.sns_headers(message)
    if auth:
        headers["HTTP_AUTHORIZATION"] = payloads.basic_auth(auth)
    return client.post(
        hook(account, "amazon_ses", hook_name), json.dumps(message), content_type="text/plain", **headers
    )


@pytest.mark.parametrize("version", ["1", "2"])
def test_ses_signed_notification_is_accepted(client, ses, fake, version, django_capture_on_commit_callbacks):
    sent = sent_for(ses)
    message = payloads.sns_notification(fake, payloads.ses_event(sent.message_ref), version=version)
    with django_capture_on_commit_callbacks(execute=True):
        response = post_sns(client, ses, message)
    assert response.status_code == 200, response.content
    sent.refresh_from_db()
    assert sent.status == "delivered"


def test_ses_tampered_notification_is_refused(client, ses, fake):
    message = payloads.sns_notification(fake, payloads.ses_event("r", "Bounce"))
    message["Message"] = message["Message"].replace("buyer@", "other@")
    assert post_sns(client, ses, message).status_code == 403
    assert not DeliveryEvent.objects.exists() and not SuppressionEntry.objects.exists()


def test_ses_certificate_from_anywhere_but_sns_is_refused(client, ses, fake, settings):
    settings.CHANNELS_SNS_URL_REGEX = r"^https://sns\.[a-z0-9-]+\.amazonaws\.com/"
    message = payloads.sns_notification(fake, payloads.ses_event("r"))
    assert post_sns(client, ses, message).status_code == 403


def test_ses_without_basic_auth_is_challenged(client, ses, fake):
    response = post_sns(client, ses, payloads.sns_notification(fake, payloads.ses_event("r")), auth=None)
    assert response.status_code == 401 and "Basic" in response["WWW-Authenticate"]


def test_ses_bounce_and_complaint_suppress(client, ses, fake):
    post_sns(client, ses, payloads.sns_notification(fake, payloads.ses_event("r1", "Bounce", "hard@example.com")))
    post_sns(
        client,
        ses,
        payloads.sns_notification(fake, payloads.ses_event("r2", "Bounce", "soft@example.com", "Transient")),
    )
    post_sns(client, ses, payloads.sns_notification(fake, payloads.ses_event("r3", "Complaint", "spam@example.com")))
    reasons = dict(SuppressionEntry.objects.values_list("address", "reason"))
    assert reasons == {"hard@example.com": "hard_bounce", "spam@example.com": "complaint"}


def test_ses_topic_not_of_this_account_is_refused(client, alice, fake, sns_settings):
    account = ses_account(alice.merchant, fake, config={"sns_topic_arns": ["arn:aws:sns:us-east-1:123456789012:mine"]})
    message = payloads.sns_notification(fake, payloads.ses_event("r"), topic="arn:aws:sns:us-east-1:999999999999:x")
    assert post_sns(client, account, message).status_code == 403


def test_ses_subscription_is_confirmed_by_visiting_the_subscribe_url(
    client, ses, fake, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_sns(client, ses, payloads.sns_subscription(fake))
    assert response.status_code == 200
    assert fake.state.sns_confirmations == [{"Action": "ConfirmSubscription", "Token": "2336412f"}]


@pytest.mark.django_db(transaction=True)
def test_events_stored_while_the_broker_is_away_are_applied_by_the_sweep(client, postmark):
    """The event is stored (and the provider answered 2xx) even when queueing fails; the beat sweep applies it."""
    import datetime as dt
    from unittest import mock

    sent = sent_for(postmark)
    with mock.patch("channels.services._queue_processing", side_effect=ConnectionError("broker down")):
        response = post_json(
            client, hook(postmark, "postmark", "tracking"), payloads.postmark_delivery(sent.message_ref),
            HTTP_AUTHORIZATION=payloads.basic_auth("hooks:pm-secret"),
        )  # fmt: skip
    assert response.status_code == 200
    event = DeliveryEvent.objects.get(sent_message=sent)
    assert event.processed_at is None
    assert services.process_pending_delivery_events(older_than=dt.timedelta(minutes=1)) == 0  # too recent yet
    assert services.process_pending_delivery_events(older_than=dt.timedelta(0)) == 1
    event.refresh_from_db()
    sent.refresh_from_db()
    assert event.processed_at is not None and sent.status == SentMessage.Status.DELIVERED
