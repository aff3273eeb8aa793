from django.core.management.base import BaseCommand

from linkstar.crypto import generate_key


class Command(BaseCommand):
    help = "Print a new key for FIELD_ENCRYPTION_KEYS (put it first to encrypt with it)."

    def handle(self, *args, **options):
        self.stdout.write(generate_key())
