"""The verification page and reports.verification: a real signed PDF or its hash, looked up among
the signed-off report versions and acceptance packages, and checked with pyhanko."""

import datetime as dt
import hashlib

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone, translation

from reports import signing
from reports.models import AcceptancePackage, ReportVersion
from reports.verification import Verdict, verify_file, verify_hash
from tests.reports.signing_kit import impostor, sample_pdf, sign_with

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module", autouse=True)
def portal_signing(tmp_path_factory):
    with override_settings(
        REPORT_SIGNING_DEV_DIR=tmp_path_factory.mktemp("signing"),
        REPORT_SIGNING_CERT_FILE="",
        REPORT_SIGNING_KEY_FILE="",
        REPORT_SIGNING_KEY_PASSPHRASE="",
    ):
        yield
    signing.clear_cache()


@pytest.fixture(autouse=True)
def english(client):
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield


@pytest.fixture(scope="module")
def pdfs(portal_signing):
    """Three PDFs signed by the portal: a report version, a package, and one never issued."""
    report = sample_pdf("运维服务周报（2026-06-01 至 2026-06-07）")
    return {
        "unsigned": report,
        "report": signing.sign_pdf(report, reason="签收", record=False),
        "package": signing.sign_pdf(sample_pdf("合同履行验收报告"), reason="验收", record=False),
        # Its signing time makes it differ.
        "not issued": signing.sign_pdf(report, reason="签收", record=False),
    }


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def issued(pdfs, built_report, vendor_manager_a, client_manager_a, term_a):
    """The report PDF as version 2 of contract A's weekly report, the package PDF as its term's
    acceptance package; both sealed."""
    now = timezone.now()
    signed_off_at = dt.datetime(2026, 6, 9, 10, 30, tzinfo=dt.UTC)
    version = ReportVersion.objects.create(
        report=built_report(),
        number=2,
        data={},
        submitted_by=vendor_manager_a,
        submitted_at=signed_off_at,
        signed_off_by=client_manager_a,
        signed_off_at=signed_off_at,
        sha256=sha(pdfs["report"]),
        sealed_at=now,
    )
    package = AcceptancePackage.objects.create(
        contract=term_a,
        period_start=term_a.starts_on,
        period_end=term_a.ends_on,
        status=AcceptancePackage.Status.SIGNED_OFF,
        signed_off_by=client_manager_a,
        signed_off_at=signed_off_at,
        sha256=sha(pdfs["package"]),
        sealed_at=now,
    )
    return version, package


def upload(client, data: bytes, name="report.pdf"):
    return client.post(reverse("reports:verify"), {"file": SimpleUploadedFile(name, data, "application/pdf")})


# --- reports.verification ---------------------------------------------------------------------------


def test_the_issued_file_is_authentic_with_its_details(pdfs, issued, client_manager_a):
    result = verify_file(pdfs["report"], user=client_manager_a)
    assert result.verdict == Verdict.AUTHENTIC and result.found and result.signature.ok
    assert result.note == ""
    found = result.issued
    assert (found.kind, found.contract_code, found.title, found.version) == (
        "report",
        "A-2026-OM",
        "Weekly report",
        2,
    )
    assert (found.period_start, found.period_end) == (dt.date(2026, 6, 1), dt.date(2026, 6, 7))
    assert found.signed_off_by == client_manager_a.username
    assert found.signed_off_at == dt.datetime(2026, 6, 9, 10, 30, tzinfo=dt.UTC)


def test_the_package_is_found_by_its_hash(pdfs, issued, client_manager_a):
    result = verify_hash(sha(pdfs["package"]).upper(), user=client_manager_a)
    assert result.verdict == Verdict.AUTHENTIC
    assert (result.issued.kind, result.issued.title, result.issued.version) == (
        "acceptance",
        "Acceptance package",
        None,
    )
    assert (result.issued.period_start, result.issued.period_end) == (
        dt.date(2026, 5, 29),
        dt.date(2027, 5, 28),
    )


def test_an_outsider_learns_only_that_it_is_authentic(pdfs, issued, outsider):
    for result in (
        verify_file(pdfs["report"], user=outsider),
        verify_hash(sha(pdfs["package"]), user=outsider),
    ):
        assert result.verdict == Verdict.AUTHENTIC and result.found
        assert result.issued is None and result.hidden


def test_a_file_signed_by_the_portal_but_not_issued(pdfs, issued):
    result = verify_file(pdfs["not issued"])
    assert result.signature.ok and not result.found
    assert result.verdict == Verdict.NOT_ISSUED
    assert "not a document the portal issued" in result.message


def test_a_changed_byte_is_altered(pdfs, issued):
    changed = bytearray(pdfs["report"])
    changed[len(changed) // 3] ^= 0x20
    result = verify_file(bytes(changed))
    assert not result.found and not result.signature.intact
    assert result.verdict == Verdict.ALTERED
    assert (
        result.note
        == "The document was changed after it was signed: its content no longer matches the signature."
    )


def test_a_byte_appended_is_altered(pdfs, issued):
    result = verify_file(pdfs["report"] + b" ")
    assert result.verdict == Verdict.ALTERED and not result.signature.covers_whole_file


def test_a_file_signed_by_someone_else_is_foreign(pdfs):
    result = verify_file(sign_with(pdfs["unsigned"], *impostor()))
    assert result.verdict == Verdict.FOREIGN and not result.signature.trusted


def test_an_unsigned_pdf(pdfs):
    assert verify_file(pdfs["unsigned"]).verdict == Verdict.UNSIGNED


@pytest.mark.parametrize(
    ("data", "message"),
    [(b"", "The file is empty."), (b"GIF89a", "The file is not a PDF.")],
)
def test_a_file_that_is_no_pdf(data, message):
    result = verify_file(data)
    assert (result.verdict, result.message) == (Verdict.INVALID, message)


def test_a_broken_pdf_is_altered_without_raising():
    result = verify_file(b"%PDF-1.7\n% broken\n")
    assert result.verdict == Verdict.ALTERED
    assert result.note == "The file is damaged: it cannot be read as a PDF."


@pytest.mark.parametrize("text", ["", "abc", "g" * 64, "a" * 63, "a" * 65, None])
def test_a_bad_hash_is_a_clear_error(text):
    result = verify_hash(text)
    assert result.verdict == Verdict.INVALID and not result.found
    assert result.message == "A SHA-256 hash is 64 hexadecimal characters (0–9, a–f)."


def test_an_unknown_hash():
    result = verify_hash("0" * 64)
    assert result.verdict == Verdict.UNKNOWN and not result.found


def test_a_hash_with_spaces_and_colons_is_read(pdfs, issued):
    digest = sha(pdfs["report"])
    grouped = ":".join(digest[i : i + 2] for i in range(0, 64, 2)).upper()
    assert verify_hash(f"  {grouped}\n").verdict == Verdict.AUTHENTIC


# --- The page -------------------------------------------------------------------------------------------


def test_the_page_needs_a_login(client):
    response = client.get(reverse("reports:verify"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_the_page_shows_the_form_and_the_certificate(client, client_staff_a):
    client.force_login(client_staff_a)
    response = client.get(reverse("reports:verify"))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'enctype="multipart/form-data"' in body and 'name="sha256"' in body
    assert signing.signing_certificate().sha256_fingerprint in body


def test_uploading_the_issued_report(client, client_manager_a, pdfs, issued):
    client.force_login(client_manager_a)
    response = upload(client, pdfs["report"])
    assert response.status_code == 200
    assert response.context["result"].verdict == Verdict.AUTHENTIC
    body = response.content.decode()
    assert "Authentic: this file is exactly a document issued and signed by this portal." in body
    assert "A-2026-OM" in body and "甲市运维服务" in body and "2026-06-01 – 2026-06-07" in body
    assert f"<dd>{client_manager_a.username}</dd>" in body
    assert sha(pdfs["report"]) in body


def test_an_outsider_sees_no_contract_details(client, outsider, pdfs, issued, client_manager_a):
    client.force_login(outsider)
    for response in (
        upload(client, pdfs["report"]),
        client.get(reverse("reports:verify"), {"sha256": sha(pdfs["package"])}),
    ):
        assert response.status_code == 200
        assert response.context["result"].verdict == Verdict.AUTHENTIC
        body = response.content.decode()
        assert "issued and signed by this portal" in body
        assert "The document belongs to a contract you cannot see" in body
        for detail in ("A-2026-OM", "甲市运维服务", f"<dd>{client_manager_a.username}</dd>", "2026-06-01"):
            assert detail not in body


def test_pasting_the_hash(client, vendor_engineer_a, pdfs, issued):
    client.force_login(vendor_engineer_a)
    response = client.post(reverse("reports:verify"), {"sha256": sha(pdfs["package"])})
    assert response.status_code == 200
    assert response.context["result"].verdict == Verdict.AUTHENTIC
    assert "Acceptance package" in response.content.decode()


def test_an_altered_upload_is_called_altered(client, client_manager_a, pdfs, issued):
    client.force_login(client_manager_a)
    changed = bytearray(pdfs["report"])
    changed[len(changed) // 2] ^= 0x01
    response = upload(client, bytes(changed))
    assert response.context["result"].verdict == Verdict.ALTERED
    body = response.content.decode()
    assert "Altered: the file was changed after it was signed." in body
    assert "A-2026-OM" not in body


@pytest.mark.parametrize(
    ("post", "error"),
    [
        ({"sha256": "not a hash"}, "A SHA-256 hash is 64 hexadecimal characters (0–9, a–f)."),
        ({}, "Choose a PDF file, or paste its SHA-256 hash."),
        ({"file": ("a.pdf", b"GIF89a not a pdf")}, "The file is not a PDF."),
        ({"file": ("a.pdf", b"")}, "The submitted file is empty."),  # Django's own message
        ({"file": ("a.pdf", b"%PDF-1.7\n"), "sha256": "0" * 64}, "Give either a file or a hash, not both."),
    ],
)
def test_bad_input_is_a_clear_error(client, client_staff_a, post, error):
    client.force_login(client_staff_a)
    if "file" in post:
        name, data = post["file"]
        post = {**post, "file": SimpleUploadedFile(name, data, "application/pdf")}
    response = client.post(reverse("reports:verify"), post)
    assert response.status_code == 400
    assert response.context["result"] is None
    assert error in response.content.decode()


def test_a_file_over_the_limit_is_refused(client, client_staff_a, pdfs, settings):
    # The limit 10,000 bytes, the signed sample several times that.
    settings.REPORT_VERIFY_MAX_BYTES = 10_000
    assert len(pdfs["report"]) > 10_000
    client.force_login(client_staff_a)
    response = upload(client, pdfs["report"])
    assert response.status_code == 400 and response.context["result"] is None
    assert "the largest file accepted is 9.8\xa0KB" in response.content.decode()


def _zh_text(response) -> str:
    """The verdict's section of the page (the portal's own certificate follows it)."""
    from tests.test_no_raw_codes import visible_text

    text = " ".join(visible_text(response.content.decode()).split())
    assert "Common Name" not in text  # the certificate's subject names its parts in Chinese
    return text.split("本平台签名证书")[0]


def test_a_tampered_upload_says_plainly_altered_not_the_portals(client, client_manager_a, pdfs, issued):
    # Issue 18: the page read 签名有效 "是" beside 使用本平台证书签名 "否" for a tampered file.
    client.force_login(client_manager_a)
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    changed = bytearray(pdfs["report"])
    changed[len(changed) // 2] ^= 0x01
    text = _zh_text(upload(client, bytes(changed)))
    assert "已被篡改" in text
    assert "文件内容 签名后被篡改，签名不能证明其内容" in text
    assert "本平台出具 否：不是本平台出具的文件" in text
    # Nothing the altered file's signature would seem to vouch for.
    for misleading in ("签名有效", "使用本平台证书签名", "签名证书", "签名人", " 是 "):
        assert misleading not in text, misleading


def test_an_authentic_upload_reads_yes_throughout(client, client_manager_a, pdfs, issued):
    client.force_login(client_manager_a)
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    text = _zh_text(upload(client, pdfs["report"]))
    assert "文件内容 签名后未被修改" in text
    assert "签名证书 本平台的签名证书" in text
    assert "本平台出具 是" in text
    assert "否" not in text.split("数字签名", 1)[1].split("SHA-256", 1)[0]


def test_a_file_signed_by_someone_else_says_so(client, client_manager_a, pdfs):
    client.force_login(client_manager_a)
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    text = _zh_text(upload(client, sign_with(pdfs["unsigned"], *impostor())))
    assert "签名证书 其他证书，不是本平台的证书" in text
    assert "本平台出具 否：不是本平台出具的文件" in text
