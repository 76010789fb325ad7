"""What `make run` starts, with no Redis and no PostgreSQL: SQLite and kombu's filesystem broker.

The stack is `manage.py runall` itself; Ctrl-C (SIGINT) must stop web, worker and beat.
"""

import json
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.om_portal.helpers import ROOT, clean_env, manage

pytestmark = pytest.mark.slow


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def healthz(port):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)
    except OSError:
        return None, None


def processes_with(marker: str) -> list[int]:
    """Processes whose environment carries this run's var folder (all of the stack's children)."""
    found = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if marker.encode() in environ.read_bytes():
                found.append(int(environ.parent.name))
        except OSError:
            continue
    return found


def test_make_run_stack_runs_a_task_without_redis_and_stops_on_ctrl_c(tmp_path):
    port = free_port()
    env = clean_env(tmp_path)
    log = (tmp_path / "stack.log").open("w")
    stack = subprocess.Popen(
        [sys.executable, "manage.py", "runall", "--port", str(port), "--noreload"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 90
        status = body = None
        while time.monotonic() < deadline and status != 200:
            assert stack.poll() is None, (tmp_path / "stack.log").read_text()
            time.sleep(0.5)
            status, body = healthz(port)
        assert status == 200, (body, (tmp_path / "stack.log").read_text()[-3000:])

        # The worker's heartbeat went through the filesystem broker into the SQLite file.
        with sqlite3.connect(tmp_path / "var" / "db.sqlite3") as db:
            assert db.execute("SELECT count(*) FROM om_portal_workerheartbeat").fetchone()[0] >= 1
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=5) as response:
            assert "运维合同管理平台" in response.read().decode()

        # A trial without a phone: the terminal names the command, which shows a demo account's code.
        assert "manage.py demo_code <user>" in (tmp_path / "stack.log").read_text()
        shown = manage("demo_code", "client_manager", env=env)
        assert re.fullmatch(r"\d{6}\n", shown.stdout), shown.stderr
    finally:
        stack.send_signal(signal.SIGINT)
        stack.wait(timeout=60)
        log.close()

    assert stack.returncode == 0, (tmp_path / "stack.log").read_text()[-3000:]
    assert "Stopped web, workers and beat." in (tmp_path / "stack.log").read_text()
    time.sleep(0.5)
    assert processes_with(f"OM_VAR_DIR={tmp_path / 'var'}") == []
