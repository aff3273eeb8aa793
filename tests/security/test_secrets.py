"""Secrets stay secret: canary credentials never leave their encrypted column.

A merchant's channel account and store connection carry canary credentials. After a real send through
the provider fake, a signed webhook, a refused one, a failed send and a forced server error, the canaries
must not appear in a `pg_dump` of the database, the captured logs, any Redis key or value, admin pages,
API answers or the error page. Key rotation over many rows, killed once mid-run, must resume and leave
every row readable with the new key alone (`SECRETS_ROTATION_ROWS`, 10,000 in `bash scripts/soak`).
"""

from __future__ import annotations

import base64
import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection
from django.test import Client
from django.urls import reverse

from channels.models import ChannelAccount
from linkstar.crypto import Keyring
from tests.conftest import api_client_for, logged_in_client

REPO = Path(__file__).resolve().parents[2]
CANARY_TOKEN = "pm-server-canary-5ecr3t-a1"
CANARY_HOOK = "hooks:pm-hook-canary-5ecr3t-b2"
CANARY_SHOP = "shpat_canary-5ecr3t-c3"
CANARY_APP = "shopify-app-canary-5ecr3t-d4"
CANARIES = [CANARY_TOKEN, CANARY_HOOK.split(":")[1], CANARY_SHOP, CANARY_APP]
ROTATION_ROWS = int(os.environ.get("SECRETS_ROTATION_ROWS", "600"))


def report(**figures):
    sys.__stdout__.write(json.dumps(figures) + "\n")


def leaks(text: str | bytes) -> list[str]:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return [c for c in CANARIES if c in text]


@pytest.fixture(scope="module")
def _provider_fake():
    from channels.fakes.http import FakeProviderServer

    with FakeProviderServer() as server:
        yield server


@pytest.fixture
def secrets_world(alice, _provider_fake):
    from orders.connectors.models import Connection
    from tests.factories.channels import ChannelAccountFactory
    from tests.factories.orders import StoreFactory

    _provider_fake.state.postmark_token = CANARY_TOKEN
    account = ChannelAccountFactory(
        merchant=alice.merchant,
        kind="postmark",
        from_email="shop@merchant.example",
        config={"api_url": _provider_fake.url + "/", "timeout": 2},
        credentials={"server_token": CANARY_TOKEN, "webhook_secret": CANARY_HOOK},
    )
    store = StoreFactory(merchant=alice.merchant)
    connection_row = Connection.objects.create(
        merchant=alice.merchant,
        kind="shopify",
        store=store,
        label="Shop",
        credentials={"shop_domain": "canary.myshopify.com", "access_token": CANARY_SHOP, "app_secret": CANARY_APP},
    )
    return account, connection_row, _provider_fake


def _redis_dump() -> str:
    """Every key and value of every database of the Redis server the broker and cache use, as text."""
    chunks = []
    base = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    databases = int(base.config_get("databases").get("databases", 16))
    for db in range(databases):
        kwargs = base.connection_pool.connection_kwargs
        client = redis.Redis(host=kwargs.get("host", "127.0.0.1"), port=kwargs.get("port", 6379), db=db)
        for key in client.scan_iter(count=500):
            kind = client.type(key).decode()
            readers = {
                "string": lambda c, k: c.get(k),
                "list": lambda c, k: c.lrange(k, 0, -1),
                "hash": lambda c, k: c.hgetall(k),
                "set": lambda c, k: c.smembers(k),
                "zset": lambda c, k: c.zrange(k, 0, -1),
            }
            value = readers.get(kind, lambda c, k: b"")(client, key)
            chunks.append(f"{db} {key!r} {value!r}")
    return "\n".join(chunks)


def _pg_dump() -> str:
    db = connection.settings_dict
    env = {**os.environ, "PGPASSWORD": db.get("PASSWORD") or ""}
    command = ["pg_dump", "--data-only", "-h", db["HOST"] or "127.0.0.1", "-p", str(db["PORT"] or 5432)]
    command += ["-U", db["USER"] or "postgres", db["NAME"]]
    return subprocess.run(command, env=env, capture_output=True, text=True, check=True, timeout=120).stdout


@pytest.mark.django_db(transaction=True)
def test_canary_credentials_never_leave_their_encrypted_columns(secrets_world, alice, caplog, settings):
    from channels import services
    from channels.senders import Outcome
    from tests.channels import payloads
    from tests.factories.accounts import UserFactory
    from tests.factories.channels import outbound

    account, connection_row, fake = secrets_world
    settings.DEBUG = False
    caplog.set_level(logging.DEBUG)

    # A send (the token travels to the provider) ...
    result = services.send_message(account=account, message=outbound(account))
    assert result.outcome == Outcome.ACCEPTED, result
    assert any(CANARY_TOKEN in str(r.headers) for r in fake.state.requests), "the fake saw no token"
    # ... a refused send (the provider answers 401 to a token it does not know) ...
    fake.state.postmark_token = "another-token"
    assert services.send_message(account=account, message=outbound(account)).outcome != Outcome.ACCEPTED
    # ... a webhook with the account's secret and one without ...
    hook = reverse("channels:hook_postmark_tracking", kwargs={"token": account.webhook_token})
    body = json.dumps(payloads.postmark_delivery("ref-1"))
    auth = "Basic " + base64.b64encode(CANARY_HOOK.encode()).decode()
    assert Client().post(hook, body, content_type="application/json", HTTP_AUTHORIZATION=auth).status_code == 200
    assert Client().post(hook, body, content_type="application/json").status_code == 401
    # ... and a server error in a page while the decrypted credentials are a local of the failing frame.
    from channels import views

    def failing_webhook_urls(failing_account):
        credentials = failing_account.credentials  # noqa: F841  (what a debug page would show)
        raise RuntimeError("the webhook address could not be built")

    original = views.webhook_urls
    views.webhook_urls = failing_webhook_urls
    try:
        owner = logged_in_client(alice.owner)
        owner.raise_request_exception = False
        error_page = owner.get(reverse("channels:account_detail", kwargs={"pk": account.pk}))
    finally:
        views.webhook_urls = original
    assert error_page.status_code == 500
    places = {"error page": error_page.content}

    # Admin pages, API answers.
    admin = logged_in_client(UserFactory(is_staff=True, is_superuser=True))
    for url in [
        "/admin/channels/channelaccount/",
        f"/admin/channels/channelaccount/{account.pk}/change/",
        "/admin/orders/connection/",
        f"/admin/orders/connection/{connection_row.pk}/change/",
    ]:
        page = admin.get(url)
        assert page.status_code in (200, 302), (url, page.status_code)
        places[f"admin {url}"] = page.content
    api = api_client_for(alice.api_key_plaintext)
    for url in ["/api/v1/channels/accounts/", f"/api/v1/channels/accounts/{account.pk}/", "/api/v1/stores/"]:
        answer = api.get(url)
        assert answer.status_code == 200, (url, answer.status_code)
        places[f"API {url}"] = answer.content
    # Pages of the merchant itself.
    for name, kwargs in [("channels:account_detail", {"pk": account.pk}), ("orders:connections", None)]:
        places[f"page {name}"] = logged_in_client(alice.owner).get(reverse(name, kwargs=kwargs)).content

    places["logs"] = caplog.text + "\n".join(repr(r.args) + repr(getattr(r, "__dict__", {})) for r in caplog.records)
    from django.core.cache import cache

    cache.set("linkstar-secrets-probe", "seen")  # the scan must find this, or it looked in the wrong place
    places["redis"] = _redis_dump()
    assert "linkstar-secrets-probe" in places["redis"]
    redis_keys = places["redis"].count("\n") + 1 if places["redis"] else 0
    dump = _pg_dump()
    places["pg_dump"] = dump

    found = {where: leaks(text) for where, text in places.items() if leaks(text)}
    assert not found, f"canary credentials leaked: {found}"
    # The dump is of this database and holds the rows, encrypted.
    assert "lse1." in dump and "canary.myshopify.com" not in dump
    report(test="secrets", places_checked=len(places), pg_dump_bytes=len(dump), log_records=len(caplog.records),
           redis_keys=redis_keys)  # fmt: skip


# -- key rotation, killed mid-run ----------------------------------------------------------------------


def _new_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def _rotation_env(keys: list[str]) -> dict[str, str]:
    db = connection.settings_dict
    url = f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    return {**os.environ, "LINKSTAR_ENV_FILE": "/dev/null", "DJANGO_ENV": "test", "DATABASE_URL": url,
            "PGPASSWORD": db.get("PASSWORD") or "", "FIELD_ENCRYPTION_KEYS": ",".join(keys)}  # fmt: skip


def _moved(key_id: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM channels_channelaccount WHERE credentials LIKE %s", [f"lse1.{key_id}.%"])
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_key_rotation_killed_mid_run_resumes_with_every_row_readable(alice, bob, settings):
    old = settings.FIELD_ENCRYPTION_KEYS[0]
    merchants = [alice.merchant, bob.merchant]
    ChannelAccount.objects.bulk_create(
        [
            ChannelAccount(
                merchant=merchants[i % 2], kind="outbox", name=f"rotation {i}", credentials={"token": f"secret-{i}"}
            )  # fmt: skip
            for i in range(ROTATION_ROWS)
        ],
        batch_size=1000,
    )
    new = _new_key()
    new_id = Keyring([new]).primary_id
    command = [sys.executable, "manage.py", "rotate_encryption_keys", "--batch-size", "50"]
    env = _rotation_env([new, old])
    started = time.monotonic()
    process = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    moved_at_kill = 0
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        moved_at_kill = _moved(new_id)
        if moved_at_kill >= max(1, ROTATION_ROWS // 10):
            process.send_signal(signal.SIGKILL)
            break
        time.sleep(0.02)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL, f"the rotation ended before it was killed: {process.returncode}"
    after_kill = _moved(new_id)
    assert 0 < after_kill < ROTATION_ROWS, after_kill

    rerun = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    elapsed = time.monotonic() - started
    assert _moved(new_id) == ROTATION_ROWS

    settings.FIELD_ENCRYPTION_KEYS = [new]  # the old key can go: every row must read with the new one alone
    values = {a.name: a.credentials["token"] for a in ChannelAccount.objects.filter(kind="outbox")}
    assert len(values) == ROTATION_ROWS
    assert all(values[f"rotation {i}"] == f"secret-{i}" for i in range(ROTATION_ROWS))
    report(test="key_rotation", rows=ROTATION_ROWS, moved_before_kill=after_kill, seconds=round(elapsed, 1))
