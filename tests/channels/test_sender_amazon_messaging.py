"""Amazon buyer-seller messages (SP-API Messaging) against the local SP-API fake: only message types Amazon
permits for the order, never review requests or marketing."""

import pytest

from channels import services
from channels.senders import Outcome
from tests.factories.channels import amazon_account, amazon_messaging_account, outbound

pytestmark = pytest.mark.django_db

ORDER = "111-7654321-1234567"


def amazon_message(account, order_id=ORDER, *, kind="unexpectedProblem", message_class="transactional", **extra):
    return outbound(
        account,
        channel="amazon_messaging",
        to="",
        amazon_order_id=order_id,
        marketplace_id="ATVPDKIKX0DER",
        amazon_message_type=kind,
        message_class=message_class,
        text_body=extra.pop("text_body", "We are sorry: the carrier reports a problem with your parcel."),
        **extra,
    )


def test_unexpected_problem_is_sent_after_asking_which_messages_amazon_permits(alice, fake):
    account = amazon_messaging_account(alice.merchant, fake)
    message = amazon_message(account)

    result = services.send_message(account=account, message=message)

    assert result.outcome == Outcome.ACCEPTED, result.detail
    assert [(r.method, r.path) for r in fake.state.requests] == [
        ("POST", "/auth/o2/token"),
        ("GET", f"/messaging/v1/orders/{ORDER}"),
        ("POST", f"/messaging/v1/orders/{ORDER}/messages/unexpectedProblem"),
    ]
    assert fake.state.requests[-1].query["marketplaceIds"] == ["ATVPDKIKX0DER"]
    assert fake.state.amazon_messages == [{"order_id": ORDER, "type": "unexpectedProblem", "text": message.text_body}]


def test_delivery_details_message_is_sent(alice, fake):
    account = amazon_messaging_account(alice.merchant, fake)
    result = services.send_message(account=account, message=amazon_message(account, kind="confirmDeliveryDetails"))
    assert result.accepted
    assert fake.state.amazon_messages[0]["type"] == "confirmDeliveryDetails"


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"message_class": "review_request"}, "review_request_not_allowed"),
        ({"message_class": "marketing"}, "marketing_not_allowed"),
        ({"kind": "negativeFeedbackRemoval"}, "message_type_not_allowed"),
        ({"kind": "warranty"}, "message_type_not_supported"),
        ({"text_body": "x" * 2001}, "text_too_long"),
    ],
)
def test_review_requests_marketing_and_feedback_removal_are_refused_before_any_call(alice, fake, fields, code):
    account = amazon_messaging_account(alice.merchant, fake)
    result = services.send_message(account=account, message=amazon_message(account, **fields))
    assert (result.outcome, result.error_code) == (Outcome.PERMANENT_FAILURE, code)
    assert not fake.state.requests


def test_a_type_amazon_does_not_permit_for_the_order_is_not_sent(alice, fake):
    account = amazon_messaging_account(alice.merchant, fake)
    result = services.send_message(account=account, message=amazon_message(account, "111-7654321-0000004"))
    assert (result.outcome, result.error_code) == (Outcome.PERMANENT_FAILURE, "message_type_not_offered")
    assert not [r for r in fake.state.requests if r.method == "POST" and "/messages/" in r.path]


def test_test_button_lists_permitted_types_and_sends_nothing(alice, fake):
    account = amazon_messaging_account(alice.merchant, fake)
    result = services.test_send(account=account, to=ORDER)
    assert result.accepted
    assert "unexpectedProblem" in result.provider_message_id
    assert "negativeFeedbackRemoval" not in result.provider_message_id
    assert not fake.state.amazon_messages


def test_messaging_has_its_own_rate_bucket_beside_solicitations(alice, fake):
    from channels.senders.amazon import AmazonMessagingSender, AmazonSolicitationsSender

    messaging = AmazonMessagingSender(amazon_messaging_account(alice.merchant, fake))
    solicitations = AmazonSolicitationsSender(amazon_account(alice.merchant, fake))
    assert messaging.bucket().key == solicitations.bucket().key + ":messaging"
    assert (messaging.bucket().rate, messaging.bucket().burst) == (solicitations.bucket().rate, 5)


def test_amazon_rate_limit_is_temporary(alice, fake):
    account = amazon_messaging_account(alice.merchant, fake)
    fake.state.rate, fake.state.burst = 0.01, 1  # the fake's quota: one call, then 429
    result = services.send_message(account=account, message=amazon_message(account))
    assert (result.outcome, result.error_code) == (Outcome.TEMPORARY_FAILURE, "rate_limited")
    assert not fake.state.amazon_messages
