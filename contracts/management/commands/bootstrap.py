"""``manage.py bootstrap --security-admin NAME --admin NAME``: the first two overseeing accounts of a
new installation, so that nobody needs a Django superuser to start.

Each gets a one-time password, printed once here: the portal makes its owner replace it at the
first login (passwords.require_change) and enrol an authenticator (OTP_REQUIRED_ROLES). The security
administrator then creates every other account, the auditor included (三权分立). Refused once an
installation has a security administrator or an administrator.
"""

import secrets
import string

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from contracts.models import Membership, Organization, Role
from om_portal.auth import passwords

DEFAULT_ORGANIZATION = "系统管理"


def one_time_password() -> str:
    """16 random characters with every class the portal's password rules count."""
    alphabet = string.ascii_letters + string.digits
    body = "".join(secrets.choice(alphabet) for _ in range(12))
    classes = [string.ascii_uppercase, string.ascii_lowercase, string.digits, "-_#!"]
    return body + "".join(secrets.choice(chars) for chars in classes)


class Command(BaseCommand):
    help = "Create the first security administrator and administrator of a new installation."

    def add_arguments(self, parser):
        parser.add_argument("--security-admin", required=True, metavar="NAME", help="user name")
        parser.add_argument("--admin", required=True, metavar="NAME", help="user name")
        parser.add_argument(
            "--organization",
            default=DEFAULT_ORGANIZATION,
            help=f"the organisation both belong to (created when missing; default {DEFAULT_ORGANIZATION})",
        )

    def handle(self, *args, security_admin, admin, organization, **options):
        User = get_user_model()
        names = [security_admin.strip(), admin.strip()]
        if not all(names) or names[0].lower() == names[1].lower():
            raise CommandError("Give two different user names.")
        with transaction.atomic():
            existing = Membership.objects.filter(role__in=[Role.SECURITY_ADMIN, Role.ADMINISTRATOR])
            if existing.exists():
                raise CommandError(
                    "This installation already has a security administrator or an administrator: "
                    "they create further accounts under 账号 Accounts (/users/)."
                )
            taken = [name for name in names if User.objects.filter(username__iexact=name).exists()]
            if taken:
                raise CommandError(f"User name taken: {', '.join(taken)}.")
            org = Organization.objects.filter(name=organization).first() or Organization.objects.create(
                name=organization, kind=Organization.Kind.CLIENT
            )
            created = []
            for username, role in zip(names, [Role.SECURITY_ADMIN, Role.ADMINISTRATOR], strict=True):
                password = one_time_password()
                user = User(username=username, is_staff=role == Role.ADMINISTRATOR)
                validate_password(password, user)
                user.set_password(password)
                user.save()
                membership = Membership(user=user, organization=org, role=role)
                membership.full_clean()
                membership.save()
                passwords.require_change(user)
                created.append((username, role.label, password))
        self.stdout.write("Created (each password works once: its owner must replace it at first login,")
        self.stdout.write("then set up an authenticator app):")
        for username, label, password in created:
            self.stdout.write(f"  {username:<20} {label!s:<24} {password}")
