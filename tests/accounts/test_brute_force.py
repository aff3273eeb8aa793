import pytest

from tests.conftest import log_in
from tests.factories.accounts import PASSWORD

pytestmark = pytest.mark.django_db


def test_account_is_locked_after_five_failures_even_with_the_right_password(client, alice):
    for _ in range(5):
        assert not log_in(client, alice.owner.email, "wrong-password")
    response = client.post("/login/", {"username": alice.owner.email, "password": PASSWORD})
    assert response.status_code == 429
    assert b"Too many failed" in response.content


def test_forged_forwarded_for_does_not_reset_the_count(client, alice):
    for n in range(5):
        client.post(
            "/login/",
            {"username": alice.owner.email, "password": "wrong"},
            HTTP_X_FORWARDED_FOR=f"203.0.113.{n}",
        )
    response = client.post(
        "/login/", {"username": alice.owner.email, "password": PASSWORD}, HTTP_X_FORWARDED_FOR="198.51.100.7"
    )
    assert response.status_code == 429


def test_a_success_before_the_limit_resets_the_count(client, alice):
    for _ in range(4):
        log_in(client, alice.owner.email, "wrong")
    assert log_in(client, alice.owner.email, PASSWORD)
    client.post("/logout/")
    for _ in range(4):
        log_in(client, alice.owner.email, "wrong")
    assert log_in(client, alice.owner.email, PASSWORD)
