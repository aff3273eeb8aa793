"""1. Worker kill storm: two real Celery workers dispatch for several merchants while a killer SIGKILLs a
random one every few seconds and restarts it. After the drain: nobody got a message twice (counted at the
SMTP sink by our reference), none was lost (each is `sent`, or `unknown` and listed for the merchant), and
nothing is left `sending` once its lease ran out.
"""

import random
import time

import pytest
from django.db.models import Count

from reviews import planning
from reviews.models import Message, MessageStatus
from reviews.selectors import send_log
from tests.proof.conftest import make_shops
from tests.proof.harness import CeleryWorker, Kicker, RedisServer, Sink, child_env, drain, report, scale

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

LEASE_SECONDS = 3


def test_worker_kill_storm_sends_nothing_twice_and_loses_nothing():
    merchants, orders_each = 3, scale(60, 1000)
    storm_seconds, kill_every = scale(10, 90), scale(2.5, 4.0)
    rng = random.Random(11)
    with Sink(delay=scale(0.1, 0.05)) as sink, RedisServer() as redis:
        shops = make_shops(sink, merchants=merchants, orders_each=orders_each)
        total = planning.plan_due_messages().planned
        assert total == merchants * orders_each
        env = child_env(
            broker=redis.url, cache=redis.cache_url, REVIEWS_LEASE_SECONDS=LEASE_SECONDS, REVIEWS_BATCH_SIZE=10,
            REVIEWS_SEND_CHUNK=5, REVIEWS_WORKER_SECONDS=4, REVIEWS_DISPATCH_LOOPS=2,
        )  # fmt: skip
        workers = [CeleryWorker(env, f"storm{i}").start() for i in range(2)]
        beat = Kicker(redis.url)
        started = time.monotonic()
        next_kill = started + kill_every
        try:
            while time.monotonic() - started < storm_seconds:
                beat.kick()
                if time.monotonic() >= next_kill:
                    victim = rng.choice(workers)
                    victim.kill()
                    victim.start()
                    next_kill = time.monotonic() + kill_every * rng.uniform(0.6, 1.4)
                time.sleep(0.5)
            retried = drain(beat, scale(90, 600))  # beat keeps kicking; silent leases expire into `unknown`
        finally:
            for worker in workers:
                worker.stop()
            beat.close()
        counts = sink.counts()

    by_status = dict(Message.objects.values_list("status").annotate(n=Count("pk")))
    refs = {m.ref: m.status for m in Message.objects.all()}
    duplicates = sum(n - 1 for n in counts.values() if n > 1)
    sent_missing_at_sink = [r for r, s in refs.items() if s == MessageStatus.SENT and r not in counts]
    lost = [r for r, s in refs.items() if s not in (MessageStatus.SENT, MessageStatus.UNKNOWN)]
    unknown = [r for r, s in refs.items() if s == MessageStatus.UNKNOWN]
    shown = sum(send_log(shop.merchant, status=MessageStatus.UNKNOWN).count() for shop in shops)
    report(
        "worker_kill_storm",
        messages=total,
        merchants=merchants,
        kills=sum(w.kills for w in workers),
        storm_seconds=storm_seconds,
        retried_after_wait=retried,
        sent=by_status.get(MessageStatus.SENT, 0),
        unknown=len(unknown),
        unknown_delivered_at_sink=sum(1 for r in unknown if r in counts),
        duplicates=duplicates,
        lost=len(lost) + len(sent_missing_at_sink),
        stuck_sending=by_status.get(MessageStatus.SENDING, 0),
    )
    assert sum(w.kills for w in workers) >= 2
    assert duplicates == 0, {r: n for r, n in counts.items() if n > 1}
    assert not lost and not sent_missing_at_sink
    assert set(counts) <= set(refs), "the sink got a message we do not know"
    assert shown == len(unknown), "every unknown message is listed for its merchant"
    assert by_status.get(MessageStatus.SENT, 0) > 0
