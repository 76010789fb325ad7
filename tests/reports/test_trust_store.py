"""Issue 15: after a certificate renewal, PDFs signed with the previous certificate still verify as
authentic. Real certificates made here (A, then B after the renewal, and C that the portal never
used), real WeasyPrint PDFs signed with them, and the trust store that remembers A."""

import datetime as dt
import time

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from reports import signing, trust
from reports.models import SigningCertificate
from reports.verification import Verdict, verify_file
from tests.reports.signing_kit import make_certificate, sample_pdf, sign_with, write_pem

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield
    signing.clear_cache()


def use(settings, cert_file, key_file):
    """Point the portal at a certificate, as an operator does in .env, and restart (clear the cache)."""
    settings.REPORT_SIGNING_CERT_FILE, settings.REPORT_SIGNING_KEY_FILE = str(cert_file), str(key_file)
    settings.REPORT_SIGNING_KEY_PASSPHRASE = ""
    signing.clear_cache()


@pytest.fixture
def renewal(settings, tmp_path):
    """A PDF signed with certificate A, the renewal to B, and a PDF signed with B."""
    a = make_certificate("甲市公安局运维平台 2025")
    b = make_certificate("甲市公安局运维平台 2026")
    use(settings, *write_pem(tmp_path, "a", a[0], [a[1]]))
    signed_a = signing.sign_pdf(sample_pdf("运维服务月报（2025年12月）"), reason="签收")
    use(settings, *write_pem(tmp_path, "b", b[0], [b[1]]))
    signed_b = signing.sign_pdf(sample_pdf("运维服务月报（2026年1月）"), reason="签收")
    return {"a": a, "b": b, "signed_a": signed_a, "signed_b": signed_b}


def test_both_certificates_are_recorded_and_never_a_key(renewal):
    rows = {row.serial: row for row in SigningCertificate.objects.all()}
    assert set(rows) == {format(renewal[n][1].serial_number, "X") for n in ("a", "b")}
    for row in rows.values():
        assert row.pem.startswith("-----BEGIN CERTIFICATE-----")
        assert "PRIVATE KEY" not in row.pem
        assert row.source == SigningCertificate.Source.SIGNED


def test_a_pdf_signed_before_the_renewal_still_verifies(renewal):
    old, new = signing.verify_pdf(renewal["signed_a"]), signing.verify_pdf(renewal["signed_b"])
    assert old.ok, old.problem
    assert new.ok, new.problem
    # Which certificate signed each, and whether it is the current one.
    assert old.certificate.subject == "Common Name: 甲市公安局运维平台 2025"
    assert old.certificate.serial == format(renewal["a"][1].serial_number, "X")
    assert old.certificate.not_after == renewal["a"][1].not_valid_after_utc
    assert not old.current_certificate
    assert new.certificate.subject == "Common Name: 甲市公安局运维平台 2026" and new.current_certificate
    # Through the page's verdict: a valid signature of the portal for both.
    assert verify_file(renewal["signed_a"]).verdict == Verdict.NOT_ISSUED  # signed here, not a kept file


def test_without_the_trust_store_the_old_pdf_would_not_verify(renewal):
    SigningCertificate.objects.exclude(serial=format(renewal["b"][1].serial_number, "X")).delete()
    result = signing.verify_pdf(renewal["signed_a"])
    assert result.intact and result.valid and not result.trusted and not result.ok


def test_an_unknown_certificate_is_not_trusted(renewal):
    c = make_certificate("甲市公安局运维平台 2025")  # even under the very name of A
    result = signing.verify_pdf(sign_with(sample_pdf(), *c))
    assert result.intact and result.valid and not result.trusted
    assert result.problem == "The signature was not made with this portal's signing certificate."
    assert verify_file(sign_with(sample_pdf(), *c)).verdict == Verdict.FOREIGN


def test_a_tampered_pdf_signed_with_the_old_certificate_fails(renewal):
    data = bytearray(renewal["signed_a"])
    middle = len(data) // 3
    data[middle] ^= 0x01
    result = signing.verify_pdf(bytes(data))
    assert not result.ok
    assert verify_file(bytes(data)).verdict == Verdict.ALTERED


def test_a_certificate_is_checked_at_its_signing_time_not_today(settings, tmp_path):
    """The renewed certificate has usually expired by the time its PDFs are checked."""
    # A certificate that ends a few seconds from now signs, then expires.
    key, cert = _expiring_in(seconds=3)
    use(settings, *write_pem(tmp_path, "short", key, [cert]))
    signed = signing.sign_pdf(sample_pdf(), reason="签收")
    use(settings, *write_pem(tmp_path, "next", *_pair(make_certificate("甲市公安局运维平台 新"))))
    time.sleep(max(0.0, (cert.not_valid_after_utc - dt.datetime.now(dt.UTC)).total_seconds()) + 1.5)
    assert cert.not_valid_after_utc < dt.datetime.now(dt.UTC)
    result = signing.verify_pdf(signed)
    assert result.ok, result.problem


def test_a_certificate_expired_when_it_signed_is_not_trusted(settings, tmp_path):
    key, cert = _expiring_in(seconds=-60)
    trust.add_pem(_pem(cert))
    result = signing.verify_pdf(sign_with(sample_pdf(), key, cert))
    assert result.intact and not result.ok
    assert "outside its certificate's validity" in result.problem


def test_the_command_lists_the_store_and_adds_an_older_certificate(renewal, tmp_path, capsys):
    older_key, older = make_certificate("甲市公安局运维平台 2024")
    signed_older = sign_with(sample_pdf(), older_key, older)
    assert not signing.verify_pdf(signed_older).ok
    cert_file, key_file = write_pem(tmp_path, "older", older_key, [older])

    with pytest.raises(CommandError, match="private key"):
        call_command("signing_certificates", "--add", str(key_file))
    with pytest.raises(CommandError, match="cannot read"):
        call_command("signing_certificates", "--add", str(tmp_path / "missing.pem"))
    call_command("signing_certificates", "--add", str(cert_file))
    out = capsys.readouterr().out
    assert "Added: Common Name: 甲市公安局运维平台 2024" in out
    assert out.count("(earlier;") == 2 and out.count("(current;") == 1
    assert format(renewal["b"][1].serial_number, "X") in out

    result = signing.verify_pdf(signed_older)
    assert result.ok and not result.current_certificate
    assert SigningCertificate.objects.get(serial=format(older.serial_number, "X")).source == "added"


def _pair(made):
    key, cert = made
    return key, [cert]


def _pem(cert) -> bytes:
    from cryptography.hazmat.primitives.serialization import Encoding

    return cert.public_bytes(Encoding.PEM)


def _expiring_in(*, seconds):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "甲市公安局运维平台 短期")])
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(seconds=seconds))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def test_the_page_says_which_certificate_signed(renewal, client, client_staff_a):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    client.force_login(client_staff_a)
    client.cookies["django_language"] = "en"
    upload = SimpleUploadedFile("old.pdf", renewal["signed_a"], "application/pdf")
    body = client.post(reverse("reports:verify"), {"file": upload}).content.decode()
    assert format(renewal["a"][1].serial_number, "X") in body
    assert "an earlier certificate of this portal, renewed since" in body
    # The page gives dates in Beijing time: from 16:00 UTC on, that is the next day.
    from django.utils import timezone

    assert timezone.localtime(renewal["a"][1].not_valid_after_utc).strftime("%Y-%m-%d") in body
    # Made with this portal's certificate (an earlier one, renewed since).
    assert (
        '<dt>Signed with</dt><dd><span class="badge status-active">This portal&#x27;s certificate</span>'
        in body
    )
    # The certificate card lists A among the earlier certificates.
    earlier = body.split("Earlier certificates", 1)[1]
    assert "甲市公安局运维平台 2025" in earlier and "甲市公安局运维平台 2026" not in earlier
