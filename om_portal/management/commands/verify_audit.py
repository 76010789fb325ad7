from django.core.management.base import BaseCommand, CommandError

from om_portal import audit, audit_anchor


class Command(BaseCommand):
    help = (
        "Walk the audit trail's hash chain; fails (exit 1) naming each changed or removed line. "
        "With --anchor, also check the trail against anchors (or backup manifests) kept elsewhere."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--anchor", action="append", default=[], help="an anchor file or a backup's manifest.json"
        )

    def handle(self, *args, **options):
        checked, problems = audit.verify()
        for path in options["anchor"]:
            try:
                problems += audit_anchor.check(audit_anchor.read(path))
            except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
                raise CommandError(f"{path}: not an anchor ({exc})") from exc
        for problem in problems:
            self.stderr.write(str(problem))
        if problems:
            raise CommandError(
                f"The audit trail is not intact: {len(problems)} problem(s) in {checked} lines."
            )
        self.stdout.write(f"The audit trail is intact: {checked} lines checked.")
