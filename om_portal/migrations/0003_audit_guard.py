"""The audit chain's head row, and on PostgreSQL the trigger that keeps audit lines unchanged.

The trigger refuses every UPDATE of an audit line and the DELETE of a line younger than 180 days
(the least retention allowed: om_portal.audit.MIN_RETENTION_DAYS), whatever role the application
connects as. TRUNCATE is left to the table's owner (the test runner empties tables with it); a
truncated trail shows in verification as a chain whose head is gone. A role that owns the table
can still disable the trigger: production runs migrations as the owner and the portal as a role
without ownership (README). SQLite has no guard; there the chain alone shows what was changed.
"""

from django.db import migrations

GUARD = """
CREATE OR REPLACE FUNCTION om_portal_audit_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        RAISE EXCEPTION 'audit lines cannot be changed' USING ERRCODE = 'insufficient_privilege';
    ELSIF OLD.at > now() - interval '180 days' THEN
        RAISE EXCEPTION 'audit lines younger than 180 days cannot be deleted'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN OLD;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER om_portal_audit_guard_rows BEFORE UPDATE OR DELETE ON om_portal_auditentry
    FOR EACH ROW EXECUTE FUNCTION om_portal_audit_guard();
"""

UNGUARD = """
DROP TRIGGER IF EXISTS om_portal_audit_guard_rows ON om_portal_auditentry;
DROP FUNCTION IF EXISTS om_portal_audit_guard();
"""


def guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(GUARD)


def unguard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UNGUARD)


def head(apps, schema_editor):
    apps.get_model("om_portal", "AuditChain").objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("om_portal", "0002_audit_trail")]

    operations = [
        migrations.RunPython(head, migrations.RunPython.noop),
        migrations.RunPython(guard, unguard),
    ]
