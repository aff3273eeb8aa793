"""Email through an ESP's HTTP API with django-anymail, built per message with the merchant's own keys.

Each sender builds its anymail backend from the account (never from global settings), keeps one
HTTP session (or boto3 client) across a batch, puts our message reference in anymail metadata and
maps anymail's exceptions and `anymail_status` to outcomes.
"""

from __future__ import annotations

import contextlib
from typing import ClassVar

import requests
from anymail.exceptions import (
    AnymailAPIError,
    AnymailError,
    AnymailInvalidAddress,
    AnymailRecipientsRefused,
    AnymailRequestsAPIError,
)
from anymail.message import AnymailMessage
from django.conf import settings
from django.core.mail import get_connection
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from .base import (
    AUTH_FAILED,
    CONNECTION_FAILED,
    INVALID_ADDRESS,
    RATE_LIMITED,
    TIMEOUT_AFTER_SEND,
    Channel,
    OutboundMessage,
    Sender,
    SendResult,
)
from .email import METADATA_REF_KEY, build_email


def url_overrides_allowed() -> bool:
    return bool(getattr(settings, "CHANNELS_PROVIDER_URL_OVERRIDES", False))


class AnymailSender(Sender):
    """Base of the ESP senders: subclasses name the backend and turn the account into its kwargs."""

    channel = Channel.EMAIL
    backend_path: ClassVar[str]
    webhooks = ("tracking", "inbound")

    def __init__(self, account):
        super().__init__(account)
        self.connection = None

    def backend_kwargs(self) -> dict:
        """Keyword arguments for anymail's backend: the merchant's keys and settings."""
        return {}

    @sensitive_variables("kwargs")
    def _connection(self):
        kwargs = self.backend_kwargs()
        if self.backend_path != AmazonSesSender.backend_path:
            kwargs["timeout"] = float(self.config.get("timeout") or 20)
        return get_connection(self.backend_path, fail_silently=False, **kwargs)

    def open(self) -> None:
        if self.connection is None:
            self.connection = self._connection()
            self.connection.open()
        super().open()

    def close(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(AnymailError, requests.RequestException, OSError):
                self.connection.close()
        self.connection = None
        super().close()

    def send(self, message: OutboundMessage) -> SendResult:
        wrong = self.check_channel(message)
        if wrong:
            return wrong
        try:
            if self.connection is None:
                self.open()
        except (AnymailError, requests.RequestException, OSError, ValueError) as exc:
            return SendResult.temporary(CONNECTION_FAILED, f"{self.label}: {exc}")
        email = build_email(self.account, message, connection=self.connection, cls=AnymailMessage)
        email.metadata = {**message.metadata, METADATA_REF_KEY: message.message_ref}
        email.tags = [message.message_class] if message.message_class else []
        try:
            email.send()
        except AnymailRecipientsRefused as exc:
            return self._refused(email, exc)
        except AnymailInvalidAddress as exc:
            return SendResult.permanent(INVALID_ADDRESS, str(exc))
        except AnymailRequestsAPIError as exc:
            return self.classify_requests_error(exc)
        except AnymailAPIError as exc:
            return self.classify_api_error(exc)
        except AnymailError as exc:
            return SendResult.permanent("anymail_error", str(exc))
        return self._from_status(email)

    # -- outcome mapping ---------------------------------------------------------
    def _from_status(self, email) -> SendResult:
        status = email.anymail_status
        recipient = next(iter(status.recipients.values()), None) if status.recipients else None
        state = recipient.status if recipient is not None else next(iter(status.status or {"unknown"}))
        message_id = (recipient.message_id if recipient is not None else status.message_id) or ""
        if state in {"sent", "queued", "scheduled"}:
            return SendResult.ok(message_id)
        if state == "invalid":
            return SendResult.permanent(INVALID_ADDRESS, f"{self.label} reports the address as invalid")
        if state == "rejected":
            return SendResult.permanent("rejected", f"{self.label} rejected the recipient")
        if state == "failed":
            return SendResult.permanent("failed", f"{self.label} reports the message failed")
        return SendResult.unknown("unknown_status", f"{self.label} answered with status {state!r}", message_id)

    def _refused(self, email, exc) -> SendResult:
        statuses = {r.status for r in email.anymail_status.recipients.values()} if email.anymail_status else set()
        if "invalid" in statuses:
            return SendResult.permanent(INVALID_ADDRESS, str(exc).splitlines()[0])
        return SendResult.permanent("rejected", str(exc).splitlines()[0])

    def classify_requests_error(self, exc: AnymailRequestsAPIError) -> SendResult:
        if isinstance(exc, requests.Timeout) and not isinstance(exc, requests.ConnectTimeout):
            return SendResult.unknown(TIMEOUT_AFTER_SEND, f"{self.label}: no answer in time")
        if isinstance(exc, requests.ConnectionError):
            return SendResult.temporary(CONNECTION_FAILED, f"{self.label}: {exc.describe_cause() or exc}")
        return self.classify_http(exc.status_code or 0, self.error_body(exc), str(exc))

    def classify_api_error(self, exc: AnymailAPIError) -> SendResult:
        return SendResult.permanent("api_error", str(exc))

    @staticmethod
    def error_body(exc) -> dict:
        try:
            data = exc.response.json()
        except (AttributeError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def classify_http(self, status: int, body: dict, text: str) -> SendResult:
        first_line = text.splitlines()[0] if text else ""
        detail = body.get("Message") or body.get("message") or first_line
        if status in (401, 403):
            return SendResult.permanent(AUTH_FAILED, f"{self.label} refused the credentials: {detail}")
        if status == 429:
            return SendResult.temporary(RATE_LIMITED, f"{self.label}: {detail}")
        if status >= 500 or status == 0:
            return SendResult.temporary(f"http_{status}", f"{self.label}: {detail}")
        return SendResult.permanent(f"http_{status}", f"{self.label}: {detail}")


class PostmarkSender(AnymailSender):
    kind = "postmark"
    label = _("Postmark")
    provider = "postmark"
    backend_path = "anymail.backends.postmark.EmailBackend"
    description = _("Postmark server token; tracking and inbound webhooks per account.")

    # https://postmarkapp.com/developer/api/overview#error-codes
    TEMPORARY_CODES = {405: "account_out_of_credits", 429: RATE_LIMITED}
    AUTH_CODES = {10}

    def backend_kwargs(self) -> dict:
        kwargs = {"server_token": self.credentials.get("server_token", "")}
        if self.config.get("message_stream"):
            kwargs["message_stream"] = self.config["message_stream"]
        if url_overrides_allowed() and self.config.get("api_url"):
            kwargs["api_url"] = self.config["api_url"]
        return kwargs

    def classify_http(self, status: int, body: dict, text: str) -> SendResult:
        code = body.get("ErrorCode")
        if code in self.AUTH_CODES:
            return SendResult.permanent(AUTH_FAILED, f"Postmark: {body.get('Message', '')}")
        if code == 406:
            return SendResult.permanent("inactive_recipient", f"Postmark: {body.get('Message', '')}")
        if code == 300:
            return SendResult.permanent(INVALID_ADDRESS, f"Postmark: {body.get('Message', '')}")
        if code in self.TEMPORARY_CODES:
            return SendResult.temporary(self.TEMPORARY_CODES[code], f"Postmark: {body.get('Message', '')}")
        if status == 422 and code is not None:
            return SendResult.permanent(f"postmark_{code}", f"Postmark: {body.get('Message', '')}")
        return super().classify_http(status, body, text)


class MailgunSender(AnymailSender):
    kind = "mailgun"
    label = _("Mailgun")
    provider = "mailgun"
    backend_path = "anymail.backends.mailgun.EmailBackend"
    description = _("Mailgun API key and sending domain (US or EU region).")

    REGION_URLS = {"us": "https://api.mailgun.net/v3", "eu": "https://api.eu.mailgun.net/v3"}

    def backend_kwargs(self) -> dict:
        kwargs = {
            "api_key": self.credentials.get("api_key", ""),
            "api_url": self.REGION_URLS.get(self.config.get("region", "us"), self.REGION_URLS["us"]),
        }
        if self.config.get("sender_domain"):
            kwargs["sender_domain"] = self.config["sender_domain"]
        if url_overrides_allowed() and self.config.get("api_url"):
            kwargs["api_url"] = self.config["api_url"]
        return kwargs

    def classify_http(self, status: int, body: dict, text: str) -> SendResult:
        # https://documentation.mailgun.com/docs/mailgun/api-reference/ (400: "'to' parameter is not a valid address")
        if status == 400 and "not a valid address" in str(body.get("message", "")):
            return SendResult.permanent(INVALID_ADDRESS, f"Mailgun: {body['message']}")
        return super().classify_http(status, body, text)


class AmazonSesSender(AnymailSender):
    kind = "amazon_ses"
    label = _("Amazon SES")
    provider = "amazon_ses"
    backend_path = "anymail.backends.amazon_ses.EmailBackend"
    description = _("Amazon SES v2 with an IAM access key; tracking and inbound through SNS.")

    # SESv2 error names (https://docs.aws.amazon.com/ses/latest/APIReference-V2/CommonErrors.html and SendEmail)
    TEMPORARY_ERRORS = {
        "TooManyRequestsException",
        "LimitExceededException",
        "ThrottlingException",
        "ServiceUnavailable",
        "InternalFailure",
        "SendingPausedException",
    }
    AUTH_ERRORS = {
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "SignatureDoesNotMatch",
        "AccessDeniedException",
        "IncompleteSignature",
        "MissingAuthenticationToken",
    }

    @sensitive_variables("session_params")
    def backend_kwargs(self) -> dict:
        session_params = {
            "aws_access_key_id": self.credentials.get("access_key_id", ""),
            "aws_secret_access_key": self.credentials.get("secret_access_key", ""),
            "region_name": self.config.get("region", "us-east-1"),
        }
        # Retries are ours to decide (a retried send could deliver twice).
        timeout = float(self.config.get("timeout") or 20)
        client_params = {
            "config": {
                "retries": {"total_max_attempts": 1},
                "connect_timeout": min(timeout, 10),
                "read_timeout": timeout,
            }
        }
        if url_overrides_allowed() and self.config.get("api_url"):
            client_params["endpoint_url"] = self.config["api_url"]
        kwargs = {"session_params": session_params, "client_params": client_params}
        if self.config.get("configuration_set"):
            kwargs["configuration_set_name"] = self.config["configuration_set"]
        return kwargs

    def classify_api_error(self, exc: AnymailAPIError) -> SendResult:
        from botocore.exceptions import (
            ConnectTimeoutError,
            EndpointConnectionError,
            ReadTimeoutError,
        )

        cause = exc.__cause__
        if isinstance(cause, ReadTimeoutError):
            return SendResult.unknown(TIMEOUT_AFTER_SEND, "Amazon SES: no answer in time")
        if isinstance(cause, EndpointConnectionError | ConnectTimeoutError):
            return SendResult.temporary(CONNECTION_FAILED, f"Amazon SES: {cause}")
        response = exc.response if isinstance(exc.response, dict) else {}
        error = response.get("Error", {})
        name = error.get("Code", "")
        status = response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        detail = f"Amazon SES: {name} {error.get('Message', '')}".strip()
        if name in self.AUTH_ERRORS or status in (401, 403):
            return SendResult.permanent(AUTH_FAILED, detail)
        if name in self.TEMPORARY_ERRORS or status == 429 or status >= 500:
            return SendResult.temporary(name or f"http_{status}", detail)
        if not name and not status:
            return SendResult.temporary(CONNECTION_FAILED, f"Amazon SES: {exc}")
        return SendResult.permanent(name or f"http_{status}", detail)
