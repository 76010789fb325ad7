"""The audit trail: lines chained by hash, verification that finds a changed or removed line, the
PostgreSQL trigger that refuses changes, retention, and the logins recorded."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.urls import reverse
from django.utils import timezone

from om_portal import audit
from om_portal.models import AuditChain, AuditEntry
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db
postgres_only = pytest.mark.skipif("connection.vendor != 'postgresql'", reason="the trigger is PostgreSQL's")


def _lines(n=3, **fields):
    return [audit.record("test", detail={"n": i}, username=f"u{i}", **fields) for i in range(n)]


def _tamper(sql, params):
    """Change the table as someone with the owner's rights would: past the trigger."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE om_portal_auditentry DISABLE TRIGGER USER")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE om_portal_auditentry ENABLE TRIGGER USER")


def test_lines_are_chained_and_verify():
    first, second, third = _lines()
    assert second.prev_hash == first.hash and third.prev_hash == second.hash
    assert audit.verify() == (3, [])
    head = AuditChain.objects.get(pk=1)
    assert (head.last_id, head.last_hash) == (third.pk, third.hash)


def test_a_changed_line_is_found():
    _, second, _ = _lines()
    _tamper("UPDATE om_portal_auditentry SET username = %s WHERE id = %s", ["someone-else", second.pk])
    checked, problems = audit.verify()
    assert checked == 3
    assert [p.entry_id for p in problems] == [second.pk]
    with pytest.raises(CommandError):
        call_command("verify_audit")


def test_a_deleted_line_is_found():
    _, second, third = _lines()
    _tamper("DELETE FROM om_portal_auditentry WHERE id = %s", [second.pk])
    _, problems = audit.verify()
    # The line after the gap no longer follows its predecessor.
    assert [p.entry_id for p in problems] == [third.pk]


def test_deleted_last_lines_are_found():
    _, _, third = _lines()
    _tamper("DELETE FROM om_portal_auditentry WHERE id = %s", [third.pk])
    _, problems = audit.verify()
    assert len(problems) == 1 and problems[0].entry_id is None


def test_verify_command_on_an_intact_trail(capsys):
    _lines(2)
    call_command("verify_audit")
    assert "intact: 2 lines" in capsys.readouterr().out


@postgres_only
def test_the_trigger_refuses_changes_and_recent_deletes():
    (line,) = _lines(1)
    for sql in (
        "UPDATE om_portal_auditentry SET action = 'x' WHERE id = %s",
        "DELETE FROM om_portal_auditentry WHERE id = %s",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [line.pk])
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=line.pk).update(action="x")
    line.refresh_from_db()
    assert line.action == "test" and audit.verify() == (1, [])


def test_retention_purges_old_lines_and_the_chain_still_verifies(settings, monkeypatch):
    settings.AUDIT_RETENTION_DAYS = 30  # below the floor: 180 days apply
    now = timezone.now()
    monkeypatch.setattr(timezone, "now", lambda: now - dt.timedelta(days=200))
    old = _lines(2)
    monkeypatch.setattr(timezone, "now", lambda: now - dt.timedelta(days=100))
    kept = _lines(2)
    monkeypatch.setattr(timezone, "now", lambda: now)
    assert audit.purge() == 2
    assert not AuditEntry.objects.filter(pk__in=[line.pk for line in old]).exists()
    assert AuditEntry.objects.filter(pk__in=[line.pk for line in kept]).count() == 2
    # The purge is itself on record, and the chain verifies from its new origin.
    assert AuditEntry.objects.filter(action="audit_purge").count() == 1
    assert audit.verify() == (3, [])
    assert audit.purge() == 0


def test_logins_logouts_and_failures_are_recorded(client, client_staff_a):
    client.post(
        reverse("login"), {"username": client_staff_a.username, "password": "wrong"}, REMOTE_ADDR="10.1.2.3"
    )
    client.post(
        reverse("login"), {"username": client_staff_a.username, "password": PASSWORD}, REMOTE_ADDR="10.1.2.3"
    )
    client.post(reverse("logout"), REMOTE_ADDR="10.1.2.3")
    logins = AuditEntry.objects.filter(action__in=["login", "logout", "login_failed"]).order_by("pk")
    lines = list(logins.values_list("action", "username", "outcome", "address"))
    name = client_staff_a.username
    assert lines == [
        ("login_failed", name, "failed", "10.1.2.3"),
        ("login", name, "success", "10.1.2.3"),
        ("logout", name, "success", "10.1.2.3"),
    ]


def test_a_line_names_the_objects_contract(contract_a, client_manager_a):
    line = audit.record("update", user=client_manager_a, obj=contract_a)
    assert (line.object_type, line.object_id, line.contract_code) == (
        "contracts.contract",
        str(contract_a.pk),
        "A-2026-OM",
    )


def test_changes_through_the_api_are_recorded_with_their_user_and_address(
    client, contract_a, client_manager_a
):
    client.force_login(client_manager_a)
    response = client.post(
        "/api/v1/milestones/",
        {"contract": "A-2026-OM", "name": "首付款", "amount": "1000.00", "trigger": "signing"},
        content_type="application/json",
        REMOTE_ADDR="10.9.8.7",
    )
    assert response.status_code == 201, response.content
    line = AuditEntry.objects.get(action="create", object_type="contracts.milestone")
    assert (line.username, line.address, line.contract_code, line.object_id) == (
        client_manager_a.username,
        "10.9.8.7",
        "A-2026-OM",
        str(response.json()["id"]),
    )
    client.delete(f"/api/v1/milestones/{line.object_id}/", REMOTE_ADDR="10.9.8.7")
    assert AuditEntry.objects.filter(
        action="delete", object_id=line.object_id, username=client_manager_a.username
    ).exists()
    assert audit.verify()[1] == []


def test_a_refused_request_is_recorded(client, contract_a, vendor_engineer_a):
    client.force_login(vendor_engineer_a)
    response = client.post(
        "/api/v1/milestones/",
        {"contract": "A-2026-OM", "name": "x", "amount": "1.00", "trigger": "signing"},
        content_type="application/json",
    )
    assert response.status_code == 403
    line = AuditEntry.objects.get(action="access_denied")
    assert (line.username, line.outcome, line.detail["path"], line.detail["status"]) == (
        vendor_engineer_a.username,
        "denied",
        "/api/v1/milestones/",
        403,
    )
    assert not AuditEntry.objects.filter(object_type="contracts.milestone").exists()


def test_work_without_a_request_is_the_systems(contract_a):
    line = audit.record("update", obj=contract_a)
    assert (line.user_id, line.username, line.address) == (None, "", None)


def test_rows_read_for_a_hot_path_that_never_saves_them_keep_no_snapshot(contract_a):
    """A probes chunk reads 500 checks with their assets and incidents and writes them by UPDATE:
    inside ``unsaved_loads`` no "before" values are kept (a fifth of the chunk's CPU); outside,
    the next save's audit line still lists what changed."""
    from contracts.models import Contract
    from om_portal import audit_changes

    with audit_changes.unsaved_loads():
        bare = Contract.objects.get(pk=contract_a.pk)
    assert audit_changes.ATTRIBUTE not in bare.__dict__
    kept = Contract.objects.get(pk=contract_a.pk)
    kept.title = "另一个标题"
    assert audit_changes.changed(kept)["changes"]["title"] == [contract_a.title, "另一个标题"]
