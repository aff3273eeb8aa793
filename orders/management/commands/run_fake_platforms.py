"""Start the local stand-ins of Shopify, WooCommerce, Amazon SP-API (with LWA), AfterShip and 17TRACK for
the demo (the demo stores point at them). They speak the platforms' documented formats on 127.0.0.1."""

from __future__ import annotations

import signal
import threading
from dataclasses import asdict
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from orders.connectors import demo_platforms
from orders.connectors.fakes import FakePlatforms


class Command(BaseCommand):
    help = "Run local fakes of Shopify, WooCommerce, Amazon SP-API, AfterShip and 17TRACK (demo only)."

    def add_arguments(self, parser):
        default = urlsplit(settings.FAKE_PLATFORMS_URL)
        parser.add_argument("--port", type=int, default=default.port or 8765)
        parser.add_argument("--no-seed", action="store_true", help="start with no orders")
        parser.add_argument(
            "--push-every",
            type=int,
            default=0,
            help="every N seconds, send the demo connections a new order by signed webhook and an AfterShip "
            "'delivered' (0: never)",
        )
        parser.add_argument(
            "--keep-running", action="store_true", help="stay up (idle) when the port is taken, as under honcho"
        )

    def handle(self, *args, port: int, no_seed: bool, keep_running: bool, push_every: int, **options):
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_a: stop.set())
        signal.signal(signal.SIGINT, lambda *_a: stop.set())
        try:
            fake = FakePlatforms("127.0.0.1", port)
        except OSError as exc:
            if not keep_running:
                raise CommandError(f"cannot listen on 127.0.0.1:{port}: {exc}") from None
            # Under honcho (command 1) one process exiting stops them all: say why and stay idle instead.
            self.stderr.write(f"fake platforms: cannot listen on 127.0.0.1:{port} ({exc}); demo syncs will fail")
            stop.wait()
            return
        if not no_seed:
            demo_platforms.seed(fake)
        fake.start()
        self.stdout.write(
            f"Fake platforms on {fake.url}: Shopify {fake.url}/shopify, WooCommerce {fake.url}/woo, "
            f"SP-API {fake.url}/amazon (LWA {fake.url}/lwa/auth/o2/token), "
            f"AfterShip {fake.url}/aftership/tracking/2025-01, 17TRACK {fake.url}/17track/track/v2.2"
        )
        self.stdout.write(f"Credentials they accept: {asdict(fake.credentials)}")
        round_no = 0
        while not stop.wait(push_every or None):
            round_no += 1
            for line in demo_platforms.push_webhooks(fake, round_no=round_no):
                self.stdout.write(f"webhook {line}")
        fake.stop()
