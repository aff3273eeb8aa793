"""12. Unsubscribe race: a hundred buyers unsubscribe while two dispatch processes are sending to them.
No send may start (MAIL FROM at the SMTP sink, on the test's clock) after that buyer's unsubscribe committed."""

import random
import threading
import time

import pytest
from django.db import connection

from channels.services import unsubscribe
from channels.unsubscribe import token_for
from reviews import planning
from reviews.models import Message, MessageStatus
from tests.proof.conftest import make_shops
from tests.proof.harness import Loops, Sink, child_env, finish_in_process, report, scale, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_no_send_starts_after_an_unsubscribe_commits():
    racers, others = scale(100, 100), scale(100, 900)
    rng = random.Random(12)
    delay = scale(0.02, 0.01)
    with Sink(delay=delay) as sink:
        (shop,) = make_shops(sink, merchants=1, orders_each=racers + others)
        planning.plan_due_messages()
        messages = list(Message.objects.select_related("buyer").order_by("?"))
        racing = rng.sample(messages, racers)
        tokens = {  # by message reference (a string, as the sink reads it)
            str(m.ref): token_for(merchant_id=m.merchant_id, message_ref=m.ref, channel="email", address=m.buyer.email)
            for m in racing
        }
        loops = Loops("dispatch", 2.0, 2, child_env(broker="memory://", REVIEWS_BATCH_SIZE=20, REVIEWS_SEND_CHUNK=20))
        try:
            assert wait_for(lambda: sink.counts(), timeout=60, interval=0.02), "dispatch did not start"
            committed: dict[str, float] = {}
            errors = []

            lock = threading.Lock()
            pending = set(tokens)

            def next_ref():
                """A racer whose message is in flight (claimed, not yet at the sink), else any racer left."""
                with lock:
                    if not pending:
                        return None
                    seen = sink.counts()
                    in_flight = [
                        ref
                        for ref in Message.objects.filter(
                            message_ref__in=list(pending), status=MessageStatus.SENDING
                        ).values_list("message_ref", flat=True)
                        if str(ref) not in seen
                    ]
                    if not in_flight and loops.running():
                        return ""
                    ref = str(rng.choice(in_flight)) if in_flight else pending.pop()
                    pending.discard(ref)
                    return ref

            def unsubscriber():
                try:
                    while (ref := next_ref()) is not None:
                        if not ref:
                            time.sleep(0.005)
                            continue
                        assert unsubscribe(token=tokens[ref], one_click=True) is not None
                        committed[ref] = time.time()  # the unsubscribe's transaction has committed by now
                except Exception as exc:  # noqa: BLE001  (reported below)
                    errors.append(exc)
                finally:
                    connection.close()

            threads = [threading.Thread(target=unsubscriber) for _ in range(4)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=scale(120, 600))
            assert not errors, errors
            loops.results()
        finally:
            loops.kill()
        retried = finish_in_process()
        starts = {ref: list(times) for ref, times in sink.starts.items()}

    after_commit = [ref for ref, at in committed.items() if any(t > at for t in starts.get(ref, []))]
    before_commit = sum(1 for ref in committed if ref in starts and ref not in after_commit)
    refused = Message.objects.filter(message_ref__in=list(committed)).exclude(status=MessageStatus.SENT).count()
    open_messages = Message.objects.filter(status__in=[MessageStatus.PLANNED, MessageStatus.SENDING]).count()
    report(
        "unsubscribe_race",
        unsubscribes=len(committed),
        messages=racers + others,
        retried_after_wait=retried,
        sent_before_unsubscribe=before_commit,
        refused_after_unsubscribe=refused,
        sends_started_after_commit=len(after_commit),
        duplicates=sum(len(t) - 1 for t in starts.values() if len(t) > 1),
    )
    assert len(committed) == racers
    assert not after_commit, after_commit
    assert refused > 0 and before_commit > 0, "the unsubscribes really raced the dispatch"
    assert open_messages == 0
    assert all(len(t) == 1 for t in starts.values())
