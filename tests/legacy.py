"""Rows that the portal no longer lets anyone write, as data from before a rule may hold them."""

from django.db import connection

from contracts.models import Membership


def membership_past_every_guard(**fields) -> Membership:
    """A membership written without ``clean()`` and with the one-side trigger (contracts 0004)
    switched off inside the test's transaction: an account on both sides, as before issue 14."""
    postgres = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        if postgres:
            # The deferred foreign-key checks of earlier rows run first (ALTER TABLE waits for no
            # pending trigger event).
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE contracts_membership DISABLE TRIGGER contracts_membership_one_side")
        membership = Membership.objects.create(**fields)
        if postgres:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE contracts_membership ENABLE TRIGGER contracts_membership_one_side")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    return membership
