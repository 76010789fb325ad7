import datetime as dt

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from contracts.models import Contract
from incidents import services

DEMO_CONTRACT = "BJ-2026-RP"


class Command(BaseCommand):
    help = "A few incidents on the demo contract, so the portal shows running clocks (development only)."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("Demo data is for development: refusing with DEBUG off.")
        contract = Contract.objects.filter(code=DEMO_CONTRACT).first()
        engineer = get_user_model().objects.filter(username="vendor_engineer").first()
        if contract is None or engineer is None:
            raise CommandError("Run seed_demo first.")
        if contract.incidents.exists():
            self.stdout.write("Demo incidents exist already.")
            return
        now = timezone.now()
        with transaction.atomic():
            # On site within 2 hours, fixed within 4 (seed 003's software faults).
            open_one = services.report_incident(
                contract,
                by=engineer,
                title="居住证受理系统登录超时",
                description="多个派出所反映受理端登录后超时退出。",
                severity="severe",
                kind="software",
                condition="software_fault",
                source="phone",
                reporter_unit="朝阳分局",
                needs_onsite=True,
                reported_at=now - dt.timedelta(minutes=70),
            )
            services.transition(open_one, "acknowledge", by=engineer, at=now - dt.timedelta(minutes=60))
            done = services.report_incident(
                contract,
                by=engineer,
                title="短信发送延迟",
                severity="general",
                kind="software",
                condition="software_fault",
                source="monitoring",
                reported_at=now - dt.timedelta(days=1, hours=3),
            )
            services.transition(
                done, "acknowledge", by=engineer, at=now - dt.timedelta(days=1, hours=2, minutes=50)
            )
            services.transition(
                done,
                "resolve",
                by=engineer,
                at=now - dt.timedelta(days=1, hours=1),
                cause="短信网关连接池耗尽",
                impact="验证码短信延迟约 20 分钟",
                method="扩大连接池并重启网关服务",
                result="发送恢复正常",
            )
        self.stdout.write(f"Demo incidents: {open_one.number}, {done.number}")
