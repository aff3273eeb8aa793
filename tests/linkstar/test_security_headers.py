import pytest

pytestmark = pytest.mark.django_db


def test_pages_carry_a_nonce_csp_without_unsafe_inline(client_a):
    response = client_a.get("/dashboard/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    nonce = policy.split("'nonce-")[1].split("'")[0]
    assert f'nonce="{nonce}"'.encode() in response.content


def test_pages_deny_framing_and_sniffing(client):
    response = client.get("/login/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_no_inline_scripts_in_pages(client_a):
    body = client_a.get("/dashboard/").content.decode()
    for chunk in body.split("<script")[1:]:
        tag = chunk.split(">")[0]
        assert "src=" in tag, "inline <script> found"
