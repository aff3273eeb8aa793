from django.core.management.base import BaseCommand

from linkstar.periodic import ensure_periodic_tasks


class Command(BaseCommand):
    help = "Create the beat schedule's entries by name; existing entries (and admin edits) are kept."

    def handle(self, *args, **options):
        for name, created in ensure_periodic_tasks():
            self.stdout.write(f"  {'created' if created else 'kept   '} {name}")
