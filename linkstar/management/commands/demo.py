from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from linkstar.demo import DemoContext, load_demo


class Command(BaseCommand):
    help = "Create (or refresh) the demo merchants, users and data. Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument("--password", default=settings.DEMO_PASSWORD, help="password for every demo login")

    def handle(self, *args, password, **options):
        ctx = DemoContext(password=password, write=lambda line: self.stdout.write(f"  {line}"))
        with transaction.atomic():
            load_demo(ctx)
        self.stdout.write(self.style.SUCCESS("Demo data ready. Logins:"))
        for who, email, pw in ctx.logins:
            self.stdout.write(f"  {who:<40} {email:<32} {pw}")
