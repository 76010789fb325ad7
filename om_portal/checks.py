"""System checks of the portal's production settings (``manage.py check --deploy``)."""

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def check_audit_key(app_configs, **kwargs):
    """The audit chain's key should be a secret of its own, kept outside the database: without
    AUDIT_KEY it is derived from SECRET_KEY, and rotating that would break the chain's check."""
    key = settings.AUDIT_KEY
    if not key:
        return [
            Warning(
                "AUDIT_KEY is not set: the audit chain is keyed with a key derived from SECRET_KEY.",
                hint=(
                    "Set AUDIT_KEY to a random value of at least 32 characters, kept outside the "
                    "database and its backups, before the first migration; never change it."
                ),
                id="om_portal.W001",
            )
        ]
    if len(key) < 32 or len(set(key)) < 5:
        return [
            Warning(
                "AUDIT_KEY is too short or too simple to key the audit chain.",
                hint="Use a random value of at least 32 characters.",
                id="om_portal.W002",
            )
        ]
    return []
