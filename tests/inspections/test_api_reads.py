"""The inspections API's read-only resources (slots, runs, check results): their filters, what
they carry, and list queries that do not grow with the rows. Scope and writes: test_api.py."""

import datetime as dt
import functools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents import services as incident_services
from inspections.models import (
    ChecklistItem,
    ChecklistTemplate,
    CheckResult,
    HeightenedPeriod,
    InspectionRun,
    ItemResult,
)
from tests.inspections.test_api import (
    RESOURCES,
    api_as,
    at,
    found,
    make_automated_run,
    make_schedule,
    make_slot,
)

pytestmark = pytest.mark.django_db


# --- Slots, runs and results: read-only, filtered --------------------------------------------------


@pytest.fixture
def history(contract_a):
    """Three days of June 2026 on contract A: a manual daily round, an automated sweep, and the
    Dragon Boat Festival's heightened rounds (a period's own slots, walked by engineers)."""
    manual = make_schedule(contract_a, name="人工巡检", checklist_kind="machine-room")
    automated = make_schedule(contract_a, name="自动巡检", mode="automated", times_of_day=["06:00"])
    period = HeightenedPeriod.objects.create(
        name="端午重保", starts_on=dt.date(2026, 6, 19), ends_on=dt.date(2026, 6, 19)
    )
    period.contracts.set([contract_a])
    slots = {
        "manual_done": make_slot(
            contract_a, at(2026, 6, 18, 9), manual, status="done", done_at=at(2026, 6, 18, 9, 40)
        ),
        "auto_done": make_slot(
            contract_a, at(2026, 6, 18, 6), automated, status="done", done_at=at(2026, 6, 18, 6, 1)
        ),
        "period": make_slot(contract_a, at(2026, 6, 19, 13), period=period, status="missed"),
        "manual_pending": make_slot(contract_a, at(2026, 6, 20, 9), manual),
    }
    return slots


def test_slots_filter_by_status_mode_and_due_time(history, client_staff_a):
    api = api_as(client_staff_a)
    pk = {name: slot.pk for name, slot in history.items()}
    slots = functools.partial(found, api, "inspection-slots")
    assert slots(status="missed") == {pk["period"]}
    assert slots(mode="automated") == {pk["auto_done"]}
    # A period's own rounds have no schedule: they are manual.
    assert slots(mode="manual") == {pk["manual_done"], pk["period"], pk["manual_pending"]}
    day = {"due_at_after": "2026-06-19T00:00:00+08:00", "due_at_before": "2026-06-19T23:59:59+08:00"}
    assert slots(**day) == {pk["period"]}
    assert slots(contract="A-2026-OM", status="done", mode="manual") == {pk["manual_done"]}
    row = api.get(f"/api/v1/inspection-slots/{pk['period']}/").json()
    assert [row[key] for key in ("what", "mode", "run", "contract")] == [
        "端午重保",
        "manual",
        None,
        "A-2026-OM",
    ]
    assert api.get("/api/v1/inspection-slots/", {"mode": "robot"}).status_code == 400
    assert api.get("/api/v1/inspection-slots/", {"due_at_after": "yesterday"}).status_code == 400
    # Read-only: the schedules make slots, submissions and the missed-slot check close them.
    assert api.post("/api/v1/inspection-slots/", {}).status_code == 405


def test_runs_carry_their_answers_or_their_results_by_status(
    history, contract_a, vendor_engineer_a, client_staff_a
):
    template = ChecklistTemplate.objects.create(contract=contract_a, key="machine-room", name="机房巡检")
    cooling = ChecklistItem.objects.create(template=template, position=0, label="空调运行正常")
    heat = ChecklistItem.objects.create(
        template=template, position=1, label="机房温度", kind="number", unit="°C", min_value=18, max_value=27
    )
    slot = history["manual_done"]
    manual = InspectionRun.objects.create(
        slot=slot,
        contract=contract_a,
        mode="manual",
        template=template,
        performed_by=vendor_engineer_a,
        started_at=at(2026, 6, 18, 9, 5),
        finished_at=at(2026, 6, 18, 9, 40),
        items_abnormal=1,
    )
    incident = incident_services.report_incident(
        contract_a,
        by=vendor_engineer_a,
        title="机房温度过高",
        source="inspection",
        reported_at=at(2026, 6, 18, 9, 30),
    )
    ItemResult.objects.create(run=manual, item=cooling, passed=True)
    ItemResult.objects.create(run=manual, item=heat, number="31.5", abnormal=True, incident=incident)
    automated = make_automated_run(history["auto_done"], ["ok", "ok", "failed", "timeout"])
    api = api_as(client_staff_a)
    body = api.get(f"/api/v1/inspection-runs/{manual.pk}/").json()
    assert body["performed_by"] == vendor_engineer_a.username and body["template_name"] == "机房巡检"
    assert [(a["label"], a["abnormal"], a["number"], a["incident"]) for a in body["answers"]] == [
        ("空调运行正常", False, None, None),
        ("机房温度", True, "31.500", incident.pk),
    ]
    assert body["results"] == {"ok": 0, "failed": 0, "timeout": 0, "error": 0}
    body = api.get(f"/api/v1/inspection-runs/{automated.pk}/").json()
    assert body["answers"] == [] and body["results"] == {"ok": 2, "failed": 1, "timeout": 1, "error": 0}
    assert (body["checks_total"], body["checks_failed"], body["due_at"]) == (
        4,
        2,
        "2026-06-18T06:00:00+08:00",
    )

    runs = functools.partial(found, api, "inspection-runs")
    assert runs(mode="manual") == {manual.pk}
    assert runs(slot=history["auto_done"].pk) == {automated.pk}
    assert runs(started_at_after="2026-06-18T07:00:00+08:00") == {manual.pk}
    assert runs(started_at_before="2026-06-18T07:00:00+08:00") == {automated.pk}


def test_check_results_filter_and_speak_the_callers_language(history, client_staff_a):
    run = make_automated_run(history["auto_done"], ["ok", "failed", "timeout"])
    failed = run.results.get(status="failed")
    english = api_as(client_staff_a)
    results = functools.partial(found, english, "check-results")
    assert results(status="failed") == {failed.pk}
    assert results(check=failed.automated_check_id) == {failed.pk}
    assert len(results(run=run.pk)) == 3
    # The results start a second apart from 06:00: 06:00:00, 06:00:01, 06:00:02.
    assert len(results(started_at_after="2026-06-18T06:00:01+08:00")) == 2
    assert results(started_at_before="2026-06-18T05:59:59+08:00") == set()
    row = english.get(f"/api/v1/check-results/{failed.pk}/").json()
    assert row["text"] == "Keyword 'ok' not found"
    assert (row["message"], row["params"], row["check_name"]) == (
        "Keyword %(keyword)r not found",
        {"keyword": "ok"},
        failed.automated_check.name,
    )
    # A msgid the catalogue has ("Done" → 已完成) shows that the text is translated per caller.
    CheckResult.objects.filter(pk=failed.pk).update(message="Done", params={})
    assert (
        api_as(client_staff_a, "zh-hans").get(f"/api/v1/check-results/{failed.pk}/").json()["text"]
        == "已完成"
    )
    assert english.get(f"/api/v1/check-results/{failed.pk}/").json()["text"] == "Done"
    assert english.get("/api/v1/check-results/", {"status": "broken"}).status_code == 400


# --- Query counts ----------------------------------------------------------------------------------


def queries_for(api, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = api.get(url)
        assert response.status_code == 200, response.content
    return len(captured)


def add_rows(contract, day):
    """One more of each: a schedule with a slot and an automated run, a checklist with items, a
    period, a manual run with answers."""
    schedule = make_schedule(contract, name=f"巡检 {day}", mode="automated")
    make_automated_run(
        make_slot(contract, at(2026, 6, day, 9), schedule), ["ok", "failed"], name_prefix=f"c{day}"
    )
    template = ChecklistTemplate.objects.create(contract=contract, key=f"round-{day}", name=f"巡检单 {day}")
    items = [ChecklistItem.objects.create(template=template, label=f"项目 {n}") for n in range(3)]
    period = HeightenedPeriod.objects.create(
        name=f"重保 {day}", starts_on=dt.date(2026, 7, day), ends_on=dt.date(2026, 7, day)
    )
    period.contracts.set([contract])
    slot = make_slot(contract, at(2026, 6, day, 15), make_schedule(contract, name=f"人工 {day}"))
    run = InspectionRun.objects.create(slot=slot, contract=contract, mode="manual", started_at=slot.due_at)
    for item in items:
        ItemResult.objects.create(run=run, item=item, passed=True)


@pytest.mark.parametrize("resource", RESOURCES)
def test_list_queries_do_not_grow_with_the_rows(contract_a, client_staff_a, resource):
    api = api_as(client_staff_a)
    add_rows(contract_a, 1)
    few = queries_for(api, f"/api/v1/{resource}/")
    for day in range(2, 8):
        add_rows(contract_a, day)
    assert queries_for(api, f"/api/v1/{resource}/") == few
