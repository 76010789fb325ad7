from django.core.management.base import BaseCommand

from reports import services


class Command(BaseCommand):
    help = "Send every unsealed signed-off PDF to the render worker again, with its tries renewed."

    def handle(self, *args, **options):
        sent = services.retry_seals()
        self.stdout.write(f"{sent} seals sent again.")
