from django.core.management.base import BaseCommand

from om_portal import audit_anchor


class Command(BaseCommand):
    help = (
        "Write today's anchor of the audit trail (its head, HMAC'd) to AUDIT_ANCHOR_DIR or --folder; "
        "keep it outside the portal and check the trail against it with verify_audit --anchor."
    )

    def add_arguments(self, parser):
        parser.add_argument("--folder", help="where to write the anchor (default: AUDIT_ANCHOR_DIR)")

    def handle(self, *args, **options):
        path = audit_anchor.write(options.get("folder"))
        self.stdout.write(f"Anchor written: {path}")
