import datetime as dt

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from contracts.models import Asset, Contract
from inspections.models import AutomatedCheck, CheckApproval
from inspections.schedules import materialise_slots
from inspections.seeds import load_seed_inspections

DEMO_CONTRACT = "BJ-2026-RP"


class Command(BaseCommand):
    help = (
        "The seed contracts' inspection schedules and checklists, and automated checks of the local "
        "portal itself on the demo contract, so that `make run` shows runs (development only)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000, help="The port the portal listens on.")

    def handle(self, *args, port, **options):
        if not settings.DEBUG:
            raise CommandError("Demo data is for development: refusing with DEBUG off.")
        created = load_seed_inspections()
        contract = Contract.objects.filter(code=DEMO_CONTRACT).first()
        if contract is None:
            raise CommandError("Run seed_demo first.")
        # The seed's assets have no addresses (the bureau's network is not here): the demo checks
        # probe this portal, which `make run` serves on loopback. Loopback and the portal itself
        # are refused to checks unless an administrator allows them, and a check runs once the
        # client approves it: this command, run by the operator, does both (issue 14).
        application = Asset.objects.get(contract=contract, name="居住证信息系统")
        demo_checks = [
            (
                "门户健康检查",
                AutomatedCheck.Kind.HTTP,
                f"http://127.0.0.1:{port}/healthz",
                None,
                {"max_latency_ms": 1000},
            ),
            ("门户端口", AutomatedCheck.Kind.TCP, "127.0.0.1", port, {}),
        ]
        for name, kind, target, check_port, check_options in demo_checks:
            check, made = AutomatedCheck.objects.get_or_create(
                contract=contract,
                name=name,
                defaults={
                    "asset": application,
                    "kind": kind,
                    "target": target,
                    "port": check_port,
                    "options": check_options,
                    "admin_allowed": True,
                    "approval": CheckApproval.APPROVED,
                },
            )
            if not made and not check.admin_allowed:  # made before the allowance existed
                check.admin_allowed, check.approval, check.approved_signature = (
                    True,
                    CheckApproval.APPROVED,
                    "",
                )
                check.save()
            created += made
        now = timezone.now()
        slots = materialise_slots(now - dt.timedelta(hours=1), now + dt.timedelta(days=2), now=now)
        self.stdout.write(
            f"Inspections: {created} schedules, checklists and checks made; {slots['created']} slots."
        )
