"""PostgreSQL stopped (immediate: as if killed) and started again under a running gunicorn and a
running Celery worker: requests fail while it is down and succeed afterwards, and a task sent
after it is back completes, neither process restarted. Django's CONN_HEALTH_CHECKS (settings)
drops the dead persistent connection before a request or task uses it.

The cluster is the test's own (initdb into a temporary folder, a free loopback port), never the
machine's: other tests run on that one."""

import json
import os
import pwd
import shutil
import subprocess
import sys
import urllib.error
import urllib.request

import pytest
from django.db import connection

from tests.faults import procs

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(150)]

DB = "portal"


def have_initdb() -> bool:
    if not (procs.PG_BIN / "initdb").exists() or not shutil.which("runuser"):
        return False
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        return False
    return os.geteuid() == 0


@pytest.fixture
def cluster(services):
    if not have_initdb():
        pytest.skip(f"needs {procs.PG_BIN}/initdb, a postgres user and root to run it as that user")
    server = procs.PostgresCluster()
    try:
        copy_test_database(server)
        yield server
    finally:
        server.destroy()


def copy_test_database(server):
    """The migrated test database, schema and rows, into the cluster: faster than migrating."""
    settings = connection.settings_dict
    source = ["-h", settings["HOST"] or "127.0.0.1", "-p", str(settings["PORT"] or 5432)]
    source += ["-U", settings["USER"] or "postgres"]
    admin = server.connect("postgres")
    with admin.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE {DB}")
    admin.close()
    dump = subprocess.run(
        [procs.PG_BIN / "pg_dump", *source, "--no-owner", "--no-privileges", settings["NAME"]],
        check=True,
        capture_output=True,
        timeout=60,
        env={**os.environ, "PGPASSWORD": settings["PASSWORD"] or ""},
    )
    target = ["-h", "127.0.0.1", "-p", str(server.port), "-U", "postgres", "-d", DB]
    subprocess.run(
        [procs.PG_BIN / "psql", *target, "-q", "-v", "ON_ERROR_STOP=1"],
        input=dump.stdout,
        check=True,
        capture_output=True,
        timeout=60,
    )


def get(url) -> tuple[int, dict | None]:
    """Status and JSON body; a refused or reset connection is status 0."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        body = error.read()
        return error.code, json.loads(body) if body.startswith(b"{") else None
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return 0, None


def heartbeat_at(server, worker):
    """The worker's last heartbeat in the cluster's database, or None (also while it is down)."""
    try:
        db = server.connect(DB)
    except Exception:
        return None
    try:
        with db.cursor() as cursor:
            cursor.execute("SELECT seen_at FROM om_portal_workerheartbeat WHERE worker = %s", [worker])
            row = cursor.fetchone()
    finally:
        db.close()
    return row[0] if row else None


def test_web_and_worker_ride_out_a_postgres_restart(cluster, redis_server, started, tmp_path):
    env = procs.child_env(
        tmp_path, database_url=cluster.url(DB), redis_url=redis_server.url, queue="faults-pg"
    )
    port = procs.free_port()
    web = procs.Process(
        [sys.executable, "-m", "gunicorn", "om_portal.wsgi:application", "-b", f"127.0.0.1:{port}",
         "--workers", "1", "--threads", "2", "--timeout", "30"],
        env=env,
        log_path=tmp_path / "gunicorn.log",
    )  # fmt: skip
    started.append(web)
    name = "faults-pg@localhost"
    worker = procs.worker(env, tmp_path, name, concurrency=1)
    started.append(worker)
    healthz = f"http://127.0.0.1:{port}/healthz"

    procs.wait_for(lambda: heartbeat_at(cluster, name), what="the worker's first heartbeat")
    # A few answers, so that gunicorn holds a persistent connection (CONN_MAX_AGE) to lose.
    for _ in range(3):
        status, body = procs.wait_for(lambda: (r := get(healthz))[0] == 200 and r, 60, "healthz 200")
    assert body["checks"]["database"]["ok"]

    cluster.stop("immediate")
    status, body = get(healthz)
    assert status == 503 or status == 0 or status >= 500, (status, body)
    if body:
        assert "database" in body["failing"]
    # A task sent while the database is down fails in the worker, which stays up.
    procs.run_driver("heartbeat", env=env, tmp_path=tmp_path, name="heartbeat-down")

    cluster.start()  # returns once it accepts connections
    procs.wait_for(lambda: get(healthz)[0] == 200, 60, "healthz 200 again")
    before = heartbeat_at(cluster, name)
    procs.run_driver("heartbeat", env=env, tmp_path=tmp_path, name="heartbeat-up")
    procs.wait_for(lambda: (heartbeat_at(cluster, name) or before) > before, 60, "a task after recovery")

    # Restarted with nothing in between: the first requests and the first task after it succeed,
    # as the dead persistent connections are noticed and replaced before use (CONN_HEALTH_CHECKS)
    # rather than failing one request per thread and one task first.
    cluster.restart("immediate")  # returns once it accepts connections
    for _ in range(4):  # more than gunicorn's threads
        status, body = get(healthz)
        assert status == 200, (status, body)
    before = heartbeat_at(cluster, name)
    procs.run_driver("heartbeat", env=env, tmp_path=tmp_path, name="heartbeat-restart")
    procs.wait_for(
        lambda: (heartbeat_at(cluster, name) or before) > before, 60, "the first task after restart"
    )

    # The same processes throughout: recovered, not restarted.
    assert web.popen.poll() is None, web.log()
    assert worker.popen.poll() is None, worker.log()
    assert web.log().count("Booting worker") == 1
