"""The deployment gate: production settings pass Django's deploy checks, and every page carries the headers.

Headers on every merchant page (the tenant matrix's page routes) and every API answer: a CSP whose
script-src has a nonce and no 'unsafe-inline', nosniff, frame denial, a referrer policy, and
`Cache-Control: no-store` wherever a merchant is signed in or a key is used. HSTS and the HTTPS redirect
are checked in a process started with production settings.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

from tests.conftest import api_client_for, logged_in_client
from tests.test_tenant_matrix import ROUTES

pytestmark = pytest.mark.django_db

REPO = Path(__file__).resolve().parents[2]
PAGE_ROUTES = [r for r in ROUTES if r.kind == "list" and not r.is_api]
API_ROUTES = [r for r in ROUTES if r.kind == "list" and r.is_api]

PRODUCTION_PROBE = """
import json, django
django.setup()
from io import StringIO
from django.core.management import call_command
from django.test import Client
out = StringIO()
call_command("check", deploy=True, fail_level="WARNING", stdout=out, stderr=out)
from django.test.utils import override_settings
client = Client(HTTP_HOST="linkstar.example.com")
plain_storage = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
with override_settings(STORAGES={"default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
                                 "staticfiles": plain_storage}):  # no collectstatic manifest in a checkout
    secure = client.get("/login/", secure=True)
    plain = client.get("/login/")
print(json.dumps({"check": out.getvalue(), "secure": dict(secure.headers), "secure_status": secure.status_code,
                  "plain_status": plain.status_code, "plain_location": plain.headers.get("Location", ""),
                  "session_cookie_secure": __import__("django.conf").conf.settings.SESSION_COOKIE_SECURE}))
"""


def _script_src(policy: str) -> str:
    return next((d for d in policy.split(";") if d.strip().startswith("script-src")), "")


def assert_security_headers(response, where: str, *, private: bool) -> None:
    policy = response.get("Content-Security-Policy", "")
    script_src = _script_src(policy)
    if response.get("Content-Type", "").startswith("text/html"):
        assert "'nonce-" in script_src, f"{where}: no nonce in script-src: {policy!r}"
        assert "unsafe-inline" not in script_src, f"{where}: unsafe-inline scripts allowed"
        assert "frame-ancestors 'none'" in policy, where
    assert response.get("X-Content-Type-Options") == "nosniff", where
    assert response.get("X-Frame-Options") == "DENY", where
    assert response.get("Referrer-Policy") == "same-origin", where
    if private:
        assert "no-store" in response.get("Cache-Control", ""), f"{where}: {response.get('Cache-Control')!r}"


def test_production_settings_pass_the_deploy_check_and_send_hsts(tmp_path):
    env = {
        **os.environ,
        "LINKSTAR_ENV_FILE": "/dev/null",
        "DJANGO_ENV": "production",
        "DJANGO_SETTINGS_MODULE": "linkstar.settings",
        "SECRET_KEY": "x" * 20 + "production-probe-secret-key-0123456789abcdefghijklmnop",
        "ALLOWED_HOSTS": "linkstar.example.com",
        "PUBLIC_BASE_URL": "https://linkstar.example.com",
    }
    run = subprocess.run(
        [sys.executable, "-c", PRODUCTION_PROBE], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr[-3000:]
    probe = json.loads(run.stdout.strip().splitlines()[-1])
    assert "System check identified no issues" in probe["check"], probe["check"]
    headers = probe["secure"]
    assert probe["secure_status"] == 200
    hsts = headers.get("Strict-Transport-Security", "")
    assert "max-age=31536000" in hsts and "includeSubDomains" in hsts, hsts
    assert "'nonce-" in _script_src(headers["Content-Security-Policy"])
    assert "unsafe-inline" not in _script_src(headers["Content-Security-Policy"])
    assert headers["X-Frame-Options"] == "DENY" and headers["X-Content-Type-Options"] == "nosniff"
    assert probe["plain_status"] == 301 and probe["plain_location"].startswith("https://")
    assert probe["session_cookie_secure"] is True


def test_every_merchant_page_and_api_answer_carries_the_security_headers_and_is_not_stored(world):
    page_client = logged_in_client(world.alice.owner)
    api = api_client_for(world.alice.api_key_plaintext)
    for route in PAGE_ROUTES + API_ROUTES:
        url = reverse(route.name, kwargs=route.kwargs(world) if route.kwargs else None)
        response = (api if route.is_api else page_client).get(url)
        assert response.status_code == 200, f"{url}: {response.status_code}"
        assert_security_headers(response, url, private=True)
    assert len(PAGE_ROUTES) >= 10 and len(API_ROUTES) >= 5


def test_public_pages_carry_the_security_headers(client):
    for url in ["/login/", "/signup/", "/password-reset/"]:
        response = client.get(url)
        if response.status_code == 404:
            continue
        assert_security_headers(response, url, private=False)
