from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from reports.beat import ensure_reports
from reports.seeds import load_seed_requirements


class Command(BaseCommand):
    help = (
        "The seed contracts' report requirements, and the reports of the periods that closed lately "
        "(queued for building by the worker), so that `make run` shows reports (development only)."
    )

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("Demo data is for development: refusing with DEBUG off.")
        created = load_seed_requirements()
        made = ensure_reports()
        self.stdout.write(f"{created} report requirements, {len(made)} reports queued for building.")
