from django.core.management.base import BaseCommand, CommandError

from om_portal import backup


class Command(BaseCommand):
    help = (
        "Back the portal up into a new folder: the database (pg_dump, or SQLite's online backup), "
        "the media files (signed PDFs, photos) and a manifest that `restore` checks against."
    )

    def add_arguments(self, parser):
        parser.add_argument("folder", help="A new or empty folder.")

    def handle(self, *args, folder, **options):
        try:
            manifest = backup.backup(folder)
        except backup.BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Backed up to {folder}: {backup.describe(manifest)}.")
