"""Redis killed (SIGKILL, no persistence: it comes back empty) while a beat dispatches inspection
runs one after another and a worker consumes them, and while a person asks for a report build.

What was queued in Redis is gone with it, and what was sent while it was down never got there.
Nothing of it is lost: each piece of work is a committed row first (enqueue after commit), a
failed send is logged and not raised into the caller, and the beat's sweepers (the inspection
tick for runs, the reports tick for builds) send again what never reached a worker."""

import datetime as dt
import zoneinfo

import pytest
from django.db.models import F
from django.utils import timezone

from inspections import monitoring
from inspections.models import CheckResult, InspectionRun, InspectionSlot
from inspections.schedules import materialise_slots
from om_portal.models import WorkerHeartbeat
from reports import services as report_services
from reports.models import BuildState, Report
from tests.faults import procs
from tests.faults.conftest import due_now, http_checks

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(150)]

CN = zoneinfo.ZoneInfo("Asia/Shanghai")
RUNS = 24
# Dispatches made after the kill before Redis is started again; the first may have sent its
# chunk just before the kill, the others cannot have.
DISPATCHED_WHILE_DOWN = 3


def dispatched(driver) -> list[dict]:
    assert driver.popen.poll() in (None, 0), driver.log()
    return [line for line in procs.lines(driver) if "slot" in line]


def test_redis_killed_under_load_loses_no_run_and_no_build(
    env, started, tmp_path, gate, contract_a, redis_server
):
    http_checks(contract_a, {"首页": gate.url("/health"), "接口": gate.url("/api")})
    due_now(contract_a, RUNS)
    today = timezone.localtime(timezone.now(), CN).date()
    materialise_slots(today, today + dt.timedelta(days=1))
    slots = list(InspectionSlot.objects.order_by("pk").values_list("pk", flat=True))
    assert len(slots) == RUNS
    report = Report.objects.create(
        contract=contract_a,
        kind="weekly",
        period_start=dt.date(2026, 11, 9),
        period_end=dt.date(2026, 11, 15),
    )

    worker = procs.worker(env, tmp_path, "faults-redis@localhost", concurrency=2)
    started.append(worker)
    procs.wait_for(lambda: WorkerHeartbeat.objects.filter(worker="faults-redis@localhost").exists())

    beat = procs.driver("dispatch", "--pause", 0.15, *slots, env=env, tmp_path=tmp_path, name="dispatch")
    started.append(beat)
    procs.wait_for(lambda: len(dispatched(beat)) >= 6, what="the first runs dispatched")
    # Whatever waits in Redis at this moment dies with it (no persistence).
    redis_server.kill()
    at_kill = len(dispatched(beat))
    procs.wait_for(
        lambda: len(dispatched(beat)) >= at_kill + DISPATCHED_WHILE_DOWN,
        what="runs dispatched with Redis down",
    )
    # A person asks for a build meanwhile: the request completes, the send fails quietly.
    said = procs.run_driver("build", report.pk, env=env, tmp_path=tmp_path, name="build")
    assert procs.pick(said, "queued") is True
    redis_server.start()

    assert beat.popen.wait(timeout=90) == 0, beat.log()  # no dispatch raised
    assert len(dispatched(beat)) == RUNS
    assert "the sweeper will" in beat.log()
    assert "the tick will" in (tmp_path / "build.log").read_text()

    # The worker came back by itself: the runs dispatched after the restart are done.
    last = InspectionRun.objects.get(slot_id=slots[-1])
    procs.wait_for(
        lambda: InspectionRun.objects.filter(pk=last.pk, finished_at__isnull=False).exists(),
        what="the worker resumed",
    )
    lost = InspectionRun.objects.filter(finished_at__isnull=True)
    assert lost.count() >= DISPATCHED_WHILE_DOWN - 1
    assert Report.objects.get(pk=report.pk).build_state == BuildState.QUEUED

    # Time passes: the runs and the build look stalled to the sweepers, and beat ticks.
    shifted = lost.update(started_at=F("started_at") - monitoring.STALLED_AFTER - dt.timedelta(minutes=1))
    Report.objects.filter(pk=report.pk).update(
        build_requested_at=F("build_requested_at")
        - report_services.BUILD_STALE_AFTER
        - dt.timedelta(minutes=1)
    )
    said = procs.run_driver("tick", "--reports", env=env, tmp_path=tmp_path, name="tick")
    # One chunk per lost run (a run finishing meanwhile is not resent).
    assert DISPATCHED_WHILE_DOWN - 1 <= procs.pick(said, "tick")["chunks_resent"] <= shifted
    assert procs.pick(said, "reports")["builds"] == 1

    procs.wait_for(
        lambda: not InspectionRun.objects.filter(finished_at__isnull=True).exists(), what="every run done"
    )
    procs.wait_for(
        lambda: Report.objects.get(pk=report.pk).build_state == BuildState.DONE, 90, "the build done"
    )
    assert InspectionRun.objects.count() == RUNS
    assert CheckResult.objects.count() == 2 * RUNS  # one per check per run, none twice
    assert set(InspectionSlot.objects.filter(pk__in=slots).values_list("status", flat=True)) == {"done"}
    assert Report.objects.get(pk=report.pk).draft_pdf
