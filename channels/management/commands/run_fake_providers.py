"""Start the local provider fakes for the demo: an SMTP sink and one HTTP server speaking the
Twilio, Postmark, Mailgun, Amazon SES, Login with Amazon / SP-API (Solicitations, Messaging), SNS,
Google OAuth + FCM HTTP v1 and Web Push formats.

    python manage.py run_fake_providers            # SMTP on CHANNELS_FAKES_PORT, HTTP on the next port
    python manage.py run_fake_providers --seconds 5

The demo's channel accounts point at these ports, so the test-send button works with no provider;
Twilio's fake posts signed status callbacks back to PUBLIC_BASE_URL like Twilio does.
"""

import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run local fakes of the email, SMS/WhatsApp and Amazon providers (development and the demo only)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=settings.CHANNELS_FAKES_PORT, help="SMTP port; HTTP is +1")
        parser.add_argument("--seconds", type=float, default=0, help="stop after this many seconds (0: until Ctrl-C)")
        parser.add_argument("--no-callbacks", action="store_true", help="do not post Twilio status callbacks")

    def handle(self, *args, host, port, seconds, no_callbacks, **options):
        from channels.fakes.http import FakeProviderServer
        from channels.fakes.smtp import FakeSmtpServer

        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())

        running = []
        try:
            smtp = FakeSmtpServer(host=host, port=port).start()
            running.append(smtp)
            self.stdout.write(f"SMTP sink        smtp://{host}:{smtp.port}  (reject@, tempfail@, drop@ pick an answer)")
        except OSError as exc:
            self.stderr.write(f"SMTP sink not started on {host}:{port}: {exc}")
        try:
            http = FakeProviderServer(host=host, port=port + 1).start()
            http.state.send_callbacks = not no_callbacks
            running.append(http)
            self.stdout.write(
                f"Provider APIs    {http.url}  (Twilio, Postmark, Mailgun, SES, SP-API, SNS, FCM, web push)"
            )
        except OSError as exc:
            self.stderr.write(f"Provider fake not started on {host}:{port + 1}: {exc}")
        if not running:
            self.stderr.write("Nothing to run.")
            stop.wait(seconds or None)  # stay up so a Procfile does not stop its siblings
            return
        stop.wait(seconds or None)
        for server in running:
            server.stop()
        self.stdout.write("Fake providers stopped.")
