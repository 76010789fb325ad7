"""Issue 18, item 6: each list exports to Excel what the list shows — the user's rows only, by the
list's filters — with Chinese headers, choices as their labels, moments in Beijing time, and
formula-like text kept as text. Every workbook is opened with openpyxl and read back."""

import datetime as dt
import io
import re
import zoneinfo
from decimal import Decimal as D

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from contracts import obligations
from contracts.models import Breach, PenaltyClause, Role
from contracts.penalties import record_breach
from incidents.models import Consultation, Incident, ServiceRecord, WorkLogEntry
from om_portal.models import AuditEntry
from tests.factories import incident

pytestmark = pytest.mark.django_db

CN = zoneinfo.ZoneInfo("Asia/Shanghai")
PAYLOAD = '=HYPERLINK("http://x","y")'
SNAKE = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b")
CJK = re.compile(r"[\u4e00-\u9fff]")


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=CN)


def workbook(response):
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    return openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def table(sheet) -> tuple[list[str], list[dict]]:
    rows = list(sheet.iter_rows(values_only=True))
    header = list(rows[0])
    return header, [dict(zip(header, row, strict=True)) for row in rows[1:]]


def cells(book) -> list:
    return [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]


def assert_readable(book, *codes):
    """Chinese headers; no snake_case code nor any of ``codes`` as a cell's text."""
    for sheet in book.worksheets:
        header = [cell.value for cell in sheet[1]]
        assert header and all(CJK.search(str(h)) for h in header), header
    texts = [cell.value for cell in cells(book) if isinstance(cell.value, str)]
    assert not [t for t in texts if SNAKE.search(t)], [t for t in texts if SNAKE.search(t)]
    assert not set(texts) & set(codes), set(texts) & set(codes)


def assert_defused(book, text=PAYLOAD):
    found = [cell for cell in cells(book) if cell.value == text]
    assert found, "the formula-like text is in the file, as text"
    for cell in found:
        assert (cell.data_type, cell.quotePrefix) == ("s", True), cell.coordinate


@pytest.fixture
def engineer(make_user, vendor_org_a):
    return make_user(Role.VENDOR_ENGINEER, vendor_org_a, first_name="工程师甲")


@pytest.fixture
def vendor_b(make_user, vendor_org_b):
    return make_user(Role.VENDOR_MANAGER, vendor_org_b)


# --- Incidents ----------------------------------------------------------------------------------


@pytest.fixture
def incidents(contract_a, contract_b):
    urgent = incident(
        contract_a,
        at(2026, 3, 2, 8, 5),
        title=PAYLOAD,
        severity="emergency",
        breached=("response", "resolution"),
        reporter_unit="户政支队",
    )
    minor = incident(contract_a, at(2026, 3, 3, 9, 0), title="打印机卡纸", severity="general")
    other = incident(contract_b, at(2026, 3, 4, 10, 0), title="乙方的故障", severity="emergency")
    return urgent, minor, other


def test_the_incident_export_has_the_lists_rows_in_chinese(client, client_manager_a, incidents):
    urgent, minor, _other = incidents
    client.force_login(client_manager_a)
    book = workbook(client.get(reverse("incidents:export")))
    header, rows = table(book.active)
    assert header[:4] == ["编号", "合同", "名称", "紧急程度"]
    assert [row["编号"] for row in rows] == [minor.number, urgent.number]  # newest first
    row = rows[1]
    assert row["紧急程度"] == urgent.get_severity_display() == "紧急"
    assert row["状态"] == str(Incident.Status(urgent.status).label) != urgent.status
    assert row["来源"] == str(urgent.get_source_display()) and row["来源"] != "phone"
    # Beijing time, as the contract's clocks count it (stored in UTC).
    assert row["报告时间"] == dt.datetime(2026, 3, 2, 8, 5)
    assert row["报告人单位"] == "户政支队"
    assert "响应" in row["超时环节"] and "解决" in row["超时环节"]
    assert_defused(book)
    assert_readable(book, *Incident.Status.values, "emergency", "general", "phone")


def test_the_incident_export_follows_the_lists_filters(client, client_manager_a, incidents):
    urgent, _minor, _other = incidents
    client.force_login(client_manager_a)
    _header, rows = table(workbook(client.get(reverse("incidents:export"), {"severity": "emergency"})).active)
    assert [row["编号"] for row in rows] == [urgent.number]
    _header, rows = table(workbook(client.get(reverse("incidents:export"), {"q": "打印机"})).active)
    assert [row["名称"] for row in rows] == ["打印机卡纸"]
    # The page's "breached" checkbox and its contract filter.
    query = {"breached": "true", "contract": "A-2026-OM"}
    response = client.get(reverse("incidents:export"), query)
    assert "A-2026-OM-incidents-" in response["Content-Disposition"]
    _header, rows = table(workbook(response).active)
    assert [row["编号"] for row in rows] == [urgent.number]


def test_another_vendor_exports_nothing_of_contract_a(client, vendor_b, incidents):
    _urgent, _minor, other = incidents
    client.force_login(vendor_b)
    _header, rows = table(workbook(client.get(reverse("incidents:export"))).active)
    assert [row["编号"] for row in rows] == [other.number]
    # Naming contract A changes nothing: its rows are not theirs.
    _header, rows = table(workbook(client.get(reverse("incidents:export"), {"contract": "A-2026-OM"})).active)
    assert rows == []


def test_an_export_is_on_the_audit_trail_with_its_filters(client, client_manager_a, contract_a, incidents):
    client.force_login(client_manager_a)
    workbook(
        client.get(reverse("incidents:export"), {"severity": "emergency", "contract": "A-2026-OM", "page": 2})
    )
    line = AuditEntry.objects.filter(action="export").latest("pk")
    assert line.user_id == client_manager_a.pk and line.contract_id == contract_a.pk
    assert line.detail == {
        "what": "incidents",
        "query": {"severity": "emergency", "contract": "A-2026-OM"},
        "count": 1,
    }


def test_a_bad_filter_is_left_out_as_on_the_page(client, client_manager_a, incidents):
    client.force_login(client_manager_a)
    response = client.get(reverse("incidents:export"), {"due_within": "soon"})
    _header, rows = table(workbook(response).active)
    assert len(rows) == 2


def test_the_list_page_offers_the_export_with_its_filters(client, client_manager_a, incidents):
    client.force_login(client_manager_a)
    page = client.get(reverse("incidents:list"), {"severity": "emergency", "page": 1}).content.decode()
    assert "导出 Excel" in page
    assert f'href="{reverse("incidents:export")}?severity=emergency"' in page


def test_the_export_needs_a_login(client):
    response = client.get(reverse("incidents:export"))
    assert response.status_code == 302 and "/login/" in response["Location"]


# --- The work log, service record sheets, consultations ------------------------------------------


def test_the_work_log_export(client, client_manager_a, contract_a, contract_b, incidents):
    urgent = incidents[0]
    WorkLogEntry.objects.create(
        contract=contract_a,
        incident=urgent,
        category="fault",
        date=dt.date(2026, 3, 2),
        initiator="张警官",
        handler="李工",
        handling="+重启同步服务",
    )
    WorkLogEntry.objects.create(
        contract=contract_a,
        category="data",
        date=dt.date(2026, 3, 3),
        initiator="王",
        handler="李工",
        handling="导数",
    )
    WorkLogEntry.objects.create(
        contract=contract_b,
        category="fault",
        date=dt.date(2026, 3, 3),
        initiator="乙",
        handler="乙",
        handling="乙",
    )
    client.force_login(client_manager_a)
    book = workbook(client.get(reverse("incidents:worklog-export"), {"category": "fault"}))
    header, rows = table(book.active)
    assert header == ["日期", "合同", "类别", "发起人", "处理人", "处理情况", "反馈", "故障"]
    assert len(rows) == 1
    assert rows[0]["类别"] == str(WorkLogEntry.Category.FAULT.label) and rows[0]["故障"] == urgent.number
    assert rows[0]["日期"] == dt.datetime(2026, 3, 2)
    assert_defused(book, "+重启同步服务")
    assert_readable(book, *WorkLogEntry.Category.values)
    page = client.get(reverse("incidents:worklog"), {"category": "fault"}).content.decode()
    assert f'href="{reverse("incidents:worklog-export")}?category=fault"' in page


def test_the_service_record_export(client, vendor_b, client_manager_a, contract_a, engineer, incidents):
    started = at(2026, 3, 2, 23, 30)  # 15:30 UTC: the Beijing date is the 2nd
    sheet = ServiceRecord.objects.create(
        contract=contract_a,
        incident=incidents[0],
        started_at=started,
        ended_at=started + dt.timedelta(hours=1),
        place="户政大厅",
        requester="户政支队 张警官",
        task="@更换硬盘",
        work_done="更换",
        result="恢复",
        engineer=engineer,
    )
    client.force_login(client_manager_a)
    book = workbook(client.get(reverse("incidents:records-export"), {"confirmed": "no"}))
    _header, rows = table(book.active)
    assert [row["编号"] for row in rows] == [sheet.number]
    assert rows[0]["开始时间"] == dt.datetime(2026, 3, 2, 23, 30)
    assert rows[0]["工程师"] == "工程师甲"
    assert_defused(book, "@更换硬盘")
    assert_readable(book)
    _header, rows = table(
        workbook(client.get(reverse("incidents:records-export"), {"confirmed": "yes"})).active
    )
    assert rows == []
    client.force_login(vendor_b)
    _header, rows = table(workbook(client.get(reverse("incidents:records-export"))).active)
    assert rows == []


def test_the_consultation_export(client, vendor_b, client_manager_a, contract_a, engineer):
    Consultation.objects.create(
        contract=contract_a,
        channel="phone",
        asker_name="张警官",
        question="-怎样重置密码",
        asked_at=at(2026, 3, 2, 9),
        engineer=engineer,
        answered=True,
        replied_at=at(2026, 3, 2, 9, 30),
        answer="在个人中心",
    )
    Consultation.objects.create(
        contract=contract_a,
        channel="online",
        question="未答复的问题",
        asked_at=at(2026, 3, 3, 9),
        engineer=engineer,
    )
    client.force_login(client_manager_a)
    book = workbook(client.get(reverse("incidents:consultations-export"), {"channel": "phone"}))
    _header, rows = table(book.active)
    assert len(rows) == 1
    assert rows[0]["渠道"] == "电话" and rows[0]["已答复"] == "是"
    assert rows[0]["提问时间"] == dt.datetime(2026, 3, 2, 9)
    assert_defused(book, "-怎样重置密码")
    assert_readable(book, *Consultation.Channel.values)
    _header, rows = table(
        workbook(client.get(reverse("incidents:consultations-export"), {"answered": "no"})).active
    )
    assert [row["问题"] for row in rows] == ["未答复的问题"]
    client.force_login(vendor_b)
    _header, rows = table(workbook(client.get(reverse("incidents:consultations-export"))).active)
    assert rows == []


# --- Breaches and penalties ---------------------------------------------------------------------


@pytest.fixture
def ledger(contract_a, client_manager_a):
    contract_a.total = D("708000.00")
    contract_a.save()
    PenaltyClause.objects.create(
        contract=contract_a,
        kind="sla_arrival",
        title="到场超时",
        shape="per_occurrence",
        rate_percent=D("0.1"),
    )
    late, _ = record_breach(
        contract_a, "sla_arrival", occurred_at=at(2026, 3, 2, 8), source="manual", note=PAYLOAD
    )
    record_breach(
        contract_a,
        "late_report",
        occurred_at=at(2026, 3, 5, 8),
        source="manual",
        days_late=2,
        note="周报迟交",
    )
    return late


def test_the_breach_and_penalty_export(client, client_manager_a, contract_a, ledger):
    client.force_login(client_manager_a)
    url = reverse("contracts:breaches-export", kwargs={"code": contract_a.code})
    book = workbook(client.get(url))
    assert book.sheetnames == ["违约台账", "违约金", "违约金合计"]
    _header, rows = table(book["违约台账"])
    assert [row["违约类型"] for row in rows] == [
        obligations.label("late_report"),
        obligations.label("sla_arrival"),
    ]
    assert rows[1]["违约条款"] == "到场超时" and rows[1]["发生时间"] == dt.datetime(2026, 3, 2, 8)
    assert rows[1]["来源"] == str(Breach.Source.MANUAL.label) != "manual"
    _header, clauses = table(book["违约金"])
    assert clauses[0]["金额（元）"] == 708.0  # 0.1% of ¥708,000 for one occurrence
    assert_defused(book)
    assert_readable(book, "sla_arrival", "late_report", "manual", "per_occurrence", "vendor")
    # The tab's filters.
    _header, rows = table(workbook(client.get(url, {"kind": "late_report"}))["违约台账"])
    assert [row["逾期天数"] for row in rows] == [2]
    page = client.get(
        reverse("contracts:penalties", kwargs={"code": contract_a.code}), {"kind": "late_report"}
    )
    assert [b.kind for b in page.context["page"].object_list] == ["late_report"]
    assert f'href="{url}?kind=late_report"' in page.content.decode()


def test_another_vendor_cannot_export_contract_as_breaches(client, vendor_b, contract_a, ledger):
    client.force_login(vendor_b)
    response = client.get(reverse("contracts:breaches-export", kwargs={"code": contract_a.code}))
    assert response.status_code == 404
    assert not AuditEntry.objects.filter(action="export").exists()


def test_a_big_list_is_read_in_batches(client, client_manager_a, contract_a, django_assert_max_num_queries):
    # 2,500 incidents: three batches of rows (and of their handlers), not one query per row.
    Incident.objects.bulk_create(
        Incident(contract=contract_a, title=f"故障{n}", source="phone", reported_at=timezone.now())
        for n in range(2500)
    )
    client.force_login(client_manager_a)
    with django_assert_max_num_queries(30):
        response = client.get(reverse("incidents:export"))
        _header, rows = table(workbook(response).active)
    assert len(rows) == 2500


def test_the_auditor_reads_what_was_exported_in_words(client, client_manager_a, make_user, client_org_a):
    client.force_login(client_manager_a)
    workbook(client.get(reverse("incidents:records-export"), {"confirmed": "no"}))
    client.force_login(make_user(Role.AUDITOR, client_org_a))
    page = client.get(reverse("audit"), {"action": "export"}).content.decode()
    assert "服务记录单" in page and "service-records" not in page
