import pytest
from django.db import connection

from accounts.models import ApiKey
from accounts.services import create_api_key, revoke_api_key
from tests.conftest import api_client_for
from tests.factories.accounts import make_api_key

pytestmark = pytest.mark.django_db

MERCHANT_URL = "/api/v1/merchant"


def test_valid_key_reads_its_own_merchant(api_a, alice):
    response = api_a.get(MERCHANT_URL)
    assert response.status_code == 200
    assert response.json()["id"] == alice.merchant.id


@pytest.mark.parametrize(
    "header",
    ["", "Bearer", "Bearer lsk_nope_nope", "Bearer not-a-key", "Token abc", "Bearer a b"],
)
def test_missing_or_wrong_key_is_401(client, alice, header):
    kwargs = {"HTTP_AUTHORIZATION": header} if header else {}
    response = client.get(MERCHANT_URL, **kwargs)
    assert response.status_code == 401
    assert "detail" in response.json()


def test_key_with_right_prefix_but_wrong_secret_is_401(alice):
    prefix = alice.api_key.prefix
    response = api_client_for(f"lsk_{prefix}_{'x' * 43}").get(MERCHANT_URL)
    assert response.status_code == 401


def test_revoked_key_is_401(alice):
    revoke_api_key(api_key=alice.api_key)
    response = api_client_for(alice.api_key_plaintext).get(MERCHANT_URL)
    assert response.status_code == 401


def test_read_only_key_cannot_write(alice):
    _, plaintext = make_api_key(alice.merchant, scope=ApiKey.Scope.READ)
    client = api_client_for(plaintext)
    assert client.get(MERCHANT_URL).status_code == 200
    response = client.patch(MERCHANT_URL, {"name": "Renamed"}, format="json")
    assert response.status_code == 403
    alice.merchant.refresh_from_db()
    assert alice.merchant.name != "Renamed"


def test_write_key_can_update_settings(api_a, alice):
    response = api_a.patch(MERCHANT_URL, {"default_time_zone": "Europe/Berlin"}, format="json")
    assert response.status_code == 200, response.content
    alice.merchant.refresh_from_db()
    assert alice.merchant.default_time_zone == "Europe/Berlin"


def test_invalid_settings_answer_400_with_the_field(api_a):
    response = api_a.patch(MERCHANT_URL, {"default_time_zone": "Mars/Olympus"}, format="json")
    assert response.status_code == 400
    assert "default_time_zone" in response.json()["errors"]


def test_malformed_json_is_400(api_a):
    response = api_a.generic("PATCH", MERCHANT_URL, "{not json", content_type="application/json")
    assert response.status_code == 400


def test_secret_is_not_stored_in_clear(alice):
    new = create_api_key(merchant=alice.merchant, name="ci", scope="read", created_by=None)
    secret_part = new.plaintext.split("_", 2)[2]
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_apikey")
        dump = repr(cursor.fetchall())
    assert secret_part not in dump
    assert new.plaintext not in dump


def test_last_used_is_recorded(api_a, alice):
    assert alice.api_key.last_used_at is None
    api_a.get(MERCHANT_URL)
    alice.api_key.refresh_from_db()
    assert alice.api_key.last_used_at is not None


def test_owner_creates_key_and_sees_it_once(client_a, alice):
    response = client_a.post("/settings/api-keys/", {"name": "ERP", "scope": "write"})
    assert response.status_code == 200
    key = ApiKey.objects.get(merchant=alice.merchant, name="ERP")
    shown = response.context["new_key"].plaintext
    assert shown.startswith(f"lsk_{key.prefix}_")
    assert shown.encode() in response.content
    again = client_a.get("/settings/api-keys/")
    assert shown.encode() not in again.content
    assert api_client_for(shown).get(MERCHANT_URL).status_code == 200


def test_owner_revokes_key_from_the_page(client_a, alice):
    response = client_a.post(f"/settings/api-keys/{alice.api_key.pk}/revoke/")
    assert response.status_code == 302
    assert api_client_for(alice.api_key_plaintext).get(MERCHANT_URL).status_code == 401
