"""Benchmark: the real dispatch path against django-post_office and a bare smtplib ceiling, one SMTP sink.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/linkstar_bench python bench/dispatch.py \
        [--messages 20000] [--workers 4] [--batch 500] [--chunk 100]

1. Starts an aiosmtpd sink in its own process; it counts every message by its `X-Linkstar-Ref` header.
2. Creates a throw-away PostgreSQL database, N orders delivered six days ago, an approved email template,
   a funded wallet, an SMTP channel account pointing at the sink and an active campaign, and plans them
   (`plan_due_messages`, untimed).
3. **Linkstar**: `--workers` processes each run `reviews.dispatch.dispatch_due` (claim with SKIP LOCKED,
   checks, render, `authorize_send`, send over one connection per batch, record attempt + usage + status);
   timed from the moment they are released until the last one finds nothing due. Duplicates and lost
   messages are counted at the sink by message reference.
4. **django-post_office**: the same N emails (same subject, bodies and reference header) queued with
   `send_many` (untimed), then `send_queued(processes=--workers)` with one thread (one connection) each.
5. **Ceiling**: `--workers` processes with bare `smtplib`, one connection each, building each message with
   the standard library (the same parts and headers) and sending it.

Prints one JSON line. The machine is shared: run it more than once and keep the best honest runs.
"""

import argparse
import json
import multiprocessing
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("LINKSTAR_ENV_FILE", "/dev/null")
os.environ.setdefault("FIELD_ENCRYPTION_KEYS", "YmVuY2gta2V5LTAwMDAwMDAwMDAwMDAwMDAwMDAwMDA=")
os.environ.setdefault("CELERY_BROKER_URL", "memory://")
os.environ["DJANGO_SETTINGS_MODULE"] = "dispatch_settings"

REF = b"X-Linkstar-Ref: "


# --- the sink (its own process) ------------------------------------------------------------------------


def _sink_main(conn) -> None:
    import logging
    from collections import Counter

    from aiosmtpd.controller import Controller

    logging.getLogger("mail.log").setLevel(logging.WARNING)
    counts: Counter = Counter()

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            data = envelope.original_content or b""
            start = data.find(REF)
            if start >= 0:
                end = data.find(b"\r\n", start)
                counts[data[start + len(REF) : end].strip().decode()] += 1
            else:
                counts["<no reference>"] += 1
            return "250 OK"

    class PortZero(Controller):
        def _trigger_server(self):
            self.port = self.server.sockets[0].getsockname()[1]
            return super()._trigger_server()

    controller = PortZero(Handler(), hostname="127.0.0.1", port=0, decode_data=False)
    controller.start()
    conn.send(controller.port)
    while True:
        command = conn.recv()
        if command == "reset":
            counts.clear()
            conn.send("ok")
        elif command == "dump":
            conn.send(dict(counts))
        else:
            controller.stop()
            conn.send("stopped")
            return


# --- workers (spawned processes) ---------------------------------------------------------------------------


def _linkstar_worker(env: dict, go, results) -> None:
    os.environ.update(env)
    import django

    django.setup()
    from django.db import connection

    from reviews.dispatch import dispatch_due, warm_up

    connection.ensure_connection()
    warm_up()  # what a Celery worker process does at start (worker_process_init)
    go.wait()
    sent = 0
    while True:
        part = dispatch_due(max_seconds=3600)
        sent += part.sent
        if not part.claimed:
            break
    results.put(sent)


def _bare_worker(env: dict, port: int, jobs: list, go, results) -> None:
    import smtplib
    from email import policy
    from email.mime.multipart import MIMEMultipart
    from email.mime.text import MIMEText
    from email.utils import formatdate

    crlf = policy.compat32.clone(linesep="\r\n")
    client = smtplib.SMTP("127.0.0.1", port)
    go.wait()
    for to, subject, text, html, headers in jobs:
        message = MIMEMultipart("alternative")
        message["From"], message["To"], message["Subject"] = "care@bench.example", to, subject
        message["Date"] = formatdate(usegmt=True)
        for name, value in headers.items():
            message[name] = value
        message.attach(MIMEText(text, "plain", "utf-8"))
        message.attach(MIMEText(html, "html", "utf-8"))
        client.sendmail("care@bench.example", [to], message.as_bytes(policy=crlf))
    client.quit()
    results.put(len(jobs))


def _run_processes(target, args_list) -> float:
    ctx = multiprocessing.get_context("spawn")
    go, results = ctx.Event(), ctx.Queue()
    processes = [ctx.Process(target=target, args=(*args, go, results)) for args in args_list]
    for p in processes:
        p.start()
    time.sleep(3.0)  # let every process import Django and connect before the clock starts
    started = time.perf_counter()
    go.set()
    done = [results.get(timeout=3600) for _ in processes]
    elapsed = time.perf_counter() - started
    for p in processes:
        p.join(timeout=60)
    return elapsed, sum(done)


# --- the scenario ------------------------------------------------------------------------------------------


def setup_data(n: int, sink_port: int):
    import datetime as dt
    from decimal import Decimal

    from django.utils import timezone

    from accounts.models import Merchant, User
    from billing import services as billing
    from billing.models import BudgetCap, Price, PriceBook
    from channels.models import ChannelAccount
    from orders.models import Buyer, Order, Store
    from reviews import services as reviews
    from reviews.planning import plan_due_messages
    from templates_review import services as templates
    from templates_review.starters import STARTERS_BY_KEY

    now = timezone.now()
    merchant = Merchant.objects.create(name="Bench", slug="bench-dispatch")
    reviewer = User.objects.create_user("reviewer@bench.example", is_staff=True)
    starter = STARTERS_BY_KEY["review-email-en"]
    version = templates.create_template(
        merchant=merchant, name="Review", purpose="review_request", channel="email", marketplace="own_site",
        locale="en", content=templates.Content(subject=starter["subject"], body_text=starter["body_text"],
                                               body_html=starter["body_html"]), user=None,
    )  # fmt: skip
    templates.submit_version(version=version, user=None)
    templates.approve_version(version=version, reviewer=reviewer)
    book = PriceBook.objects.create(version=1, name="bench", effective_from=now - dt.timedelta(days=1))
    for cls in ("marketing", "utility"):
        Price.objects.create(price_book=book, channel="email", country="*", message_class=cls, unit_price="0.001")
    BudgetCap.objects.create(merchant=merchant, allowed_countries=["US"], countries_follow_stores=False)
    billing.top_up(merchant=merchant, amount=Decimal("100000"), reason="bench")
    store = Store.objects.create(merchant=merchant, name="Bench store", postal_address="1 Bench Road, Hong Kong")
    account = ChannelAccount.objects.create(
        merchant=merchant, kind="smtp", name="Sink", from_email="care@bench.example", from_name="Bench",
        config={"host": "127.0.0.1", "port": sink_port, "security": "none", "timeout": 30}, credentials={},
    )  # fmt: skip
    delivered = now - dt.timedelta(days=6)
    buyers = Buyer.objects.bulk_create(
        [
            Buyer(merchant=merchant, store=store, key=f"id:{i}", name=f"Buyer {i}", first_name="Sam",
                  email=f"buyer{i}@example.com", email_hash=f"{i:064x}", country="US", language="en",
                  time_zone="UTC")
            for i in range(n)
        ],
        batch_size=2000,
    )  # fmt: skip
    Order.objects.bulk_create(
        [
            Order(merchant=merchant, store=store, buyer=b, external_id=f"B-{i}", number=f"#{i}", currency="USD",
                  total="30.00", ship_country="US", placed_at=delivered - dt.timedelta(days=3), delivered_at=delivered)
            for i, b in enumerate(buyers)
        ],
        batch_size=2000,
    )  # fmt: skip
    campaign = reviews.create_campaign(
        merchant=merchant, user=None,
        data={"name": "Bench", "message_class": "utility", "window_start": dt.time(0), "window_end": dt.time(23, 59),
              "min_gap_hours": 0, "cap_messages": 10},
        steps=[{"country": "*", "position": 0, "channel": "email", "account": account}],
    )  # fmt: skip
    reviews.set_campaign_status(campaign=campaign, status="active")
    planned = plan_due_messages().planned
    assert planned == n, planned  # noqa: S101
    return merchant, account


def post_office_jobs(n: int):
    """The same emails as ours (subject, both bodies, reference header), rendered once, untimed."""
    from channels.models import ChannelAccount
    from channels.senders.email import email_headers
    from reviews.dispatch import _outbound
    from reviews.models import Message

    account = ChannelAccount.objects.get(name="Sink")
    sample = (
        Message.objects.select_related("campaign", "order__store", "buyer", "campaign__merchant")
        .prefetch_related("order__items")
        .first()
    )
    from templates_review.models import TemplateVersion

    version = TemplateVersion.objects.get(status="approved")
    outbound = _outbound(sample, channel="email", account=account, address=sample.buyer.email, version=version)
    headers = {k: v for k, v in email_headers(account, outbound).items() if k != "Message-ID"}
    jobs = []
    for i in range(n):
        ref = f"po-{i:08d}"
        jobs.append((f"buyer{i}@example.com", outbound.subject, outbound.text_body, outbound.html_body,
                     {**headers, "X-Linkstar-Ref": ref}))  # fmt: skip
    return jobs


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--chunk", type=int, default=100)
    args = parser.parse_args()
    n, workers = args.messages, args.workers
    os.environ["BENCH_MESSAGES"] = str(n)
    os.environ["REVIEWS_BATCH_SIZE"] = str(args.batch)
    os.environ["REVIEWS_SEND_CHUNK"] = str(args.chunk)

    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    sink = ctx.Process(target=_sink_main, args=(child,), daemon=True)
    sink.start()
    port = parent.recv()
    os.environ["EMAIL_URL"] = f"smtp://127.0.0.1:{port}"

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit("set DATABASE_URL to a PostgreSQL server: SKIP LOCKED is part of what is measured")
    creation = connection.creation
    creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    db = settings.DATABASES["default"]
    child_env = {
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "EMAIL_URL": os.environ["EMAIL_URL"],
        "REVIEWS_BATCH_SIZE": os.environ["REVIEWS_BATCH_SIZE"],
        "REVIEWS_SEND_CHUNK": os.environ["REVIEWS_SEND_CHUNK"],
    }
    try:
        setup_data(n, port)
        from reviews.models import Message

        expected = {m for m in Message.objects.values_list("message_ref", flat=True)}
        jobs = post_office_jobs(n)
        connection.close()

        # 1. Linkstar
        parent.send("reset")
        parent.recv()
        linkstar_s, _sent = _run_processes(_linkstar_worker, [(child_env,) for _ in range(workers)])
        parent.send("dump")
        counts = parent.recv()
        expected_refs = {str(e) for e in expected}  # once: rebuilt per reference it made this step O(N²)
        ours = {ref: c for ref, c in counts.items() if ref in expected_refs}
        duplicates = sum(c - 1 for c in ours.values() if c > 1)
        lost = len(expected) - len(ours)
        # what became of the messages that did not go out (e.g. an SMTP timeout: retrying later, or unknown)
        from django.db.models import Count

        not_sent = {
            f"{row['status']}:{row['reason_code']}": row["n"]
            for row in Message.objects.exclude(status="sent").values("status", "reason_code").annotate(n=Count("pk"))
        }

        # 2. django-post_office
        from post_office import mail

        mail.send_many(
            [
                {"recipients": [to], "sender": "care@bench.example", "subject": subject, "message": text,
                 "html_message": html, "headers": headers}
                for to, subject, text, html, headers in jobs
            ]
        )  # fmt: skip
        connection.close()
        parent.send("reset")
        parent.recv()
        started = time.perf_counter()
        po_sent, po_failed, _requeued = mail.send_queued(processes=workers)
        post_office_s = time.perf_counter() - started
        parent.send("dump")
        po_counts = parent.recv()

        # 3. bare smtplib, the same number of connections
        parent.send("reset")
        parent.recv()
        shares = [jobs[i::workers] for i in range(workers)]
        ceiling_s, _n = _run_processes(_bare_worker, [(child_env, port, share) for share in shares])
        parent.send("dump")
        ceiling_counts = parent.recv()
    finally:
        connection.close()
        creation.destroy_test_db(creation.connection.settings_dict["NAME"].removeprefix("test_"), verbosity=0)
        parent.send("stop")
        parent.recv()

    linkstar_rate = n / linkstar_s
    post_office_rate = n / post_office_s
    ceiling_rate = n / ceiling_s
    print(
        json.dumps(
            {
                "bench": "dispatch",
                "messages": n,
                "workers": workers,
                "linkstar_msgs_per_s": round(linkstar_rate, 1),
                "post_office_msgs_per_s": round(post_office_rate, 1),
                "sink_ceiling_msgs_per_s": round(ceiling_rate, 1),
                "ratio_vs_post_office": round(linkstar_rate / post_office_rate, 3),
                "ratio_vs_ceiling": round(linkstar_rate / ceiling_rate, 3),
                "duplicates": duplicates,
                "lost": lost,
                "linkstar_not_sent": not_sent,
                "post_office_delivered": sum(po_counts.values()),
                "ceiling_delivered": sum(ceiling_counts.values()),
            }
        )
    )


if __name__ == "__main__":
    main()
