"""Amazon Solicitations through python-amazon-sp-api against the local SP-API and LWA fake."""

import datetime as dt
import threading

import pytest
from django.utils import timezone
from sp_api.base.exceptions import SellingApiForbiddenException

from channels import services
from channels.ratelimit import TokenBucket
from channels.senders import Outcome
from channels.senders.amazon import AmazonSolicitationsSender
from tests.factories.channels import amazon_account, outbound

pytestmark = pytest.mark.django_db


def amazon_message(account, order_id="111-1234567-1234567", **extra):
    return outbound(account, channel="amazon", to="", amazon_order_id=order_id, marketplace_id="ATVPDKIKX0DER", **extra)


def test_solicitation_is_sent_only_after_the_action_is_offered(alice, fake):
    account = amazon_account(alice.merchant, fake)
    result = services.send_message(account=account, message=amazon_message(account))

    assert result.outcome == Outcome.ACCEPTED
    paths = [(r.method, r.path) for r in fake.state.requests]
    assert paths == [
        ("POST", "/auth/o2/token"),
        ("GET", "/solicitations/v1/orders/111-1234567-1234567"),
        ("POST", "/solicitations/v1/orders/111-1234567-1234567/solicitations/productReviewAndSellerFeedback"),
    ]
    create = fake.state.requests[-1]
    assert create.query["marketplaceIds"] == ["ATVPDKIKX0DER"]
    assert create.headers["x-amz-access-token"].startswith("Atza|")


def test_an_order_asked_once_is_never_asked_again(alice, fake):
    account = amazon_account(alice.merchant, fake)
    assert services.send_message(account=account, message=amazon_message(account)).accepted
    again = services.send_message(account=account, message=amazon_message(account))
    assert again.outcome == Outcome.PERMANENT_FAILURE
    assert len([r for r in fake.state.requests if r.path.endswith("/productReviewAndSellerFeedback")]) == 1


def test_not_eligible_yet_is_temporary_with_the_window_start_as_next_attempt(alice, fake):
    account = amazon_account(alice.merchant, fake)
    delivered = timezone.now() - dt.timedelta(days=2)
    message = amazon_message(account, "111-1234567-0000001", amazon_earliest_delivery=delivered)
    result = services.send_message(account=account, message=message)
    assert result.outcome == Outcome.TEMPORARY_FAILURE and result.error_code == "not_eligible_yet"
    assert result.retry_at == delivered + dt.timedelta(days=5)


def test_past_the_window_is_permanent(alice, fake):
    account = amazon_account(alice.merchant, fake)
    delivered = timezone.now() - dt.timedelta(days=40)
    message = amazon_message(account, "111-1234567-0000002", amazon_earliest_delivery=delivered)
    result = services.send_message(account=account, message=message)
    assert (result.outcome, result.error_code) == (Outcome.PERMANENT_FAILURE, "window_closed")


def test_amazons_already_solicited_answer_is_permanent(alice, fake):
    sender = AmazonSolicitationsSender(amazon_account(alice.merchant, fake))
    errors = [
        {"code": "Unauthorized", "message": "The requested solicitation is not available for this amazonOrderId."}
    ]
    result = sender.classify(SellingApiForbiddenException(errors), amazon_message(sender.account))
    assert (result.outcome, result.error_code) == (Outcome.PERMANENT_FAILURE, "already_solicited")


def test_amazons_outside_the_range_answer_before_the_window_is_temporary(alice, fake):
    sender = AmazonSolicitationsSender(amazon_account(alice.merchant, fake))
    errors = [
        {"code": "Unauthorized", "message": "You can’t use this feature to request a review outside the 5-30 day range"}
    ]
    delivered = timezone.now() - dt.timedelta(days=1)
    message = amazon_message(sender.account, amazon_earliest_delivery=delivered)
    result = sender.classify(SellingApiForbiddenException(errors), message)
    assert result.outcome == Outcome.TEMPORARY_FAILURE and result.retry_at == delivered + dt.timedelta(days=5)


def test_refused_login_is_permanent_and_marks_the_account_failing(alice, fake):
    fake.state.lwa = ("amzn1.app", "lwa-secret", "another-refresh-token")
    account = amazon_account(
        alice.merchant, fake, credentials={"lwa_client_secret": "lwa-secret", "refresh_token": "x"}
    )
    result = services.send_message(account=account, message=amazon_message(account))
    assert (result.outcome, result.error_code) == (Outcome.PERMANENT_FAILURE, "auth_failed")
    account.refresh_from_db()
    assert account.status == "failing"


def test_test_send_only_checks_the_order_and_never_solicits(alice, fake):
    account = amazon_account(alice.merchant, fake)
    result = services.test_send(account=account, to="111-7654321-7654321")
    assert result.accepted
    assert not [r for r in fake.state.requests if "productReviewAndSellerFeedback" in r.path]


def test_the_shared_bucket_keeps_many_workers_under_amazons_limit(alice, fake, settings):
    # Amazon's limit scaled up 5x to keep the test short; ours a little under it, so the jitter of
    # threads in one process cannot push a request past the fake's limit. Per-worker buckets would
    # send 4 bursts at once and get 429s.
    settings.CHANNELS_AMAZON_RATE, settings.CHANNELS_AMAZON_BURST = 4.0, 4
    fake.state.rate, fake.state.burst = 5.0, 5
    account = amazon_account(alice.merchant, fake)
    results = []

    def worker(n):
        from channels.senders import SENDERS

        with SENDERS["amazon_solicitations"](account) as sender:  # each "worker" has its own sender
            for i in range(3):
                results.append(sender.send(amazon_message(account, f"111-{n:07d}-{i + 10:07d}")))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 12 and all(r.accepted for r in results), [
        (r.detail, r.retry_at) for r in results if not r.accepted
    ]


def test_token_bucket_in_redis_allows_a_burst_then_one_per_interval():
    first, second = TokenBucket("test:seller", rate=1.0, burst=5), TokenBucket("test:seller", rate=1.0, burst=5)
    taken = [first.take() if i % 2 else second.take() for i in range(5)]
    assert taken == [0.0] * 5
    wait = first.take()
    assert 0 < wait <= 1.0
    assert first.acquire(max_wait=0.01) > 0


def test_without_the_shared_bucket_amazon_is_not_called(alice, fake, monkeypatch):
    from redis.exceptions import ConnectionError as RedisConnectionError

    def down(self):
        raise RedisConnectionError("Redis is down")

    monkeypatch.setattr(TokenBucket, "take", down)
    account = amazon_account(alice.merchant, fake)
    result = services.send_message(account=account, message=amazon_message(account))
    assert (result.outcome, result.error_code) == (Outcome.TEMPORARY_FAILURE, "rate_limiter_unavailable")
    assert not [r for r in fake.state.requests if "/solicitations/" in r.path]
