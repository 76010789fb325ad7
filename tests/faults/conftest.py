"""Fixtures of the fault tests: a Redis of each test's own, a queue of its own, the test database
as child processes see it, and a registry that stops every process a test started."""

import shutil
import uuid
import zoneinfo

import pytest
from django.db import connection
from django.utils import timezone

from contracts.models import Asset
from inspections.models import AutomatedCheck, InspectionSchedule
from tests.faults import procs
from tests.om_portal.helpers import database_url

CN = zoneinfo.ZoneInfo("Asia/Shanghai")


@pytest.fixture
def services(transactional_db):
    """Child processes must see the test's rows: a real PostgreSQL, rows committed as made."""
    if connection.vendor != "postgresql":
        pytest.skip("needs DATABASE_URL to a real PostgreSQL (child processes share the test database)")
    if not shutil.which("redis-server"):
        pytest.skip("needs redis-server on PATH: each fault test kills a Redis of its own")


@pytest.fixture
def redis_server(services, tmp_path):
    server = procs.RedisServer(tmp_path)
    yield server
    server.stop()


@pytest.fixture
def started():
    """Append each procs.Process here; all are stopped at teardown, whatever the test did."""
    processes = []
    yield processes
    for process in reversed(processes):
        process.stop()


@pytest.fixture
def env(redis_server, tmp_path):
    """The environment of this test's children: test database, own Redis, own queue."""
    queue = f"faults-{uuid.uuid4().hex[:8]}"
    return procs.child_env(tmp_path, database_url=database_url(), redis_url=redis_server.url, queue=queue)


@pytest.fixture
def gate():
    target = procs.Gate()
    yield target
    target.close()


def due_now(contract, count=1, prefix="自动巡检"):
    """``count`` automated daily rounds of ``contract`` due this very minute (Beijing time)."""
    minute = timezone.localtime(timezone.now(), CN).strftime("%H:%M")
    return [
        InspectionSchedule.objects.create(
            contract=contract, name=f"{prefix} {n}", mode="automated", times_of_day=[minute], what="接口"
        )
        for n in range(count)
    ]


def http_checks(contract, urls: dict[str, str]) -> dict[str, AutomatedCheck]:
    """One HTTP check per name → URL, on one application asset of ``contract``."""
    asset = Asset.objects.create(contract=contract, kind=Asset.Kind.APPLICATION, name=f"{contract.code} 系统")
    return {
        name: AutomatedCheck.objects.create(
            contract=contract,
            asset=asset,
            name=name,
            kind="http",
            target=url,
            timeout=30,
            approval="approved",
            admin_allowed=True,  # loopback targets (issue 14)
        )
        for name, url in urls.items()
    }
