import pytest

from accounts.models import ApiKey, Membership
from accounts.roles import Role, role_allows
from tests.conftest import logged_in_client
from tests.factories.accounts import MembershipFactory

pytestmark = pytest.mark.django_db


def test_roles_are_ranked():
    assert role_allows(Role.OWNER, Role.ADMIN)
    assert role_allows(Role.ADMIN, Role.OPERATOR)
    assert role_allows(Role.OPERATOR, Role.VIEWER)
    assert not role_allows(Role.VIEWER, Role.OPERATOR)
    assert not role_allows(Role.ADMIN, Role.OWNER)


@pytest.fixture
def viewer_client(alice):
    membership = MembershipFactory(merchant=alice.merchant, role=Role.VIEWER)
    return logged_in_client(membership.user)


@pytest.mark.parametrize("url", ["/settings/", "/settings/members/", "/settings/api-keys/"])
def test_viewer_cannot_open_admin_or_owner_pages(viewer_client, url):
    assert viewer_client.get(url).status_code == 403


def test_viewer_sees_the_dashboard_without_owner_links(viewer_client):
    response = viewer_client.get("/dashboard/")
    assert response.status_code == 200
    assert b"/settings/api-keys/" not in response.content


def test_viewer_cannot_revoke_a_key(viewer_client, alice):
    response = viewer_client.post(f"/settings/api-keys/{alice.api_key.pk}/revoke/")
    assert response.status_code == 403
    assert ApiKey.objects.get(pk=alice.api_key.pk).revoked_at is None


def test_admin_can_edit_settings_but_not_members(alice):
    client = logged_in_client(MembershipFactory(merchant=alice.merchant, role=Role.ADMIN).user)
    assert client.get("/settings/").status_code == 200
    assert client.get("/settings/members/").status_code == 403


def test_viewer_session_cannot_write_through_the_api(viewer_client):
    response = viewer_client.patch("/api/v1/merchant", {"name": "x"}, content_type="application/json")
    assert response.status_code == 403


def test_last_owner_cannot_be_demoted_or_removed(client_a, alice):
    own = Membership.objects.get(merchant=alice.merchant, user=alice.owner)
    client_a.post(f"/settings/members/{own.pk}/role/", {f"m{own.pk}-role": "viewer"})
    client_a.post(f"/settings/members/{own.pk}/remove/")
    own.refresh_from_db()
    assert own.role == Role.OWNER


def test_owner_adds_a_new_member_who_gets_a_set_password_link(
    client_a, alice, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_a.post("/settings/members/", {"email": "new@example.test", "role": "operator"})
    assert response.status_code == 302
    membership = Membership.objects.get(merchant=alice.merchant, user__email="new@example.test")
    assert membership.role == Role.OPERATOR
    assert len(mailoutbox) == 1
    assert "/password-reset/" in mailoutbox[0].body


def test_member_of_two_merchants_switches_between_them(alice, bob):
    person = MembershipFactory(merchant=alice.merchant, role=Role.VIEWER).user
    MembershipFactory(merchant=bob.merchant, user=person, role=Role.VIEWER)
    client = logged_in_client(person)
    assert alice.merchant.name.encode() in client.get("/dashboard/").content
    client.post("/switch-merchant/", {"merchant_id": bob.merchant.pk})
    assert bob.merchant.name.encode() in client.get("/dashboard/").content


def test_switching_to_a_merchant_one_is_not_a_member_of_does_nothing(client_a, alice, bob):
    client_a.post("/switch-merchant/", {"merchant_id": bob.merchant.pk})
    page = client_a.get("/dashboard/").content
    assert alice.merchant.name.encode() in page
    assert bob.merchant.name.encode() not in page
