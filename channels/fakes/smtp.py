"""A local SMTP server (aiosmtpd) that accepts, refuses or drops mail on demand.

Modes (for the whole server, or per recipient by local part):
- accept: 250, the message is kept in `messages`
- tempfail: 451 after DATA (a 4xx: retry later)
- permfail: 550 at RCPT (a 5xx: never again)
- drop: the connection is closed right after the message data, with no answer (outcome unknown)

Recipients `tempfail@…`, `reject@…` and `drop@…` pick the mode for one message, so a merchant can
try each answer with the test-send button.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from linkstar.webhooks import signatures_match

# aiosmtpd logs every envelope (addresses) at INFO; a fake has no business filling logs with them.
logging.getLogger("mail.log").setLevel(logging.WARNING)

MODES = ("accept", "tempfail", "permfail", "drop")
ADDRESS_MODES = {"tempfail": "tempfail", "reject": "permfail", "drop": "drop"}


@dataclass
class ReceivedMail:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes


class _Handler:
    def __init__(self, server: FakeSmtpServer):
        self.server = server

    def _mode_for(self, address: str) -> str:
        local = address.partition("@")[0].lower()
        return ADDRESS_MODES.get(local, self.server.mode)

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        self.server.connections += 1
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self._mode_for(address) == "permfail":
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        modes = {self._mode_for(a) for a in envelope.rcpt_tos}
        if "drop" in modes:
            server.transport.abort()  # the data arrived; the answer never does
            return "421 closing"
        if "tempfail" in modes:
            return "451 4.3.0 Try again later"
        if not self.server.keep_messages:
            self.server.count += 1
            return "250 OK"
        with self.server.lock:
            self.server.messages.append(ReceivedMail(envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
            self.server.count += 1
        return "250 OK queued"


class _Authenticator:
    def __init__(self, server: FakeSmtpServer):
        self.server = server

    def __call__(self, smtp, session, envelope, mechanism, auth_data):
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        expected = self.server.credentials
        given = (auth_data.login.decode(), auth_data.password.decode())
        ok = expected is None or all([signatures_match(given[0], expected[0]), signatures_match(given[1], expected[1])])
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)


class _PortZeroController(Controller):
    """aiosmtpd's controller, able to bind port 0 (the OS picks a free port)."""

    def _trigger_server(self):
        self.port = self.server.sockets[0].getsockname()[1]
        return super()._trigger_server()


class FakeSmtpServer:
    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, mode: str = "accept", keep_messages: bool = True):
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        self.mode = mode
        self.keep_messages = keep_messages
        self.messages: list[ReceivedMail] = []
        self.count = 0
        self.connections = 0
        self.credentials: tuple[str, str] | None = None
        self.lock = threading.Lock()
        self.controller = _PortZeroController(
            _Handler(self),
            hostname=host,
            port=port,
            authenticator=_Authenticator(self),
            auth_require_tls=False,
            auth_required=False,
            data_size_limit=10 * 1024 * 1024,
        )

    @property
    def host(self) -> str:
        return self.controller.hostname

    @property
    def port(self) -> int:
        return self.controller.port

    def start(self) -> FakeSmtpServer:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def __enter__(self) -> FakeSmtpServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
