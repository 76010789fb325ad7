from django.core.management.base import BaseCommand

from om_portal import audit


class Command(BaseCommand):
    help = "Delete audit lines older than AUDIT_RETENTION_DAYS (at least 180); the beat runs it daily."

    def handle(self, *args, **options):
        deleted = audit.purge()
        self.stdout.write(f"{deleted} audit lines older than {audit.retention_days()} days deleted.")
