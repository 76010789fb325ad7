from django.core.management.base import BaseCommand, CommandError

from om_portal import backup


class Command(BaseCommand):
    help = (
        "Restore a backup into an EMPTY database and media folder, then check it against its manifest: "
        "row counts, the audit chain, and every signed PDF's SHA-256. Exits 1 on any difference."
    )

    def add_arguments(self, parser):
        parser.add_argument("folder", help="A folder made by `manage.py backup`.")

    def handle(self, *args, folder, **options):
        try:
            problems = backup.restore(folder)
        except backup.BackupError as error:
            raise CommandError(str(error)) from error
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            raise CommandError(f"The restored portal differs from the backup in {len(problems)} way(s).")
        self.stdout.write("Restored; row counts, the audit chain and the signed PDFs match the backup.")
