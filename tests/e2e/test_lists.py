"""Issue 18, item 6 in a real headless Chromium: the top bar's search box on a tablet held
upright, and a list's "导出 Excel" downloading the rows the filtered list shows."""

import openpyxl
import pytest
from django.utils import timezone

from contracts.models import Contract
from tests.factories import incident

pytestmark = pytest.mark.e2e

TABLET = {"width": 768, "height": 1024}


def search(page, text):
    box = page.locator("#topsearch")
    assert box.is_visible()
    box.fill(text)
    with page.expect_navigation():
        box.press("Enter")


def test_the_search_box_jumps_to_a_number_and_stays_in_scope(log_in, live_server, blocked):
    contract = Contract.objects.get(code="BJ-2026-RP")
    fault = incident(contract, timezone.now(), title="网闸同步中断（搜索）")
    page = log_in("vendor_engineer")
    page.set_viewport_size(TABLET)
    assert page.evaluate("document.documentElement.scrollWidth") <= TABLET["width"]

    search(page, fault.number)
    assert page.url == f"{live_server.url}/incidents/{fault.pk}/"

    search(page, "网闸同步中断")
    assert page.get_by_role("heading", name="故障").is_visible()
    page.get_by_role("link", name=f"{fault.number} 网闸同步中断（搜索）").click()
    assert page.url == f"{live_server.url}/incidents/{fault.pk}/"

    # A contract the engineer has no part in is not found, not jumped to.
    search(page, "ZH-2023-SPS")
    assert "/search/" in page.url and "没有找到" in page.inner_text("main")
    assert blocked == []


def test_the_export_button_downloads_the_filtered_list(log_in, live_server, blocked, tmp_path):
    contract = Contract.objects.get(code="BJ-2026-RP")
    urgent = incident(contract, timezone.now(), title="=紧急故障", severity="emergency")
    incident(contract, timezone.now(), title="一般故障", severity="general")
    page = log_in("client_manager")
    page.goto(f"{live_server.url}/incidents/")
    page.select_option("select[name=severity]", "emergency")
    with page.expect_navigation():
        page.get_by_role("button", name="筛选").click()
    with page.expect_download() as download:
        page.get_by_role("link", name="导出 Excel").click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    sheet = openpyxl.load_workbook(path).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:2] == ("编号", "合同")
    numbers = [row[0] for row in rows[1:]]
    assert urgent.number in numbers
    assert all(row[3] == "紧急" for row in rows[1:])
    assert sheet.cell(row=numbers.index(urgent.number) + 2, column=3).quotePrefix
    assert blocked == []
