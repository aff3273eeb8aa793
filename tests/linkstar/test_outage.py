"""A database or broker outage is a 503 with Retry-After, never another 5xx."""

import pytest
from django.db import connections

from tests.conftest import api_client_for


@pytest.fixture
def database_down():
    connection = connections["default"]
    original = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = "1"
    yield
    connection.close()
    connection.settings_dict["PORT"] = original


@pytest.mark.django_db(transaction=True)
def test_api_answers_503_with_retry_after_when_the_database_is_down(alice, database_down):
    client = api_client_for(alice.api_key_plaintext)
    client.raise_request_exception = False
    response = client.get("/api/v1/merchant")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json()["detail"]


@pytest.mark.django_db(transaction=True)
def test_pages_answer_503_when_the_database_is_down_in_middleware(alice, database_down):
    from django.test import Client

    client = Client(raise_request_exception=False)
    client.cookies["sessionid"] = "s" * 32  # forces a session lookup in middleware
    response = client.get("/dashboard/")
    assert response.status_code == 503


@pytest.mark.django_db(transaction=True)
def test_queueing_work_while_the_broker_is_down_answers_503(client, monkeypatch):
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:1/0")
    from linkstar.celery import app

    monkeypatch.setitem(app.conf, "task_always_eager", False)
    monkeypatch.setitem(app.conf, "broker_connection_retry", False)
    monkeypatch.setitem(app.conf, "broker_connection_max_retries", 0)
    monkeypatch.setitem(app.conf, "task_publish_retry", False)
    monkeypatch.setattr(app, "_pool", None)  # fresh connection pools that point at the dead broker
    monkeypatch.setattr(app.amqp, "_producer_pool", None)
    client.raise_request_exception = False
    response = client.post(
        "/signup/",
        {"merchant_name": "Outage", "email": "o@example.test", "password": "a-long-enough-pass", "language": "en"},
    )
    assert response.status_code == 503
    assert response["Retry-After"]


@pytest.mark.django_db
def test_api_answers_503_when_the_cache_redis_is_unreachable(alice, settings):
    """The API's rate limits live in Redis; Redis raises its own ConnectionError, which is an outage too."""
    from django.core.cache import caches

    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    }
    client = api_client_for(alice.api_key_plaintext)
    client.raise_request_exception = False
    try:
        response = client.get("/api/v1/merchant")
    finally:
        caches["default"].close()
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
