import pytest

from tests.conftest import api_client_for

pytestmark = pytest.mark.django_db


def test_schema_needs_authentication(client):
    assert client.get("/api/schema/").status_code in (401, 403)


def test_schema_describes_every_api_route_and_the_key_scheme(api_a):
    response = api_a.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert schema["components"]["securitySchemes"]["ApiKey"]["scheme"] == "bearer"
    assert "/api/v1/merchant" in schema["paths"]


def test_docs_pages_are_served_locally_for_a_signed_in_merchant(client_a):
    for url in ["/api/docs/", "/api/redoc/"]:
        response = client_a.get(url)
        assert response.status_code == 200
        body = response.content.decode()
        assert "cdn." not in body and "googleapis" not in body
        assert "unsafe-inline" not in response["Content-Security-Policy"].split("script-src")[1].split(";")[0]


def test_api_key_rate_limit_answers_429_with_retry_after(alice, bob, monkeypatch):
    from rest_framework.throttling import SimpleRateThrottle

    # The throttle reads its rates once at import; patch them for this test only.
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"api": "3/min"})
    client = api_client_for(alice.api_key_plaintext)
    codes = [client.get("/api/v1/merchant").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    limited = client.get("/api/v1/merchant")
    assert int(limited["Retry-After"]) > 0
    # Another merchant's key has its own allowance.
    assert api_client_for(bob.api_key_plaintext).get("/api/v1/merchant").status_code == 200


def test_the_schema_generates_without_warnings_and_validates(tmp_path):
    from django.core.management import call_command

    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--fail-on-warn", "--validate", "--file", str(out))
    assert out.stat().st_size > 1000
