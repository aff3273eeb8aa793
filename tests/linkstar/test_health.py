import pytest
from django.db import connections


@pytest.mark.django_db
def test_healthz_answers_without_touching_anything(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db(transaction=True)
def test_readyz_is_ready_with_database_and_broker(client):
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    assert response.json()["checks"] == {"database:default": "ok", "broker": "ok"}


@pytest.mark.django_db(transaction=True)
def test_readyz_is_503_when_the_database_is_unreachable(client):
    connection = connections["default"]
    original_port = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = "1"  # nothing listens there
    try:
        response = client.get("/readyz")
    finally:
        connection.close()
        connection.settings_dict["PORT"] = original_port
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database:default"] == "OperationalError"
    assert response["Retry-After"]


@pytest.mark.django_db(transaction=True)
def test_readyz_is_503_when_the_broker_is_unreachable(client, monkeypatch):
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:1/0")  # nothing listens there
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"] != "ok"
