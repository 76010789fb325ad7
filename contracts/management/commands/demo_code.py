"""``manage.py demo_code <user>``: the one-time code a demo account's authenticator shows now.

Only for the embedded demo: it refuses with DEBUG off, for an account that is not one of
``seed_demo``'s, and for a demo account whose authenticator has since been replaced by a real one.
"""

import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from contracts.management.commands.seed_demo import DEMO_USERS
from om_portal.auth import otp


class Command(BaseCommand):
    help = "Show the current one-time code of a demo account (development only)."
    requires_system_checks = []  # just the code: the calendar warning belongs elsewhere

    def add_arguments(self, parser):
        parser.add_argument("username", choices=[username for username, _role, _org in DEMO_USERS])

    def handle(self, *args, username, **options):
        if not settings.DEBUG:
            raise CommandError("Demo codes are for the embedded demo: refusing with DEBUG off.")
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No account {username}: run the demo (make run) first.")
        device = otp.demo_device(user)
        if device is None:
            raise CommandError(f"{username} has no demo authenticator (it uses its own, or none).")
        seconds_left = device.step - int(time.time() - device.t0) % device.step
        # The code alone on stdout (for scripts), the time left on stderr.
        self.stdout.write(otp.current_code(device))
        self.stdout.flush()
        self.stderr.write(f"valid for about {seconds_left} s more")
