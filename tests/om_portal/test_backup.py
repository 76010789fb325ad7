"""The backup and restore drill: a real backup of a portal with signed PDFs and an audit trail,
restored by another process into a fresh database and media folder, checked against its manifest."""

import datetime as dt
import hashlib
import json
import subprocess
import tarfile
import uuid

import pytest
from django.db import connection

from om_portal.models import AuditEntry
from reports import services
from reports.models import Report, ReportKind
from tests.om_portal.helpers import clean_env, database_url, manage
from tests.reports.report_data import at, incident, set_term


@pytest.fixture
def signed_portal(transactional_db, settings, tmp_path, contract_a, vendor_manager_a, client_manager_a):
    """Committed data (another process reads it): contract A with a signed, sealed weekly report."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.REPORT_SIGNING_DEV_DIR = tmp_path / "signing"
    set_term(contract_a)
    incident(contract_a, at(2026, 6, 2, 9, 0), title="门户登录超时")
    report = services.create_report(
        contract_a, ReportKind.WEEKLY, dt.date(2026, 6, 1), dt.date(2026, 6, 7), by=vendor_manager_a
    )
    services.request_build(report, by=vendor_manager_a)
    assert services.run_build(report.pk)
    services.submit(Report.objects.get(pk=report.pk), by=vendor_manager_a)
    version = services.sign_off(report, by=client_manager_a)
    assert services.seal_version(version.pk)
    version.refresh_from_db()
    return version


def _psql(sql):
    subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-c", sql],
        check=True,
        capture_output=True,
    )


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="the drill uses pg_dump and pg_restore")
def test_backup_restores_into_a_fresh_database(signed_portal, tmp_path, settings):
    backup = tmp_path / "backup"
    source = clean_env(tmp_path, DATABASE_URL=database_url(), MEDIA_ROOT=str(settings.MEDIA_ROOT))
    done = manage("backup", str(backup), env=source)
    assert done.returncode == 0, done.stderr
    manifest = json.loads((backup / "manifest.json").read_text())
    assert manifest["signed_documents"] == {signed_portal.pdf.name: signed_portal.sha256}
    assert manifest["rows"]["om_portal_auditentry"] == AuditEntry.objects.count() > 0
    # Issue 14: the head is also anchored (HMAC'd), and the restore checks it.
    assert manifest["audit_anchor"]["last_id"] == manifest["audit_head"]["last_id"] > 0

    name = f"om_restore_{uuid.uuid4().hex[:8]}"
    _psql(f"CREATE DATABASE {name}")
    try:
        target_url = database_url().rsplit("/", 1)[0] + f"/{name}"
        target = clean_env(tmp_path, DATABASE_URL=target_url, MEDIA_ROOT=str(tmp_path / "restored-media"))
        done = manage("restore", str(backup), env=target)
        assert done.returncode == 0, done.stderr + done.stdout
        assert "match the backup" in done.stdout
        done = manage("verify_audit", env=target)
        assert done.returncode == 0 and "intact" in done.stdout
        # The restored signed PDF is the same file.
        restored = tmp_path / "restored-media" / signed_portal.pdf.name
        assert restored.read_bytes() == signed_portal.pdf.open("rb").read()
        # A second restore into the now full database is refused, and changes nothing.
        done = manage("restore", str(backup), env=target)
        assert done.returncode != 0 and "not empty" in done.stderr
    finally:
        connection.close()
        _psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_a_changed_pdf_in_the_backup_is_found(tmp_path):
    """SQLite end to end in child processes: a portal made by migrate and the seed loader."""
    source = clean_env(tmp_path, OM_VAR_DIR=str(tmp_path / "source"))
    for command in (["migrate", "--verbosity=0"], ["load_seed_contracts"]):
        done = manage(*command, env=source)
        assert done.returncode == 0, done.stderr
    # A signed document on record, as a sealed report leaves one.
    media = tmp_path / "source" / "media" / "reports" / "signed"
    media.mkdir(parents=True)
    (media / "x.pdf").write_bytes(b"%PDF-1.7 signed")
    digest = hashlib.sha256(b"%PDF-1.7 signed").hexdigest()
    done = manage("shell", "-c", _fake_version(digest), env=source)
    assert done.returncode == 0, done.stderr
    backup = tmp_path / "backup"
    done = manage("backup", str(backup), env=source)
    assert done.returncode == 0, done.stderr

    target = clean_env(tmp_path, OM_VAR_DIR=str(tmp_path / "target"))
    (tmp_path / "target").mkdir()
    done = manage("restore", str(backup), env=target)
    assert done.returncode == 0, done.stderr + done.stdout

    # The same backup with one byte of the PDF changed: the restore says which file.
    other = clean_env(tmp_path, OM_VAR_DIR=str(tmp_path / "other"))
    (tmp_path / "other").mkdir()
    with tarfile.open(backup / "media.tar.gz") as archive:
        archive.extractall(tmp_path / "unpacked", filter="data")
    (tmp_path / "unpacked" / "media" / "reports" / "signed" / "x.pdf").write_bytes(b"%PDF-1.7 signeD")
    with tarfile.open(backup / "media.tar.gz", "w:gz") as archive:
        archive.add(tmp_path / "unpacked" / "media", arcname="media")
    done = manage("restore", str(backup), env=other)
    assert done.returncode != 0 and "reports/signed/x.pdf: its SHA-256 differs" in done.stderr


def _fake_version(digest: str) -> str:
    return (
        "import datetime as dt\n"
        "from django.contrib.auth import get_user_model\n"
        "from django.utils import timezone\n"
        "from contracts.models import Contract\n"
        "from reports.models import Report, ReportVersion\n"
        "u = get_user_model().objects.create_user('signer')\n"
        "c = Contract.objects.get(code='BJ-2026-RP')\n"
        "r = Report.objects.create(contract=c, kind='weekly', period_start=dt.date(2026, 6, 1),"
        " period_end=dt.date(2026, 6, 7), status='signed_off')\n"
        "now = timezone.now()\n"
        "ReportVersion.objects.create(report=r, number=1, data={}, submitted_by=u, submitted_at=now,"
        " signed_off_by=u, signed_off_at=now, pdf='reports/signed/x.pdf',"
        f" sha256='{digest}', sealed_at=now)\n"
    )


def test_a_forged_media_archive_is_refused_before_the_database_is_restored(tmp_path, monkeypatch, settings):
    """A member climbing out of media/ is found before pg_restore runs, not after it: a refused
    restore leaves the new database as empty as it was."""
    import io

    from om_portal import backup

    settings.MEDIA_ROOT = tmp_path / "media"
    folder = tmp_path / "forged"
    folder.mkdir()
    (folder / "manifest.json").write_text(json.dumps({"database": connection.vendor}))
    with tarfile.open(folder / backup.MEDIA_ARCHIVE, "w:gz") as archive:
        payload = b"* * * * * root true\n"
        info = tarfile.TarInfo("media/../../etc/cron.d/portal")
        info.size = len(payload)
        archive.addfile(info, io.BytesIO(payload))
    restored = []
    monkeypatch.setattr(backup, "_database_is_empty", lambda: True)
    monkeypatch.setattr(backup, "_run", lambda command, env: restored.append(command[0]))
    monkeypatch.setattr(backup.shutil, "copyfile", lambda *args: restored.append("copy"))
    with pytest.raises(backup.BackupError, match="refused the member"):
        backup.restore(folder)
    assert restored == []
    assert not (tmp_path / "etc").exists()
