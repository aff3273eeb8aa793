"""The base of every inbound webhook: verify first, then read.

Subclasses implement `verify(request, **kwargs)` (raise `WebhookRejected` on a
missing or wrong signature, before parsing anything) and `handle(request,
**kwargs)` (store the event, queue the work, answer fast). Bodies over
`max_body_bytes` are refused before verification. Digests are compared only
with `signatures_match` (constant time).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

logger = logging.getLogger(__name__)


class WebhookRejected(Exception):
    def __init__(self, message: str, status: int = 401):
        super().__init__(message)
        self.message = message
        self.status = status


def signatures_match(expected: str | bytes, given: str | bytes | None) -> bool:
    """Constant-time comparison; a missing signature never matches."""
    if given is None or given == "" or given == b"":
        return False
    if isinstance(expected, str):
        expected = expected.encode()
    if isinstance(given, str):
        given = given.encode()
    return hmac.compare_digest(expected, given)


def hmac_sha256_base64(secret: str | bytes, body: bytes) -> str:
    key = secret.encode() if isinstance(secret, str) else secret
    return base64.b64encode(hmac.new(key, body, hashlib.sha256).digest()).decode("ascii")


def hmac_sha256_hex(secret: str | bytes, body: bytes) -> str:
    key = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(key, body, hashlib.sha256).hexdigest()


@method_decorator(csrf_exempt, name="dispatch")
class VerifiedWebhookView(View):
    http_method_names = ["post"]
    max_body_bytes = 1024 * 1024

    def verify(self, request: HttpRequest, **kwargs) -> None:
        raise WebhookRejected("this endpoint has no verifier", status=500)

    def handle(self, request: HttpRequest, **kwargs) -> HttpResponse:
        return JsonResponse({"status": "ignored"})

    def post(self, request: HttpRequest, **kwargs) -> HttpResponse:
        length = request.META.get("CONTENT_LENGTH") or "0"
        if (length.isdigit() and int(length) > self.max_body_bytes) or len(request.body) > self.max_body_bytes:
            return JsonResponse({"detail": "Request body too large."}, status=413)
        try:
            self.verify(request, **kwargs)
        except WebhookRejected as exc:
            logger.info("webhook rejected at %s: %s", request.path, exc.message)
            return JsonResponse({"detail": exc.message}, status=exc.status)
        return self.handle(request, **kwargs)
