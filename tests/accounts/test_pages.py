import re

import pytest
from django.core import mail

from accounts.models import Membership, User
from accounts.roles import Role
from tests.conftest import log_in
from tests.factories.accounts import PASSWORD

pytestmark = pytest.mark.django_db


def test_sign_up_creates_merchant_and_owner_and_logs_in(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/signup/",
            {
                "merchant_name": "Shenzhen Sunrise",
                "full_name": "Wang Wei",
                "email": "Wang@Example.test",
                "password": "a-long-enough-pass",
                "language": "zh-hans",
            },
        )
    assert response.status_code == 302
    membership = Membership.objects.get(user__email="wang@example.test")
    assert membership.role == Role.OWNER
    assert membership.merchant.default_language == "zh-hans"
    assert client.get("/dashboard/").status_code == 200
    assert len(mail.outbox) == 1


def test_sign_up_with_an_existing_email_is_a_form_error(client, alice):
    response = client.post(
        "/signup/",
        {"merchant_name": "X", "email": alice.owner.email, "password": "a-long-enough-pass", "language": "en"},
    )
    assert response.status_code == 200
    assert "email" in response.context["form"].errors


def test_sign_up_with_a_weak_password_is_a_form_error(client):
    response = client.post(
        "/signup/", {"merchant_name": "X", "email": "x@example.test", "password": "1234567890", "language": "en"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors
    assert not User.objects.filter(email="x@example.test").exists()


def test_login_and_logout(client, alice):
    response = client.post("/login/", {"username": alice.owner.email, "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/dashboard/").status_code == 200
    client.post("/logout/")
    assert client.get("/dashboard/").status_code == 302


def test_wrong_password_is_refused(client, alice):
    response = client.post("/login/", {"username": alice.owner.email, "password": "nope"})
    assert response.status_code == 200
    assert response.context["form"].errors


def test_dashboard_needs_login(client):
    response = client.get("/dashboard/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_password_reset_by_email(client, alice):
    client.post("/password-reset/", {"email": alice.owner.email})
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/]+(/password-reset/\S+/)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    set_url = form_page.redirect_chain[-1][0]
    response = client.post(set_url, {"new_password1": "brand-new-passw0rd", "new_password2": "brand-new-passw0rd"})
    assert response.status_code == 302
    assert log_in(client, alice.owner.email, "brand-new-passw0rd")


def test_page_renders_in_chinese_after_switching_language(client_a, alice):
    response = client_a.post("/language/", {"language": "zh-hans", "next": "/dashboard/"}, follow=True)
    assert response.status_code == 200
    assert "仪表板".encode() in response.content
    alice.owner.refresh_from_db()
    assert alice.owner.language == "zh-hans"


def test_language_falls_back_to_merchant_then_browser(client, alice):
    alice.merchant.default_language = "zh-hans"
    alice.merchant.save()
    assert log_in(client, alice.owner.email, PASSWORD)
    assert "仪表板".encode() in client.get("/dashboard/").content
    anonymous = client.__class__()
    page = anonymous.get("/login/", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9")
    assert "登录".encode() in page.content


def test_language_switch_refuses_offsite_redirects(client):
    response = client.post("/language/", {"language": "en", "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_private_pages_are_not_cached(client_a):
    response = client_a.get("/dashboard/")
    assert "no-store" in response["Cache-Control"]
