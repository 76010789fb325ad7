"""An account belongs to one side of every contract: the client's or the vendor's, never both.

``Membership.clean`` refuses it in the portal and the admin; on PostgreSQL a trigger refuses it
whoever writes the row (a shell, a script, a bulk load): a service role (client staff or manager,
vendor engineer or manager) must sit in an organisation of its own kind, and one user's service
roles must all be of one kind. Changing an organisation's kind under its members is refused too.
A per-user advisory lock serialises one user's membership writes, so that two concurrent
inserts (one on each side) cannot both pass.

Existing data: an account that already holds roles on both sides stops the migration with its
name; the security administrator removes one side's roles (Accounts page), then migrate again.
Nothing is removed silently: which side the person belongs to is the bureau's decision.
"""

from django.db import migrations

CLIENT_ROLES = ("client_staff", "client_manager")
VENDOR_ROLES = ("vendor_engineer", "vendor_manager")


def _side_case(column: str) -> str:
    return (
        f"CASE WHEN {column} IN {CLIENT_ROLES!r} THEN 'client' "
        f"WHEN {column} IN {VENDOR_ROLES!r} THEN 'vendor' END"
    )


GUARD = f"""
CREATE OR REPLACE FUNCTION contracts_membership_one_side() RETURNS trigger AS $$
DECLARE
    side varchar := {_side_case("NEW.role")};
BEGIN
    IF side IS NULL THEN
        RETURN NEW;
    END IF;
    IF (SELECT kind FROM contracts_organization WHERE id = NEW.organization_id) <> side THEN
        RAISE EXCEPTION 'membership_one_side: role % belongs to a % organisation', NEW.role, side
            USING ERRCODE = 'check_violation';
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('contracts_membership_one_side'), NEW.user_id::int);
    IF EXISTS (
        SELECT 1 FROM contracts_membership m
        WHERE m.user_id = NEW.user_id AND m.id <> NEW.id
          AND {_side_case("m.role")} <> side
    ) THEN
        RAISE EXCEPTION 'membership_one_side: user % already holds a role on the other side', NEW.user_id
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER contracts_membership_one_side BEFORE INSERT OR UPDATE ON contracts_membership
    FOR EACH ROW EXECUTE FUNCTION contracts_membership_one_side();

CREATE OR REPLACE FUNCTION contracts_organization_kind_kept() RETURNS trigger AS $$
BEGIN
    IF NEW.kind <> OLD.kind AND EXISTS (
        SELECT 1 FROM contracts_membership m
        WHERE m.organization_id = NEW.id AND m.role IN {CLIENT_ROLES + VENDOR_ROLES!r}
    ) THEN
        RAISE EXCEPTION 'membership_one_side: organisation % has members of its kind', NEW.id
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER contracts_organization_kind_kept BEFORE UPDATE ON contracts_organization
    FOR EACH ROW EXECUTE FUNCTION contracts_organization_kind_kept();
"""

UNGUARD = """
DROP TRIGGER IF EXISTS contracts_organization_kind_kept ON contracts_organization;
DROP FUNCTION IF EXISTS contracts_organization_kind_kept();
DROP TRIGGER IF EXISTS contracts_membership_one_side ON contracts_membership;
DROP FUNCTION IF EXISTS contracts_membership_one_side();
"""


def refuse_accounts_on_both_sides(apps, schema_editor):
    Membership = apps.get_model("contracts", "Membership")
    sides: dict[str, set[str]] = {}
    for username, role in Membership.objects.values_list("user__username", "role"):
        side = "client" if role in CLIENT_ROLES else "vendor" if role in VENDOR_ROLES else None
        if side:
            sides.setdefault(username, set()).add(side)
    both = sorted(name for name, found in sides.items() if len(found) > 1)
    if both:
        raise RuntimeError(
            "These accounts hold roles on both the client's and the vendor's side: "
            + ", ".join(both)
            + ". Remove one side's roles (Accounts page), then migrate again."
        )


def guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(GUARD, params=None)


def unguard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UNGUARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("contracts", "0006_lpr_build_timeline_termination")]

    operations = [
        migrations.RunPython(refuse_accounts_on_both_sides, migrations.RunPython.noop),
        migrations.RunPython(guard, unguard),
    ]
