from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from reports import trust
from reports.models import SigningCertificate


class Command(BaseCommand):
    help = (
        "List the trust store: every certificate the portal has signed PDFs with (their PDFs verify as "
        "authentic), marking the current one. --add FILE adds a PEM certificate used before."
    )

    def add_arguments(self, parser):
        parser.add_argument("--add", metavar="FILE", help="A PEM certificate (never a key) to trust.")

    def handle(self, *args, add=None, **options):
        from reports.signing import signing_certificate

        if add:
            try:
                added = trust.add_pem(Path(add).read_bytes())
            except OSError as exc:
                raise CommandError(f"cannot read {add!r} ({exc.strerror or exc}).") from exc
            except trust.TrustStoreError as exc:
                raise CommandError(f"{add}: {exc}") from exc
            for row, created in added:
                self.stdout.write(f"{'Added' if created else 'Already trusted'}: {row}")
        current = trust.facts(signing_certificate()).fingerprint
        rows = list(SigningCertificate.objects.all())
        if not rows:
            self.stdout.write(
                "The trust store is empty: the current certificate is added when it first signs."
            )
        for row in rows:
            mark = "current" if row.fingerprint == current else "earlier"
            validity = f"{row.not_before:%Y-%m-%d} – {row.not_after:%Y-%m-%d}"
            self.stdout.write(
                f"{row.subject}\n  serial {row.serial}, valid {validity} ({mark}; {row.get_source_display()})"
                f"\n  SHA-256 {row.fingerprint}"
            )
