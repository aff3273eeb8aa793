"""Login caps that a forged X-Forwarded-For cannot get around (per-account ones: tests/accounts)."""

import pytest

from tests.factories.accounts import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_one_address_guessing_many_accounts_is_locked_whatever_it_claims_to_forward(client):
    victims = [UserFactory(email=f"victim{n}@example.test") for n in range(6)]
    for n, victim in enumerate(victims[:5]):
        response = client.post(
            "/login/",
            {"username": victim.email, "password": "guess"},
            HTTP_X_FORWARDED_FOR=f"203.0.113.{n}",
            HTTP_X_REAL_IP=f"198.51.100.{n}",
        )
        # The form again with its error; the fifth failure already answers with the lock-out page.
        assert response.status_code == (429 if n == 4 else 200)
    # A sixth account, even with its right password and yet another forwarded address: the address is locked.
    response = client.post(
        "/login/", {"username": victims[5].email, "password": PASSWORD}, HTTP_X_FORWARDED_FOR="192.0.2.99"
    )
    assert response.status_code == 429
    # Another client address is not affected.
    from django.test import Client

    other = Client(REMOTE_ADDR="192.0.2.200")
    assert other.post("/login/", {"username": victims[5].email, "password": PASSWORD}).status_code == 302
