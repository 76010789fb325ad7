"""Issue 15: a backup that includes the signing certificates, and a restore that puts the trust
store back. The drill of tests/om_portal/test_backup.py on PostgreSQL: a PDF signed with
certificate A, the renewal to B, a backup, and a fresh installation restored from it where A's PDF
still verifies. The key travels only when the operator asks."""

import json
import stat
import uuid

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from django.db import connection

from reports import signing
from reports.models import SigningCertificate
from tests.om_portal.helpers import clean_env, database_url, manage
from tests.om_portal.test_backup import _psql
from tests.reports.signing_kit import make_certificate, sample_pdf, write_pem

VERIFY = (
    "from reports.signing import verify_pdf\n"
    "r = verify_pdf(open({path!r}, 'rb').read())\n"
    "print('OK' if r.ok else 'NOT OK', r.current_certificate, r.problem)\n"
)


@pytest.fixture
def renewed(transactional_db, settings, tmp_path):
    """Committed (a child process reads it): a PDF signed with A; the portal now configured with B."""
    settings.MEDIA_ROOT = tmp_path / "media"
    a, b = make_certificate("甲市公安局运维平台 2025"), make_certificate("甲市公安局运维平台 2026")
    a_files, b_files = write_pem(tmp_path, "a", a[0], [a[1]]), write_pem(tmp_path, "b", b[0], [b[1]])
    settings.REPORT_SIGNING_CERT_FILE, settings.REPORT_SIGNING_KEY_FILE = map(str, a_files)
    signing.clear_cache()
    signed_a = tmp_path / "signed-a.pdf"
    signed_a.write_bytes(signing.sign_pdf(sample_pdf(), reason="签收"))
    signing.clear_cache()
    yield {"a": a, "b": b, "b_files": b_files, "signed_a": signed_a}
    signing.clear_cache()


def _env(tmp_path, renewed, **more):
    cert, key = renewed["b_files"]
    return clean_env(tmp_path, REPORT_SIGNING_CERT_FILE=str(cert), REPORT_SIGNING_KEY_FILE=str(key), **more)


def _fingerprint(cert) -> str:
    import hashlib

    return hashlib.sha256(cert.public_bytes(Encoding.DER)).hexdigest()


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="the drill uses pg_dump and pg_restore")
def test_the_trust_store_travels_with_the_backup(renewed, tmp_path, settings):
    source = _env(tmp_path, renewed, DATABASE_URL=database_url(), MEDIA_ROOT=str(settings.MEDIA_ROOT))
    folder = tmp_path / "backup"
    done = manage("backup", str(folder), env=source)
    assert done.returncode == 0, done.stderr
    assert "2 signing certificates" in done.stdout and "WARNING" not in done.stderr
    a, b = _fingerprint(renewed["a"][1]), _fingerprint(renewed["b"][1])
    # B had not signed yet: the backup records it, and carries both certificates, never a key.
    part = json.loads((folder / "manifest.json").read_text())["parts"]["reports"]
    assert sorted(part["certificates"]) == sorted([a, b]) and part["current"] == b and not part["key"]
    assert {p.name for p in (folder / "signing" / "trust").iterdir()} == {f"{a}.pem", f"{b}.pem"}
    assert (folder / "signing" / "current-cert.pem").read_bytes() == renewed["b_files"][0].read_bytes()
    assert not (folder / "signing" / "current-key.pem").exists()
    assert not any(b"PRIVATE KEY" in p.read_bytes() for p in (folder / "signing").rglob("*.pem"))

    name = f"om_restore_{uuid.uuid4().hex[:8]}"
    _psql(f"CREATE DATABASE {name}")
    try:
        target = _env(
            tmp_path,
            renewed,
            DATABASE_URL=database_url().rsplit("/", 1)[0] + f"/{name}",
            MEDIA_ROOT=str(tmp_path / "restored-media"),
        )
        done = manage("restore", str(folder), env=target)
        assert done.returncode == 0, done.stderr + done.stdout
        done = manage("signing_certificates", env=target)
        assert done.returncode == 0, done.stderr
        assert "甲市公安局运维平台 2025" in done.stdout and done.stdout.count("(earlier;") == 1
        # On the restored installation, the PDF signed before the renewal verifies.
        done = manage("shell", "-c", VERIFY.format(path=str(renewed["signed_a"])), env=target)
        assert done.stdout.strip().endswith("\nOK False"), done.stderr + done.stdout
    finally:
        connection.close()
        _psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_the_key_goes_in_only_when_asked(renewed, tmp_path, settings):
    source = _env(tmp_path, renewed, DATABASE_URL=database_url(), MEDIA_ROOT=str(settings.MEDIA_ROOT))
    folder = tmp_path / "with-key"
    done = manage("backup", "--include-signing-key", str(folder), env=source)
    assert done.returncode == 0, done.stderr
    key = folder / "signing" / "current-key.pem"
    assert key.read_bytes() == renewed["b_files"][1].read_bytes()
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert "WARNING" in done.stderr and "current-key.pem" in done.stderr
    assert json.loads((folder / "manifest.json").read_text())["parts"]["reports"]["key"] is True


def test_a_restore_puts_back_a_certificate_the_database_lacks(renewed, tmp_path, settings):
    """The PEM files are a second copy: a certificate missing from the rows comes back from them."""
    from reports import trust

    settings.REPORT_SIGNING_CERT_FILE, settings.REPORT_SIGNING_KEY_FILE = map(str, renewed["b_files"])
    signing.clear_cache()
    folder = tmp_path / "backup"
    section = trust.backup_files(folder, include_key=False)
    SigningCertificate.objects.all().delete()
    assert trust.restore_files(folder, section) == []
    assert set(SigningCertificate.objects.values_list("fingerprint", flat=True)) == set(
        section["certificates"]
    )
    assert signing.verify_pdf(renewed["signed_a"].read_bytes()).ok
    # And one the backup lists but carries no file for is named.
    (folder / "signing" / "trust" / f"{section['current']}.pem").unlink()
    SigningCertificate.objects.filter(fingerprint=section["current"]).delete()
    assert trust.restore_files(folder, section) == [
        f"signing certificate {section['current']}: not in the restored trust store"
    ]


@pytest.mark.django_db
def test_a_backed_up_development_key_is_put_back(settings, tmp_path):
    """The embedded mode's development certificate: a restored installation goes on signing with it."""
    from reports import trust

    settings.REPORT_SIGNING_CERT_FILE = settings.REPORT_SIGNING_KEY_FILE = ""
    settings.REPORT_SIGNING_DEV_DIR = tmp_path / "old"
    signing.clear_cache()
    signed = signing.sign_pdf(sample_pdf(), reason="签收")
    section = trust.backup_files(tmp_path / "backup", include_key=True)

    settings.REPORT_SIGNING_DEV_DIR = tmp_path / "new"  # the new installation has none yet
    signing.clear_cache()
    assert trust.restore_files(tmp_path / "backup", section) == []
    key = tmp_path / "new" / signing.DEV_KEY_NAME
    assert key.read_bytes() == (tmp_path / "old" / signing.DEV_KEY_NAME).read_bytes()
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    result = signing.verify_pdf(signed)
    assert result.ok and result.current_certificate
    signing.clear_cache()
