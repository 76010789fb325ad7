"""Processes of the fault tests: a Redis server and a PostgreSQL cluster of the test's own (so that
killing them harms no one else), Celery workers, gunicorn, and the driver (tests.faults.driver).

Every process is started in a session of its own and ended by its process group id, so a SIGKILL
takes a worker with its pool children, as when its container dies.
"""

import contextlib
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tests.om_portal.helpers import ROOT

PG_BIN = Path("/usr/lib/postgresql/15/bin")


def wait_for(predicate, timeout=60, what="the condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"{what}: not within {timeout} s")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def child_env(tmp_path, *, database_url, redis_url, queue, **extra) -> dict:
    """The portal's settings for a child: this test's database, broker and queue."""
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "CELERY_BROKER_URL": redis_url,
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "OM_VAR_DIR": str(tmp_path / "var"),
        "DEBUG": "true",
        **extra,
    }


class Process:
    """A child in its own session, its output in a log file of the test's tmp_path."""

    def __init__(self, command, *, env, log_path: Path):
        self.log_path = log_path
        self._log = log_path.open("w")
        self.popen = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill(self, sig=signal.SIGKILL) -> None:
        """Signal the whole process group (the worker and its pool children)."""
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, sig)
        self.popen.wait(timeout=30)

    def stop(self) -> None:
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(timeout=10)
        else:
            # The leader is gone; pool children it left must not outlive the test.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGKILL)
        self._log.close()


def worker(env, tmp_path, name, concurrency=2) -> Process:
    command = [
        sys.executable, "-m", "celery", "-A", "om_portal", "worker", f"--concurrency={concurrency}",
        "-n", name, "--without-mingle", "--without-gossip",
    ]  # fmt: skip
    return Process(command, env=env, log_path=tmp_path / f"{name.split('@')[0]}.log")


def driver(*args, env, tmp_path, name="driver") -> Process:
    """Start tests.faults.driver in the background; ``lines(process)`` reads what it said."""
    command = [sys.executable, "-m", "tests.faults.driver", *map(str, args)]
    return Process(command, env=env, log_path=tmp_path / f"{name}.log")


def lines(process: Process) -> list[dict]:
    said = []
    for line in process.log().splitlines():
        if line.startswith("{"):
            said.append(json.loads(line))
    return said


def pick(said: list[dict], key: str):
    """The first thing the driver said under ``key``."""
    return next(line[key] for line in said if key in line)


def run_driver(*args, env, tmp_path, name="driver", timeout=60) -> list[dict]:
    process = driver(*args, env=env, tmp_path=tmp_path, name=name)
    try:
        code = process.popen.wait(timeout=timeout)
    finally:
        process.stop()
    assert code == 0, process.log()
    return lines(process)


class RedisServer:
    """A redis-server of the test's own on a loopback port, without persistence: killed, it
    comes back empty, as a broker restarted from a lost container does."""

    def __init__(self, tmp_path: Path):
        self.port = free_port()
        self.dir = tmp_path
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None
        self.start()

    def start(self):
        if self.process is not None:
            self.process.stop()  # the killed one: its log file
        command = [
            shutil.which("redis-server"), "--port", str(self.port), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no", "--dir", str(self.dir),
        ]  # fmt: skip
        self.process = Process(command, env=dict(os.environ), log_path=self.dir / f"redis-{time.time()}.log")
        wait_for(self.ping, 20, "redis-server up")

    def ping(self) -> bool:
        try:
            return self.client().ping()
        except Exception:
            return False

    def client(self):
        import redis

        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=2)

    def kill(self):
        self.process.kill()

    def stop(self):
        self.process.stop()


class PostgresCluster:
    """A PostgreSQL cluster of the test's own (initdb as the postgres user) on a loopback port.
    Never the machine's cluster: other tests run on that one."""

    def __init__(self):
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="pgfault-"))
        self.data = self.dir / "data"
        uid = pwd.getpwnam("postgres").pw_uid
        os.chown(self.dir, uid, -1)
        self._as_postgres(PG_BIN / "initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "-E", "UTF8")
        self.start()

    @staticmethod
    def _as_postgres(*command):
        command = [str(part) for part in command]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def _ctl(self, *args):
        self._as_postgres(PG_BIN / "pg_ctl", "-D", self.data, "-w", "-t", "60", *args)

    def _options(self):
        # The log file also keeps the server off pg_ctl's output, which the test reads to its end.
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        return ["-o", options, "-l", self.dir / "server.log"]

    def start(self):
        self._ctl(*self._options(), "start")

    def restart(self, mode="immediate"):
        self._ctl("-m", mode, *self._options(), "restart")

    def stop(self, mode="immediate"):
        self._ctl("-m", mode, "stop")

    def url(self, name) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def connect(self, name):
        import psycopg2

        connection = psycopg2.connect(host="127.0.0.1", port=self.port, user="postgres", dbname=name)
        connection.autocommit = True
        return connection

    def destroy(self):
        with contextlib.suppress(subprocess.CalledProcessError):  # already down
            self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class _GateHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        server = self.server
        if self.path == "/gate":
            server.hits.set()
            server.opened.wait(60)
        status = 503 if self.path in ("/gate", "/error") else 200
        body = b'{"status": "%s"}' % (b"UP" if status == 200 else b"DOWN")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a worker killed mid-request resets its connection: expected here


class Gate:
    """A loopback HTTP target: ``/gate`` holds each request until ``open()`` and then answers
    503, ``/error`` answers 503 at once, any other path 200. ``hit`` is set by the first request
    to ``/gate``: a worker is inside that probe."""

    def __init__(self):
        self.server = _QuietServer(("127.0.0.1", 0), _GateHandler)
        self.server.hits = threading.Event()
        self.server.opened = threading.Event()
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def hit(self) -> threading.Event:
        return self.server.hits

    def open(self):
        self.server.opened.set()

    def url(self, path):
        return self.base + path

    def close(self):
        self.open()
        self.server.shutdown()
        self.server.server_close()
