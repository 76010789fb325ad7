"""The acceptance package's PDF is assembled from the reports' stored, signed PDFs (issue 17): no
report is laid out again, its pages are the sealed ones, numbered within the package in the
corner, and the ZIP carries each original byte for byte, its signature still valid."""

import datetime as dt
import io
import re
import subprocess
import zipfile

import pytest

from reports import acceptance, rendering
from reports.models import AcceptancePackage
from reports.signing import verify_pdf
from tests.reports.test_acceptance import _outline, signed_week  # noqa: F401  (a fixture)

pytestmark = pytest.mark.django_db


def poppler(tool: str, pdf: bytes, tmp_path, *args) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    command = [tool, *args, str(path), *(["-"] if tool == "pdftotext" else [])]
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


def pages(pdf: bytes, tmp_path) -> list[str]:
    return ["".join(page.split()) for page in poppler("pdftotext", pdf, tmp_path).split("\f")[:-1]]


@pytest.fixture
def sealed(term_a, signed_week, vendor_manager_a, client_manager_a, monkeypatch):  # noqa: F811
    versions = [signed_week(dt.date(2026, 6, 1)), signed_week(dt.date(2026, 6, 8))]
    package = acceptance.create_package(
        term_a,
        AcceptancePackage.Scope.QUARTER,
        dt.date(2026, 5, 29),
        dt.date(2026, 6, 30),
        by=vendor_manager_a,
    )
    acceptance.update_form(package, by=vendor_manager_a, vendor_statement="本季度按合同完成全部运维工作。")
    acceptance.submit_package(package, by=vendor_manager_a)
    package = acceptance.sign_off_package(
        package, by=client_manager_a, conclusion="passed", opinion="同意验收"
    )

    def laid_out_again(*args, **kwargs):
        raise AssertionError("a signed-off report was laid out again")

    # Sealing reads the stored PDFs: a report rendered again would fail the seal.
    monkeypatch.setattr(rendering, "report_html", laid_out_again)
    monkeypatch.setattr(rendering, "report_pdf", laid_out_again)
    assert acceptance.seal_package(package.pk)
    package.refresh_from_db()
    assert not package.seal_error
    return package, versions


def test_the_package_appends_the_stored_reports_pages(sealed, tmp_path):
    package, versions = sealed
    pdf = package.pdf.read()
    verdict = verify_pdf(pdf)
    assert verdict.intact and verdict.valid and verdict.trusted

    originals = [version.pdf.read() for version in versions]
    report_pages = [pages(original, tmp_path) for original in originals]
    package_pages = pages(pdf, tmp_path)
    own = len(package_pages) - sum(len(p) for p in report_pages)
    assert own >= 2
    total = len(package_pages)
    # The package's own pages: numbered over the whole package.
    for number, page in enumerate(package_pages[:own], start=1):
        assert f"第{number}页/共{total}页" in page, page[-80:]
        assert "验收材料第" not in page
    # Then each report's sealed pages, its own footer kept, the package's number in the corner.
    number = own
    for report in report_pages:
        for own_page in report:
            number += 1
            page = package_pages[number - 1]
            assert page.replace(f"验收材料第{number}页/共{total}页", "") == own_page
    assert "06-01周计划" in "".join(package_pages) and "06-08周计划" in "".join(package_pages)

    # Every font embedded, with a Unicode map: the stamps print CJK as well.
    for line in poppler("pdffonts", pdf, tmp_path).splitlines()[2:]:
        assert re.search(r"\byes\s+yes\s+yes\b", line), line

    # The outline: the package's own parts, then each report's own, as the report had it.
    titles = _outline(pdf)
    stored = [title for original in originals for title in _outline(original)]
    assert len(stored) >= 4
    own_titles = titles[: len(titles) - len(stored)]
    assert "合同履行验收报告" in own_titles and "验收材料汇总" in own_titles
    assert titles[len(own_titles) :] == stored


def test_the_zip_carries_the_signed_originals_byte_for_byte(sealed):
    package, versions = sealed
    with zipfile.ZipFile(io.BytesIO(package.archive.read())) as archive:
        originals = {name: archive.read(name) for name in archive.namelist() if name.startswith("reports/")}
    assert sorted(originals.values()) == sorted(version.pdf.read() for version in versions)
    for data in originals.values():
        verdict = verify_pdf(data)
        assert verdict.intact and verdict.valid and verdict.trusted
