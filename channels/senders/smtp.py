"""Plain SMTP with the merchant's own server, through Django's SMTP backend.

4xx answers are temporary, 5xx permanent; a connection lost once the message data went out is
`unknown` (the server may have queued it), never resent. One connection serves a whole batch.

Django's backend opens the connection (host, port, STARTTLS or SSL, login); the message itself is
rendered with the standard library's compat32 MIME classes, which is about twice as fast as
EmailMessage.message() and keeps a batch close to what bare smtplib can do (bench/channels_smtp.py).
Header values are checked for CR/LF, as Django does, so no header can be injected.
"""

from __future__ import annotations

import contextlib
import smtplib
import ssl
from email import policy
from email.header import Header
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr, formatdate

from django.core.mail.backends.smtp import EmailBackend
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from .base import (
    AUTH_FAILED,
    CONNECTION_FAILED,
    INVALID_ADDRESS,
    TIMEOUT_AFTER_SEND,
    Channel,
    OutboundMessage,
    Sender,
    SendResult,
)
from .email import email_headers, sender_domain


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


CRLF = policy.compat32.clone(linesep="\r\n")


class UnsendableMessage(ValueError):
    """A header with a line break, or an address SMTP cannot carry."""


def _single_line(value: str) -> str:
    value = str(value)
    if "\n" in value or "\r" in value:
        raise UnsendableMessage(f"line break in header value {value[:40]!r}")
    return value


def _header(value: str) -> str | Header:
    value = _single_line(value)
    return value if value.isascii() else Header(value, "utf-8")


def ascii_address(address: str) -> str:
    local, _, domain = address.strip().rpartition("@")
    if not local or not local.isascii() or any(c in address for c in "\r\n<>,"):
        raise UnsendableMessage(f"cannot send to {address!r} over SMTP")
    try:
        return f"{local}@{domain.encode('idna').decode('ascii')}"
    except UnicodeError as exc:
        raise UnsendableMessage(f"cannot send to {address!r} over SMTP") from exc


def render_mime(account, message: OutboundMessage) -> tuple[str, str, bytes]:
    """(envelope sender, envelope recipient, message bytes with CRLF line ends)."""
    sender, recipient = ascii_address(account.from_email), ascii_address(message.to)
    text = MIMEText(message.text_body, "plain", "utf-8")
    if message.html_body:
        root = MIMEMultipart("alternative")
        root.attach(text)
        root.attach(MIMEText(message.html_body, "html", "utf-8"))
    else:
        root = text
    root["Subject"] = _header(message.subject)
    root["From"] = formataddr((_single_line(account.from_name), sender), charset="utf-8")
    root["To"] = recipient
    if account.reply_to:
        root["Reply-To"] = ascii_address(account.reply_to)
    root["Date"] = formatdate(usegmt=True)
    for name, value in email_headers(account, message).items():
        root[name] = _header(value)
    return sender, recipient, root.as_bytes(policy=CRLF)


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
        try:
            sender, recipient, data = render_mime(self.account, message)
        except UnsendableMessage as exc:
            return SendResult.permanent(INVALID_ADDRESS if "send to" in str(exc) else "invalid_header", str(exc))
        message_id = f"<{message.message_ref}@{sender_domain(self.account)}>"
        connection = self.backend.connection
        try:
            connection.sendmail(sender, [recipient], data)
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
