"""Shared fixtures: two merchants (Alice's and Bob's), logged-in clients, API clients.

Sockets are blocked except to 127.0.0.1 (pyproject addopts), so a test that
forgets a local fake fails instead of reaching a real provider.
"""

import os
import re
from importlib import import_module
from pathlib import Path

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from accounts.roles import Role
from tests.factories.accounts import PASSWORD, MembershipFactory, make_api_key
from tests.tenancy import Side, World


def _xdist_index() -> int:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    return int(worker[2:]) if worker.startswith("gw") else 0


@pytest.fixture(scope="session", autouse=True)
def _isolate_redis_per_test_process():
    """Each xdist process gets its own Redis databases, so workers never take each other's tasks."""
    from linkstar.celery import app

    n = _xdist_index()
    broker = settings.CELERY_BROKER_URL
    if broker.startswith("redis://"):
        # Celery reads CELERY_BROKER_URL from the environment before its own settings.
        os.environ["CELERY_BROKER_URL"] = app.conf.broker_url = re.sub(r"/\d+$", f"/{2 + 2 * n}", broker)
    if settings.REDIS_URL:
        settings.CACHES["default"]["LOCATION"] = re.sub(r"/\d+$", f"/{3 + 2 * n}", settings.REDIS_URL)
    # Tasks run in-process unless a test starts a real worker (see tests/linkstar/test_celery.py).
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    cache.clear()
    yield


def _side(tag: str) -> Side:
    membership = MembershipFactory(
        merchant__name=f"{tag.title()} Trading canary-{tag}-7f3a",
        merchant__slug=f"{tag}-trading",
        user__email=f"{tag}@example.test",
        role=Role.OWNER,
    )
    api_key, plaintext = make_api_key(membership.merchant, name=f"key canary-{tag}-7f3a")
    return Side(
        tag=tag, merchant=membership.merchant, owner=membership.user, api_key=api_key, api_key_plaintext=plaintext
    )


@pytest.fixture
def alice(db) -> Side:
    return _side("alice")


@pytest.fixture
def bob(db) -> Side:
    return _side("bob")


@pytest.fixture
def merchant_a(alice):
    return alice.merchant


@pytest.fixture
def merchant_b(bob):
    return bob.merchant


def logged_in_client(user):
    from django.test import Client

    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def log_in(client, email: str, password: str = PASSWORD) -> bool:
    """Logs in through the real login form (and so through the login-attempt limits)."""
    response = client.post("/login/", {"username": email, "password": password})
    return response.status_code == 302


@pytest.fixture
def client_a(alice):
    return logged_in_client(alice.owner)


@pytest.fixture
def client_b(bob):
    return logged_in_client(bob.owner)


def api_client_for(plaintext_key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext_key}")
    return client


@pytest.fixture
def api_a(alice) -> APIClient:
    return api_client_for(alice.api_key_plaintext)


@pytest.fixture
def api_b(bob) -> APIClient:
    return api_client_for(bob.api_key_plaintext)


def _world_populators():
    for path in sorted(Path(__file__).parent.glob("*/tenant_world.py")):
        yield import_module(f"tests.{path.parent.name}.tenant_world").populate


@pytest.fixture
def world(alice, bob) -> World:
    """Alice's and Bob's merchants with identical data from every app."""
    for populate in _world_populators():
        populate(alice)
        populate(bob)
    return World(alice=alice, bob=bob)
