"""The probe engine against real targets on loopback: HTTP servers that answer, answer slowly,
answer 500 or never answer, a refused port, a TLS server whose certificate expires in 5 days, a
real prometheus-node-exporter, and the real PostgreSQL."""

import asyncio
import json
import os
import shutil
import socket
import ssl
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from inspections.probes import (
    HttpCheck,
    NodeExporterCheck,
    PostgresCheck,
    Status,
    TcpCheck,
    run_checks,
    run_checks_sync,
    summarize_node,
)
from inspections.probes.guard import TargetPolicy

NODE_EXPORTER = "/usr/bin/prometheus-node-exporter"
HEALTH = {"status": "UP", "data": {"services": [{"name": "警务云", "up": True}], "version": 3}}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as real servers do

    def do_GET(self):
        if self.path == "/slow":
            time.sleep(0.3)
        status = {"/error": 500, "/empty": 204}.get(self.path, 200)
        body = b"" if status == 204 else json.dumps({**HEALTH, "motto": "平安"}, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        if status != 204:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def serve(server):
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture(scope="module")
def web():
    server = serve(ThreadingHTTPServer(("127.0.0.1", 0), Handler))
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


class Silent:
    """Accepts connections, reads nothing and answers nothing, until closed."""

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0), backlog=256)
        self.port = self.listener.getsockname()[1]
        self.accepted = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                self.accepted.append(self.listener.accept()[0])
            except OSError:
                return

    def close(self):
        self.listener.close()
        for connection in self.accepted:
            connection.close()


@pytest.fixture(scope="module")
def silent():
    server = Silent()
    yield server
    server.close()


@pytest.fixture
def refused_port():
    """A port that was free a moment ago and that nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def tls_web(tmp_path_factory):
    """An HTTPS server with a self-signed certificate that expires in 5 days."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make the test certificate")
    folder = tmp_path_factory.mktemp("tls")
    key, certificate = folder / "key.pem", folder / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", str(key), "-out", str(certificate), "-days", "5", "-subj", "/CN=localhost"],
        check=True, capture_output=True,
    )  # fmt: skip
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate, key)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    serve(server)
    yield f"https://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port, process, seconds=10.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"node_exporter exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"node_exporter did not listen on {port} within {seconds} s")


@pytest.fixture(scope="module")
def node_exporter():
    if not os.access(NODE_EXPORTER, os.X_OK):
        pytest.skip(f"{NODE_EXPORTER} is missing: apt-get install -y prometheus-node-exporter")
    port = free_port()
    process = subprocess.Popen(
        [NODE_EXPORTER, f"--web.listen-address=127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, process)
        yield f"http://127.0.0.1:{port}/metrics"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def postgres():
    try:
        socket.create_connection(("127.0.0.1", 5432), timeout=1).close()
    except OSError:
        pytest.skip("no PostgreSQL at 127.0.0.1:5432")
    return {"host": "127.0.0.1", "port": 5432}


# These targets are real servers on loopback: the administrator's allowance lets checks reach
# them (the guard's own tests are in test_probe_guard.py).
LOOPBACK = TargetPolicy(allow_internal=True)


def run(*checks, **options):
    return run_checks_sync(checks, policy=LOOPBACK, **options)


# --- HTTP ---------------------------------------------------------------------------------------


def test_http_answering_with_keyword_and_json_is_ok(web):
    (result,) = run(
        HttpCheck(f"{web}/health", keyword="平安", json_path="data.services.0.name", json_value="警务云")
    )
    assert result.ok and result.status == "ok" and result.text == "OK"
    assert result.values["http_status"] == 200
    assert result.values["keyword_found"] is True
    assert result.values["json_value_matched"] is True
    assert 0 < result.values["latency_ms"] < 1000
    assert result.started <= result.finished


def test_http_json_value_mismatch_missing_path_and_missing_keyword_fail(web):
    wrong, missing, keyword, boolean = run(
        HttpCheck(f"{web}/health", json_path="status", json_value="DOWN"),
        HttpCheck(f"{web}/health", json_path="data.nothing"),
        HttpCheck(f"{web}/health", keyword="停机"),
        HttpCheck(f"{web}/health", json_path="data.services.0.up", json_value=1),  # true is not 1
    )
    # Issue 14: what differed, never what the target answered ('UP').
    assert (
        wrong.status == "failed" and wrong.text == "The JSON value at status did not equal the expected value"
    )
    assert "UP" not in json.dumps([wrong.params, wrong.values])
    assert missing.status == "failed" and missing.message == "No JSON value at %(path)s"
    assert keyword.status == "failed" and keyword.values["keyword_found"] is False
    assert boolean.status == "failed"


def test_http_slow_answer_breaks_the_latency_limit(web):
    (result,) = run(HttpCheck(f"{web}/slow", max_latency_ms=100))
    assert result.status == "failed"
    assert result.values["latency_ms"] >= 300
    assert result.message == "Answered in %(latency_ms)s ms, limit %(limit_ms)s ms"
    assert result.params["limit_ms"] == 100


def test_http_500_fails_with_the_status(web):
    (result,) = run(HttpCheck(f"{web}/error"))
    assert result.status == "failed" and not result.ok
    assert result.values["http_status"] == 500
    assert result.text == "HTTP status 500, expected 200"


def test_http_500_expected_is_ok(web):
    (result,) = run(HttpCheck(f"{web}/error", expected_status=500))
    assert result.ok


def test_http_silent_target_times_out_within_the_timeout(silent):
    started = time.monotonic()
    (result,) = run(HttpCheck(f"http://127.0.0.1:{silent.port}/"), timeout=1.0)
    elapsed = time.monotonic() - started
    assert result.status == "timeout" and not result.ok
    assert result.text == "No answer within 1.0 s"
    assert 0.9 <= elapsed < 1.6


def test_refused_port_fails_fast(refused_port):
    http, tcp = run(HttpCheck(f"http://127.0.0.1:{refused_port}/"), TcpCheck("127.0.0.1", refused_port))
    for result in (http, tcp):
        assert result.status == "failed"
        assert result.text == "Connection refused"
        assert result.duration_ms < 1000


def test_garbled_or_cut_answers_are_errors_and_a_hang_up_fails(scripted):
    garbled, cut, hang_up = run(
        HttpCheck(scripted(b"garbage\r\n\r\n") + "/"),
        HttpCheck(scripted(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc") + "/"),
        HttpCheck(scripted(None) + "/"),
    )
    # Issue 14: not the parser's reason, which quotes the bytes the target sent.
    assert garbled.status == "error" and garbled.text == "The answer is not valid HTTP"
    assert cut.status == "error" and cut.text == "The answer is not valid HTTP"
    assert hang_up.status == "failed" and hang_up.text == "The server closed the connection"


def test_unknown_host_fails():
    (result,) = run(HttpCheck("http://no-such-host.invalid/"))
    assert result.status == "failed" and result.message == "Connection failed: %(reason)s"


def test_tcp_open_port_is_ok(web, silent):
    port = int(web.rsplit(":", 1)[1])
    results = run(TcpCheck("127.0.0.1", port), TcpCheck("127.0.0.1", silent.port, max_latency_ms=1000))
    assert all(result.ok for result in results)
    assert all(result.values["latency_ms"] < 1000 for result in results)


# --- TLS ----------------------------------------------------------------------------------------


def test_tls_certificate_days_left_are_read_without_verification(tls_web):
    soon, enough, empty = run(
        HttpCheck(f"{tls_web}/health", min_cert_days=30),
        HttpCheck(f"{tls_web}/health", min_cert_days=3, keyword="平安"),
        HttpCheck(f"{tls_web}/empty", expected_status=204, min_cert_days=30),  # no body to read
    )
    assert 4 <= soon.values["cert_days_left"] <= 5
    assert soon.status == "failed"
    assert soon.message == "TLS certificate expires in %(days)s days, minimum %(minimum)s"
    assert soon.params["minimum"] == 30
    assert enough.ok, enough.text
    assert empty.status == "failed" and 4 <= empty.values["cert_days_left"] <= 5


def test_tls_verification_rejects_the_self_signed_certificate(tls_web):
    (result,) = run(HttpCheck(f"{tls_web}/health", verify_tls=True))
    assert result.status == "failed"
    assert result.message == "TLS certificate not trusted: %(reason)s"


# --- node_exporter ------------------------------------------------------------------------------


def test_real_node_exporter_is_measured(node_exporter):
    (result,) = run(
        NodeExporterCheck(
            node_exporter,
            max_memory_used_pct=100,
            max_filesystem_used_pct=100,
            max_network_errors=10**12,
            max_load1_per_cpu=1000,
        )
    )
    assert result.ok, result.text
    values = result.values
    assert 0 < values["memory_used_pct"] < 100
    assert values["filesystems"], "the root file system at least"
    assert all(0 <= pct <= 100 for pct in values["filesystems"].values())
    assert values["cpus"] >= 1 and values["load1"] >= 0
    assert values["load1_per_cpu"] == pytest.approx(values["load1"] / values["cpus"], abs=0.001)
    assert values["network_errors"] >= 0
    assert values["http_status"] == 200


def test_real_node_exporter_against_tight_thresholds_fails_on_each(node_exporter):
    (result,) = run(
        NodeExporterCheck(node_exporter, max_memory_used_pct=0.001, max_filesystem_used_pct=0.001)
    )
    assert result.status == "failed"
    messages = [problem.message for problem in result.problems]
    assert messages[0] == "Memory %(pct)s%% used, limit %(limit)s%%"
    assert messages.count("File system %(mount)s %(pct)s%% used, limit %(limit)s%%") == len(
        result.values["filesystems"]
    )
    assert result.text.startswith("Memory ") and result.text.endswith("limit 0.001%")


def test_node_exporter_check_of_a_page_that_is_not_one_is_an_error(web):
    (result,) = run(NodeExporterCheck(f"{web}/metrics", max_memory_used_pct=90))
    assert result.status == "error" and result.text == "Not a node_exporter page"


SAMPLE_PAGE = """\
# HELP node_memory_MemAvailable_bytes Memory information field MemAvailable_bytes.
# TYPE node_memory_MemAvailable_bytes gauge
node_memory_MemAvailable_bytes 2.5e+09
node_memory_MemTotal_bytes 1e+10
node_filesystem_avail_bytes{device="/dev/sda1",fstype="ext4",mountpoint="/"} 1e+10
node_filesystem_avail_bytes{device="tmpfs",fstype="tmpfs",mountpoint="/run"} 0
node_filesystem_avail_bytes{device="/dev/sdb1",fstype="xfs",mountpoint="/data \\"x\\" {1}"} 1e+09
node_filesystem_size_bytes{device="/dev/sda1",fstype="ext4",mountpoint="/"} 4e+10
node_filesystem_size_bytes{device="tmpfs",fstype="tmpfs",mountpoint="/run"} 1e+09
node_filesystem_size_bytes{device="/dev/sdb1",fstype="xfs",mountpoint="/data \\"x\\" {1}"} 1e+10
node_load1 3
node_load15 99
node_network_receive_errs_total{device="eth0"} 4
node_network_transmit_errs_total{device="eth0"} 1 1700000000000
node_cpu_seconds_total{cpu="0",mode="idle"} 10
node_cpu_seconds_total{cpu="0",mode="user"} 10
node_cpu_seconds_total{cpu="1",mode="idle"} 10
"""


def test_summarize_node_reads_the_text_format():
    summary = summarize_node(SAMPLE_PAGE, frozenset({"tmpfs"}))
    assert summary.memory_used_pct == 75.0
    assert summary.filesystems == {"/": 75.0, '/data "x" {1}': 90.0}  # escapes and braces in labels
    assert summary.network_errors == 5
    assert summary.load1 == 3 and summary.cpus == 2 and summary.load1_per_cpu == 1.5


# --- PostgreSQL ---------------------------------------------------------------------------------


def test_postgres_login_and_select_1(postgres):
    (result,) = run(PostgresCheck(dbname="postgres", user="postgres", **postgres))
    assert result.ok, result.text
    assert result.values["latency_ms"] > 0


def test_postgres_wrong_database_or_role_fails(postgres):
    database, role = run(
        PostgresCheck(dbname="no_such_database_om", user="postgres", **postgres),
        PostgresCheck(dbname="postgres", user="no_such_role_om", **postgres),
    )
    # Issue 14: a fixed message, not the server's words; the refusal is flagged for the back-off.
    for result in (database, role):
        assert result.status == "failed"
        assert result.text == "Database login refused: no such database or user"
        assert result.values["login_refused"] is True


def test_postgres_wrong_password_fails(postgres):
    (result,) = run(PostgresCheck(dbname="postgres", user="postgres", password="wrong-password", **postgres))
    if result.ok:
        pytest.skip("this PostgreSQL trusts loopback logins: any password is accepted")
    assert result.status == "failed" and result.text == "Database login refused: wrong user name or password"


def test_postgres_refused_port_fails(refused_port):
    (result,) = run(PostgresCheck("127.0.0.1", "postgres", "postgres", port=refused_port))
    assert result.status == "failed" and "refused" in result.text.lower()


def test_password_is_not_in_the_check_repr():
    assert "s3cret" not in repr(PostgresCheck("db.example", "om", "om", password="s3cret"))


# --- running many -------------------------------------------------------------------------------


def test_fifty_silent_targets_cost_one_timeout_not_fifty(silent):
    checks = [HttpCheck(f"http://127.0.0.1:{silent.port}/target/{n}") for n in range(50)]
    started = time.monotonic()
    results = run_checks_sync(checks, policy=LOOPBACK, concurrency=50, timeout=0.5)
    elapsed = time.monotonic() - started
    assert [result.status for result in results] == ["timeout"] * 50
    assert elapsed < 1.5


def test_results_come_in_the_order_of_the_checks(web, silent, refused_port):
    checks = [
        HttpCheck(f"http://127.0.0.1:{silent.port}/"),
        HttpCheck(f"{web}/error"),
        TcpCheck("127.0.0.1", refused_port),
        HttpCheck(f"{web}/health"),
    ]
    results = run_checks_sync(checks, policy=LOOPBACK, concurrency=4, timeout=0.5)
    assert [result.check for result in results] == checks
    assert [result.status for result in results] == ["timeout", "failed", "failed", "ok"]


def test_concurrency_bounds_the_checks_in_flight(silent):
    checks = [HttpCheck(f"http://127.0.0.1:{silent.port}/{n}") for n in range(6)]
    started = time.monotonic()
    results = run_checks_sync(checks, policy=LOOPBACK, concurrency=3, timeout=0.3)
    assert all(result.status == Status.TIMEOUT for result in results)
    assert time.monotonic() - started >= 0.55  # two rounds of three


def test_checks_named_first_start_first_and_results_keep_the_checks_order(web, silent):
    checks = [
        HttpCheck(f"{web}/health"),
        HttpCheck(f"{web}/error"),
        HttpCheck(f"http://127.0.0.1:{silent.port}/"),
    ]
    results = run_checks_sync(checks, policy=LOOPBACK, concurrency=1, timeout=0.3, first=[2])
    assert [result.check for result in results] == checks
    assert [result.status for result in results] == ["ok", "failed", "timeout"]
    assert results[2].finished <= results[0].started  # one at a time, the silent one first
    with pytest.raises(ValueError, match="first must hold indexes"):
        run_checks_sync(checks, first=[3])


def test_a_check_timeout_overrides_the_run_timeout(silent):
    (result,) = run(HttpCheck(f"http://127.0.0.1:{silent.port}/", timeout=0.2), timeout=5)
    assert result.status == "timeout" and result.duration_ms < 1000


def test_run_checks_sync_works_inside_a_running_loop(web):
    async def caller():
        return run_checks_sync([HttpCheck(f"{web}/health")], policy=LOOPBACK)

    (result,) = asyncio.run(caller())
    assert result.ok


def test_run_checks_is_awaitable(web):
    results = asyncio.run(
        run_checks([HttpCheck(f"{web}/health"), HttpCheck(f"{web}/error")], policy=LOOPBACK)
    )
    assert [result.ok for result in results] == [True, False]


def test_no_checks_no_results():
    assert run_checks_sync([]) == []


# --- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "fragment"),
    [
        (lambda: HttpCheck("ftp://example.gov.cn/"), "http:// or https://"),
        (lambda: HttpCheck("http://"), "no host"),
        (lambda: HttpCheck("http://exa mple.gov.cn/"), "spaces or control characters"),
        (lambda: HttpCheck("http://a.gov.cn/\n; reboot"), "spaces or control characters"),
        (lambda: HttpCheck("http://admin:pw@a.gov.cn/"), "user name or password"),
        (lambda: HttpCheck("http://a.gov.cn:99999/"), "invalid port"),
        (lambda: HttpCheck("http://bad_host$(reboot)/"), "not a host name"),
        (lambda: HttpCheck(""), "non-empty string"),
        (lambda: HttpCheck(None), "non-empty string"),
        (lambda: HttpCheck("http://a.gov.cn/", max_latency_ms="500"), "max_latency_ms must be a number"),
        (lambda: HttpCheck("http://a.gov.cn/", max_latency_ms=-1), "above 0"),
        (lambda: HttpCheck("http://a.gov.cn/", expected_status="200"), "expected_status must be an integer"),
        (lambda: HttpCheck("http://a.gov.cn/", expected_status=True), "expected_status must be an integer"),
        (lambda: HttpCheck("http://a.gov.cn/", expected_status=700), "from 100 to 599"),
        (lambda: HttpCheck("http://a.gov.cn/", min_cert_days=30), "needs an https:// url"),
        (lambda: HttpCheck("https://a.gov.cn/", min_cert_days="30"), "min_cert_days must be a number"),
        (lambda: HttpCheck("http://a.gov.cn/", json_value="UP"), "json_value needs a json_path"),
        (lambda: HttpCheck("http://a.gov.cn/", json_path="a..b"), "json_path must be dotted keys"),
        (lambda: HttpCheck("http://a.gov.cn/", json_path="a", json_value=[1]), "json_value must be"),
        (lambda: HttpCheck("http://a.gov.cn/", timeout=float("nan")), "finite"),
        (lambda: HttpCheck("http://a.gov.cn/", verify_tls="yes"), "verify_tls must be True or False"),
        (lambda: TcpCheck("127.0.0.1; rm -rf /", 22), "not a host name"),
        (lambda: TcpCheck("127.0.0.1", 0), "port must be an integer from 1 to 65535"),
        (lambda: TcpCheck("127.0.0.1", "22"), "port must be an integer"),
        (lambda: TcpCheck("127.0.0.1", True), "port must be an integer"),
        (lambda: NodeExporterCheck("http://vm:9100/metrics", max_memory_used_pct=150), "at most 100"),
        (lambda: NodeExporterCheck("http://vm:9100/metrics", max_load1_per_cpu="2"), "must be a number"),
        (lambda: NodeExporterCheck("http://vm:9100/metrics", max_network_errors=1.5), "must be an integer"),
        (lambda: NodeExporterCheck("http://vm:9100/metrics", max_network_errors=-1), "zero or more"),
        (lambda: NodeExporterCheck("vm:9100"), "http:// or https://"),
        (lambda: NodeExporterCheck.for_host("vm|reboot"), "not a host name"),
        (lambda: PostgresCheck("db.example", "", "postgres"), "dbname must be a non-empty string"),
        (lambda: PostgresCheck("db.example", "om", "postgres", sslmode="off; DROP"), "not a libpq sslmode"),
        (lambda: PostgresCheck("db.example", "om", "postgres", port=5432.0), "port must be an integer"),
    ],
)
def test_malformed_checks_raise_a_clear_value_error(build, fragment):
    with pytest.raises(ValueError, match=r".") as caught:
        build()
    assert fragment in str(caught.value)


def test_well_formed_checks_are_accepted():
    NodeExporterCheck.for_host("10.0.0.5", max_memory_used_pct=90)
    NodeExporterCheck.for_host("fe80::1", 9100)
    HttpCheck("https://[::1]:8443/health?x=1", min_cert_days=0)
    HttpCheck("http://公安.中国/", keyword="首页")
    TcpCheck("db-01.internal.", 5432, max_latency_ms=50)


def test_run_options_are_checked():
    with pytest.raises(ValueError, match="concurrency"):
        run_checks_sync([], concurrency=0)
    with pytest.raises(ValueError, match="timeout"):
        run_checks_sync([], timeout="2")
    with pytest.raises(TypeError, match="not a check"):
        run_checks_sync(["http://a.gov.cn/"])


def test_checks_are_frozen():
    check = TcpCheck("127.0.0.1", 22)
    with pytest.raises(AttributeError):
        check.port = 23


def test_the_engine_runs_no_subprocess():
    package = Path(__file__).resolve().parents[2] / "inspections" / "probes"
    source = "".join(path.read_text() for path in package.glob("*.py"))
    assert "subprocess" not in source and "os.system" not in source and "create_subprocess" not in source
