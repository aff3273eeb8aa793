from django.core.management.base import BaseCommand, CommandError

from billing.services import check_books


class Command(BaseCommand):
    help = "Prove every wallet agrees with its ledger, reservations and spend counters; fails if one does not."

    def handle(self, *args, **options):
        problems = check_books()
        for merchant_id, found in problems.items():
            for problem in found:
                self.stderr.write(f"merchant {merchant_id}: {problem}")
        if problems:
            raise CommandError(f"{len(problems)} merchant(s) with books that disagree")
        self.stdout.write(self.style.SUCCESS("The books agree."))
