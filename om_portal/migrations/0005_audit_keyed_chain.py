"""The audit chain keyed with AUDIT_KEY, its head protected, and the trail's contract id.

Lines written before this migration keep their plain SHA-256: ``unkeyed_through`` records the
last of them, and the first keyed line seals them (its HMAC covers their last hash). Re-chaining
them instead would have rewritten every line, and the heads in existing backups and anchors
would have matched nothing. The head row gets its own HMAC.

On PostgreSQL: an audit line may be deleted only once the purge mark has passed it (and it is
older than 180 days); the head may not be deleted, and moves only forward, to the last line and
to a line kept; TRUNCATE of either table is refused (statement-level trigger). The table's owner
can still disable triggers: the compose stack runs the portal as a role that owns nothing, and
the keyed chain and the daily anchors find what an owner changed.
"""

import importlib

from django.db import migrations, models

REFUSED = "USING ERRCODE = 'insufficient_privilege'"

GUARD = f"""
CREATE OR REPLACE FUNCTION om_portal_audit_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        RAISE EXCEPTION 'audit lines cannot be changed' {REFUSED};
    ELSIF OLD.at > now() - interval '180 days' THEN
        RAISE EXCEPTION 'audit lines younger than 180 days cannot be deleted' {REFUSED};
    ELSIF OLD.id > COALESCE((SELECT purged_through FROM om_portal_auditchain WHERE id = 1), 0) THEN
        RAISE EXCEPTION 'audit lines above the purge mark cannot be deleted' {REFUSED};
    END IF;
    RETURN OLD;
END
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION om_portal_audit_head_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'the audit chain''s head cannot be deleted' {REFUSED};
    END IF;
    IF NEW.id <> OLD.id OR NEW.unkeyed_through <> OLD.unkeyed_through THEN
        RAISE EXCEPTION 'the audit chain''s head cannot be rewritten' {REFUSED};
    END IF;
    IF (NEW.last_id, NEW.last_hash) IS DISTINCT FROM (OLD.last_id, OLD.last_hash) AND (
        NEW.last_id <= OLD.last_id
        OR NOT EXISTS (SELECT 1 FROM om_portal_auditentry WHERE id = NEW.last_id AND hash = NEW.last_hash)
        OR EXISTS (SELECT 1 FROM om_portal_auditentry WHERE id > NEW.last_id)
    ) THEN
        RAISE EXCEPTION 'the audit chain''s head moves only forward, to its last line' {REFUSED};
    END IF;
    IF (NEW.purged_through, NEW.origin_hash) IS DISTINCT FROM (OLD.purged_through, OLD.origin_hash) AND (
        NEW.purged_through <= OLD.purged_through
        OR NOT EXISTS (
            SELECT 1 FROM om_portal_auditentry WHERE id = NEW.purged_through AND hash = NEW.origin_hash
        )
    ) THEN
        RAISE EXCEPTION 'the audit chain''s purge mark moves only forward, to a line on record' {REFUSED};
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION om_portal_audit_no_truncate() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail cannot be truncated' {REFUSED};
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER om_portal_audit_head_guard BEFORE UPDATE OR DELETE ON om_portal_auditchain
    FOR EACH ROW EXECUTE FUNCTION om_portal_audit_head_guard();
CREATE TRIGGER om_portal_audit_no_truncate BEFORE TRUNCATE ON om_portal_auditentry
    FOR EACH STATEMENT EXECUTE FUNCTION om_portal_audit_no_truncate();
CREATE TRIGGER om_portal_audit_head_no_truncate BEFORE TRUNCATE ON om_portal_auditchain
    FOR EACH STATEMENT EXECUTE FUNCTION om_portal_audit_no_truncate();
"""

UNGUARD = """
DROP TRIGGER IF EXISTS om_portal_audit_head_no_truncate ON om_portal_auditchain;
DROP TRIGGER IF EXISTS om_portal_audit_no_truncate ON om_portal_auditentry;
DROP TRIGGER IF EXISTS om_portal_audit_head_guard ON om_portal_auditchain;
DROP FUNCTION IF EXISTS om_portal_audit_no_truncate();
DROP FUNCTION IF EXISTS om_portal_audit_head_guard();
"""


def guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(GUARD)


def unguard(apps, schema_editor):
    # The line guard of migration 0003 stays as it was there (without the purge-mark test).
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UNGUARD)
        previous = importlib.import_module("om_portal.migrations.0003_audit_guard")
        schema_editor.execute(previous.GUARD.split("CREATE TRIGGER")[0])


def key_the_chain(apps, schema_editor):
    """Lines so far stay unkeyed; the head gets its HMAC."""
    from om_portal.audit import head_mac

    chain = apps.get_model("om_portal", "AuditChain")
    head, _ = chain.objects.get_or_create(pk=1)
    head.unkeyed_through = head.last_id
    head.head_mac = head_mac(head)
    head.save(update_fields=["unkeyed_through", "head_mac"])


class Migration(migrations.Migration):

    dependencies = [
        ('om_portal', '0004_password_change_required'),
    ]

    operations = [
        migrations.AddField(
            model_name='auditchain',
            name='head_mac',
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AddField(
            model_name='auditchain',
            name='unkeyed_through',
            field=models.BigIntegerField(default=0),
        ),
        migrations.AddField(
            model_name='auditentry',
            name='contract_id',
            field=models.BigIntegerField(blank=True, null=True, verbose_name='contract id'),
        ),
        migrations.AddIndex(
            model_name='auditentry',
            index=models.Index(fields=['contract_id', 'at'], name='audit_contract_id_at_idx'),
        ),
        migrations.RunPython(key_the_chain, migrations.RunPython.noop),
        migrations.RunPython(guard, unguard),
    ]
