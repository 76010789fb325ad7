"""Issue 14, finding 1: an upload that is unpacked or parsed cannot exhaust a worker's memory.

The bombs are the issue's, scaled down so the suite stays quick; before the fix each one cost
hundreds of megabytes (tracemalloc's figure below), after it a few. bench/uploads.py measures the
full-size ones in resident memory.
"""

import importlib.util
import io
import time
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import translation

from contracts import assets_io
from contracts.models import Asset

pytestmark = pytest.mark.django_db

IMPORT_URL = "/contracts/A-2026-OM/assets/import/"
MB = 1024 * 1024


def _bench():
    path = Path(__file__).resolve().parents[2] / "bench" / "uploads.py"
    spec = importlib.util.spec_from_file_location("bench_uploads", path)
    module = importlib.util.module_from_spec(spec)
    import sys

    sys.path.insert(0, str(path.parent))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(path.parent))
    return module


bench = _bench()


def post(client, filename, data):
    """(response, seconds, peak MB of Python allocations) of an import through the page."""
    upload = SimpleUploadedFile(filename, data)
    tracemalloc.start()
    start = time.perf_counter()
    try:
        response = client.post(IMPORT_URL, {"file": upload, "mode": "upsert"})
        return response, time.perf_counter() - start, tracemalloc.get_traced_memory()[1] / MB
    finally:
        tracemalloc.stop()


def reasons(response):
    form, result = response.context["form"], response.context["result"]
    if form.errors:
        return [str(message) for messages in form.errors.values() for message in messages]
    return [error.message for error in result.errors]


@pytest.fixture(autouse=True)
def english(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def engineer(client, vendor_engineer_a, contract_a):
    client.force_login(vendor_engineer_a)
    return vendor_engineer_a


def test_the_csv_bomb_is_refused_at_its_header(client, engineer):
    # 2,000 columns × 2,000 rows (15 KB): before, every row became a dict of 2,000 keys, some
    # 250 MB for this file and 1.2 GB for the 6,000 × 6,000.
    response, _seconds, peak = post(client, "bomb.csv", bench.csv_bomb(2000, 2000))
    assert response.status_code == 400
    assert reasons(response) == ["Row 1 has more than 100 columns."]
    assert peak < 20, f"{peak:.0f} MB"
    assert not Asset.objects.exists()


def test_the_xlsx_bomb_is_refused_before_it_is_unpacked(client, engineer):
    # sharedStrings.xml of 40 MB in a 40 KB file: before, openpyxl read every string and the
    # import went through (peak some 90 MB here; 667 MB at 300 MB, bench/uploads.py).
    data = bench.xlsx_bomb(40 * MB)
    response, _seconds, peak = post(client, "bomb.xlsx", data)
    assert response.status_code == 400
    assert "unpacks to" in reasons(response)[0] or "compressed more than" in reasons(response)[0]
    assert peak < 20, f"{peak:.0f} MB"
    assert not Asset.objects.exists()


@override_settings(ASSET_IMPORT_MAX_COMPRESSION_RATIO=10_000, ASSET_IMPORT_MAX_UNPACKED_BYTES=10 * MB)
def test_the_unpacked_size_is_checked_on_its_own(client, engineer):
    response, _seconds, _peak = post(client, "bomb.xlsx", bench.xlsx_bomb(20 * MB))
    assert response.status_code == 400
    (reason,) = reasons(response)
    assert reason.startswith("The workbook unpacks to 19.") and reason.endswith("at most 10.0 MB is read.")


@override_settings(ASSET_IMPORT_MAX_ARCHIVE_MEMBERS=20)
def test_a_workbook_of_too_many_parts_is_refused(client, engineer):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for n in range(21):
            archive.writestr(f"x/{n}.xml", "<x/>")
    response, _seconds, _peak = post(client, "parts.xlsx", out.getvalue())
    assert response.status_code == 400
    assert "21 parts" in reasons(response)[0]


def test_columns_past_the_limit_are_fine_when_blank():
    # Excel writes the empty cells of a formatted range as trailing commas.
    text = "类型,名称" + "," * 300 + "\r\n虚拟机,VM 1" + "," * 300 + "\r\n"
    rows = assets_io.read_rows(io.BytesIO(text.encode()), "x.csv")
    assert [(row["类型"], row["名称"]) for row in rows] == [("虚拟机", "VM 1")]


@pytest.mark.parametrize(
    "text, reason",
    [
        ("类型,名称\r\n虚拟机," + "x" * 40_000 + "\r\n", "Row 2 holds a cell of more than 32767 characters."),
        (
            "类型,名称\r\n虚拟机," + "x" * (2 * MB) + "\r\n",
            "A line of the file is longer than 1048576 characters.",
        ),
        ('类型,名称\r\n虚拟机,"' + "x\n" * 70_000 + '"\r\n', "cannot be read as CSV"),
        ("类型,名称\r\n虚拟机,VM\x001\r\n", "Row 2 holds a NUL character."),
    ],
)
def test_long_cells_lines_and_bad_bytes_are_refused(contract_a, text, reason):
    result = assets_io.import_assets(contract_a, io.BytesIO(text.encode()), "x.csv")
    assert len(result.errors) == 1 and reason in result.errors[0].message, result.errors
    assert not Asset.objects.exists()


@override_settings(ASSET_IMPORT_MAX_ROWS=5)
def test_rows_past_the_limit_are_refused_in_csv_as_in_xlsx(contract_a):
    text = "类型,名称\r\n" + "".join(f"虚拟机,VM {n}\r\n" for n in range(6))
    result = assets_io.import_assets(contract_a, io.BytesIO(text.encode()), "x.csv")
    assert [error.message for error in result.errors] == ["The file has more than 5 rows."]


def test_errors_are_listed_up_to_a_limit(contract_a):
    text = "类型,名称,端口\r\n" + "".join(f"虚拟机,VM {n},x\r\n" for n in range(1000))
    result = assets_io.import_assets(contract_a, io.BytesIO(text.encode()), "x.csv")
    assert len(result.errors) == assets_io.MAX_ERRORS + 1
    assert result.errors[-1].message == f"Only the first {assets_io.MAX_ERRORS} problems are listed."


def test_an_oversized_upload_is_a_form_error_with_its_size(client, engineer, settings):
    settings.ASSET_IMPORT_MAX_BYTES = 1000
    response, _seconds, _peak = post(client, "a.csv", b"x" * 1001)
    assert response.status_code == 400
    assert reasons(response) == ["The file is 1001\xa0bytes; the largest file accepted is 1000\xa0bytes."]


def test_the_bench_in_smoke_mode(engineer, tmp_path, settings):
    # The benchmark's own cases, small: the accepted ones redirect, the bombs answer 400 with a
    # reason, and nothing of a bomb is written.
    settings.REPORT_SIGNING_DEV_DIR = tmp_path
    lines, failures = bench.run(smoke=True)
    assert not failures, "\n".join(lines + failures)


def test_a_pdf_bomb_on_the_verification_page_is_refused(client, engineer, settings, tmp_path):
    # An object stream inflating to 64 MB in a 64 KB file. Before, pyhanko's own default cap
    # (64 MB for object streams, 256 MB per stream) let it inflate to that, and the page said
    # "damaged" with a 200; the portal now sets the cap and says why, with a 400.
    settings.REPORT_SIGNING_DEV_DIR = tmp_path
    upload = SimpleUploadedFile("bomb.pdf", bench.pdf_bomb(64 * MB))
    response = client.post("/reports/verify/", {"file": upload})
    assert response.status_code == 400
    assert response.context["result"].message == (
        "The file unpacks to more than 32.0\xa0MB when it is read: it is refused."
    )
