import json

import pytest
from django.http import JsonResponse
from django.test import RequestFactory

from linkstar.webhooks import VerifiedWebhookView, WebhookRejected, hmac_sha256_base64, signatures_match


class SignedView(VerifiedWebhookView):
    max_body_bytes = 100
    handled: list = []

    def verify(self, request, **kwargs):
        if not signatures_match(hmac_sha256_base64("s3cret", request.body), request.headers.get("X-Sig")):
            raise WebhookRejected("bad signature")

    def handle(self, request, **kwargs):
        self.handled.append(json.loads(request.body))
        return JsonResponse({"status": "ok"})


@pytest.fixture
def post():
    SignedView.handled = []
    factory = RequestFactory()

    def _post(body: bytes, signature: str | None):
        headers = {"HTTP_X_SIG": signature} if signature is not None else {}
        request = factory.post("/hook", body, content_type="application/json", **headers)
        return SignedView.as_view()(request)

    return _post


def test_good_signature_is_handled(post):
    body = b'{"a": 1}'
    assert post(body, hmac_sha256_base64("s3cret", body)).status_code == 200
    assert SignedView.handled == [{"a": 1}]


@pytest.mark.parametrize("signature", [None, "", "bm9wZQ==", hmac_sha256_base64("other", b'{"a": 1}')])
def test_missing_or_wrong_signature_is_401_and_not_read(post, signature):
    assert post(b'{"a": 1}', signature).status_code == 401
    assert SignedView.handled == []


def test_one_changed_byte_is_rejected(post):
    signature = hmac_sha256_base64("s3cret", b'{"a": 1}')
    assert post(b'{"a": 2}', signature).status_code == 401


def test_oversize_body_is_413_before_verification(post):
    body = b'{"a": "' + b"x" * 200 + b'"}'
    assert post(body, hmac_sha256_base64("s3cret", body)).status_code == 413
    assert SignedView.handled == []


def test_signatures_match_refuses_empty():
    assert not signatures_match("", "")
    assert not signatures_match("abc", None)
    assert signatures_match("abc", "abc")
