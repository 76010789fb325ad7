"""Automated inspections end to end in one process: the beat dispatching due slots, chunks probing
real loopback targets, results saved in bulk, incidents opened once, recoveries on the timeline,
lost chunks re-sent, missed slots as breaches.

Celery messages are captured, not sent: ``sent`` holds (run id, check ids) per message, and a
test delivers them by calling ``monitoring.run_chunk`` as the worker would.
"""

import datetime as dt
import math
import re
import threading
import zoneinfo
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from contracts.models import Asset, Breach, PenaltyClause, Severity
from contracts.penalties import penalty_summary
from incidents import services
from incidents.models import Incident, IncidentEvent
from inspections import monitoring, tasks
from inspections import targets as check_targets
from inspections.models import AutomatedCheck, CheckResult, InspectionRun, InspectionSchedule, InspectionSlot
from tests.inspections import targets

pytestmark = pytest.mark.django_db

CN = zoneinfo.ZoneInfo("Asia/Shanghai")
Kind = AutomatedCheck.Kind
Event = IncidentEvent.Kind
SlotStatus = InspectionSlot.Status


def at(*args) -> dt.datetime:
    """A Beijing time."""
    return dt.datetime(*args, tzinfo=CN)


@pytest.fixture(autouse=True)
def sent(monkeypatch):
    """The run_chunk messages the code under test sends, as (run_id, check_ids)."""
    messages = []

    def capture(args=None, kwargs=None, **options):
        messages.append(tuple(args))

    monkeypatch.setattr(tasks.run_chunk, "apply_async", capture)
    return messages


@pytest.fixture
def web():
    server = targets.Web()
    yield server
    server.close()


@pytest.fixture
def acceptor():
    server = targets.Acceptor()
    yield server
    server.close()


@pytest.fixture
def app(contract_a):
    return Asset.objects.create(contract=contract_a, kind=Asset.Kind.APPLICATION, name="居住证信息系统")


def add_check(contract, asset, name, kind=Kind.HTTP, **fields):
    # Loopback targets: approved by the client, allowed by an administrator (issue 14).
    fields = {"approval": "approved", "admin_allowed": True, **fields}
    return AutomatedCheck.objects.create(contract=contract, asset=asset, name=name, kind=kind, **fields)


def approved(check: AutomatedCheck) -> AutomatedCheck:
    """For bulk_create, which calls no save(): approved by the client, allowed by an administrator."""
    check.approval, check.admin_allowed = "approved", True
    check.approved_signature = check_targets.signature(check)
    return check


def schedule(contract, time_of_day, name="自动巡检") -> InspectionSchedule:
    made = InspectionSchedule(
        contract=contract, name=name, mode="automated", times_of_day=[time_of_day], what="接口与虚拟机"
    )
    made.full_clean()
    made.save()
    return made


def due_now(contract, name="自动巡检") -> InspectionSchedule:
    """Daily at the current Beijing minute: today's slot is due now, open for two hours."""
    return schedule(contract, timezone.localtime(timezone.now(), CN).strftime("%H:%M"), name)


def quiet(contract) -> InspectionSchedule:
    """Daily three hours from now: the beat makes no slot of it that is due now."""
    later = timezone.localtime(timezone.now(), CN) + dt.timedelta(hours=3)
    return schedule(contract, later.strftime("%H:%M"))


def slot_of(made, due_at, deadline=None) -> InspectionSlot:
    return InspectionSlot.objects.create(
        contract=made.contract,
        schedule=made,
        due_at=due_at,
        deadline=deadline or due_at + dt.timedelta(hours=2),
    )


def start_run(contract, django_capture_on_commit_callbacks, sent):
    """A run of a fresh slot due a minute ago; returns it and its messages."""
    slot = slot_of(quiet(contract), timezone.now() - dt.timedelta(minutes=1))
    before = len(sent)
    with django_capture_on_commit_callbacks(execute=True):
        run = monitoring.dispatch(slot)
    return run, sent[before:]


@pytest.fixture
def runner(contract_a, django_capture_on_commit_callbacks, sent):
    """runner() → a new run of contract A's checks, each of its chunks delivered once."""
    made = quiet(contract_a)
    minutes = iter(range(1, 1000))

    def run_once():
        slot = slot_of(made, timezone.now() - dt.timedelta(minutes=next(minutes)))
        before = len(sent)
        with django_capture_on_commit_callbacks(execute=True):
            run = monitoring.dispatch(slot)
        for message in sent[before:]:
            monitoring.run_chunk(*message)
        run.refresh_from_db()
        return run

    return run_once


def incidents_of(check):
    return Incident.objects.filter(contract=check.contract, asset=check.asset, title__startswith=check.name)


def events(incident, kind):
    return list(incident.events.filter(kind=kind).order_by("at", "id"))


# --- One run ------------------------------------------------------------------------------------


def test_a_run_over_real_targets_saves_each_result_with_its_values(contract_a, app, web, runner):
    up = add_check(contract_a, app, "健康检查", target=web.url("/health"), options={"keyword": "平安"})
    down = add_check(contract_a, app, "出错接口", target=web.url("/error"), severity=Severity.SEVERE)
    closed = add_check(
        contract_a, app, "关闭端口", kind=Kind.TCP, target="127.0.0.1", port=targets.refused_port()
    )

    run = runner()

    assert (run.checks_total, run.checks_failed, run.mode) == (3, 2, "automated")
    assert run.finished_at is not None
    assert run.slot.status == SlotStatus.DONE and run.slot.done_at == run.finished_at
    results = {result.automated_check_id: result for result in CheckResult.objects.filter(run=run)}
    assert results[up.pk].status == "ok" and results[up.pk].values["keyword_found"] is True
    assert results[up.pk].values["http_status"] == 200 and results[up.pk].values["latency_ms"] > 0
    assert results[down.pk].status == "failed" and results[down.pk].values["http_status"] == 500
    assert results[closed.pk].status == "failed" and results[closed.pk].message == "Connection refused"
    assert {result.contract_id for result in results.values()} == {contract_a.pk}
    # Stored as msgid and parameters, translated when shown.
    assert results[down.pk].message == "HTTP status %(got)s, expected %(expected)s"
    assert results[down.pk].params == {"got": 500, "expected": 200}
    with translation.override("en"):
        assert results[down.pk].text == "HTTP status 500, expected 200"

    for check in (up, down, closed):
        check.refresh_from_db()
    assert (up.last_status, up.failing_since, up.incident) == ("ok", None, None)
    assert down.last_status == "failed" and down.failing_since == results[down.pk].started_at
    assert down.last_checked_at == results[down.pk].started_at
    # The failing checks opened one incident each, by the machine, with the check's severity.
    incident = down.incident
    assert (incident.source, incident.severity, incident.asset, incident.created_by) == (
        "monitoring",
        Severity.SEVERE,
        app,
        None,
    )
    assert incident.title.startswith("出错接口")
    assert "http_status: 500" in incident.description and web.url("/error") in incident.description
    assert closed.incident is not None and closed.incident != incident
    assert Incident.objects.count() == 2


def test_a_failing_check_opens_exactly_one_incident_across_repeated_runs(contract_a, app, web, runner):
    check = add_check(contract_a, app, "出错接口", target=web.url("/error"))
    first = runner()
    runner()
    runner()
    check.refresh_from_db()
    (incident,) = incidents_of(check)
    assert check.incident == incident
    # Failing since the first run's result; no timeline entries beyond the report itself.
    assert check.failing_since == CheckResult.objects.get(run=first).started_at
    assert events(incident, Event.RECOVERED) == [] and events(incident, Event.COMMENT) == []
    assert CheckResult.objects.filter(automated_check=check, status="failed").count() == 3


def test_recovery_is_one_event_and_failing_again_while_open_adds_no_incident(contract_a, app, web, runner):
    check = add_check(contract_a, app, "门户", target=web.url("/portal"))
    web.answer("/portal", 503)
    runner()
    web.answer("/portal", 200)
    runner()
    runner()  # still passing: nothing more to say
    check.refresh_from_db()
    (incident,) = incidents_of(check)
    (recovered,) = events(incident, Event.RECOVERED)
    assert recovered.actor is None and "http_status: 200" in recovered.note
    # The link stays while the incident is open: a flapping check adds to it.
    assert (check.incident, check.last_status, check.failing_since) == (incident, "ok", None)

    web.answer("/portal", 503)
    again = runner()
    check.refresh_from_db()
    assert list(incidents_of(check)) == [incident]
    (comment,) = events(incident, Event.COMMENT)
    assert "503" in comment.note
    assert check.failing_since == CheckResult.objects.get(run=again).started_at
    assert len(events(incident, Event.RECOVERED)) == 1


def close(incident):
    services.transition(incident, "acknowledge", by=None)
    services.transition(incident, "resolve", by=None, cause="服务宕机", method="重启", result="恢复")
    services.transition(incident, "close", by=None)


def test_once_its_incident_is_closed_a_failing_check_opens_a_new_one(contract_a, app, web, runner):
    check = add_check(contract_a, app, "门户", target=web.url("/portal"))
    web.answer("/portal", 500)
    runner()
    check.refresh_from_db()
    first = check.incident
    # Closed while the target is still down: the next run reports it afresh.
    close(first)
    runner()
    check.refresh_from_db()
    second = check.incident
    assert second != first and Incident.objects.filter(pk=second.pk, status="new").exists()
    assert incidents_of(check).count() == 2
    # Recovered and closed: the link is dropped, and the next failure is a third incident.
    web.answer("/portal", 200)
    runner()
    close(second)
    runner()
    check.refresh_from_db()
    assert check.incident is None
    web.answer("/portal", 500)
    runner()
    check.refresh_from_db()
    assert check.incident not in (None, first, second) and incidents_of(check).count() == 3


def test_a_misconfigured_check_is_an_error_result_and_the_chunk_goes_on(contract_a, app, web, runner):
    # Saved past the form's validation (an import, the admin shell): the run must not die of it.
    bad = add_check(
        contract_a, app, "配置错误", target=web.url("/health"), options={"max_latency_ms": "fast"}
    )
    good = add_check(contract_a, app, "健康检查", target=web.url("/health"))
    run = runner()
    results = {r.automated_check_id: r for r in CheckResult.objects.filter(run=run)}
    assert results[bad.pk].status == "error" and "max_latency_ms" in results[bad.pk].message
    assert results[good.pk].status == "ok"
    assert (run.checks_total, run.checks_failed) == (2, 1) and run.finished_at is not None
    bad.refresh_from_db()
    assert bad.last_status == "error" and bad.incident is not None


def test_a_chunk_delivered_twice_saves_and_reports_nothing_twice(
    contract_a, app, web, django_capture_on_commit_callbacks, sent
):
    check = add_check(contract_a, app, "出错接口", target=web.url("/error"))
    add_check(contract_a, app, "健康检查", target=web.url("/health"))
    run, (message,) = start_run(contract_a, django_capture_on_commit_callbacks, sent)
    assert monitoring.run_chunk(*message)["finished"] is True
    finished_at = InspectionRun.objects.get(pk=run.pk).finished_at
    with CaptureQueriesContext(connection) as queries:
        again = monitoring.run_chunk(*message)
    assert again == {"checked": 0, "changes": 0, "finished": False}
    assert not [q for q in queries.captured_queries if q["sql"].startswith("INSERT")]
    assert CheckResult.objects.filter(run=run).count() == 2
    assert incidents_of(check).count() == 1
    assert InspectionRun.objects.get(pk=run.pk).finished_at == finished_at


def test_a_run_without_checks_is_done_at_once(contract_a, django_capture_on_commit_callbacks, sent):
    due_now(contract_a)
    with django_capture_on_commit_callbacks(execute=True):
        assert monitoring.tick()["dispatched"] == 1
    run = InspectionRun.objects.get()
    assert (run.checks_total, run.checks_failed) == (0, 0) and run.finished_at == run.started_at
    assert run.slot.status == SlotStatus.DONE
    assert sent == []


# --- The beat -----------------------------------------------------------------------------------


def test_two_beats_dispatch_each_due_slot_once(
    contract_a, app, web, django_capture_on_commit_callbacks, sent
):
    due_now(contract_a)
    add_check(contract_a, app, "健康检查", target=web.url("/health"))
    # A manual schedule's slot is the engineers' to do, not the beat's.
    manual = due_now(contract_a, name="人工巡检")
    InspectionSchedule.objects.filter(pk=manual.pk).update(mode="manual")
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        first = monitoring.tick(now)
        second = monitoring.tick(now + dt.timedelta(minutes=1))
    assert (first["dispatched"], second["dispatched"]) == (1, 0)
    (run,) = InspectionRun.objects.all()
    assert run.slot.schedule.mode == "automated" and run.slot.dispatched_at == now
    assert InspectionSlot.objects.get(schedule=manual, due_at__lte=now).dispatched_at is None
    assert run.started_at == now
    assert sent == [(run.pk, list(AutomatedCheck.objects.values_list("pk", flat=True)))]


@pytest.mark.django_db(transaction=True)
def test_two_beats_at_once_dispatch_each_slot_once(contract_a, app, web, sent):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need a real PostgreSQL (DATABASE_URL); SQLite serialises them")
    for n in range(10):
        due_now(contract_a, name=f"自动巡检 {n}")
    add_check(contract_a, app, "健康检查", target=web.url("/health"))
    now = timezone.now()
    barrier = threading.Barrier(2)
    dispatched = []

    def beat():
        barrier.wait()
        try:
            dispatched.append(monitoring.tick(now)["dispatched"])
        finally:
            connection.close()

    threads = [threading.Thread(target=beat) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(dispatched) == 10 and InspectionRun.objects.count() == 10
    # One message per run, sent after its dispatch committed.
    assert sorted(run_id for run_id, _ids in sent) == sorted(
        InspectionRun.objects.values_list("pk", flat=True)
    )


def test_1200_checks_are_three_messages_failing_first_one_insert_per_500_results(
    contract_a, app, acceptor, django_capture_on_commit_callbacks, sent
):
    AutomatedCheck.objects.bulk_create(
        approved(
            AutomatedCheck(
                contract=contract_a,
                asset=app,
                name=f"端口 {n:04d}",
                kind=Kind.TCP,
                target="127.0.0.1",
                port=acceptor.port,
            )
        )
        for n in range(1200)
    )
    ids = list(AutomatedCheck.objects.order_by("pk").values_list("pk", flat=True))
    # Seven that failed, timed out or could not be judged last time: they go first.
    failing = [ids[5], ids[250], ids[700], ids[701], ids[1100], ids[1150], ids[1199]]
    AutomatedCheck.objects.filter(pk__in=failing[:3]).update(last_status="failed")
    AutomatedCheck.objects.filter(pk__in=failing[3:5]).update(last_status="timeout")
    AutomatedCheck.objects.filter(pk__in=failing[5:]).update(last_status="error")
    AutomatedCheck.objects.exclude(pk__in=failing).update(last_status="ok")
    due_now(contract_a)

    with django_capture_on_commit_callbacks(execute=True):
        monitoring.tick()
    run = InspectionRun.objects.get()
    assert run.checks_total == 1200
    assert [len(check_ids) for _run, check_ids in sent] == [500, 500, 200]
    assert {run_id for run_id, _ids in sent} == {run.pk}
    order = [pk for _run, check_ids in sent for pk in check_ids]
    assert order == failing + [pk for pk in ids if pk not in failing]

    def inserts(queries):
        # SQLite says INSERT OR IGNORE, PostgreSQL INSERT … ON CONFLICT DO NOTHING, in one
        # statement with the checks' UPDATEs (WITH w0 AS (INSERT …), …: om_portal.bulk).
        into = re.compile(r'INSERT (OR IGNORE )?INTO "inspections_checkresult"')
        return [found for q in queries.captured_queries for found in into.findall(q["sql"])]

    # PostgreSQL: one INSERT per 500 results. SQLite (the embedded mode, a library in the
    # process: no round trips) caps a statement at 999 parameters, so fewer rows per INSERT.
    columns = len([f for f in CheckResult._meta.concrete_fields if not f.primary_key])
    per_insert = min(500, (connection.features.max_query_params or 10**6) // columns)
    with CaptureQueriesContext(connection) as queries:
        monitoring.run_chunk(*sent[0])
    assert len(inserts(queries)) == math.ceil(500 / per_insert)
    # The other two chunks delivered as one call of 700: on PostgreSQL two INSERTs, 500 + 200.
    with CaptureQueriesContext(connection) as queries:
        monitoring.run_chunk(run.pk, sent[1][1] + sent[2][1])
    assert len(inserts(queries)) == math.ceil(500 / per_insert) + math.ceil(200 / per_insert)
    if connection.vendor == "postgresql":
        assert per_insert == 500
    run.refresh_from_db()
    assert (run.finished_at is not None, run.checks_failed) == (True, 0)
    assert CheckResult.objects.filter(run=run, status="ok").count() == 1200
    # The seven recovered without an incident to tell; nothing failing, nothing reported.
    assert AutomatedCheck.objects.filter(last_status="ok").count() == 1200
    assert not Incident.objects.exists()


def test_a_chunk_of_500_steady_checks_takes_a_handful_of_queries(
    contract_a, app, acceptor, django_capture_on_commit_callbacks, sent
):
    AutomatedCheck.objects.bulk_create(
        approved(
            AutomatedCheck(
                contract=contract_a,
                asset=app,
                name=f"端口 {n:03d}",
                kind=Kind.TCP,
                target="127.0.0.1",
                port=acceptor.port,
                last_status="ok",
            )
        )
        for n in range(500)
    )
    _run, (message,) = start_run(contract_a, django_capture_on_commit_callbacks, sent)
    with CaptureQueriesContext(connection) as queries:
        monitoring.run_chunk(*message)
    sql = [q["sql"] for q in queries.captured_queries]
    writes = re.compile(
        r'(INSERT (OR IGNORE )?INTO "inspections_checkresult"|UPDATE "inspections_automatedcheck")'
    )
    rows = [q for q in sql if writes.search(q)]
    # The savepoints are the test's transaction's (a worker's are BEGIN and COMMIT): left out.
    others = [q for q in sql if not writes.search(q) and "SAVEPOINT" not in q]
    # The 500 rows: on PostgreSQL one INSERT of the results and one UPDATE of the checks, in one
    # statement (om_portal.bulk); SQLite caps a statement at 999 parameters: a few of each.
    if connection.vendor == "postgresql":
        assert len(rows) == 1 and len(writes.findall(rows[0])) == 2, rows
    # Besides: the checks with their run and the results they have; finishing it (count, claim,
    # the slot's own claim and re-read, the slot).
    assert len(others) <= 6, others
    assert CheckResult.objects.filter(status="ok").count() == 500


# --- Lost chunks and missed slots ---------------------------------------------------------------


def test_a_lost_chunk_is_sent_again_for_the_checks_without_a_result(
    contract_a, app, web, django_capture_on_commit_callbacks, sent, monkeypatch
):
    monkeypatch.setattr(monitoring, "CHUNK", 1)
    first = add_check(contract_a, app, "健康检查", target=web.url("/health"))
    second = add_check(contract_a, app, "出错接口", target=web.url("/error"))
    run, messages = start_run(contract_a, django_capture_on_commit_callbacks, sent)
    assert messages == [(run.pk, [first.pk]), (run.pk, [second.pk])]
    monitoring.run_chunk(*messages[0])  # the second message is lost
    sent.clear()
    started = run.started_at
    with django_capture_on_commit_callbacks(execute=True):
        assert monitoring.tick(started + dt.timedelta(minutes=9))["chunks_resent"] == 0
        assert monitoring.tick(started + dt.timedelta(minutes=11))["chunks_resent"] == 1
        # Once per ten minutes of the run's age, however often the beat sweeps.
        assert monitoring.tick(started + dt.timedelta(minutes=12))["chunks_resent"] == 0
    assert sent == [(run.pk, [second.pk])]
    monitoring.run_chunk(*sent[0])
    run.refresh_from_db()
    assert (run.finished_at is not None, run.checks_failed) == (True, 1)
    assert run.slot.status == SlotStatus.DONE


def test_a_run_whose_checks_were_all_deleted_is_finished_by_the_sweeper(
    contract_a, app, web, django_capture_on_commit_callbacks, sent
):
    check = add_check(contract_a, app, "健康检查", target=web.url("/health"))
    run, _messages = start_run(contract_a, django_capture_on_commit_callbacks, sent)
    check.delete()
    result = monitoring.tick(run.started_at + dt.timedelta(minutes=11))
    assert result["runs_finished"] == 1
    run.refresh_from_db()
    # The one check never reported: it did not pass.
    assert (run.checks_total, run.checks_failed) == (1, 1)


def test_a_run_still_unfinished_after_a_day_is_finished_with_what_it_has(
    contract_a, app, web, django_capture_on_commit_callbacks, sent, monkeypatch
):
    monkeypatch.setattr(monitoring, "CHUNK", 1)
    add_check(contract_a, app, "健康检查", target=web.url("/health"))
    add_check(contract_a, app, "门户", target=web.url("/portal"))
    run, messages = start_run(contract_a, django_capture_on_commit_callbacks, sent)
    monitoring.run_chunk(*messages[0])  # the other never runs: a target that kills its worker
    sent.clear()
    a_day_later = run.started_at + monitoring.ABANDONED_AFTER
    assert monitoring.tick(a_day_later)["runs_finished"] == 1
    run.refresh_from_db()
    assert (run.finished_at, run.checks_total, run.checks_failed) == (a_day_later, 2, 1)
    assert sent == []
    # Past its deadline: missed, and done late (one breach for the slot, however it got there).
    assert run.slot.status == SlotStatus.MISSED and run.slot.done_at == a_day_later
    assert Breach.objects.filter(source_ref=f"slot:{run.slot_id}").count() == 1


@pytest.fixture
def seed_000_clause(contract_a):
    # Seed 000: weekly inspections or support not done on time cost 0.3% of the ¥708,000 total
    # per day late.
    contract_a.total = Decimal("708000.00")
    contract_a.save()
    fields = dict(kind="late_service", title="未按时巡检", shape="per_day", rate_percent=Decimal("0.3"))
    return PenaltyClause.objects.create(contract=contract_a, **fields)


def test_a_missed_automated_slot_is_one_breach(contract_a, app, web, seed_000_clause, sent):
    add_check(contract_a, app, "健康检查", target=web.url("/health"))
    schedule(contract_a, "09:00")
    # The beat ran at 08:00 (making the slot due at 09:00, open until 11:00), then not until 11:01.
    monitoring.tick(at(2024, 11, 4, 8, 0))
    slot = InspectionSlot.objects.get(due_at=at(2024, 11, 4, 9, 0))
    assert monitoring.tick(at(2024, 11, 4, 11, 1))["missed"] == 1
    assert monitoring.tick(at(2024, 11, 4, 11, 2))["missed"] == 0
    slot.refresh_from_db()
    assert (slot.status, slot.dispatched_at) == (SlotStatus.MISSED, None)
    assert not InspectionRun.objects.exists() and sent == []
    breach = Breach.objects.get()
    assert (breach.source_ref, breach.kind, breach.days_late) == (f"slot:{slot.pk}", "late_service", 1)
    # One day late at 0.3% of ¥708,000 = ¥2,124.00.
    assert penalty_summary(contract_a).vendor_total == Decimal("2124.00")


def test_a_run_that_ends_after_its_deadline_is_done_late_with_one_breach(
    contract_a, app, web, seed_000_clause, django_capture_on_commit_callbacks, sent
):
    add_check(contract_a, app, "健康检查", target=web.url("/health"))
    now = timezone.now()
    slot = slot_of(quiet(contract_a), now - dt.timedelta(hours=3), now - dt.timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        run = monitoring.dispatch(slot, now - dt.timedelta(hours=2, minutes=59))
        # Its chunk was lost; the beat marks the slot missed and re-sends the chunk.
        ticked = monitoring.tick(now)
    assert (ticked["missed"], ticked["chunks_resent"]) == (1, 1)
    monitoring.run_chunk(*sent[-1])
    slot.refresh_from_db()
    run.refresh_from_db()
    assert slot.status == SlotStatus.MISSED and slot.done_at == run.finished_at
    assert Breach.objects.filter(source_ref=f"slot:{slot.pk}").count() == 1
    assert penalty_summary(contract_a).vendor_total == Decimal("2124.00")


# --- Two workers in threads (PostgreSQL) --------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_same_chunk_in_two_threads_opens_one_incident(contract_a, app, web, sent):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need a real PostgreSQL (DATABASE_URL); SQLite serialises them")
    checks = [
        add_check(contract_a, app, f"出错接口 {n:02d}", target=web.url(f"/error?{n}")) for n in range(20)
    ]
    for n in range(20):
        web.answer(f"/error?{n}", 500)
    run = monitoring.dispatch(slot_of(quiet(contract_a), timezone.now() - dt.timedelta(minutes=1)))
    (message,) = sent
    barrier = threading.Barrier(2)
    finished = []

    def worker():
        barrier.wait()
        try:
            finished.append(monitoring.run_chunk(*message)["finished"])
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Each result saved once, and one of the two finished the run.
    assert sorted(finished) == [False, True]
    assert Incident.objects.count() == 20
    for check in checks:
        check.refresh_from_db()
        assert incidents_of(check).get() == check.incident
    assert CheckResult.objects.filter(run=run).count() == 20
