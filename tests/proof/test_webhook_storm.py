"""5. Webhook storm: for each provider (Postmark, Mailgun, Twilio) a thousand signed events in the soak run,
each posted three times, all shuffled together and sent by concurrent threads to a live server. Exactly one
stored event (one effect) per event id, no 5xx, and no message's status ever moves backwards, as sampled
while the storm runs."""

import hashlib
import hmac
import random
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import pytest
import requests
from django.db import connection
from django.db.models import Count
from django.urls import reverse

from channels.models import DeliveryEvent, SentMessage
from tests.channels import payloads
from tests.factories.accounts import MerchantFactory
from tests.factories.channels import (
    TWILIO_TOKEN,
    SentMessageFactory,
    mailgun_account,
    postmark_account,
    twilio_account,
)
from tests.proof.harness import report, scale

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

NOWHERE = SimpleNamespace(url="http://127.0.0.1:9")  # the accounts' API base; nothing is sent here
RANK = SentMessage.RANK


def _hook(account, provider, name="tracking"):
    return reverse(f"channels:hook_{provider}_{name}", kwargs={"token": account.webhook_token})


def _mailgun(ref, event, event_id):
    body = payloads.mailgun_event(ref, event=event, event_id=event_id)
    timestamp, token = str(int(time.time())), uuid.uuid4().hex
    signature = hmac.new(b"mg-signing-key", f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    body["signature"] = {"timestamp": timestamp, "token": token, "signature": signature}
    return body


def _requests(base: str, merchant, per_provider: int) -> tuple[list[dict], dict]:
    """One request description per event: (method, url, json or form, headers, provider, event id)."""
    postmark = postmark_account(merchant, NOWHERE)
    mailgun = mailgun_account(merchant, NOWHERE)
    twilio = twilio_account(merchant, NOWHERE)
    events, refs = [], {}
    for _ in range(per_provider):  # Postmark: one delivery per message (deduplicated by content)
        sent = SentMessageFactory(merchant=merchant, account=postmark, kind="postmark")
        refs[sent.message_ref] = "delivered"
        events.append({"provider": "postmark", "id": f"pm:{sent.message_ref}", "url": _hook(postmark, "postmark"),
                       "json": payloads.postmark_delivery(sent.message_ref),
                       "headers": {"Authorization": payloads.basic_auth("hooks:pm-secret")}})  # fmt: skip
    for _ in range(per_provider // 2):  # Mailgun: delivered, then opened
        sent = SentMessageFactory(merchant=merchant, account=mailgun, kind="mailgun")
        refs[sent.message_ref] = "delivered"
        for name in ("delivered", "opened"):
            event_id = uuid.uuid4().hex[:22]
            events.append({"provider": "mailgun", "id": event_id, "url": _hook(mailgun, "mailgun"),
                           "json": _mailgun(sent.message_ref, name, event_id), "headers": {}})  # fmt: skip
    for _ in range(per_provider // 2):  # Twilio: sent, then delivered (status callbacks)
        sid = "SM" + uuid.uuid4().hex
        sent = SentMessageFactory(merchant=merchant, account=twilio, kind="twilio_sms", channel="sms",
                                  provider_message_id=sid, status=SentMessage.Status.QUEUED)  # fmt: skip
        refs[sent.message_ref] = "delivered"
        url = _hook(twilio, "twilio", "status") + f"?ref={sent.message_ref}"
        for status in ("sent", "delivered"):
            form = {"MessageSid": sid, "MessageStatus": status, "To": "+14155552671", "From": "+15005550006",
                    "AccountSid": "AC" + "0" * 32}  # fmt: skip
            events.append({"provider": "twilio", "id": f"{sid}:{status}", "url": url, "form": form,
                           "headers": {"X-Twilio-Signature": payloads.twilio_signature(TWILIO_TOKEN, base + url, form),
                                       "I-Twilio-Idempotency-Token": f"{sid}:{status}"}})  # fmt: skip
    return events, refs


def test_webhook_storm_stores_one_effect_per_event_and_never_moves_a_status_back(live_server, settings):
    settings.PUBLIC_BASE_URL = live_server.url  # Twilio signs the URL it called
    per_provider = scale(60, 1000)
    merchant = MerchantFactory(name="Storm", slug="storm")
    events, refs = _requests(live_server.url, merchant, per_provider)
    replays = [e for e in events for _ in range(3)]
    random.Random(5).shuffle(replays)

    regressions, samples = [], [0]
    stop = threading.Event()

    def watch():
        last: dict[str, int] = {}
        try:
            while not stop.is_set():
                for ref, status in SentMessage.objects.filter(merchant=merchant).values_list("message_ref", "status"):
                    if RANK[status] < last.get(ref, -1):
                        regressions.append((ref, status))
                    last[ref] = max(last.get(ref, -1), RANK[status])
                samples[0] += 1
                time.sleep(0.05)
        finally:
            connection.close()

    local = threading.local()

    def post(event):
        session = getattr(local, "session", None) or requests.Session()
        local.session = session
        url = live_server.url + event["url"]
        if "json" in event:
            response = session.post(url, json=event["json"], headers=event["headers"], timeout=30)
        else:
            response = session.post(url, data=event["form"], headers=event["headers"], timeout=30)
        return event["provider"], response.status_code

    watcher = threading.Thread(target=watch)
    watcher.start()
    started = time.monotonic()
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            answers = list(pool.map(post, replays))
    finally:
        stop.set()
        watcher.join(timeout=30)
    elapsed = time.monotonic() - started

    statuses = Counter(code for _p, code in answers)
    stored = Counter(DeliveryEvent.objects.filter(merchant=merchant).values_list("provider", flat=True))
    per_id = DeliveryEvent.objects.filter(merchant=merchant).values("provider", "provider_event_id")
    twice = per_id.annotate(n=Count("pk")).filter(n__gt=1).count()
    final = Counter(SentMessage.objects.filter(merchant=merchant).values_list("status", flat=True))
    expected = Counter(e["provider"] for e in events)
    report(
        "webhook_storm",
        events=dict(expected),
        requests=len(replays),
        requests_per_s=round(len(replays) / elapsed, 1),
        answers=dict(statuses),
        stored=dict(stored),
        ids_stored_twice=twice,
        status_regressions=len(regressions),
        samples=samples[0],
        final_statuses=dict(final),
    )
    assert not [code for code in statuses if code >= 500]
    assert twice == 0
    assert stored == expected, (stored, expected)
    assert not regressions, regressions[:5]
    assert final == Counter({"delivered": len(refs)})
