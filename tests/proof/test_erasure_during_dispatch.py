"""11. Erasure during dispatch: buyers are erased while their queued messages are being sent. None of
their messages starts at the SMTP sink after the erasure committed, none of their personal data is left in
a pg_dump of the test database, billing totals do not move, and a re-import of the same buyers (another
store of the merchant, the same addresses) sends them nothing."""

import datetime as dt
import random
import subprocess
import threading
import time
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Count, Sum
from django.utils import timezone

from billing.models import UsageRecord
from orders.ingest import upsert_orders
from orders.models import Buyer
from orders.privacy import erase_buyer
from reviews import dispatch, planning
from reviews.models import Message, MessageStatus
from tests.factories.orders import StoreFactory, order_row
from tests.proof.conftest import add_orders, make_shops
from tests.proof.harness import Loops, Sink, child_env, finish_in_process, report, scale, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _pii(index: int) -> dict:
    return {"name": f"Quillon Vexbury{index:03d}", "email": f"erase.me.{index:03d}@privacy.example",
            "phone": f"+1202555{index:04d}"}  # fmt: skip


def _billing_totals() -> tuple:
    totals = UsageRecord.objects.aggregate(n=Count("pk"), amount=Sum("amount"))
    return totals["n"], totals["amount"] or Decimal("0")


def _pg_dump() -> str:
    db = connection.settings_dict
    return subprocess.run(
        ["pg_dump", "-h", db["HOST"] or "127.0.0.1", "-p", str(db["PORT"] or 5432), "-U", db["USER"], "--no-owner",
         "-d", db["NAME"]],
        capture_output=True, text=True, check=True, env={"PGPASSWORD": db.get("PASSWORD") or ""},
    ).stdout  # fmt: skip


def test_erasure_during_dispatch_stops_sends_leaves_no_pii_and_keeps_billing():
    targets, others = scale(20, 100), scale(80, 1000)
    rng = random.Random(11)
    with Sink(delay=scale(0.02, 0.01)) as sink:
        (shop,) = make_shops(sink, merchants=1, orders_each=others)
        erasable = add_orders(shop, targets, prefix="erasable")
        for index, order in enumerate(erasable):  # each target has two queued messages (two orders)
            Buyer.objects.filter(pk=order.buyer_id).update(**_pii(index))
            second = add_orders(shop, 1, prefix=f"second{index}-")[0]
            second.buyer_id = order.buyer_id
            second.save(update_fields=["buyer"])
        buyer_ids = [o.buyer_id for o in erasable]
        planning.plan_due_messages()
        loops = Loops("dispatch", 2.0, 2, child_env(broker="memory://", REVIEWS_BATCH_SIZE=20, REVIEWS_SEND_CHUNK=20))
        committed: dict[int, float] = {}
        errors = []
        lock = threading.Lock()
        pending = set(buyer_ids)

        def next_buyer():
            """A target with a message in flight (claimed, not yet at the sink), else any target left."""
            with lock:
                if not pending:
                    return None
                seen = sink.counts()
                in_flight = [
                    b for b, ref in Message.objects.filter(buyer_id__in=list(pending), status=MessageStatus.SENDING)
                    .values_list("buyer_id", "message_ref") if str(ref) not in seen
                ]  # fmt: skip
                if not in_flight and loops.running():
                    return 0
                buyer = rng.choice(in_flight) if in_flight else pending.pop()
                pending.discard(buyer)
                return buyer

        def eraser():
            try:
                while (buyer_id := next_buyer()) is not None:
                    if not buyer_id:
                        time.sleep(0.005)
                        continue
                    erase_buyer(Buyer.objects.get(pk=buyer_id), reason="proof")
                    committed[buyer_id] = time.time()  # erase_buyer's transaction has committed by now
            except Exception as exc:  # noqa: BLE001  (reported below)
                errors.append(exc)
            finally:
                connection.close()

        try:
            assert wait_for(lambda: sink.counts(), timeout=60, interval=0.02), "dispatch did not start"
            threads = [threading.Thread(target=eraser) for _ in range(3)]
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
        refs_of = {}
        for buyer_id, ref in Message.objects.filter(buyer_id__in=buyer_ids).values_list("buyer_id", "message_ref"):
            refs_of.setdefault(buyer_id, []).append(str(ref))
        after_commit = [
            ref for b, at in committed.items() for ref in refs_of[b] if any(t > at for t in starts.get(ref, []))
        ]
        sent_before = sum(1 for refs in refs_of.values() for ref in refs if ref in starts)

        # billing: what was billed stays billed; erasing buyers whose messages went out changes no total
        before = _billing_totals()
        sent_rows = Message.objects.filter(status=MessageStatus.SENT).count()
        done = list(Message.objects.filter(status=MessageStatus.SENT).exclude(buyer_id__in=buyer_ids)[:5])
        for message in done:
            erase_buyer(message.buyer, reason="proof")
        after = _billing_totals()

        dump = _pg_dump()

        # re-import the erased buyers' addresses into another store of the merchant: nothing goes to them
        delivered = (timezone.now() - dt.timedelta(days=6)).isoformat()
        other_store = StoreFactory(merchant=shop.merchant, name="Second store")
        rows = [
            order_row(f"again-{i}", buyer={"name": p["name"], "email": p["email"], "phone": p["phone"]},
                      delivered_at=delivered, status="delivered")
            for i, p in enumerate(_pii(i) for i in range(targets))
        ]  # fmt: skip
        results = upsert_orders(store=other_store, rows=rows)
        assert all(r.status == "created" for r in results), [r.as_dict() for r in results][:3]
        planning.plan_due_messages()
        dispatch.dispatch_due(max_seconds=30)
        again = {str(r) for r in Message.objects.filter(order__store=other_store).values_list("message_ref", flat=True)}
        reimport_sent = len(again & set(sink.counts()))

    leaked = [value for i in range(targets) for value in _pii(i).values() if value in dump]
    leaked += [m.buyer.email for m in done if m.buyer.email and m.buyer.email in dump]
    report(
        "erasure_during_dispatch",
        erased_buyers=len(committed),
        messages=Message.objects.count(),
        retried_after_wait=retried,
        their_sends_before_erasure=sent_before,
        sends_started_after_erasure=len(after_commit),
        pii_values_in_pg_dump=len(leaked),
        billing_records=before[0],
        billing_unchanged=before == after,
        reimported_orders=len(rows),
        reimport_sends=reimport_sent,
    )
    assert len(committed) == targets
    assert not after_commit, after_commit
    assert not leaked, leaked[:5]
    assert before == after and before[0] >= sent_rows
    assert reimport_sent == 0
    assert Message.objects.filter(order__store=other_store).exists(), "the re-imported orders were planned"
