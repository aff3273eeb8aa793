"""Import a Shopify store's orders of the last N days through the Admin API (Link-header pagination)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from orders.connectors import services
from orders.connectors.base import PlatformError
from orders.models import Connection


class Command(BaseCommand):
    help = "Import the last N days of orders of a Shopify connection (by connection id or store id)."

    def add_arguments(self, parser):
        parser.add_argument("connection", type=int, help="connection id (see the Connections page)")
        parser.add_argument("--days", type=int, default=30)

    def handle(self, *args, connection: int, days: int, **options):
        if not 1 <= days <= 365:
            raise CommandError("--days must be between 1 and 365")
        found = Connection.objects.filter(pk=connection, kind="shopify").first()
        if found is None:
            raise CommandError(f"no Shopify connection with id {connection}")
        try:
            result = services.poll_connection(connection_id=found.pk, backfill_days=days)
        except PlatformError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(result.summary())
        for error in result.errors[:20]:
            self.stdout.write(f"  rejected {error['external_id']}: {error['errors']}")
