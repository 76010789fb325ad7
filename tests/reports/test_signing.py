"""PAdES signing of real WeasyPrint PDFs, checked with pyhanko, and what verify_pdf says when the
file was tampered with, signed by someone else, or is not a signed PDF at all."""

import datetime as dt
import io
import multiprocessing
import os
import stat
import subprocess

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from django.utils import timezone, translation
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import SignatureCoverageLevel, validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from reports import signing
from tests.reports.signing_kit import impostor, make_certificate, sample_pdf, sign_with, write_pem

CHANGED = "The document was changed after it was signed: its content no longer matches the signature."
UNCOVERED = "The file was changed after it was signed: it holds bytes that the signature does not cover."
NOT_OURS = "The signature was not made with this portal's signing certificate."

# A certificate other than the current one is looked up in the trust store (the database).
pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module", autouse=True)
def portal_signing(tmp_path_factory):
    """A development certificate of its own for the module (not the one under var/)."""
    directory = tmp_path_factory.mktemp("signing")
    with override_settings(
        REPORT_SIGNING_DEV_DIR=directory,
        REPORT_SIGNING_CERT_FILE="",
        REPORT_SIGNING_KEY_FILE="",
        REPORT_SIGNING_KEY_PASSPHRASE="",
    ):
        yield directory
    signing.clear_cache()


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture(scope="module")
def unsigned():
    return sample_pdf()


@pytest.fixture(scope="module")
def signed(portal_signing, unsigned):
    return signing.sign_pdf(
        unsigned, reason="签收确认", location="甲市", name="A-2026-OM 月报 v1", record=False
    )


def byte_range(pdf: bytes):
    (embedded,) = PdfFileReader(io.BytesIO(pdf)).embedded_signatures
    return [int(n) for n in embedded.byte_range]


def flipped(pdf: bytes, position: int) -> bytes:
    changed = bytearray(pdf)
    changed[position] ^= 0x01
    return bytes(changed)


def test_pyhanko_validates_the_signed_report(signed, unsigned):
    reader = PdfFileReader(io.BytesIO(signed))
    (embedded,) = reader.embedded_signatures
    assert embedded.field_name == "Signature1"
    assert embedded.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"  # PAdES
    assert embedded.sig_object["/Reason"] == "签收确认"
    # Invisible: the field's widget has no area.
    assert [float(n) for n in embedded.sig_field["/Rect"]] == [0, 0, 0, 0]

    context = ValidationContext(trust_roots=[signing.signing_certificate()], allow_fetching=False)
    status = validate_pdf_signature(embedded, context)
    assert (status.intact, status.valid, status.trusted) == (True, True, True)
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    # The signature is an incremental update: the report itself is unchanged before it.
    assert signed.startswith(unsigned)

    text = subprocess.run(["pdftotext", "-", "-"], input=signed, capture_output=True, check=True).stdout
    assert "运维服务月报" in text.decode()


def test_verify_pdf_accepts_the_signed_report(signed):
    before = timezone.now()
    result = signing.verify_pdf(signed)
    assert result.ok, result.problem
    assert (result.signed, result.intact, result.valid, result.trusted, result.covers_whole_file) == (
        True,
        True,
        True,
        True,
        True,
    )
    assert result.problem == ""
    assert result.signer == signing.DEV_COMMON_NAME
    # Signed by the module fixture moments ago; the PDF's /M has whole seconds.
    assert before - dt.timedelta(minutes=5) <= result.signed_at <= before + dt.timedelta(seconds=1)


def test_one_byte_changed_in_the_middle_fails(signed):
    position = len(signed) // 2
    first_length = byte_range(signed)[1]
    assert position < first_length  # inside the signed bytes, not the signature's own hex
    result = signing.verify_pdf(flipped(signed, position))
    assert not result.ok
    assert result.signed and not result.intact
    assert result.problem == CHANGED


def test_one_byte_appended_fails(signed):
    result = signing.verify_pdf(signed + b"\n")
    assert not result.ok
    # The signed bytes are untouched; what was added is outside them.
    assert result.intact and result.valid and not result.covers_whole_file
    assert result.problem == UNCOVERED


def test_one_byte_changed_inside_the_page_content_stream_fails(signed):
    reader = PdfFileReader(io.BytesIO(signed))
    page = reader.root["/Pages"]["/Kids"][0]
    contents = page["/Contents"]
    stream = contents[0] if isinstance(contents, list) else contents
    encoded = stream.encoded_data
    assert signed.count(encoded) == 1
    position = signed.index(encoded) + len(encoded) // 2
    result = signing.verify_pdf(flipped(signed, position))
    assert not result.ok and not result.intact
    assert result.problem == CHANGED


def test_a_changed_byte_in_the_signature_padding_fails(signed):
    # /Contents is the signature in hex followed by zero padding, outside the signed range;
    # pyhanko alone ignores the padding, so the portal checks it.
    first_length, second_start = byte_range(signed)[1:3]
    gap = signed[first_length:second_start]
    assert gap.endswith(b"00>")
    result = signing.verify_pdf(flipped(signed, second_start - 2))  # "0" → "1"
    assert not result.ok and not result.covers_whole_file
    assert result.problem == UNCOVERED


def test_a_hex_digit_of_the_signature_in_the_other_case_fails(signed):
    first_length, second_start = byte_range(signed)[1:3]
    gap = signed[first_length:second_start]
    letter = next(i for i, ch in enumerate(gap) if chr(ch) in "ABCDEF")
    changed = bytearray(signed)
    changed[first_length + letter] = ord(chr(gap[letter]).lower())
    result = signing.verify_pdf(bytes(changed))
    assert not result.ok and not result.covers_whole_file


def test_a_pdf_signed_with_another_certificate_is_not_trusted(unsigned):
    key, cert = impostor()  # the same name as the portal's certificate, another key
    result = signing.verify_pdf(sign_with(unsigned, key, cert))
    assert result.signed and result.intact and result.valid and result.covers_whole_file
    assert not result.trusted and not result.ok
    assert result.signer == signing.DEV_COMMON_NAME
    assert result.problem == NOT_OURS


def test_a_second_signature_is_a_problem(signed):
    twice = sign_with(signed, *make_certificate("第二签章"), field_name="Signature2")
    result = signing.verify_pdf(twice)
    assert not result.ok
    assert (
        result.problem
        == "The file carries 2 signatures; a document issued by this portal carries exactly one."
    )


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"", "The file is not a PDF."),
        (b"PK\x03\x04 a zip archive", "The file is not a PDF."),
        (os.urandom(4096).replace(b"%PDF-", b"xxxxx"), "The file is not a PDF."),
        (
            b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n",
            "The file is damaged: it cannot be read as a PDF.",
        ),
    ],
)
def test_garbage_is_not_signed_and_raises_nothing(data, problem):
    result = signing.verify_pdf(data)
    assert not result.signed and not result.ok
    assert result.problem == problem


def test_a_truncated_signed_pdf_is_not_accepted(signed):
    result = signing.verify_pdf(signed[: len(signed) - 200])
    assert not result.ok
    assert result.problem


def test_an_unsigned_pdf_says_so(unsigned):
    result = signing.verify_pdf(unsigned)
    assert result.readable and not result.signed and not result.ok
    assert result.problem == "The PDF carries no digital signature."


# --- The development certificate ----------------------------------------------------------------


def test_development_certificate_is_generated_once_and_reused(tmp_path, settings, unsigned):
    directory = tmp_path / "signing"
    settings.REPORT_SIGNING_DEV_DIR = directory
    signing.clear_cache()
    first = signing.signing_certificate()

    cert_file, key_file = directory / signing.DEV_CERT_NAME, directory / signing.DEV_KEY_NAME
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    cert = x509.load_pem_x509_certificate(cert_file.read_bytes())
    assert cert.subject.rfc4514_string() == "CN=运维合同管理平台 报告签章 (开发用)"
    assert cert.issuer == cert.subject
    # Valid ten years: 3650 days after it was made, and from an hour before.
    assert cert.not_valid_after_utc - cert.not_valid_before_utc == dt.timedelta(days=3650, hours=1)
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment
    assert isinstance(cert.public_key(), rsa.RSAPublicKey) and cert.public_key().key_size == 2048
    files_before = {p.name: p.read_bytes() for p in directory.iterdir()}
    assert set(files_before) == {".lock", signing.DEV_CERT_NAME, signing.DEV_KEY_NAME}  # no temp files left

    signing.clear_cache()  # as a new process would
    assert signing.signing_certificate().dump() == first.dump()
    assert {p.name: p.read_bytes() for p in directory.iterdir()} == files_before
    assert signing.verify_pdf(signing.sign_pdf(unsigned, reason="r")).ok


def _race(directory, barrier, results):
    # In a forked child: Django is set up and settings are overridden as in the parent.
    with override_settings(REPORT_SIGNING_DEV_DIR=directory):
        signing.clear_cache()
        barrier.wait()
        results.put(signing.signing_certificate().dump())


def test_racing_processes_end_with_one_certificate(tmp_path):
    directory = tmp_path / "signing"
    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(4), context.Queue()
    processes = [context.Process(target=_race, args=(directory, barrier, results)) for _ in range(4)]
    for process in processes:
        process.start()
    certificates = [results.get(timeout=60) for _ in processes]
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    on_disk = x509.load_pem_x509_certificate((directory / signing.DEV_CERT_NAME).read_bytes())
    from cryptography.hazmat.primitives.serialization import Encoding

    # Every process signs with the certificate that stayed on disk.
    assert set(certificates) == {on_disk.public_bytes(Encoding.DER)}
    assert sorted(p.name for p in directory.iterdir()) == [
        ".lock",
        signing.DEV_CERT_NAME,
        signing.DEV_KEY_NAME,
    ]


# --- A configured certificate -----------------------------------------------------------------------


@pytest.fixture
def issued_by_ca(tmp_path):
    """A signing certificate issued by a CA: the certificate file holds it and then the CA."""
    ca = make_certificate("测试根证书", ca=True)
    key, cert = make_certificate("甲市公安局运维平台", issuer=ca)
    cert_file, key_file = write_pem(tmp_path, "portal", key, [cert, ca[1]], passphrase="s3cret")
    return cert_file, key_file, cert, ca


def test_a_configured_certificate_is_used_instead(settings, tmp_path, issued_by_ca, unsigned, signed):
    cert_file, key_file, cert, _ca = issued_by_ca
    settings.REPORT_SIGNING_CERT_FILE = str(cert_file)
    settings.REPORT_SIGNING_KEY_FILE = str(key_file)
    settings.REPORT_SIGNING_KEY_PASSPHRASE = "s3cret"
    settings.REPORT_SIGNING_DEV_DIR = tmp_path / "dev"
    signing.clear_cache()

    from cryptography.hazmat.primitives.serialization import Encoding

    assert signing.signing_certificate().dump() == cert.public_bytes(Encoding.DER)
    result = signing.verify_pdf(signing.sign_pdf(unsigned, reason="签收"))
    assert result.ok, result.problem
    assert result.signer == "甲市公安局运维平台"
    # The CA goes into the signature, for readers that trust it.
    (embedded,) = PdfFileReader(io.BytesIO(signing.sign_pdf(unsigned, reason="r"))).embedded_signatures
    assert "测试根证书" in [c.subject.native["common_name"] for c in embedded.other_embedded_certs]
    assert not (tmp_path / "dev").exists()  # no development certificate was made
    # A PDF signed with the development certificate is not the configured portal's.
    assert signing.verify_pdf(signed).problem == NOT_OURS


def test_another_certificate_of_the_same_ca_is_not_trusted(settings, tmp_path, issued_by_ca, unsigned):
    cert_file, key_file, _cert, ca = issued_by_ca
    settings.REPORT_SIGNING_CERT_FILE, settings.REPORT_SIGNING_KEY_FILE = str(cert_file), str(key_file)
    settings.REPORT_SIGNING_KEY_PASSPHRASE = "s3cret"
    signing.clear_cache()
    # The portal's CA issued it too, but that does not make it the portal's signature.
    sibling = make_certificate("别的单位", issuer=ca)
    result = signing.verify_pdf(sign_with(unsigned, *sibling))
    assert result.intact and result.valid and not result.trusted
    assert result.problem == NOT_OURS


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"REPORT_SIGNING_KEY_FILE": ""}, "must be set together"),
        ({"REPORT_SIGNING_CERT_FILE": "/nonexistent/portal.crt"}, "cannot read '/nonexistent/portal.crt'"),
        ({"REPORT_SIGNING_KEY_PASSPHRASE": "wrong"}, "or the passphrase is wrong"),
        ({"REPORT_SIGNING_KEY_PASSPHRASE": ""}, "do not go together"),
        ("other key", "does not belong to the certificate"),
        ("not a certificate", "is not a PEM certificate"),
    ],
)
def test_a_broken_configuration_is_reported_clearly(settings, tmp_path, issued_by_ca, change, message):
    cert_file, key_file = issued_by_ca[:2]
    settings.REPORT_SIGNING_CERT_FILE, settings.REPORT_SIGNING_KEY_FILE = str(cert_file), str(key_file)
    settings.REPORT_SIGNING_KEY_PASSPHRASE = "s3cret"
    if change == "other key":
        other_key, other_cert = make_certificate("另一张")
        settings.REPORT_SIGNING_KEY_FILE = str(
            write_pem(tmp_path, "other", other_key, [other_cert], "s3cret")[1]
        )
    elif change == "not a certificate":
        cert_file.write_text("hello")
    else:
        for name, value in change.items():
            setattr(settings, name, value)
    signing.clear_cache()
    with pytest.raises(ImproperlyConfigured, match=message):
        signing.signer()
