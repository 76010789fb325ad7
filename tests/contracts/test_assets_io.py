"""The asset ledger's files: import, export, the round trip, errors by row and column, access."""

import io
import json

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from contracts import assets_io
from contracts.models import Asset

pytestmark = pytest.mark.django_db


def xlsx(rows):
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    return buffer


def csv_file(text, encoding="utf-8-sig"):
    return io.BytesIO(text.encode(encoding))


def snapshot(contract):
    fields = [*assets_io.KEYS, "updated_at", "id"]
    return sorted(Asset.objects.filter(contract=contract).values_list(*fields), key=str)


SMALL_LEDGER = [
    ["类型", "名称", "所属系统", "安全区域", "主机", "端口", "URL", "操作系统/版本", "数量", "状态", "属性"],
    [
        "虚拟机",
        "应用服务器 01",
        "智慧派出所",
        "公安网",
        "10.1.2.3",
        8080,
        "",
        "CentOS 7",
        1,
        "在用",
        '{"cpu": 8}',
    ],
    ["vm", "应用服务器 02", "智慧派出所", "公安网", "10.1.2.4", None, None, None, None, "faulty", None],
    ["Database", "Oracle", "印章业", "", "10.1.2.9", "1521", "", 11, 2, "Under maintenance", ""],
]


def test_xlsx_import_of_a_small_ledger(contract_a):
    result = assets_io.import_assets(contract_a, xlsx(SMALL_LEDGER), "台账.xlsx")

    assert result.errors == []
    assert (result.created, result.updated, result.unchanged) == (3, 0, 0)
    vm = Asset.objects.get(contract=contract_a, name="应用服务器 01")
    assert (vm.kind, vm.host, vm.port, vm.status, vm.attributes) == (
        "vm",
        "10.1.2.3",
        8080,
        "in_service",
        {"cpu": 8},
    )
    second = Asset.objects.get(name="应用服务器 02")
    assert (second.port, second.quantity, second.status, second.url) == (None, 1, "faulty", "")
    oracle = Asset.objects.get(name="Oracle")
    assert (oracle.kind, oracle.port, oracle.os_version, oracle.quantity) == ("database", 1521, "11", 2)
    assert oracle.status == "maintenance"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "utf-16"])
def test_csv_import_in_utf8_with_or_without_bom_gb18030_and_utf16(contract_a, encoding):
    text = (
        "kind,name,system,port,status,attributes\r\n"
        + '虚拟机,视频云 Kafka 节点,视频云,9092,在用,"{""分区"": 12}"'
    )
    result = assets_io.import_assets(contract_a, csv_file(text, encoding), "ledger.CSV")

    assert result.errors == []
    asset = Asset.objects.get(contract=contract_a)
    assert (asset.name, asset.system, asset.port, asset.attributes) == (
        "视频云 Kafka 节点",
        "视频云",
        9092,
        {"分区": 12},
    )


def test_upsert_updates_by_kind_and_name_and_leaves_absent_columns_alone(contract_a):
    Asset.objects.create(
        contract=contract_a, kind="vm", name="VM 1", host="10.0.0.1", port=22, status="faulty"
    )
    Asset.objects.create(contract=contract_a, kind="vm", name="VM 2", host="10.0.0.2")
    rows = [["类型", "名称", "状态"], ["vm", "VM 1", "在用"], ["server", "VM 1", ""], ["vm", "VM 2", "在用"]]

    result = assets_io.import_assets(contract_a, xlsx(rows), "status.xlsx")

    assert (result.created, result.updated, result.unchanged) == (1, 1, 1)
    first = Asset.objects.get(kind="vm", name="VM 1")
    assert (first.status, first.host, first.port) == ("in_service", "10.0.0.1", 22)
    assert Asset.objects.get(kind="server", name="VM 1").status == "in_service"


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_round_trip_export_then_import_changes_nothing(contract_a, contract_b, fmt):
    tricky = ["=1+1", "-3", "'=quoted", "@home", "第一行\n第二行", '逗号, "引号"']
    for n, name in enumerate(tricky):
        Asset.objects.create(contract=contract_a, kind="application", name=name, system=name, port=n + 1)
    Asset.objects.create(
        contract=contract_a,
        kind="data_source",
        name="数据源 甲",
        security_zone="视频专网",
        host="db.example",
        url="https://10.1.1.1:8443/a?b=c",
        os_version="11gR1",
        quantity=0,
        status="retired",
        attributes={"表": ["人口", "车辆"], "n": 3, "ok": True, "x": 0.1, "nested": {"k": None}},
    )
    Asset.objects.create(contract=contract_b, kind="vm", name="乙的虚拟机")
    before = snapshot(contract_a)

    data = assets_io.export_assets(Asset.objects.filter(contract=contract_a), fmt)
    result = assets_io.import_assets(contract_a, io.BytesIO(data), f"export.{fmt}")

    assert result.errors == []
    assert (result.created, result.updated, result.unchanged) == (0, 0, len(before))
    assert snapshot(contract_a) == before
    assert Asset.objects.filter(contract=contract_b).count() == 1


def test_xlsx_export_has_a_bold_frozen_header_and_widths(contract_a):
    Asset.objects.create(contract=contract_a, kind="vm", name="=SUM(A1)")
    data = assets_io.export_assets(Asset.objects.all(), "xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]

    assert [cell.value for cell in sheet[1]] == [column.label for column in assets_io.COLUMNS]
    assert all(cell.font.b for cell in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["B"].width >= 20
    assert sheet["B2"].data_type == "s"  # text, not a formula


def test_csv_export_defuses_formulas_and_opens_in_excel_as_utf8(contract_a):
    Asset.objects.create(contract=contract_a, kind="vm", name='=HYPERLINK("http://x")')
    data = assets_io.export_assets(Asset.objects.all(), "csv")
    assert data.startswith("\ufeff类型,名称".encode())
    assert "'=HYPERLINK" in data.decode("utf-8-sig")


def test_a_bad_file_imports_nothing_and_names_each_error_by_row_and_column(contract_a):
    Asset.objects.create(contract=contract_a, kind="vm", name="existing", port=22)
    rows = [
        ["类型", "名称", "端口", "数量", "属性"],
        ["vm", "good one", 22, 1, ""],
        ["vm", "bad port", "abc", 1, ""],
        ["vm", "port too high", 70000, 1, ""],
        ["spaceship", "unknown kind", 22, 1, ""],
        ["vm", "bad json", 22, 1, "{cpu: 8"],
        ["vm", "not an object", 22, 1, "[1, 2]"],
        ["vm", "", 22, 1, ""],
        ["vm", "good one", 23, 1, ""],
        ["vm", "negative", 22, -1, ""],
        [None, None, None, None, None],
        ["vm", "fractional", 22.5, 1, ""],
    ]
    result = assets_io.import_assets(contract_a, xlsx(rows), "bad.xlsx")

    found = {(error.row, error.column) for error in result.errors}
    assert found == {
        (3, "端口"),
        (4, "端口"),
        (5, "类型"),
        (6, "属性"),
        (7, "属性"),
        (8, "名称"),
        (9, "名称"),
        (10, "数量"),
        (12, "端口"),
    }
    messages = {(error.row, error.column): error.message for error in result.errors}
    assert "abc" in messages[(3, "端口")]
    assert "65535" in messages[(4, "端口")]
    assert "spaceship" in messages[(5, "类型")]
    assert "JSON" in messages[(6, "属性")]
    assert "2" in messages[(9, "名称")]  # the duplicate names the row it repeats
    assert (result.created, result.updated) == (0, 0)
    assert list(Asset.objects.values_list("name", "port")) == [("existing", 22)]


def test_a_missing_required_column_is_one_error_naming_it(contract_a):
    result = assets_io.import_assets(contract_a, xlsx([["类型", "主机"], ["vm", "10.0.0.1"]]), "x.xlsx")
    assert [(error.row, error.column) for error in result.errors] == [(1, "名称")]
    assert "name" in result.errors[0].message
    assert not Asset.objects.exists()


def test_unknown_and_doubled_columns_are_errors_of_the_header(contract_a):
    rows = [["kind", "名称", "name", "端口号码"], ["vm", "a", "a", 1]]
    result = assets_io.import_assets(
        contract_a, csv_file("\n".join(",".join(map(str, r)) for r in rows)), "x.csv"
    )
    assert sorted((error.row, error.column) for error in result.errors) == [(1, "name"), (1, "端口号码")]


def test_add_mode_refuses_rows_already_in_the_ledger(contract_a):
    Asset.objects.create(contract=contract_a, kind="vm", name="VM 1")
    rows = [["类型", "名称"], ["vm", "VM 0"], ["vm", "VM 1"]]
    result = assets_io.import_assets(contract_a, xlsx(rows), "x.xlsx", mode="add")
    assert [error.row for error in result.errors] == [3]
    assert Asset.objects.count() == 1


def test_gb18030_csv_with_errors_reports_them_in_chinese_columns(contract_a):
    text = "类型,名称,端口\r\n虚拟机,甲,８０\r\n虚拟机,乙,七十\r\n"
    result = assets_io.import_assets(contract_a, csv_file(text, "gb18030"), "台账.csv")
    assert [(error.row, error.column) for error in result.errors] == [(3, "端口")]
    assert not Asset.objects.exists()


@pytest.mark.parametrize(
    ("content", "filename"),
    [
        (b"PK\x03\x04 not really a zip", "broken.xlsx"),
        (b"", "empty.csv"),
        (b"kind,name\r\n", "header-only.csv"),
    ],
)
def test_unreadable_or_empty_files_are_one_error(contract_a, content, filename):
    result = assets_io.import_assets(contract_a, io.BytesIO(content), filename)
    assert len(result.errors) == 1
    assert result.errors[0].row is None


def test_read_rows_numbers_rows_as_the_spreadsheet_does():
    rows = assets_io.read_rows(xlsx([[], ["kind", "name"], ["vm", "a"], [], ["vm", "b"]]), "x.xlsx")
    assert [(row[assets_io.ROW], row["name"]) for row in rows] == [(3, "a"), (5, "b")]


# --- The portal pages ---------------------------------------------------------------------------


def test_members_see_the_list_filtered_and_paginated(client, contract_a, client_staff_a):
    Asset.objects.bulk_create(Asset(contract=contract_a, kind="vm", name=f"VM {n:03d}") for n in range(60))
    Asset.objects.create(contract=contract_a, kind="database", name="Oracle", host="10.9.9.9")
    client.force_login(client_staff_a)

    first = client.get("/contracts/A-2026-OM/assets/")
    assert first.status_code == 200
    assert len(first.context["page"].object_list) == 50
    assert "Import" not in first.content.decode() and "导入" not in first.content.decode()
    assert (
        client.get("/contracts/A-2026-OM/assets/", {"kind": "database"}).context["page"].paginator.count == 1
    )
    assert client.get("/contracts/A-2026-OM/assets/", {"q": "10.9.9"}).context["page"].paginator.count == 1
    second = client.get("/contracts/A-2026-OM/assets/", {"kind": "vm", "page": 2}).content.decode()
    assert "kind=vm&amp;page=1" in second


@pytest.mark.parametrize(
    "url",
    [
        "/contracts/A-2026-OM/assets/",
        "/contracts/A-2026-OM/assets/export.xlsx",
        "/contracts/A-2026-OM/assets/export.csv",
        "/contracts/A-2026-OM/assets/import/",
    ],
)
def test_outsider_gets_404_on_another_contracts_asset_pages(client, contract_a, contract_b, outsider, url):
    Asset.objects.create(contract=contract_a, kind="vm", name="secret")
    client.force_login(outsider)
    assert client.get(url).status_code == 404


def test_export_is_an_attachment_with_a_safe_name(client, contract_a, client_staff_a):
    Asset.objects.create(contract=contract_a, kind="vm", name="VM 1")
    client.force_login(client_staff_a)
    response = client.get("/contracts/A-2026-OM/assets/export.xlsx")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="A-2026-OM-assets-')
    assert openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]["B2"].value == "VM 1"
    assert client.get("/contracts/A-2026-OM/assets/export.pdf").status_code == 404


def test_client_staff_may_not_import(client, contract_a, client_staff_a):
    client.force_login(client_staff_a)
    assert client.get("/contracts/A-2026-OM/assets/import/").status_code == 403
    upload = SimpleUploadedFile("a.csv", b"kind,name\r\nvm,x\r\n")
    response = client.post("/contracts/A-2026-OM/assets/import/", {"file": upload, "mode": "upsert"})
    assert response.status_code == 403
    assert not Asset.objects.exists()


def test_engineer_imports_and_sees_the_counts(client, contract_a, vendor_engineer_a):
    client.force_login(vendor_engineer_a)
    upload = SimpleUploadedFile("台账.xlsx", xlsx(SMALL_LEDGER).getvalue())
    response = client.post(
        "/contracts/A-2026-OM/assets/import/", {"file": upload, "mode": "add"}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/contracts/A-2026-OM/assets/"
    assert [m.message for m in response.context["messages"]] and Asset.objects.count() == 3
    assert "3" in next(iter(response.context["messages"])).message


def test_import_errors_are_shown_as_a_table_and_nothing_is_written(client, contract_a, vendor_engineer_a):
    client.force_login(vendor_engineer_a)
    upload = SimpleUploadedFile("bad.csv", "类型,名称,端口\r\nvm,a,abc\r\nvm,b,70000\r\n".encode())
    response = client.post("/contracts/A-2026-OM/assets/import/", {"file": upload, "mode": "upsert"})
    assert response.status_code == 400  # a refused file is a 400 with its reasons (issue 14)
    assert len(response.context["result"].errors) == 2
    body = response.content.decode()
    assert "<td>abc" not in body and "abc" in body and "端口" in body
    assert not Asset.objects.exists()


def test_import_form_refuses_other_types_and_files_over_10_mb(client, contract_a, administrator):
    client.force_login(administrator)
    for upload in [
        SimpleUploadedFile("ledger.xls", b"x"),
        SimpleUploadedFile("ledger.csv", b"x" * (10 * 1024 * 1024 + 1)),
    ]:
        response = client.post("/contracts/A-2026-OM/assets/import/", {"file": upload, "mode": "upsert"})
        assert response.status_code == 400
        assert response.context["form"].errors["file"]
    assert not Asset.objects.exists()


# --- The API ------------------------------------------------------------------------------------


def api_for(user):
    api = APIClient()
    api.force_authenticate(user)
    return api


def test_api_lists_only_assets_in_scope_and_filters_by_contract(
    contract_a, contract_b, administrator, outsider
):
    Asset.objects.create(contract=contract_a, kind="vm", name="A's", host="10.0.0.1")
    Asset.objects.create(contract=contract_b, kind="vm", name="B's")
    assert [row["name"] for row in api_for(outsider).get("/api/v1/assets/").json()["results"]] == ["B's"]
    listed = (
        api_for(administrator).get("/api/v1/assets/", {"contract": "A-2026-OM", "search": "10.0.0"}).json()
    )
    assert [(row["name"], row["contract"]) for row in listed["results"]] == [("A's", "A-2026-OM")]


def test_api_create_with_a_foreign_contract_code_is_refused_and_writes_nothing(
    contract_a, contract_b, vendor_engineer_a
):
    response = api_for(vendor_engineer_a).post(
        "/api/v1/assets/", {"contract": "B-2026-OM", "kind": "vm", "name": "smuggled"}, format="json"
    )
    assert response.status_code in (400, 404)
    assert not Asset.objects.exists()


def test_api_writes_need_an_editing_role(contract_a, client_staff_a, vendor_engineer_a):
    body = {"contract": "A-2026-OM", "kind": "vm", "name": "VM 1", "attributes": {"cpu": 4}}
    assert api_for(client_staff_a).post("/api/v1/assets/", body, format="json").status_code == 403
    created = api_for(vendor_engineer_a).post("/api/v1/assets/", body, format="json")
    assert created.status_code == 201, created.content
    url = f"/api/v1/assets/{created.json()['id']}/"
    assert api_for(client_staff_a).patch(url, {"status": "faulty"}, format="json").status_code == 403
    assert api_for(client_staff_a).delete(url).status_code == 403
    assert api_for(vendor_engineer_a).patch(url, {"port": 70000}, format="json").status_code == 400
    assert api_for(vendor_engineer_a).post("/api/v1/assets/", body, format="json").status_code == 400
    assert json.loads(api_for(client_staff_a).get(url).content)["attributes"] == {"cpu": 4}
    assert Asset.objects.count() == 1


def test_a_workbook_with_too_many_rows_is_refused_early(contract_a, settings):
    settings.ASSET_IMPORT_MAX_ROWS = 3
    rows = [["类型", "名称"], *(["vm", f"VM {n}"] for n in range(5))]
    result = assets_io.import_assets(contract_a, xlsx(rows), "big.xlsx")
    assert len(result.errors) == 1 and "3" in result.errors[0].message
    assert not Asset.objects.exists()


def test_warranty_dates_import_in_the_usual_spellings_and_a_bad_one_is_reported(contract_a):
    import datetime as dt

    text = (
        "类型,名称,维保到期\n"
        "物理服务器,应用服务器 1,2029-05-28\n"
        "物理服务器,应用服务器 2,2029年5月28日\n"
        "物理服务器,数据库服务器 1,2029/5/28\n"
    )
    result = assets_io.import_assets(contract_a, csv_file(text), "ledger.csv")
    assert result.ok, result.errors
    assert set(Asset.objects.values_list("warranty_ends_on", flat=True)) == {dt.date(2029, 5, 28)}

    bad = "类型,名称,维保到期\n物理服务器,应用服务器 3,2029-02-30\n物理服务器,应用服务器 4,明年\n"
    result = assets_io.import_assets(contract_a, csv_file(bad), "ledger.csv")
    assert [(e.row, e.column) for e in result.errors] == [(2, "维保到期"), (3, "维保到期")]
    assert "2029-02-30" in result.errors[0].message
    assert Asset.objects.count() == 3  # nothing of the bad file written


def test_warranty_dates_survive_the_xlsx_round_trip(contract_a):
    import datetime as dt

    Asset.objects.create(contract=contract_a, kind="server", name="s1", warranty_ends_on=dt.date(2029, 5, 28))
    data = assets_io.export_assets(Asset.objects.all(), "xlsx")
    result = assets_io.import_assets(contract_a, io.BytesIO(data), "ledger.xlsx")
    assert (result.ok, result.unchanged, result.updated) == (True, 1, 0)
