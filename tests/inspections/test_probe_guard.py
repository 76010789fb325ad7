"""Issue 14: a check cannot make the portal's server connect where its author points it.

Every refused target is refused before any connection: a recorder (a Python audit hook) sees
every ``socket.connect`` the process makes, and the loopback listener counts what it accepted.
"""

import ipaddress
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from inspections.probes import (
    HttpCheck,
    NodeExporterCheck,
    PingCheck,
    PostgresCheck,
    TcpCheck,
    run_checks_sync,
)
from inspections.probes.guard import TargetPolicy

_connects: list = []
_recording = threading.Event()


_lookups: list = []


def _audit(event, args):
    if event == "socket.connect" and _recording.is_set():
        _connects.append(args[1])
    if event == "socket.getaddrinfo" and _recording.is_set():
        _lookups.append(args[0])


sys.addaudithook(_audit)


@pytest.fixture
def connects():
    _connects.clear()
    _lookups.clear()
    _recording.set()
    yield _connects
    _recording.clear()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        self.server.hits.append(self.path)
        redirect = self.server.redirects.get(self.path)
        body = b'{"db": {"password": "s3cret-Pa55"}}'
        self.send_response(302 if redirect else 200)
        if redirect:
            self.send_header("Location", redirect)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    web = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    web.daemon_threads = True
    web.hits, web.redirects = [], {}
    threading.Thread(target=web.serve_forever, daemon=True).start()
    yield web
    web.shutdown()
    web.server_close()


def _port(server) -> int:
    return server.server_address[1]


# Each target below would reach the listener (or another internal address) if it were not refused.
HTTP_VARIANTS = [
    "http://127.0.0.1:{port}/",
    "http://localhost:{port}/",
    "http://localhost.:{port}/",
    "http://LOCALHOST:{port}/",
    "http://portal.localhost:{port}/",
    "http://[::1]:{port}/",
    "http://[::ffff:127.0.0.1]:{port}/",
    "http://[::ffff:7f00:1]:{port}/",
    "http://[::127.0.0.1]:{port}/",
    "http://2130706433:{port}/",
    "http://0177.0.0.1:{port}/",
    "http://0x7f.1:{port}/",
    "http://0x7f000001:{port}/",
    "http://127.1:{port}/",
    "http://127.0.0.1.:{port}/",
    "http://127.8.9.10:{port}/",
    "http://0.0.0.0:{port}/",
    "http://0:{port}/",
    "http://[::]:{port}/",
    "https://127.0.0.1:{port}/",
    "http://169.254.169.254/latest/meta-data/",
    "http://[fe80::1]/",
    "http://224.0.0.1/",
    "http://[ff02::1]/",
    "http://255.255.255.255/",
    "http://240.0.0.1/",
]


@pytest.mark.parametrize("template", HTTP_VARIANTS)
def test_internal_http_targets_are_refused_before_any_connection(server, connects, template):
    url = template.format(port=_port(server))
    hits = len(server.hits)
    (result,) = run_checks_sync([HttpCheck(url)], timeout=2.0)
    assert result.status == "error" and result.text.startswith("The target"), result.text
    assert connects == [] and len(server.hits) == hits


def test_every_kind_of_check_is_refused_on_loopback(server, connects):
    port = _port(server)
    results = run_checks_sync(
        [
            TcpCheck("127.0.0.1", port),
            TcpCheck("localhost", 5432),
            PostgresCheck("127.0.0.1", "postgres", "postgres", password="guess"),
            PostgresCheck("::1", "postgres", "postgres"),
            PingCheck("127.0.0.1", count=1),
            PingCheck("169.254.169.254", count=1),
            NodeExporterCheck(f"http://127.0.0.1:{port}/metrics"),
        ],
        timeout=2.0,
    )
    for result in results:
        assert result.status == "error" and result.text.startswith("The target"), result.text
        assert "latency_ms" not in result.values
    assert connects == [] and server.hits.count("/metrics") == 0


def test_a_host_name_that_resolves_to_loopback_is_refused_after_the_lookup(server, connects):
    name = socket.gethostname()
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(name, None)}
    except OSError:
        pytest.skip("this machine's name does not resolve")
    if not all(ipaddress.ip_address(a).is_loopback for a in addresses):
        pytest.skip("this machine's name does not resolve to loopback")
    (result,) = run_checks_sync([HttpCheck(f"http://{name}:{_port(server)}/")])
    assert result.text == "The target is a loopback address"
    assert connects == []


def test_the_portals_own_services_and_addresses_outside_the_allowed_networks(connects):
    database = ipaddress.ip_address("10.9.9.9")
    policy = TargetPolicy(
        networks=(ipaddress.ip_network("10.9.0.0/16"),), services=frozenset({(database, 5432)})
    )
    own, outside, web = run_checks_sync(
        [
            PostgresCheck("10.9.9.9", "postgres", "postgres"),
            TcpCheck("10.1.2.3", 22),
            HttpCheck("http://192.168.1.1/"),
        ],
        policy=policy,
    )
    assert own.text == "The target is one of the portal's own services"
    assert outside.text == web.text == "The target is outside the networks allowed for this contract"
    assert connects == []


def test_a_url_with_a_user_name_is_refused_when_the_check_is_made():
    with pytest.raises(ValueError, match="user name or password"):
        HttpCheck("http://allowed@127.0.0.1/")
    with pytest.raises(ValueError, match="user name or password"):
        HttpCheck("http://10.1.2.3:80@127.0.0.1/")


ALLOWED = TargetPolicy(allow_internal=True)  # an administrator's allowance


def test_the_administrators_allowance_reaches_loopback_but_never_the_unspecified_address(server):
    port = _port(server)
    ok, unspecified = run_checks_sync(
        [HttpCheck(f"http://127.0.0.1:{port}/"), HttpCheck(f"http://0.0.0.0:{port}/")], policy=ALLOWED
    )
    assert ok.ok
    assert unspecified.text == "The target is not an address a check may reach"


def test_redirects_are_followed_to_the_same_host_only(server, connects):
    port = _port(server)
    server.redirects.update({"/same": "/landing", "/away": f"http://localhost:{port}/stolen"})
    same, away = run_checks_sync(
        [
            HttpCheck(f"http://127.0.0.1:{port}/same", follow_redirects=True),
            HttpCheck(f"http://127.0.0.1:{port}/away", follow_redirects=True),
        ],
        policy=ALLOWED,
        concurrency=1,
    )
    assert same.ok and "/landing" in server.hits
    assert away.status == "failed" and away.text == "Redirected to another host; not followed"
    assert "/stolen" not in server.hits
    # One lookup per host for the whole run, connections to that address only.
    assert {address[0] for address in connects} == {"127.0.0.1"}


def test_a_json_secret_never_comes_back_in_the_result(server):
    (result,) = run_checks_sync(
        [HttpCheck(f"http://127.0.0.1:{_port(server)}/", json_path="db.password", json_value="guess")],
        policy=ALLOWED,
    )
    assert result.status == "failed"
    assert result.text == "The JSON value at db.password did not equal the expected value"
    assert "s3cret" not in repr((result.message, result.params, result.values, result.problems))


def test_a_host_is_looked_up_once_per_run_and_only_its_checked_addresses_are_connected(server, connects):
    """No second lookup that a hostile DNS server could answer differently (DNS rebinding):
    HTTP (the session's resolver answers from the pins), TCP and a redirect use the first."""
    port = _port(server)
    server.redirects["/hop"] = "/landing"
    results = run_checks_sync(
        [
            HttpCheck(f"http://localhost:{port}/"),
            HttpCheck(f"http://localhost:{port}/hop", follow_redirects=True),
            TcpCheck("localhost", port),
        ],
        policy=ALLOWED,
        concurrency=1,
    )
    assert all(result.ok for result in results), [result.text for result in results]
    assert _lookups.count("localhost") == 1
    assert {address[0] for address in connects} <= {"127.0.0.1", "::1"}


def test_a_verdict_remembered_for_one_policy_and_port_never_serves_another():
    """Pins judge a host's pinned addresses once per policy and port (issue 17, the engine's CPU):
    loopback allowed for one check stays refused for the next check of the run without the
    allowance, and for a port that is one of the portal's own services."""
    import asyncio
    import ipaddress

    from inspections.probes.guard import Pins, Refused, TargetPolicy

    allowed = TargetPolicy(allow_internal=True)
    strict = TargetPolicy()
    own_redis = TargetPolicy(
        allow_internal=False, services=frozenset({(ipaddress.ip_address("10.1.2.3"), 6379)})
    )

    async def judge():
        pins = Pins()
        found = [await pins.resolve("127.0.0.1", allowed, 80), await pins.resolve("127.0.0.1", allowed, 80)]
        with pytest.raises(Refused, match="loopback"):
            await pins.resolve("127.0.0.1", strict, 80)
        found.append(await pins.resolve("10.1.2.3", own_redis, 80))
        with pytest.raises(Refused, match="own services"):
            await pins.resolve("10.1.2.3", own_redis, 6379)
        assert ("127.0.0.1", allowed, 80, False) in pins._allowed  # remembered: judged once
        return found

    assert asyncio.run(judge()) == [["127.0.0.1"], ["127.0.0.1"], ["10.1.2.3"]]
