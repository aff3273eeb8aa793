from django.core.management.base import BaseCommand

from linkstar.crypto import encrypted_fields, rotate_field


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted field under the first FIELD_ENCRYPTION_KEYS key. "
        "Keep the old keys listed until it finishes; safe to stop and run again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, batch_size, **options):
        total = 0
        for field in encrypted_fields():
            label = f"{field.model._meta.label}.{field.name}"
            changed = 0
            for _last, n in rotate_field(field, batch_size=batch_size):
                changed += n
            total += changed
            self.stdout.write(f"  {label}: {changed} re-encrypted")
        self.stdout.write(self.style.SUCCESS(f"Done: {total} values now under the primary key."))
