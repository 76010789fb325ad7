import os
import sys

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from contracts.models import Membership, Organization, Role
from contracts.services import load_seeds
from om_portal.auth import otp

DEMO_PASSWORD = "OmPortal-Demo-2026"  # noqa: S105  (printed for development; refused with DEBUG off)

# One demo user per role. The client side is the residence-permit contract's bureau (BJ-2026-RP,
# the active one), the vendor side its vendor; the administrator sees every contract.
DEMO_USERS = [
    ("client_staff", Role.CLIENT_STAFF, "北京市公安局人口管理和基层工作总队"),
    ("client_manager", Role.CLIENT_MANAGER, "北京市公安局人口管理和基层工作总队"),
    ("vendor_engineer", Role.VENDOR_ENGINEER, "北京慧讯通信技术开发公司"),
    ("vendor_manager", Role.VENDOR_MANAGER, "北京慧讯通信技术开发公司"),
    ("auditor", Role.AUDITOR, "北京市公安局人口管理和基层工作总队"),
    ("admin", Role.ADMINISTRATOR, "北京市公安局人口管理和基层工作总队"),
    ("security", Role.SECURITY_ADMIN, "北京市公安局人口管理和基层工作总队"),
]


class Command(BaseCommand):
    help = "Create the seed contracts and one demo user per role (development only)."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("Demo users are for development: refusing with DEBUG off.")
        User = get_user_model()
        rows = []
        with transaction.atomic():
            load_seeds()
            for username, role, organization_name in DEMO_USERS:
                organization = Organization.objects.get(name=organization_name)
                user, created = User.objects.get_or_create(username=username)
                if created:
                    user.set_password(DEMO_PASSWORD)
                    user.is_staff = role == Role.ADMINISTRATOR
                    user.save()
                Membership.objects.get_or_create(
                    user=user, organization=organization, defaults={"role": role}
                )
                password = DEMO_PASSWORD if user.check_password(DEMO_PASSWORD) else "(changed since)"
                # The roles that must prove a second factor come enrolled, so a trial needs no phone.
                if otp.required_by_role(user):
                    otp.enrol_demo(user)
                rows.append((username, role.label, password, otp.demo_device(user) is not None))
        self.stdout.write("Demo users (log in at http://127.0.0.1:8000/):")
        for username, role, password, enrolled in rows:
            code = "one-time code: see below" if enrolled else ""
            self.stdout.write(f"  {username:<16} {role!s:<18} {password:<20} {code}".rstrip())
        if any(enrolled for *_, enrolled in rows):
            self.stdout.write(
                "Accounts asking for a one-time code come with a demo authenticator; the code it "
                f"shows now: {_python()} manage.py demo_code <user>"
            )


def _python() -> str:
    """This interpreter as the person at the terminal would type it (``.venv/bin/python``)."""
    path = os.path.relpath(sys.executable, settings.BASE_DIR)
    return sys.executable if path.startswith("..") else path
