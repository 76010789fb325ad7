"""Issue 14, medium 5: the audit chain against someone who can write its tables. Each attack
from the issue is refused by the database or found by verification: the chain is keyed with
AUDIT_KEY (outside the database), its head carries its own HMAC and only moves forward, the trail
cannot be truncated, lines left below the purge mark are flagged, and anchors kept elsewhere
catch a rollback even by someone holding the key."""

import hashlib
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.db.utils import DatabaseError

from om_portal import audit, audit_anchor
from om_portal.models import AuditChain, AuditEntry

pytestmark = pytest.mark.django_db
postgres_only = pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="the triggers are PostgreSQL's"
)

OLD_FIELDS = ("at", "user_id", "username", "action", "object_type", "object_id", "object_repr")
OLD_FIELDS += ("contract_code", "outcome", "address", "detail")


def _lines(n=3):
    return [audit.record("test", detail={"n": i}, username=f"u{i}") for i in range(n)]


def _unkeyed(entry, prev_hash):
    """The chain's hash before the key: SHA-256 of the line's fields and the previous hash,
    which anyone who can read the table can compute."""
    values = {name: getattr(entry, name) for name in OLD_FIELDS}
    values["at"] = entry.at.isoformat(timespec="microseconds")
    values["address"] = str(entry.address) if entry.address else None
    payload = json.dumps({"prev": prev_hash, **values}, sort_keys=True, ensure_ascii=False,
                         separators=(",", ":"), default=str)  # fmt: skip
    return hashlib.sha256(payload.encode()).hexdigest()


def _as_owner(*statements):
    """Write the tables as their owner can: past every trigger."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE om_portal_auditentry DISABLE TRIGGER USER")
            cursor.execute("ALTER TABLE om_portal_auditchain DISABLE TRIGGER USER")
        for sql, params in statements:
            cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE om_portal_auditentry ENABLE TRIGGER USER")
            cursor.execute("ALTER TABLE om_portal_auditchain ENABLE TRIGGER USER")


def _move_head(last_id, last_hash):
    return ("UPDATE om_portal_auditchain SET last_id = %s, last_hash = %s WHERE id = 1", [last_id, last_hash])


def test_deleting_the_last_lines_and_moving_the_head_back_is_found():
    first, second, _third = _lines()
    _as_owner(
        ("DELETE FROM om_portal_auditentry WHERE id >= %s", [second.pk]), _move_head(first.pk, first.hash)
    )
    checked, problems = audit.verify()
    assert checked == 1
    # The head's own HMAC no longer matches: only the key could have made one for line 1.
    assert [p.entry_id for p in problems] == [None] and "head" in problems[0].message
    with pytest.raises(CommandError):
        call_command("verify_audit")


def test_rewriting_a_line_and_rehashing_the_rest_without_the_key_is_found():
    first, second, third = _lines()
    second.username = "someone-else"
    second.hash = _unkeyed(second, first.hash)
    third.prev_hash = second.hash
    third.hash = _unkeyed(third, second.hash)
    update = "UPDATE om_portal_auditentry SET username = %s, prev_hash = %s, hash = %s WHERE id = %s"
    _as_owner(
        (update, [second.username, second.prev_hash, second.hash, second.pk]),
        (update, [third.username, third.prev_hash, third.hash, third.pk]),
        _move_head(third.pk, third.hash),
    )
    _, problems = audit.verify()
    assert {second.pk, third.pk} <= {p.entry_id for p in problems}


@postgres_only
@pytest.mark.parametrize("table", ["om_portal_auditentry", "om_portal_auditchain"])
def test_truncate_is_refused_even_to_the_owner(table):
    _lines(2)
    # The tests connect as the tables' owner (a superuser, even).
    refused = pytest.raises(DatabaseError, match="cannot be truncated")
    with refused, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {table} CASCADE")
    assert AuditEntry.objects.count() == 2 and audit.verify() == (2, [])


def test_an_emptied_trail_is_found():
    _lines(2)
    _as_owner(("DELETE FROM om_portal_auditentry", []), ("DELETE FROM om_portal_auditchain", []))
    _, problems = audit.verify()
    assert problems and "head is missing" in problems[0].message
    # The portal writes on, from a new head; the trail says for good that it was emptied.
    line = audit.record("test")
    _, problems = audit.verify()
    assert [p.entry_id for p in problems] == [line.pk - 1]


@postgres_only
def test_the_head_moves_only_forward_and_is_never_deleted():
    first, _second, third = _lines()
    refused = [
        _move_head(first.pk, first.hash),  # back over lines that exist
        _move_head(third.pk, first.hash),  # to a hash that is not the line's
        _move_head(third.pk + 5, third.hash),  # past the last line
        ("UPDATE om_portal_auditchain SET unkeyed_through = %s WHERE id = 1", [third.pk]),
        ("UPDATE om_portal_auditchain SET purged_through = %s, origin_hash = %s WHERE id = 1", [2, "0" * 64]),
        ("DELETE FROM om_portal_auditchain WHERE id = %s", [1]),
    ]
    for sql, params in refused:
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
    head = AuditChain.objects.get(pk=1)
    assert (head.last_id, head.last_hash) == (third.pk, third.hash)
    assert audit.verify() == (3, [])


@postgres_only
def test_old_lines_are_deleted_only_below_the_purge_mark():
    (line,) = _lines(1)
    _as_owner(("UPDATE om_portal_auditentry SET at = at - interval '400 days' WHERE id = %s", [line.pk]))
    with (
        pytest.raises(DatabaseError, match="purge mark"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM om_portal_auditentry WHERE id = %s", [line.pk])


def test_lines_left_below_the_purge_mark_are_flagged(settings, monkeypatch):
    import datetime as dt

    from django.utils import timezone

    now = timezone.now()
    monkeypatch.setattr(timezone, "now", lambda: now - dt.timedelta(days=400))
    (old,) = _lines(1)
    monkeypatch.setattr(timezone, "now", lambda: now)
    _lines(1)
    assert audit.purge() == 1
    columns = [f.column for f in AuditEntry._meta.concrete_fields]
    values = [getattr(old, f.attname) for f in AuditEntry._meta.concrete_fields]
    values = [json.dumps(v) if isinstance(v, dict) else v for v in values]
    placeholders = ", ".join(["%s"] * len(columns))
    insert = f"INSERT INTO om_portal_auditentry ({', '.join(columns)}) VALUES ({placeholders})"  # noqa: S608
    _as_owner((insert, values))
    _, problems = audit.verify()
    assert [p.entry_id for p in problems] == [None] and "purge mark" in problems[0].message


def test_lines_from_before_the_key_still_verify_and_are_sealed_by_the_first_keyed_one():
    first, second = _lines(2)
    # As migration 0005 found them: chained with plain SHA-256.
    first_hash = _unkeyed(first, audit.GENESIS)
    second_hash = _unkeyed(second, first_hash)
    rehash = "UPDATE om_portal_auditentry SET prev_hash = %s, hash = %s WHERE id = %s"
    head = AuditChain.objects.get(pk=1)
    head.last_hash, head.unkeyed_through = second_hash, second.pk
    _as_owner(
        (rehash, [audit.GENESIS, first_hash, first.pk]),
        (rehash, [first_hash, second_hash, second.pk]),
        ("UPDATE om_portal_auditchain SET last_hash = %s, unkeyed_through = %s, head_mac = %s WHERE id = 1",
         [second_hash, second.pk, audit.head_mac(head)]),
    )  # fmt: skip
    third = audit.record("test")
    assert audit.verify() == (3, [])
    # Rewriting the unkeyed lines now breaks the link the keyed line holds.
    new_first = _unkeyed(AuditEntry(**{**_fields(first), "username": "x"}), audit.GENESIS)
    new_second = _unkeyed(second, new_first)
    _as_owner(
        ("UPDATE om_portal_auditentry SET username = 'x', hash = %s WHERE id = %s", [new_first, first.pk]),
        (rehash, [new_first, new_second, second.pk]),
    )
    assert [p.entry_id for p in audit.verify()[1]] == [third.pk]


def _fields(entry):
    return {f.attname: getattr(entry, f.attname) for f in AuditEntry._meta.concrete_fields}


def test_an_anchor_kept_elsewhere_catches_a_rollback_by_whoever_holds_the_key(tmp_path):
    first, second, third = _lines()
    path = audit_anchor.write(tmp_path)
    call_command("verify_audit", anchor=[str(path)])
    # Someone with the tables and the key: removes the last two lines, re-keys the head.
    head = AuditChain.objects.get(pk=1)
    head.last_id, head.last_hash = first.pk, first.hash
    _as_owner(
        ("DELETE FROM om_portal_auditentry WHERE id >= %s", [second.pk]),
        ("UPDATE om_portal_auditchain SET last_id = %s, last_hash = %s, head_mac = %s WHERE id = 1",
         [first.pk, first.hash, audit.head_mac(head)]),
    )  # fmt: skip
    assert audit.verify() == (1, [])
    problems = audit_anchor.check(audit_anchor.read(path))
    assert [p.entry_id for p in problems] == [third.pk]
    with pytest.raises(CommandError):
        call_command("verify_audit", anchor=[str(path)])


def test_a_forged_anchor_is_refused(tmp_path):
    _lines(2)
    body = audit_anchor.make()
    body["last_id"] += 1
    assert "does not match the key" in audit_anchor.check(body)[0].message


def test_the_anchor_command_and_task_write_todays_anchor(tmp_path, settings):
    (line,) = _lines(1)
    settings.AUDIT_ANCHOR_DIR = tmp_path / "anchors"
    call_command("audit_anchor")
    from om_portal.tasks import write_audit_anchor

    write_audit_anchor()
    (path,) = (tmp_path / "anchors").iterdir()
    body = json.loads(path.read_text())
    assert (body["last_id"], body["last_hash"]) == (line.pk, line.hash)
    assert audit_anchor.check(body) == []


def test_the_auditor_downloads_an_anchor(client, make_user, client_org_a):
    from django.urls import reverse

    from contracts.models import Role

    client.force_login(make_user(Role.AUDITOR, client_org_a))
    (line,) = _lines(1)
    response = client.get(reverse("audit-anchor"))
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    body = json.loads(response.content)
    assert (body["last_id"], body["last_hash"]) == (line.pk, line.hash)
    assert audit_anchor.check(body) == []
    assert AuditEntry.objects.filter(action="export", detail__what="audit_anchor").exists()


def test_a_backup_manifest_serves_as_an_anchor(tmp_path):
    _lines(2)
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"audit_head": {}, "audit_anchor": audit_anchor.make()}))
    call_command("verify_audit", anchor=[str(manifest)])
    (tmp_path / "junk.json").write_text("[]")
    with pytest.raises(CommandError, match="not an anchor"):
        call_command("verify_audit", anchor=[str(tmp_path / "junk.json")])
