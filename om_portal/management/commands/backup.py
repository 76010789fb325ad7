from django.core.management.base import BaseCommand, CommandError

from om_portal import backup


class Command(BaseCommand):
    help = (
        "Back the portal up into a new folder: the database (pg_dump, or SQLite's online backup), "
        "the media files (signed PDFs, photos) and a manifest that `restore` checks against."
    )

    def add_arguments(self, parser):
        parser.add_argument("folder", help="A new or empty folder.")
        parser.add_argument(
            "--include-signing-key",
            action="store_true",
            help="Also copy the signing private key (written 0600). Without it, only the certificates.",
        )

    def handle(self, *args, folder, include_signing_key=False, **options):
        try:
            manifest = backup.backup(folder, include_signing_key=include_signing_key)
        except backup.BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Backed up to {folder}: {backup.describe(manifest)}.")
        for part in manifest["parts"].values():
            if part.get("warning"):
                self.stderr.write(f"WARNING: {part['warning']}")
