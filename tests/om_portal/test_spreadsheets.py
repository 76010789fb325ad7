"""Issue 14, finding 7: no export lets a spreadsheet run what someone typed. Every CSV and .xlsx
export goes through om_portal.spreadsheets."""

import csv
import io

import openpyxl
import pytest
from django.urls import reverse

from contracts import assets_io
from contracts.models import Asset, Role
from incidents.knowledge import file_complaint
from om_portal import spreadsheets

pytestmark = pytest.mark.django_db

PAYLOAD = '=HYPERLINK("http://x","y")'


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r", "'=", "''+"])
def test_each_formula_start_is_quoted_and_the_quote_comes_off_again(start):
    text = start + "1+1"
    assert spreadsheets.defuse(text) == "'" + text
    assert spreadsheets.unquote(spreadsheets.defuse(text)) == text


@pytest.mark.parametrize("value", ["平台", "a=b", "'quoted", 5, -5, None, ""])
def test_other_values_are_left_alone(value):
    assert spreadsheets.defuse(value) == value


def test_a_complaint_subject_reaches_the_audit_csv_as_text(client, contract_a, make_user, client_org_a):
    # The case: a complaint filed with this subject, then the auditor's CSV of the trail.
    file_complaint(contract_a, make_user(Role.CLIENT_MANAGER, client_org_a), PAYLOAD, "details")
    client.force_login(make_user(Role.AUDITOR, client_org_a))
    response = client.get(reverse("audit"), {"format": "csv"})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    cells = [cell for row in rows for cell in row]
    assert "'" + PAYLOAD in cells
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]


def test_the_asset_ledger_exports_quote_formulas_in_csv_and_xlsx(contract_a):
    Asset.objects.create(contract=contract_a, kind="vm", name=PAYLOAD, system="@SUM(A1)", os_version="-1+2")
    rows = list(
        csv.reader(io.StringIO(assets_io.export_assets(Asset.objects.all(), "csv").decode("utf-8-sig")))
    )
    assert rows[1][1:3] == ["'" + PAYLOAD, "'@SUM(A1)"]
    sheet = openpyxl.load_workbook(io.BytesIO(assets_io.export_assets(Asset.objects.all(), "xlsx"))).active
    for cell in (sheet["B2"], sheet["C2"], sheet["H2"]):
        assert (cell.data_type, cell.quotePrefix) == ("s", True), cell.coordinate
    assert sheet["B2"].value == PAYLOAD  # the text itself, so an import gets it back unchanged
