from django.core.management.base import BaseCommand

from contracts.services import load_seeds


class Command(BaseCommand):
    help = (
        "Load the five seed contracts by their codes with everything they oblige (SLA terms, "
        "clauses, inspection schedules and checklists, report requirements, escalation policies), "
        "in any mode; running it twice changes nothing."
    )

    def handle(self, *args, **options):
        loaded, duties = load_seeds()
        for contract, created in loaded:
            state = "created" if created else "exists"
            self.stdout.write(f"{contract.code:<14} {state:<8} {contract.title}")
        self.stdout.write(
            f"{duties} inspection schedules, checklists, report requirements and escalation policies "
            "and steps created."
        )
