from django.core.management.base import BaseCommand

from contracts.services import load_seed_contracts


class Command(BaseCommand):
    help = "Load the five seed contracts by their codes; running it twice changes nothing."

    def handle(self, *args, **options):
        for contract, created in load_seed_contracts():
            state = "created" if created else "exists"
            self.stdout.write(f"{contract.code:<14} {state:<8} {contract.title}")
