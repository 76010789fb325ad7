from django.core.management.base import BaseCommand, CommandError

from om_portal import audit


class Command(BaseCommand):
    help = "Walk the audit trail's hash chain; fails (exit 1) naming each changed or removed line."

    def handle(self, *args, **options):
        checked, problems = audit.verify()
        for problem in problems:
            self.stderr.write(str(problem))
        if problems:
            raise CommandError(
                f"The audit trail is not intact: {len(problems)} problem(s) in {checked} lines."
            )
        self.stdout.write(f"The audit trail is intact: {checked} lines checked.")
