"""A Celery worker killed with SIGKILL (with its pool children) in the middle of an automated
inspection sweep: once a new worker runs and beat's tick has swept, the run is finished once,
every check has one result, and each failing target has one incident, however often its chunk
is delivered again."""

import datetime as dt

import psycopg2
import pytest
from django.db import connection
from django.db.models import F

from incidents.models import Incident
from inspections import monitoring
from inspections.models import AutomatedCheck, CheckResult, InspectionRun
from om_portal.models import WorkerHeartbeat
from tests.faults import procs
from tests.faults.conftest import due_now, http_checks

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(120)]


def seen_at(name):
    return WorkerHeartbeat.objects.filter(worker=name).values_list("seen_at", flat=True).first()


def hold_row_lock(check: AutomatedCheck):
    """Lock the check's row from a connection of this test: a worker that has saved the check's
    result then blocks on its state update, the step between "saved" and "acted on". NO KEY
    UPDATE: the result's INSERT (a foreign-key share lock on the row) still goes through."""
    settings = connection.settings_dict
    holder = psycopg2.connect(
        host=settings["HOST"] or "127.0.0.1",
        port=settings["PORT"] or 5432,
        user=settings["USER"] or "postgres",
        password=settings["PASSWORD"] or None,
        dbname=settings["NAME"],
    )
    with holder.cursor() as cursor:
        table = AutomatedCheck._meta.db_table  # a model's name, not input
        cursor.execute(f"SELECT id FROM {table} WHERE id = %s FOR NO KEY UPDATE", [check.pk])  # noqa: S608
    return holder


def test_a_sweep_survives_its_worker_killed_and_opens_no_duplicate_incident(
    env, started, tmp_path, gate, contract_a
):
    # Checks are probed in id order here (none has run yet), one Celery message each.
    checks = http_checks(
        contract_a,
        {
            "locked": gate.url("/error"),  # failing; its worker is killed between save and act
            "hung": gate.url("/gate"),  # failing; its worker is killed inside the probe
            "down": gate.url("/error"),
            "up-1": gate.url("/health"),
            "up-2": gate.url("/health"),
        },
    )
    failing = ["locked", "hung", "down"]
    due_now(contract_a)
    holder = hold_row_lock(checks["locked"])
    try:
        first = procs.worker(env, tmp_path, "faults-first@localhost", concurrency=2)
        started.append(first)
        said = procs.run_driver("tick", "--chunk", 1, env=env, tmp_path=tmp_path, name="tick-1")
        assert procs.pick(said, "tick")["dispatched"] == 1
        run = InspectionRun.objects.get()

        # Both pool processes busy mid-sweep: one has saved "locked"'s result and waits on the
        # row lock to act on it, the other waits inside the probe of "hung".
        procs.wait_for(
            lambda: CheckResult.objects.filter(run=run, automated_check=checks["locked"]).exists(),
            what="the locked check's result saved",
        )
        assert gate.hit.wait(60), first.log()
        first.kill()
    finally:
        holder.rollback()
        holder.close()
    gate.open()
    assert not Incident.objects.exists()  # the killed worker's transaction did not commit
    assert InspectionRun.objects.get().finished_at is None

    second = procs.worker(env, tmp_path, "faults-second@localhost", concurrency=1)
    started.append(second)
    procs.wait_for(lambda: seen_at("faults-second@localhost"), what="the new worker up")
    # The chunks still queued at the kill ran; the two the dead worker held did not.
    procs.wait_for(lambda: CheckResult.objects.filter(run=run).count() == 4, what="queued chunks done")
    assert not CheckResult.objects.filter(automated_check=checks["hung"]).exists()

    # Time passes (the run looks stalled to the sweeper) and beat's tick runs.
    InspectionRun.objects.filter(pk=run.pk).update(
        started_at=F("started_at") - monitoring.STALLED_AFTER - dt.timedelta(minutes=1)
    )
    said = procs.run_driver("tick", "--chunk", 1, env=env, tmp_path=tmp_path, name="tick-2")
    # "hung" lacks a result; "locked" has one its state never took in.
    assert procs.pick(said, "tick")["chunks_resent"] == 2, said
    procs.wait_for(lambda: InspectionRun.objects.get().finished_at, what="the run finished")

    # Redis hands the dead worker's unacknowledged messages out again later (visibility timeout):
    # deliver them now, then a heartbeat behind them on the one-process worker, FIFO.
    before = seen_at("faults-second@localhost")
    for name in ("locked", "hung"):
        procs.run_driver("send", run.pk, checks[name].pk, env=env, tmp_path=tmp_path, name=f"send-{name}")
    procs.run_driver("heartbeat", env=env, tmp_path=tmp_path, name="heartbeat")
    procs.wait_for(lambda: seen_at("faults-second@localhost") > before, what="redelivered chunks done")

    run = InspectionRun.objects.get()
    assert (run.checks_total, run.checks_failed) == (5, 3)
    assert run.slot.status == "done"
    for name, check in checks.items():
        assert CheckResult.objects.filter(run=run, automated_check=check).count() == 1, name
    incidents = Incident.objects.filter(source="monitoring")
    assert incidents.count() == len(failing)
    for name in failing:
        check = AutomatedCheck.objects.get(pk=checks[name].pk)
        assert check.last_status == "failed", name
        assert check.incident is not None, f"{name}: no incident for a failing target"
        assert incidents.filter(title__startswith=name).get() == check.incident
    for name in ("up-1", "up-2"):
        check = AutomatedCheck.objects.get(pk=checks[name].pk)
        assert (check.last_status, check.incident_id) == ("ok", None)
