"""Plain SMTP with the merchant's own server, through Django's SMTP backend.

4xx answers are temporary, 5xx permanent; a connection lost once the message data went out is
`unknown` (the server may have queued it), never resent. One connection serves a whole batch.
"""

from __future__ import annotations

import contextlib
import smtplib
import ssl

from django.core.mail.backends.smtp import EmailBackend
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from .base import (
    AUTH_FAILED,
    CONNECTION_FAILED,
    TIMEOUT_AFTER_SEND,
    Channel,
    OutboundMessage,
    Sender,
    SendResult,
)
from .email import build_email


class _DataTracking:
    """Remembers whether DATA was started on this connection's current message."""

    data_started = False

    def mail(self, *args, **kwargs):
        self.data_started = False
        return super().mail(*args, **kwargs)

    def data(self, msg):
        self.data_started = True
        return super().data(msg)


class TrackingSMTP(_DataTracking, smtplib.SMTP):
    pass


class TrackingSMTPSSL(_DataTracking, smtplib.SMTP_SSL):
    pass


class TrackingEmailBackend(EmailBackend):
    @property
    def connection_class(self):
        return TrackingSMTPSSL if self.use_ssl else TrackingSMTP


def classify_smtp_code(code: int, text: str, *, stage: str) -> SendResult:
    detail = f"{stage}: {code} {text}"
    if code == 535 or code == 534:
        return SendResult.permanent(AUTH_FAILED, detail)
    if 400 <= code < 500:
        return SendResult.temporary(f"smtp_{code}", detail)
    return SendResult.permanent(f"smtp_{code}", detail)


def _text(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


class SmtpSender(Sender):
    kind = "smtp"
    label = _("SMTP server")
    channel = Channel.EMAIL
    provider = "smtp"
    description = _("Your own mail server or any provider's SMTP relay.")

    def __init__(self, account):
        super().__init__(account)
        self.backend: TrackingEmailBackend | None = None

    @sensitive_variables("password")
    def _backend(self) -> TrackingEmailBackend:
        config = self.config
        security = config.get("security", "starttls")
        password = self.credentials.get("password") or None
        return TrackingEmailBackend(
            host=config.get("host", "localhost"),
            port=int(config.get("port") or 587),
            username=self.credentials.get("username") or None,
            password=password,
            use_tls=security == "starttls",
            use_ssl=security == "ssl",
            timeout=float(config.get("timeout") or 20),
            fail_silently=False,
        )

    def open(self) -> None:
        if self.backend is None:
            self.backend = self._backend()
        super().open()

    def close(self) -> None:
        if self.backend is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self.backend.close()
        self.backend = None
        super().close()

    def _connect(self) -> SendResult | None:
        if self.backend is None:
            self.backend = self._backend()
        if self.backend.connection is not None:
            return None
        try:
            self.backend.open()
        except smtplib.SMTPAuthenticationError as exc:
            return classify_smtp_code(exc.smtp_code, _text(exc.smtp_error), stage="login")
        except smtplib.SMTPNotSupportedError as exc:
            return SendResult.permanent("smtp_not_supported", f"connect: {exc}")
        except smtplib.SMTPResponseException as exc:
            return classify_smtp_code(exc.smtp_code, _text(exc.smtp_error), stage="connect")
        except ssl.SSLError as exc:
            return SendResult.permanent("tls_failed", f"connect: {exc}")
        except (smtplib.SMTPException, OSError) as exc:
            self.backend.connection = None
            return SendResult.temporary(CONNECTION_FAILED, f"connect: {exc or type(exc).__name__}")
        return None

    def _drop_connection(self) -> None:
        if self.backend is not None and self.backend.connection is not None:
            with contextlib.suppress(OSError):
                self.backend.connection.close()
            self.backend.connection = None

    def send(self, message: OutboundMessage) -> SendResult:
        wrong = self.check_channel(message)
        if wrong:
            return wrong
        refused = self._connect()
        if refused is not None:
            return refused
        email = build_email(self.account, message, connection=self.backend)
        message_id = email.extra_headers["Message-ID"]
        connection = self.backend.connection
        try:
            self.backend.send_messages([email])
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()), (550, b"recipient refused"))
            return classify_smtp_code(code, _text(text), stage="RCPT")
        except smtplib.SMTPResponseException as exc:
            stage = "DATA" if getattr(connection, "data_started", False) else "MAIL"
            return classify_smtp_code(exc.smtp_code, _text(exc.smtp_error), stage=stage)
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            after_data = getattr(connection, "data_started", False)
            self._drop_connection()
            if after_data:
                return SendResult.unknown(TIMEOUT_AFTER_SEND, f"connection lost after DATA: {exc or 'closed'}")
            return SendResult.temporary(CONNECTION_FAILED, f"connection lost before DATA: {exc or 'closed'}")
        except smtplib.SMTPException as exc:
            return SendResult.permanent("smtp_error", str(exc))
        return SendResult.ok(message_id)
