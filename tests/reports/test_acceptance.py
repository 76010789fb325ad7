"""The acceptance package: both parties' sign-off, one signed PDF with bookmarks, the originals."""

import datetime as dt
import hashlib
import io
import subprocess
import zipfile

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from reports import acceptance, services
from reports.models import AcceptancePackage, ReportKind
from reports.services import ReportConflict

pytestmark = pytest.mark.django_db
Status = AcceptancePackage.Status


def _text(pdf: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()


def _outline(pdf: bytes) -> list[str]:
    """The PDF's bookmark titles, depth first."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    titles = []

    def walk(node):
        while node is not None:
            node = node.get_object()
            titles.append(str(node["/Title"]))
            if "/First" in node:
                walk(node["/First"])
            node = node.get("/Next")

    outlines = reader.root.get("/Outlines")
    if outlines is not None and "/First" in outlines.get_object():
        walk(outlines.get_object()["/First"])
    return titles


@pytest.fixture
def signed_week(term_a, vendor_manager_a, client_manager_a):
    """A weekly report of contract A built from the data, signed off and sealed."""

    def make(start):
        report = services.create_report(
            term_a, ReportKind.WEEKLY, start, start + dt.timedelta(days=6), by=vendor_manager_a
        )
        services.request_build(report, by=vendor_manager_a)
        assert services.run_build(report.pk)
        report.refresh_from_db()
        services.update_narrative(report, {"plan": f"{start:%m-%d} 周计划"}, by=vendor_manager_a)
        services.submit(report, by=vendor_manager_a)
        version = services.sign_off(report, by=client_manager_a)
        assert services.seal_version(version.pk)
        version.refresh_from_db()
        return version

    return make


def test_the_package_is_signed_by_both_parties_and_sealed(
    term_a, signed_week, vendor_manager_a, client_manager_a
):
    first, second = signed_week(dt.date(2026, 6, 1)), signed_week(dt.date(2026, 6, 8))
    package = acceptance.create_package(
        term_a,
        AcceptancePackage.Scope.QUARTER,
        dt.date(2026, 5, 29),
        dt.date(2026, 6, 30),
        by=vendor_manager_a,
    )
    with pytest.raises(ValidationError):
        acceptance.submit_package(package, by=vendor_manager_a)  # no statement yet
    acceptance.update_form(package, by=vendor_manager_a, vendor_statement="本季度按合同完成全部运维工作。")
    package = acceptance.submit_package(package, by=vendor_manager_a)
    assert package.status == Status.SUBMITTED
    assert [r["version"] for r in package.data["reports"]] == [1, 1]
    # A vendor role cannot sign the client's part, and nothing changes.
    with pytest.raises(PermissionDenied):
        acceptance.sign_off_package(package, by=vendor_manager_a, conclusion="passed")
    package = acceptance.sign_off_package(
        package, by=client_manager_a, conclusion="passed", opinion="同意验收"
    )
    with pytest.raises(ReportConflict):
        acceptance.update_form(package, by=vendor_manager_a, vendor_statement="改")

    assert acceptance.seal_package(package.pk)
    assert not acceptance.seal_package(package.pk)  # sealed once
    package.refresh_from_db()
    pdf = package.pdf.read()
    assert hashlib.sha256(pdf).hexdigest() == package.sha256
    text = _text(pdf)
    for words in (
        "验收材料",
        "合同履行验收报告",
        "本季度按合同完成全部运维工作",
        "同意验收",
        "☑ 验收合格",
        "甲市公安局",
        "甲科技有限公司",
        "06-01 周计划",
        "06-08 周计划",
    ):
        assert words in text, words
    # One bookmark per part: the form, the summary and each report.
    titles = _outline(pdf)
    assert "合同履行验收报告" in titles and "验收材料汇总" in titles
    assert len(titles) >= 4

    from reports.signing import verify_pdf

    verdict = verify_pdf(pdf)
    assert verdict.intact and verdict.valid and verdict.trusted

    with zipfile.ZipFile(io.BytesIO(package.archive.read())) as archive:
        names = archive.namelist()
        originals = [n for n in names if n.startswith("reports/")]
        assert len(originals) == 2
        # The originals are the reports' own signed files, byte for byte.
        digests = {hashlib.sha256(archive.read(n)).hexdigest() for n in originals}
        assert digests == {first.sha256, second.sha256}
        assert any(n.endswith(".xlsx") for n in names)


def test_a_term_package_needs_the_term(term_a, contract_b, vendor_manager_a, make_user, vendor_org_b):
    package = acceptance.create_package(term_a, AcceptancePackage.Scope.TERM, by=vendor_manager_a)
    assert (package.period_start, package.period_end) == (dt.date(2026, 5, 29), dt.date(2027, 5, 28))
    with pytest.raises(ValidationError):
        acceptance.create_package(term_a, AcceptancePackage.Scope.TERM, by=vendor_manager_a)  # twice
    with pytest.raises(ValidationError):
        acceptance.create_package(
            term_a,
            AcceptancePackage.Scope.CUSTOM,
            dt.date(2026, 5, 1),
            dt.date(2026, 6, 30),
            by=vendor_manager_a,
        )
    with pytest.raises(PermissionDenied):
        acceptance.create_package(contract_b, AcceptancePackage.Scope.TERM, by=vendor_manager_a)


def test_quarters_of_seed_003s_term(term_a):
    # 2026-05-29 to 2027-05-28: a clipped first quarter, three whole ones, a clipped last one.
    assert acceptance.quarters(term_a) == [
        (dt.date(2026, 5, 29), dt.date(2026, 6, 30)),
        (dt.date(2026, 7, 1), dt.date(2026, 9, 30)),
        (dt.date(2026, 10, 1), dt.date(2026, 12, 31)),
        (dt.date(2027, 1, 1), dt.date(2027, 3, 31)),
        (dt.date(2027, 4, 1), dt.date(2027, 5, 28)),
    ]
