"""A real Celery worker process on the real Redis and PostgreSQL runs a task; /healthz sees it."""

import datetime as dt
import os
import signal
import subprocess
import sys
import time
import uuid

import pytest
from django.conf import settings
from django.utils import timezone

from om_portal import queues
from om_portal.models import WorkerHeartbeat
from om_portal.tasks import heartbeat
from tests.om_portal.helpers import ROOT, database_url, real_services

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture
def services():
    real_services()


@pytest.fixture
def worker(services, transactional_db, tmp_path):
    """A worker process of its own (two pool processes), on the test database and queues of its
    own: the run's queues also hold the notices other tests enqueue, which this worker would
    otherwise drain (and wait for at its warm shutdown). Tasks reach it through ``send``."""
    tag = uuid.uuid4().hex[:8]
    name = f"test-{tag}@localhost"
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CELERY_TASK_DEFAULT_QUEUE": f"{settings.CELERY_TASK_DEFAULT_QUEUE}-{tag}",
        "OM_VAR_DIR": str(tmp_path),
    }
    log = (tmp_path / "worker.log").open("w")
    command = [sys.executable, "-m", "celery", "-A", "om_portal", "worker", "--concurrency=2", "-n", name]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    yield process, name, queues.names(env["CELERY_TASK_DEFAULT_QUEUE"])
    if process.poll() is None:
        stop(process)
    log.close()


def stop(process):
    """SIGTERM, then SIGKILL after 30 s: a warm shutdown waits for the tasks in hand, and what a
    test checks is that the worker is gone."""
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=30)


def send(task, own_queues):
    """``task.delay()`` into the worker's own queue for the task's kind of work."""
    route = queues.routes(own_queues).get(task.name, {"queue": own_queues["default"]})
    task.apply_async(queue=route["queue"])


def wait_for(predicate, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"not within {timeout} s")


def seen_at(name):
    return WorkerHeartbeat.objects.filter(worker=name).values_list("seen_at", flat=True).first()


def test_worker_runs_a_task_and_healthz_follows_it(worker, client, settings):
    process, name, own_queues = worker
    # The worker's start-up heartbeat travels through Redis like any task.
    first = wait_for(lambda: seen_at(name))

    # A task this test enqueues, whose effect it reads back from PostgreSQL.
    send(heartbeat, own_queues)
    wait_for(lambda: (seen_at(name) or first) > first)

    settings.HEARTBEAT_MAX_AGE = 3
    response = client.get("/healthz")
    assert response.status_code == 200, response.json()

    stop(process)
    time.sleep(4)  # past HEARTBEAT_MAX_AGE with no worker to beat
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["worker"]


def test_checker_runs_at_once_in_the_worker_and_here_record_each_breach_once(worker):
    """Two pool processes of a real worker and this process check the same overdue incidents."""
    from contracts.models import Breach, Contract, Organization, PenaltyClause, SLATerm
    from incidents import checker, services
    from incidents.models import Incident
    from incidents.tasks import check_sla_deadlines

    _process, name, own_queues = worker
    wait_for(lambda: seen_at(name))  # the worker is up
    client_org = Organization.objects.create(name="集成测试公安局", kind="client")
    vendor_org = Organization.objects.create(name="集成测试科技公司", kind="vendor")
    contract = Contract.objects.create(
        code="IT-1", title="集成", client=client_org, vendor=vendor_org, total=770000
    )
    clause = PenaltyClause.objects.create(
        contract=contract, kind="service_breach", title="违约", shape="per_occurrence", rate_percent=1
    )
    SLATerm.objects.create(
        contract=contract, clock="resolution", target=48, unit="hours", penalty_clause=clause
    )
    long_ago = timezone.now() - dt.timedelta(days=5)
    for n in range(30):
        services.report_incident(contract, by=None, title=f"故障 {n}", source="phone", reported_at=long_ago)

    for _ in range(3):
        send(check_sla_deadlines, own_queues)
    checker.check_deadlines()
    wait_for(lambda: not Incident.objects.filter(next_check_at__isnull=False).exists(), timeout=90)
    # One breach per incident, however many checkers raced for it.
    assert Breach.objects.filter(contract=contract).count() == 30
    assert sorted(Breach.objects.values_list("source_ref", flat=True)) == sorted(
        f"incident:{pk}:resolution" for pk in Incident.objects.values_list("pk", flat=True)
    )
