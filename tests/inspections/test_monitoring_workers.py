"""Two real Celery worker processes on the real Redis and PostgreSQL run the chunks of two runs
of the same failing checks at once, each chunk delivered twice: one incident per failing check.
The workers are started as the stack starts them (manage.py worker: a pool of threads for the
probes), and the chunks' new failures are opened together (report_incidents), racing."""

import os
import signal
import subprocess
import sys
import time
import uuid
import zoneinfo

import pytest
from django.utils import timezone

from contracts.models import Asset
from incidents.models import Incident
from inspections import monitoring, tasks
from inspections.models import AutomatedCheck, CheckResult, InspectionRun, InspectionSchedule, InspectionSlot
from om_portal import audit
from om_portal.celery import app as celery_app
from tests.inspections import targets
from tests.om_portal.helpers import ROOT, database_url, real_services

pytestmark = [pytest.mark.integration, pytest.mark.slow]

CN = zoneinfo.ZoneInfo("Asia/Shanghai")


@pytest.fixture
def services():
    real_services()


def wait_for(predicate, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"not within {timeout} s")


@pytest.fixture
def workers(services, transactional_db, tmp_path):
    """Two worker processes of four threads each, on the test database and a queue of
    this test's own (a stray worker on the same Redis cannot take its messages)."""
    queue = f"om-test-monitoring-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "OM_VAR_DIR": str(tmp_path),
    }
    started = []
    for n in range(2):
        name = f"monitoring-{n}-{uuid.uuid4().hex[:6]}@localhost"
        log_path = tmp_path / f"worker-{n}.log"
        log = log_path.open("w")
        command = [sys.executable, "manage.py", "worker", "default,probes", "--", "-c", "4", "-n", name]
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        started.append((process, name, log, log_path))
    yield queue, started
    for process, _name, log, _path in started:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
        log.close()


@pytest.fixture
def web():
    server = targets.Web()
    yield server
    server.close()


def test_two_workers_racing_on_the_same_failing_checks_open_one_incident_each(
    workers, contract_a, web, monkeypatch
):
    queue, started = workers
    send = tasks.run_chunk.apply_async
    monkeypatch.setattr(tasks.run_chunk, "apply_async", lambda args, **options: send(args, queue=queue))
    asset = Asset.objects.create(contract=contract_a, kind=Asset.Kind.APPLICATION, name="缴费系统")

    def check(name, **fields):
        # Loopback targets: approved by the client, allowed by an administrator (issue 14).
        fields = {"approval": "approved", "admin_allowed": True, **fields}
        return AutomatedCheck.objects.create(contract=contract_a, asset=asset, name=name, **fields)

    down = check("出错接口", kind="http", target=web.url("/error"))
    refused = check("关闭端口", kind="tcp", target="127.0.0.1", port=targets.refused_port())
    up = check("健康检查", kind="http", target=web.url("/health"))
    # Many failing at once: each chunk opens its incidents together, and the two workers race.
    closed = targets.refused_port()
    many = [check(f"端口 {n:02d}", kind="tcp", target="127.0.0.1", port=closed) for n in range(30)]
    # Two automated rounds due this minute: two runs of the same three checks.
    minute = timezone.localtime(timezone.now(), CN).strftime("%H:%M")
    for name in ("接口巡检", "端口巡检"):
        InspectionSchedule.objects.create(
            contract=contract_a, name=name, mode="automated", times_of_day=[minute], what="接口"
        )
    # Both workers up and listening before anything is sent.
    names = [name for _process, name, _log, _path in started]
    wait_for(lambda: len(celery_app.control.ping(destination=names, timeout=0.5)) == 2)

    assert monitoring.tick()["dispatched"] == 2
    runs = list(InspectionRun.objects.all())
    # Every chunk delivered a second time, as after a worker lost before its ack.
    for run in runs:
        send((run.pk, [down.pk, refused.pk, up.pk, *[c.pk for c in many]]), queue=queue)

    wait_for(lambda: InspectionRun.objects.filter(finished_at__isnull=False).count() == 2, timeout=90)
    assert CheckResult.objects.count() == 2 * 33
    assert Incident.objects.filter(source="monitoring").count() == 32
    for failing in (down, refused, *many):
        failing.refresh_from_db()
        assert failing.last_status == "failed"
        assert Incident.objects.get(title__startswith=failing.name) == failing.incident
    up.refresh_from_db()
    assert (up.last_status, up.incident) == ("ok", None)
    assert list(InspectionSlot.objects.filter(run__in=runs).values_list("status", flat=True)) == ["done"] * 2
    # Both workers took chunks: the race was real.
    for _process, name, _log, path in started:
        log = path.read_text()
        assert "inspections.tasks.run_chunk" in log, name
        assert "concurrency: 4 (thread)" in log, name  # the stack's pool: threads
    assert audit.verify()[1] == []
