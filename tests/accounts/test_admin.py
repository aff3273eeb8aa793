import pytest
from django.contrib.auth.models import Group

from accounts.models import Merchant
from tests.factories.accounts import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client(client):
    user = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


def test_compliance_group_exists():
    assert Group.objects.filter(name="Compliance").exists()


def test_merchant_user_cannot_open_admin(client_a):
    response = client_a.get("/admin/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_admin_pauses_and_unpauses_a_merchant(superuser_client, alice):
    url = "/admin/accounts/merchant/"
    superuser_client.post(url, {"action": "pause_merchants", "_selected_action": [alice.merchant.pk]})
    alice.merchant.refresh_from_db()
    assert alice.merchant.status == Merchant.Status.PAUSED
    assert alice.merchant.paused_reason
    superuser_client.post(url, {"action": "unpause_merchants", "_selected_action": [alice.merchant.pk]})
    alice.merchant.refresh_from_db()
    assert alice.merchant.status == Merchant.Status.ACTIVE


def test_admin_api_key_pages_never_show_the_secret(superuser_client, alice):
    secret = alice.api_key_plaintext.split("_", 2)[2]
    for url in ["/admin/accounts/apikey/", f"/admin/accounts/apikey/{alice.api_key.pk}/change/"]:
        response = superuser_client.get(url)
        assert response.status_code == 200
        assert secret.encode() not in response.content
        assert alice.api_key.secret_hash.encode() not in response.content


def test_admin_lists_render(superuser_client, alice):
    for url in ["/admin/accounts/merchant/", "/admin/accounts/membership/", "/admin/accounts/user/"]:
        assert superuser_client.get(url).status_code == 200
