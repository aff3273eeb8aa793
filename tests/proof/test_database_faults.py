"""3. Database faults during dispatch and webhook intake. PostgreSQL itself is shared and never restarted;
instead every connection of the web (gunicorn) and of the two Celery workers runs through an asyncio TCP
proxy (tests/proof/tcp_proxy.py) that adds latency, resets every connection, refuses new ones for a while
and stalls (black hole), and the test terminates every backend on the test database with
`pg_terminate_backend`. Web and workers recover without a restart of their own: 0 lost, 0 duplicates;
the web answers 2xx or 503 with Retry-After, never another 5xx."""

import json
import threading
import time
import uuid

import pytest
import requests
from django.db import connection
from django.db.models import Count
from django.urls import reverse

from channels.models import DeliveryEvent, SentMessage
from channels.services import process_pending_delivery_events
from reviews import planning
from reviews.models import Message, MessageStatus
from tests.channels import payloads
from tests.factories.channels import SentMessageFactory, postmark_account
from tests.proof.conftest import make_shops
from tests.proof.harness import (
    CeleryWorker,
    Gunicorn,
    Kicker,
    RedisServer,
    Sink,
    child_env,
    drain,
    report,
    scale,
    wait_for,
)
from tests.proof.tcp_proxy import TcpProxy

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _terminate_backends() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


class Provider(threading.Thread):
    """Posts each webhook until it gets a 2xx, retrying after a 503 or a dropped connection (as providers do)."""

    def __init__(self, base: str, url: str, bodies: list[dict], deadline: float):
        super().__init__(daemon=True)
        self.base, self.url, self.deadline = base, url, deadline
        self.queue = list(bodies)
        self.answers: list[tuple[int, str]] = []
        self.accepted = 0

    def run(self) -> None:
        session = requests.Session()
        headers = {"Authorization": payloads.basic_auth("hooks:pm-secret"), "Content-Type": "application/json"}
        while self.queue and time.monotonic() < self.deadline:
            body = self.queue.pop(0)
            try:
                response = session.post(self.base + self.url, data=json.dumps(body), headers=headers, timeout=30)
                self.answers.append((response.status_code, response.headers.get("Retry-After", "")))
                ok = 200 <= response.status_code < 300
            except requests.RequestException as exc:
                self.answers.append((-1, type(exc).__name__))
                ok = False
            if ok:
                self.accepted += 1
            else:
                self.queue.append(body)
                time.sleep(0.2)
            time.sleep(0.02)


def test_database_faults_lose_nothing_duplicate_nothing_and_need_no_restart():
    events_n, stall_seconds, rounds = scale(40, 1000), scale(2, 20), scale(1, 4)
    with Sink(delay=scale(0.04, 0.02)) as sink, RedisServer() as redis, TcpProxy("127.0.0.1", 5432) as proxy:
        shops = make_shops(sink, merchants=2, orders_each=scale(40, 1000))
        total = planning.plan_due_messages().planned
        hooks = postmark_account(shops[0].merchant, type("Nowhere", (), {"url": "http://127.0.0.1:9"}))
        refs = [SentMessageFactory(merchant=hooks.merchant, account=hooks, kind="postmark").message_ref
                for _ in range(events_n)]  # fmt: skip
        bodies = [payloads.postmark_delivery(ref, message_id=str(uuid.uuid4())) for ref in refs]
        env = child_env(
            broker=redis.url, cache=redis.cache_url, db_port=proxy.port, REVIEWS_LEASE_SECONDS=4,
            REVIEWS_BATCH_SIZE=10, REVIEWS_SEND_CHUNK=5, REVIEWS_WORKER_SECONDS=4,
        )  # fmt: skip
        hook_url = reverse("channels:hook_postmark_tracking", kwargs={"token": hooks.webhook_token})
        with Gunicorn(env) as web:
            workers = [CeleryWorker(env, f"dbfault{i}").start() for i in range(2)]
            pids = [w.process.pid for w in workers] + [web.process.pid]
            beat = Kicker(redis.url)
            provider = Provider(web.url, hook_url, bodies, deadline=time.monotonic() + scale(120, 900))
            terminated = 0
            try:
                assert wait_for(lambda: beat.kick() and bool(sink.counts()), timeout=60, interval=0.5)
                provider.start()
                for _ in range(rounds):
                    proxy.set_latency(0.05)
                    for _ in range(6):
                        beat.kick()
                        time.sleep(0.5)
                    proxy.set_latency(0.0)
                    proxy.reset_all(refuse=True)  # every connection dies; for two seconds nobody gets in
                    time.sleep(2.0)
                    proxy.accept_again()
                    beat.kick()
                    time.sleep(1.0)
                    terminated += _terminate_backends()
                    beat.kick()
                    time.sleep(1.0)
                    proxy.stall()  # black hole
                    time.sleep(stall_seconds)
                    proxy.resume()
                    beat.kick()
                    time.sleep(1.0)
                retried_later = drain(beat, scale(120, 900))  # a database error sends some back to wait
                provider.join(timeout=scale(120, 900))
                ready = requests.get(web.url + "/readyz", timeout=10).status_code
                alive = all(p.poll() is None for p in [w.process for w in workers] + [web.process])
                same = [w.process.pid for w in workers] + [web.process.pid] == pids
            finally:
                for worker in workers:
                    worker.stop()
                beat.close()
        process_pending_delivery_events(older_than=__import__("datetime").timedelta(0))
        counts = sink.counts()

    by_status = dict(Message.objects.values_list("status").annotate(n=Count("pk")))
    statuses = {m.ref: m.status for m in Message.objects.all()}
    duplicates = sum(n - 1 for n in counts.values() if n > 1)
    lost = [r for r, s in statuses.items() if s not in (MessageStatus.SENT, MessageStatus.UNKNOWN)]
    lost += [r for r, s in statuses.items() if s == MessageStatus.SENT and r not in counts]
    stored = DeliveryEvent.objects.filter(account=hooks)
    twice = stored.values("provider_event_id").annotate(n=Count("pk")).filter(n__gt=1).count()
    bad = [a for a in provider.answers if a[0] >= 500 and not (a[0] == 503 and a[1])]
    answers = {}
    for code, _ in provider.answers:
        answers[str(code)] = answers.get(str(code), 0) + 1
    report(
        "database_faults",
        messages=total,
        rounds=rounds,
        retried_after_wait=retried_later,
        stall_seconds=stall_seconds,
        proxy_resets=proxy.resets,
        backends_terminated=terminated,
        sent=by_status.get(MessageStatus.SENT, 0),
        unknown=by_status.get(MessageStatus.UNKNOWN, 0),
        duplicates=duplicates,
        lost=len(lost),
        webhook_events=events_n,
        webhook_answers=answers,
        webhook_events_stored=stored.count(),
        webhook_events_twice=twice,
        bad_answers=len(bad),
        ready_after=ready,
        restarted=not (alive and same),
    )
    assert duplicates == 0 and not lost
    assert provider.accepted == events_n and stored.count() == events_n and twice == 0
    assert not stored.filter(processed_at__isnull=True).exists()
    assert SentMessage.objects.filter(account=hooks, status="delivered").count() == events_n
    assert not bad, bad[:5]
    assert ready == 200 and alive and same
