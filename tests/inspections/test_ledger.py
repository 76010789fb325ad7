"""The inspection ledger: seed 004's "daily inspection ledger (time, content)" and seed 003's
"inspection record (who, what, result)", per contract and period, on screen and in .xlsx.

May 2026 on contract A: a daily machine-room round at 09:00 walked by an engineer, a nightly
automated sweep at 02:00, and the Labour Day heightened period, whose own rounds (seed 000's
08:00, 13:00 and 19:00) replace the daily round.
"""

import datetime as dt
import io
import zoneinfo
from urllib.parse import unquote

import openpyxl
import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from contracts.models import Asset
from incidents import services as incident_services
from inspections import ledger
from inspections.models import (
    AutomatedCheck,
    ChecklistItem,
    ChecklistTemplate,
    CheckResult,
    HeightenedPeriod,
    InspectionRun,
    InspectionSchedule,
    InspectionSlot,
    ItemResult,
)

pytestmark = pytest.mark.django_db
CN = zoneinfo.ZoneInfo("Asia/Shanghai")
URL = "/inspections/ledger/"
MAY = {"contract": "A-2026-OM", "from": "2026-05-01", "to": "2026-05-31"}


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=CN)


def slot_at(contract, due, schedule=None, period=None, **fields):
    return InspectionSlot.objects.create(
        contract=contract,
        schedule=schedule,
        heightened_period=period,
        due_at=due,
        deadline=due + dt.timedelta(hours=2),
        **fields,
    )


@pytest.fixture
def engineer(make_user, vendor_org_a):
    from contracts.models import Role

    return make_user(Role.VENDOR_ENGINEER, vendor_org_a, username="wang", first_name="工", last_name="王")


@pytest.fixture
def estate(contract_a):
    """The schedules, the checklist and the checks of contract A."""
    template = ChecklistTemplate.objects.create(contract=contract_a, key="machine-room", name="机房巡检单")
    items = {
        "cooling": ChecklistItem.objects.create(template=template, position=0, label="精密空调运行正常"),
        "heat": ChecklistItem.objects.create(
            template=template,
            position=1,
            label="机房温度",
            kind="number",
            unit="°C",
            min_value=18,
            max_value=27,
        ),
        "ups": ChecklistItem.objects.create(template=template, position=2, label="UPS 告警"),
    }
    manual = InspectionSchedule.objects.create(
        contract=contract_a, name="机房日巡检", times_of_day=["09:00"], checklist_kind="machine-room"
    )
    automated = InspectionSchedule.objects.create(
        contract=contract_a,
        name="夜间自动巡检",
        times_of_day=["02:00"],
        mode="automated",
        what="虚拟机与接口",
    )
    period = HeightenedPeriod.objects.create(
        name="五一重保", starts_on=dt.date(2026, 5, 1), ends_on=dt.date(2026, 5, 5)
    )
    period.contracts.set([contract_a])
    portal = Asset.objects.create(
        contract=contract_a, kind="application", name="缴费门户", url="http://10.0.0.8/"
    )
    vm = Asset.objects.create(contract=contract_a, kind="vm", name="应用服务器01", host="10.0.0.5")
    checks = {
        "portal": AutomatedCheck.objects.create(
            contract=contract_a, asset=portal, name="门户首页", kind="http"
        ),
        "vm": AutomatedCheck.objects.create(
            contract=contract_a, asset=vm, name="应用服务器01 指标", kind="node_exporter"
        ),
        "tcp": AutomatedCheck.objects.create(
            contract=contract_a, asset=vm, name="SSH 端口", kind="tcp", port=22
        ),
    }
    return {
        "template": template,
        "items": items,
        "manual": manual,
        "automated": automated,
        "period": period,
        **checks,
    }


def manual_round(slot, engineer, estate, heat="24", at_minute=30, note=""):
    done = slot.due_at + dt.timedelta(minutes=at_minute)
    slot.status, slot.done_at = InspectionSlot.Status.DONE, done
    slot.save()
    run = InspectionRun.objects.create(
        slot=slot,
        contract=slot.contract,
        mode="manual",
        template=estate["template"],
        performed_by=engineer,
        started_at=slot.due_at,
        finished_at=done,
        note=note,
        items_abnormal=int(not 18 <= float(heat) <= 27),
    )
    items = estate["items"]
    ItemResult.objects.create(run=run, item=items["cooling"], passed=True)
    ItemResult.objects.create(run=run, item=items["heat"], number=heat, abnormal=not 18 <= float(heat) <= 27)
    ItemResult.objects.create(run=run, item=items["ups"], passed=True)
    return run


def automated_sweep(slot, estate, failing=()):
    """Three checks; those named in ``failing`` did not pass (the portal's keyword, the VM's disk)."""
    finished = slot.due_at + dt.timedelta(seconds=40)
    slot.status, slot.done_at = InspectionSlot.Status.DONE, finished
    slot.save()
    run = InspectionRun.objects.create(
        slot=slot,
        contract=slot.contract,
        mode="automated",
        started_at=slot.due_at,
        finished_at=finished,
        checks_total=3,
        checks_failed=len(failing),
    )
    problems = {
        "portal": ("failed", "Keyword %(keyword)r not found", {"keyword": "缴费"}),
        "vm": ("failed", "Filesystem %(mount)s is %(used).0f%% full", {"mount": "/data", "used": 93.4}),
        "tcp": ("timeout", "No answer within %(seconds)s s", {"seconds": 2}),
    }
    for name in ("portal", "vm", "tcp"):
        status, message, params = problems[name] if name in failing else ("ok", "OK", {})
        CheckResult.objects.create(
            run=run,
            automated_check=estate[name],
            contract=slot.contract,
            status=status,
            message=message,
            params=params,
            started_at=slot.due_at,
            duration_ms=20,
        )
    return run


@pytest.fixture
def may(contract_a, estate, engineer):
    """What happened in May 2026 (and just around it)."""
    slots = {}
    # 1 May, Labour Day: the period's own rounds replace the daily round; 08:00 was not walked.
    slots["holiday_missed"] = slot_at(contract_a, at(2026, 5, 1, 8), period=estate["period"], status="missed")
    slots["holiday_done"] = slot_at(contract_a, at(2026, 5, 1, 13), period=estate["period"])
    manual_round(slots["holiday_done"], engineer, estate)
    # 6 May: the machine room at 31.5 °C, an incident opened from the round.
    slots["hot"] = slot_at(contract_a, at(2026, 5, 6, 9), estate["manual"])
    hot = manual_round(slots["hot"], engineer, estate, heat="31.5", note="空调滤网堵塞，已清理")
    incident = incident_services.report_incident(
        contract_a, by=engineer, title="机房温度过高", source="inspection", reported_at=at(2026, 5, 6, 9, 20)
    )
    ItemResult.objects.filter(run=hot, item=estate["items"]["heat"]).update(incident=incident)
    # 7 May 02:00: the sweep finds the portal without its keyword; monitoring opens an incident.
    slots["sweep"] = slot_at(contract_a, at(2026, 5, 7, 2), estate["automated"])
    automated_sweep(slots["sweep"], estate, failing=("portal", "tcp"))
    opened = incident_services.report_incident(
        contract_a,
        by=None,
        title="门户首页: keyword not found",
        source="monitoring",
        asset=estate["portal"].asset,
        reported_at=at(2026, 5, 7, 2, 0, 30),
    )
    # The same asset's incident of 9 May is another sweep's, not this one's.
    incident_services.report_incident(
        contract_a,
        by=None,
        title="门户首页: 500",
        source="monitoring",
        asset=estate["portal"].asset,
        reported_at=at(2026, 5, 9, 2, 0, 30),
    )
    # 8 May 02:00: all well.
    slots["clean_sweep"] = slot_at(contract_a, at(2026, 5, 8, 2), estate["automated"])
    automated_sweep(slots["clean_sweep"], estate)
    # 31 May 23:30 Beijing is 15:30 UTC: still May. Not done yet.
    slots["last"] = slot_at(contract_a, at(2026, 5, 31, 23, 30), estate["manual"])
    # Outside: 30 April 23:30 and 1 June 00:00 in Beijing.
    slot_at(contract_a, at(2026, 4, 30, 23, 30), estate["manual"])
    slot_at(contract_a, at(2026, 6, 1, 0, 0), estate["manual"])
    return {"slots": slots, "incident": incident, "opened": opened}


# --- Rows ---------------------------------------------------------------------------------------------


def test_rows_say_when_what_how_who_and_the_result(contract_a, may):
    with translation.override("en"):
        rows = ledger.ledger_rows(contract_a, dt.date(2026, 5, 1), dt.date(2026, 5, 31))
    slots = may["slots"]
    assert [row.slot.pk for row in rows] == [
        slots[name].pk for name in ("holiday_missed", "holiday_done", "hot", "sweep", "clean_sweep", "last")
    ]
    missed, holiday, hot, sweep, clean, last = rows
    assert (missed.what, missed.period, missed.mode, missed.status, missed.result) == (
        "五一重保",
        "五一重保",
        "manual",
        "missed",
        "Not done",
    )
    assert (missed.done_at, missed.performed_by, missed.problems, missed.incidents) == (None, "", [], [])
    assert (holiday.status, holiday.done_at, holiday.performed_by, holiday.result) == (
        "done",
        at(2026, 5, 1, 13, 30),
        "工 王",
        "All items normal",
    )
    assert (hot.what, hot.checklist, hot.due_at, hot.deadline) == (
        "机房日巡检",
        "机房巡检单",
        at(2026, 5, 6, 9),
        at(2026, 5, 6, 11),
    )
    assert (hot.result, hot.problems, hot.note) == (
        "1 abnormal item",
        ["机房温度: 31.5°C"],
        "空调滤网堵塞，已清理",
    )
    assert [(i.number, i.title) for i in hot.incidents] == [(may["incident"].number, "机房温度过高")]
    assert (sweep.mode, sweep.performed_by, sweep.checklist) == (
        "automated",
        "Automated checks",
        "虚拟机与接口",
    )
    assert sweep.result == "2 of 3 checks did not pass"
    assert sweep.problems == ["SSH 端口: No answer within 2 s", "门户首页: Keyword '缴费' not found"]
    # The 7 May sweep opened the portal's incident; the 9 May one is not on this row.
    assert [i.pk for i in sweep.incidents] == [may["opened"].pk]
    assert (clean.result, clean.problems, clean.incidents) == ("All 3 checks passed", [], [])
    assert (last.due_at, last.status, last.result) == (at(2026, 5, 31, 23, 30), "pending", "Not done yet")
    # The checklist comes from the schedule's key before anyone opened the round.
    assert last.checklist == "机房巡检单"


def long_failing_run(contract_a, estate):
    """A sweep of 7 May whose 25 checks all failed."""
    slot = slot_at(
        contract_a, at(2026, 5, 7, 2), estate["automated"], status="done", done_at=at(2026, 5, 7, 2, 5)
    )
    run = InspectionRun.objects.create(
        slot=slot,
        contract=contract_a,
        mode="automated",
        started_at=slot.due_at,
        finished_at=slot.done_at,
        checks_total=25,
        checks_failed=25,
    )
    asset = estate["portal"].asset
    for n in range(25):
        check = AutomatedCheck.objects.create(
            contract=contract_a, asset=asset, name=f"接口 {n:02d}", kind="http"
        )
        CheckResult.objects.create(
            run=run,
            automated_check=check,
            contract=contract_a,
            status="failed",
            message="HTTP %(status)s",
            params={"status": 500},
            started_at=slot.due_at,
            duration_ms=3,
        )
    return slot, run


def test_a_long_list_of_failures_is_cut_with_a_count(contract_a, estate):
    slot, run = long_failing_run(contract_a, estate)
    with translation.override("en"):
        (row,) = ledger.ledger_rows(contract_a, dt.date(2026, 5, 7), dt.date(2026, 5, 7))
    assert len(row.problems) == ledger.MAX_LISTED + 1
    assert row.problems[0] == "接口 00: HTTP 500"
    assert row.problems[-1] == "… and 5 more"
    # Cut in the query (issue 17: a day of 10,000 checks every 5 minutes loaded every failure):
    # the run's first MAX_LISTED rows are read, with the count of them all.
    ((listed, count),) = ledger._failed_results([run]).values()
    assert (len(listed), count) == (ledger.MAX_LISTED, 25)
    assert [r.automated_check.name for r in listed] == [f"接口 {n:02d}" for n in range(ledger.MAX_LISTED)]
    assert row.problems_more == 5
    assert row.more_link == f"/inspections/slots/{slot.pk}/"


def test_the_ledger_page_links_what_it_leaves_out_to_the_runs_page(
    contract_a, estate, client, client_staff_a
):
    slot, _run = long_failing_run(contract_a, estate)
    client.force_login(client_staff_a)
    with translation.override("zh-hans"):
        page = client.get(URL, {"contract": "A-2026-OM", "from": "2026-05-07", "to": "2026-05-07"})
    body = page.content.decode()
    assert page.status_code == 200
    assert f'<a href="/inspections/slots/{slot.pk}/">' in body
    assert "接口 19" in body and "接口 20" not in body
    assert client.get(f"/inspections/slots/{slot.pk}/").status_code == 200  # where the rest is listed


def add_days(contract, estate, engineer, first, count):
    """Days ``first`` to ``first + count - 1`` after 1 March 2026, each with a walked round (too
    hot) and a sweep whose portal check failed and opened an incident: two slots a day."""
    for n in range(first, first + count):
        day = dt.date(2026, 3, 1) + dt.timedelta(days=n)
        manual_round(
            slot_at(contract, at(day.year, day.month, day.day, 9), estate["manual"]),
            engineer,
            estate,
            heat="30",
        )
        sweep = automated_sweep(
            slot_at(contract, at(day.year, day.month, day.day, 2), estate["automated"]),
            estate,
            failing=("portal",),
        )
        incident_services.report_incident(
            contract,
            by=None,
            title="门户",
            source="monitoring",
            asset=estate["portal"].asset,
            reported_at=sweep.started_at,
        )


def count_queries(function) -> int:
    with CaptureQueriesContext(connection) as captured:
        function()
    return len(captured)


def test_the_ledger_costs_the_same_queries_for_10_or_100_slots(
    contract_a, estate, engineer, client, client_staff_a
):
    client.force_login(client_staff_a)
    spring = {"contract": "A-2026-OM", "from": "2026-03-01", "to": "2026-06-30"}

    def rows():
        return ledger.ledger_rows(contract_a, dt.date(2026, 3, 1), dt.date(2026, 6, 30))

    def costs():
        return (
            count_queries(rows),
            count_queries(lambda: client.get(URL, {**spring, "format": "xlsx"})),
            count_queries(lambda: client.get(URL, spring)),
        )

    add_days(contract_a, estate, engineer, 0, 5)
    assert len(rows()) == 10
    assert all(row.problems for row in rows())
    assert all(row.incidents for row in rows() if row.mode == "automated")
    few = costs()
    add_days(contract_a, estate, engineer, 5, 45)
    assert len(rows()) == 100
    assert costs() == few
    # The slots with their run, schedule, period and engineer; the checklists; the abnormal
    # answers; the failed results; the monitoring incidents.
    assert few[0] == 5


# --- On screen ----------------------------------------------------------------------------------------


def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_the_page_shows_the_period_of_a_visible_contract(client, client_staff_a, may):
    client.force_login(client_staff_a)
    body = english(client).get(URL, MAY).content.decode()
    assert "Inspection ledger · A-2026-OM 甲市运维服务 · 2026-05-01 to 2026-05-31" in body
    for text in [
        "2026-05-06 09:00",
        "机房日巡检",
        "机房温度: 31.5°C",
        "空调滤网堵塞，已清理",
        may["incident"].number,
        "2 of 3 checks did not pass",
        "门户首页: Keyword &#x27;缴费&#x27; not found",
        "2026-05-31 23:30",
    ]:
        assert text in body, text
    # Beijing days: 30 April 23:30 and 1 June 00:00 are outside May.
    assert "2026-04-30 23:30" not in body and "2026-06-01 00:00" not in body
    assert "6 inspections" in body
    assert f'href="/incidents/{may["incident"].pk}/"' in body


def test_by_default_this_month_of_the_first_contract(client, client_staff_a, contract_a, estate):
    from django.utils import timezone

    today = timezone.localdate()
    slot_at(contract_a, at(today.year, today.month, today.day, 9), estate["manual"])
    client.force_login(client_staff_a)
    response = english(client).get(URL)
    assert response.status_code == 200
    assert response.context["start"] == today.replace(day=1) and response.context["end"].month == today.month
    assert (response.context["end"] + dt.timedelta(days=1)).day == 1
    assert [row.what for row in response.context["rows"]] == ["机房日巡检"]


def test_pages_of_fifty(client, client_staff_a, contract_a, estate):
    for n in range(60):
        slot_at(contract_a, at(2026, 5, 1, 0) + dt.timedelta(hours=n), estate["manual"])
    client.force_login(client_staff_a)
    assert len(client.get(URL, MAY).context["rows"]) == 50
    second = client.get(URL, {**MAY, "page": 2})
    assert len(second.context["rows"]) == 10
    assert second.context["rows"][0].due_at == at(2026, 5, 1, 0) + dt.timedelta(hours=50)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2026-02-30"}, "from"),
        ({"to": "yesterday"}, "to"),
        ({"from": "2026-05-31", "to": "2026-05-01"}, "to"),
        ({"from": "2025-04-30", "to": "2026-05-01"}, "to"),  # 367 days, both ends included
    ],
)
def test_a_bad_period_is_a_form_error(client, client_staff_a, contract_a, params, field):
    client.force_login(client_staff_a)
    for extra in ({}, {"format": "xlsx"}):
        response = english(client).get(URL, {**MAY, **params, **extra})
        assert response.status_code == 400
        assert field in response.context["form"].errors
        assert response["Content-Type"].startswith("text/html")


def test_a_whole_leap_year_of_366_days_is_allowed(client, client_staff_a, contract_a):
    client.force_login(client_staff_a)
    # 1 March 2027 to 29 February 2028: 366 days, both included.
    assert client.get(URL, {**MAY, "from": "2027-03-01", "to": "2028-02-29"}).status_code == 200


def test_another_bureaus_contract_is_404_and_strangers_log_in(client, outsider, contract_a, make_user):
    assert client.get(URL, MAY).status_code == 302  # to the login page
    client.force_login(outsider)
    assert client.get(URL, MAY).status_code == 404
    assert client.get(URL, {**MAY, "format": "xlsx"}).status_code == 404
    # With no contract at all: a page that says so, not an error.
    client.force_login(make_user())
    response = client.get(URL)
    assert response.status_code == 200 and response.context["form"] is None


# --- .xlsx ---------------------------------------------------------------------------------------------


def download(client, **params):
    response = client.get(URL, {**MAY, "format": "xlsx", **params})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return response, openpyxl.load_workbook(io.BytesIO(response.content)).active


def test_the_xlsx_reads_back_with_a_title_headers_and_beijing_datetimes(client, client_staff_a, may):
    client.force_login(client_staff_a)
    _response, sheet = download(english(client))
    assert sheet["A1"].value == "Inspection ledger · A-2026-OM 甲市运维服务 · 2026-05-01 to 2026-05-31"
    assert "A1:M1" in {str(merged) for merged in sheet.merged_cells.ranges}
    headers = [cell.value for cell in sheet[2]]
    assert headers == [
        "Due at", "Deadline", "What", "Checklist", "Mode", "Status", "Done at",
        "Submitted on the tablet at", "Performed by", "Result", "Abnormal items and failed checks",
        "Incidents opened", "Notes",
    ]  # fmt: skip
    assert sheet.freeze_panes == "A3"
    assert sheet.column_dimensions["K"].width == 50
    rows = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=3)]
    assert len(rows) == 6
    hot = rows[2]
    # Real datetimes, Beijing wall-clock time (Excel has no time zones).
    assert hot[0] == dt.datetime(2026, 5, 6, 9, 0) and hot[1] == dt.datetime(2026, 5, 6, 11, 0)
    assert hot[6] == dt.datetime(2026, 5, 6, 9, 30)
    assert sheet.cell(row=5, column=1).number_format == "yyyy-mm-dd hh:mm"
    assert hot[2:6] == ["机房日巡检", "机房巡检单", "Manual (an engineer with a tablet)", "Done"]
    assert hot[7] is None  # sent from a form, not from a tablet's queue
    assert hot[8:] == [
        "工 王",
        "1 abnormal item",
        "机房温度: 31.5°C",
        f"{may['incident'].number} 机房温度过高",
        "空调滤网堵塞，已清理",
    ]
    sweep = rows[3]
    assert sweep[10] == "SSH 端口: No answer within 2 s\n门户首页: Keyword '缴费' not found"
    assert rows[0][2] == "五一重保" and rows[0][5] == "Missed" and rows[0][6] is None
    # 23:30 on 31 May in Beijing, not 15:30 (UTC).
    assert rows[5][0] == dt.datetime(2026, 5, 31, 23, 30)


def test_the_xlsx_headers_are_chinese_by_default_and_the_name_is_safe(client, client_staff_a, may):
    client.force_login(client_staff_a)
    response, sheet = download(client)
    headers = [cell.value for cell in sheet[2]]
    # "status" and "mode"... are the catalogue's: 状态 is in it already.
    assert headers[5] == "状态"
    with translation.override("zh-hans"):
        expected = [label for label, _width in ledger.columns()]
    assert headers == expected
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment; ")
    ascii_name = disposition.split('filename="')[1].split('"')[0]
    assert ascii_name == "inspection-ledger-A-2026-OM-20260501-20260531.xlsx"
    utf8_name = unquote(disposition.split("filename*=UTF-8''")[1])
    with translation.override("zh-hans"):
        from django.utils.translation import gettext

        assert utf8_name == f"{gettext('Inspection ledger')}-A-2026-OM-20260501-20260531.xlsx"
    assert disposition.isascii()


def test_text_that_looks_like_a_formula_stays_text(client, client_staff_a, contract_a, estate, engineer):
    slot = slot_at(contract_a, at(2026, 5, 6, 9), estate["manual"])
    manual_round(slot, engineer, estate, note='=HYPERLINK("http://evil.example","点我")\x07')
    client.force_login(client_staff_a)
    _response, sheet = download(client)
    cell = sheet.cell(row=3, column=13)  # the notes
    assert cell.data_type == "s"
    assert cell.value == '=HYPERLINK("http://evil.example","点我")'
