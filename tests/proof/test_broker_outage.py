"""2. Broker outage: the test's own Redis (broker and cache) is stopped during dispatch and started again;
in the second run it is flushed (FLUSHALL) instead. Once beat's sweep has run again nothing is lost and
nothing was sent twice; meanwhile the API, a provider webhook and the readiness probe answer 2xx/4xx or
503 with Retry-After, never another 5xx."""

import json
import time
import uuid

import pytest
from django.db.models import Count
from django.urls import reverse

from channels.models import DeliveryEvent
from channels.services import process_pending_delivery_events
from reviews import planning
from reviews.models import Message, MessageStatus
from tests.channels import payloads
from tests.factories.accounts import make_api_key
from tests.factories.channels import postmark_account
from tests.proof.conftest import make_shops
from tests.proof.harness import (
    CeleryWorker,
    Kicker,
    Prober,
    RedisServer,
    Sink,
    TestProcessBroker,
    child_env,
    drain,
    report,
    scale,
)

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("fault", ["stop", "flushall"])
def test_broker_outage_loses_nothing_sends_nothing_twice_and_the_api_answers_503(fault, live_server, settings):
    outage_seconds = scale(4, 30)
    with Sink(delay=scale(0.05, 0.02)) as sink, RedisServer() as redis:
        settings.CACHES = {
            "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis.cache_url}
        }
        shops = make_shops(sink, merchants=2, orders_each=scale(60, 1000))
        total = planning.plan_due_messages().planned
        merchant = shops[0].merchant
        _key, plaintext = make_api_key(merchant)
        hooks = postmark_account(merchant, type("Nowhere", (), {"url": "http://127.0.0.1:9"}))
        hook_url = reverse("channels:hook_postmark_tracking", kwargs={"token": hooks.webhook_token})
        probes = {
            "api": lambda: ("GET", reverse("reviews-api:campaign-list"),
                            {"headers": {"Authorization": f"Bearer {plaintext}"}}),
            "webhook": lambda: ("POST", hook_url, {
                "data": json.dumps(payloads.postmark_delivery(str(uuid.uuid4()))),
                "headers": {"Authorization": payloads.basic_auth("hooks:pm-secret"),
                            "Content-Type": "application/json"}}),
            "readyz": lambda: ("GET", "/readyz", {}),
        }  # fmt: skip
        env = child_env(
            broker=redis.url, cache=redis.cache_url, REVIEWS_LEASE_SECONDS=3, REVIEWS_BATCH_SIZE=10,
            REVIEWS_SEND_CHUNK=5, REVIEWS_WORKER_SECONDS=4,
        )  # fmt: skip
        workers = [CeleryWorker(env, f"outage-{fault}{i}").start() for i in range(2)]
        beat = Kicker(redis.url)
        try:
            with TestProcessBroker(redis.url), Prober(live_server.url, probes) as prober:
                started = time.monotonic()
                while not sink.counts() and time.monotonic() - started < 60:
                    beat.kick()
                    time.sleep(0.5)
                gap_start = time.time()
                if fault == "stop":
                    redis.stop()
                    deadline = time.monotonic() + outage_seconds
                    while time.monotonic() < deadline:
                        beat.kick()  # beat keeps trying; its sends fail while Redis is away
                        time.sleep(0.5)
                    redis.start()
                else:
                    redis.command("FLUSHALL")
                gap_end = time.time()
                retried = drain(beat, scale(90, 600))
                time.sleep(1.0)
            swept = process_pending_delivery_events(older_than=__import__("datetime").timedelta(0))
        finally:
            for worker in workers:
                worker.stop()
            beat.close()
        counts = sink.counts()

    by_status = dict(Message.objects.values_list("status").annotate(n=Count("pk")))
    refs = {m.ref: m.status for m in Message.objects.all()}
    duplicates = sum(n - 1 for n in counts.values() if n > 1)
    lost = [r for r, s in refs.items() if s not in (MessageStatus.SENT, MessageStatus.UNKNOWN)]
    lost += [r for r, s in refs.items() if s == MessageStatus.SENT and r not in counts]
    in_gap = [a for a in prober.answers if gap_start <= a[0] <= gap_end + 1]
    webhook_ok = sum(1 for a in prober.answers if a[1] == "webhook" and 200 <= a[2] < 300)
    events = DeliveryEvent.objects.filter(account=hooks)
    report(
        "broker_outage",
        fault=fault,
        outage_seconds=outage_seconds if fault == "stop" else 0,
        messages=total,
        sent=by_status.get(MessageStatus.SENT, 0),
        unknown=by_status.get(MessageStatus.UNKNOWN, 0),
        retried_after_wait=retried,
        duplicates=duplicates,
        lost=len(lost),
        answers_in_gap={f"{n}:{c}": sum(1 for a in in_gap if (a[1], a[2]) == (n, c)) for n, c in
                        sorted({(a[1], a[2]) for a in in_gap})},
        bad_answers=len(prober.bad()),
        webhooks_accepted=webhook_ok,
        webhook_events_stored=events.count(),
        swept_events=swept,
    )  # fmt: skip
    assert duplicates == 0
    assert not lost
    assert not prober.bad(), prober.bad()[:5]
    if fault == "stop":
        assert any(a[2] == 503 for a in in_gap), "the outage was visible (readyz says 503)"
    assert events.count() == webhook_ok
    assert not events.filter(processed_at__isnull=True).exists()
