"""4. Two beats: two beat processes plan and dispatch at once, over a thousand due orders in the soak run (half of them
becoming due while both run). Exactly one message per (campaign, order, step), each sent once."""

import json
import subprocess
import sys
import time

import pytest
from django.db.models import Count

from reviews.models import Message, MessageStatus
from tests.proof.conftest import add_orders, make_shops
from tests.proof.harness import ROOT, Sink, child_env, finish_in_process, report, scale

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_two_beats_plan_and_send_exactly_one_message_per_campaign_order_and_step():
    orders_total, seconds = scale(200, 1000), scale(8, 240)
    with Sink() as sink:
        (shop,) = make_shops(sink, merchants=1, orders_each=orders_total // 2)
        env = child_env(broker="memory://", REVIEWS_BATCH_SIZE=25, REVIEWS_SEND_CHUNK=25)
        beats = [
            subprocess.Popen([sys.executable, "-m", "tests.proof.loops", "beat", str(seconds)], cwd=ROOT, env=env,
                             stdout=subprocess.PIPE, text=True)
            for _ in range(2)
        ]  # fmt: skip
        waves = scale(1, 8)  # the other half becomes due while both beats run
        late = orders_total - orders_total // 2
        for wave in range(waves):
            time.sleep(seconds / (waves + 1))
            add_orders(shop, late // waves + (late % waves if wave == waves - 1 else 0), prefix=f"late{wave}-")
        outputs = [json.loads(b.communicate(timeout=seconds + 120)[0].strip().splitlines()[-1]) for b in beats]
        assert all(b.returncode == 0 for b in beats)
        retried = finish_in_process()
        counts = sink.counts()

    per_key = Message.objects.values("campaign_id", "order_id", "step").annotate(n=Count("pk"))
    twice = [row for row in per_key if row["n"] > 1]
    orders_with_message = Message.objects.values("order_id").distinct().count()
    sent = Message.objects.filter(status=MessageStatus.SENT).count()
    duplicates = sum(n - 1 for n in counts.values() if n > 1)
    report(
        "two_beats",
        orders=orders_total,
        beats=2,
        seconds=seconds,
        retried_after_wait=retried,
        planned_by_beat=[o["planned"] for o in outputs],
        sent_by_beat=[o["sent"] for o in outputs],
        messages=Message.objects.count(),
        keys_twice=len(twice),
        sent=sent,
        delivered_at_sink=len(counts),
        duplicates=duplicates,
    )
    assert not twice
    assert orders_with_message == Message.objects.count() == orders_total
    assert sent == len(counts) == orders_total
    assert duplicates == 0
    assert all(o["planned"] > 0 for o in outputs) or sum(o["planned"] for o in outputs) == orders_total
