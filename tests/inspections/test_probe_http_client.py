"""Issue 17: the light HTTP client (inspections.probes.kinds.http_client) answers as the aiohttp
session did — the same status, charset, body, values and, for a failure, the same result — and
connects only where the guard allowed, to the pinned address. Loopback only: every other address
a test names is refused before any socket, and a recorder (a Python audit hook) proves it."""

import asyncio
import gzip
import ipaddress
import socket
import sys
import threading
import zlib

import pytest

from inspections.probes import HttpCheck, run_checks_sync
from inspections.probes.engine import _Prober
from inspections.probes.guard import Pins, Refused, TargetPolicy
from inspections.probes.kinds import http_client
from inspections.probes.results import Verdict

ALLOWED = TargetPolicy(allow_internal=True)

_connects: list = []
_recording = threading.Event()


def _audit(event, args):
    if event == "socket.connect" and _recording.is_set():
        _connects.append(args[1])
        address = args[1][0] if isinstance(args[1], tuple) else ""
        if not ipaddress.ip_address(address).is_loopback:  # a test never reaches past loopback
            raise PermissionError(f"a test connected to {address}")


sys.addaudithook(_audit)


@pytest.fixture
def connects():
    _connects.clear()
    _recording.set()
    yield _connects
    _recording.clear()


def _outcome(prober, call):
    """What a get gave: (status, charset, body, values) or the result's status and message."""

    async def attempt():
        values = {}
        try:
            status, charset, body = await call(values)
        except Verdict as verdict:
            return ("verdict", verdict.status, verdict.problem.text, values)
        except Refused as refused:
            return ("refused", refused.message)
        except http_client.Unsupported:
            return ("unsupported",)
        except Exception as error:
            status, problems = prober._classify(error)
            return ("failure", status, [p.text for p in problems], values)
        values.pop("latency_ms")
        return ("answer", status, charset, body, values)

    return attempt


def both(url, *, redirects=False, headers=None):
    """The light client's outcome and the session's, for one URL."""

    async def run():
        async with _Prober(10) as prober:
            request = (url, False, redirects)
            light = await _outcome(
                prober, lambda values: http_client.get(prober, *request, values, ALLOWED, headers)
            )()
            session = await _outcome(prober, lambda values: prober.get(*request, values, ALLOWED, headers))()
        return light, session

    return asyncio.run(run())


BODY = "平安 ok".encode("gbk")
ANSWERS = {
    "length": b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=GBK\r\nContent-Length: %d\r\n\r\n%s"
    % (len(BODY), BODY),
    "extra bytes after the length": b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokAND MORE",
    "to the end": b'HTTP/1.0 200 OK\r\nContent-Type: text/plain; charset="utf-8"\r\n\r\nread to the end',
    "chunked": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nX-Trailer: 1\r\n\r\n",
    "chunked and cut": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel",
    "chunk size garbled": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
    "gzip": b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n%s"
    % (len(gzip.compress(b"zipped keyword")), gzip.compress(b"zipped keyword")),
    "deflate": b"HTTP/1.1 200 OK\r\nContent-Encoding: deflate\r\nContent-Length: %d\r\n\r\n%s"
    % (len(zlib.compress(b"deflated")), zlib.compress(b"deflated")),
    "204": b"HTTP/1.1 204 No Content\r\nContent-Encoding: gzip\r\n\r\n",
    "500 without reason": b"HTTP/1.1 500\r\nContent-Length: 0\r\n\r\n",
    "redirect not followed": b"HTTP/1.1 302 Found\r\nLocation: http://169.254.169.254/\r\n"
    b"Content-Length: 0\r\n\r\n",
    "garbled": b"garbage\r\n\r\n",
    "cut": b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc",
    "hang-up": None,
    "a header line too long": b"HTTP/1.1 200 OK\r\nX-Long: " + b"a" * 9000 + b"\r\nContent-Length: 0\r\n\r\n",
    "a header without a colon": b"HTTP/1.1 200 OK\r\nNo colon here\r\nContent-Length: 0\r\n\r\n",
    "a length that is not a number": b"HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n",
    "a length in other digits": b"HTTP/1.1 200 OK\r\nContent-Length: \xb2\r\n\r\nab",
    "two lengths": b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
}


@pytest.mark.parametrize("name", ANSWERS)
def test_the_light_client_answers_as_the_session_did(scripted, name):
    light, session = both(scripted(ANSWERS[name]) + "/page?q=1")
    assert light == session


def test_redirects_to_another_host_are_refused_by_both_and_the_light_client_follows_the_same_origin(scripted):
    landing = b"HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\nlanding"
    url = scripted(landing)
    hop = scripted(b"HTTP/1.1 301 Moved\r\nLocation: %s/there\r\nContent-Length: 3\r\n\r\nabc" % url.encode())
    away = scripted(b"HTTP/1.1 302 Found\r\nLocation: http://169.254.169.254/\r\n\r\n")
    light, session = both(hop + "/", redirects=True)
    assert light == session
    assert light[0] == "verdict"  # the hop changes port: another origin
    light, session = both(away + "/", redirects=True)
    assert light == session == ("verdict", "failed", "Redirected to another host; not followed", {})


def test_what_the_light_client_does_not_read_goes_to_the_session(scripted):
    answers = [
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Encoding: br\r\nContent-Length: 2\r\n\r\nxx",
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\n",  # a head the server never finished
        b"HTTP/1.1 200 OK\nContent-Length: 2\n\nok",  # bare line feeds
    ]
    for answer in answers:
        light, _session = both(scripted(answer) + "/")
        assert light == ("unsupported",), answer
    assert both("http://user:secret@127.0.0.1:9/")[0] == ("unsupported",)


def test_the_request_is_a_plain_get_with_the_session_headers(scripted):
    url = scripted(ANSWERS["length"])
    port = url.rsplit(":", 1)[1]
    both(url + "/a%20b?x=%C3%A9#fragment", headers={"Accept-Encoding": "identity"})
    light = scripted.requests[-2].decode("latin-1")
    assert light.startswith("GET /a%20b?x=%C3%A9 HTTP/1.1\r\n")
    assert f"\r\nHost: 127.0.0.1:{port}\r\n" in light
    assert "\r\nUser-Agent: om-portal-probe/1\r\n" in light and "fragment" not in light
    assert light.lower().count("accept-encoding") == 1 and "\r\nAccept-Encoding: identity\r\n" in light


def test_a_check_over_the_light_client_is_judged_as_before(scripted, monkeypatch):
    """Keyword in a chunked body, a GBK page: judged on the light path alone (the session is
    made to fail if asked)."""

    async def no_session(*args, **kwargs):
        raise AssertionError("the session was asked")

    monkeypatch.setattr(_Prober, "get", no_session)
    chunked, gbk = run_checks_sync(
        [
            HttpCheck(scripted(ANSWERS["chunked"]) + "/", keyword="world"),
            HttpCheck(scripted(ANSWERS["length"]) + "/", keyword="平安"),
        ],
        policy=ALLOWED,
    )
    assert chunked.ok and chunked.values["keyword_found"] is True, chunked.text
    assert gbk.ok and gbk.values["http_status"] == 200, gbk.text


# --- the guard ------------------------------------------------------------------------------------


def _light_only(monkeypatch):
    async def no_session(*args, **kwargs):
        raise AssertionError("the session was asked: this test is about the light client")

    monkeypatch.setattr(_Prober, "get", no_session)


def test_the_light_client_connects_to_no_refused_address(scripted, connects, monkeypatch):
    """Refused targets: loopback without the allowance, a name resolving to the metadata address,
    a pinned address outside the contract's networks. None is connected to, and the listener
    (which a loopback check would reach) sees no request."""
    _light_only(monkeypatch)
    url = scripted(ANSWERS["length"])
    port = int(url.rsplit(":", 1)[1])
    seen = len(scripted.requests)

    async def fake_lookup(self, key):
        found = {"metadata.test": ["169.254.169.254"], "outside.test": ["192.0.2.1"]}[key]
        self._addresses[key] = found
        return found

    monkeypatch.setattr(Pins, "_lookup", fake_lookup)
    only_ten = TargetPolicy(networks=(ipaddress.ip_network("10.0.0.0/8"),))
    results = run_checks_sync(
        [
            HttpCheck(f"http://127.0.0.1:{port}/"),
            HttpCheck(f"http://[::ffff:127.0.0.1]:{port}/"),
            HttpCheck("http://metadata.test/latest/meta-data/"),
            HttpCheck(f"https://metadata.test:{port}/"),
            HttpCheck(f"http://outside.test:{port}/"),
        ],
        policy=[TargetPolicy()] * 4 + [only_ten],
    )
    assert [result.text for result in results] == [
        "The target is a loopback address",
        "The target is a loopback address",
        "The target is a link-local address",
        "The target is a link-local address",
        "The target is outside the networks allowed for this contract",
    ]
    assert connects == [] and len(scripted.requests) == seen


def test_the_light_client_connects_to_the_pinned_address_only(scripted, connects, monkeypatch):
    """A name is resolved once, by the pins; the socket goes to that address, never to a second
    lookup (DNS rebinding): the fake resolver would answer the metadata address the second time."""
    _light_only(monkeypatch)
    url = scripted(ANSWERS["length"])
    port = int(url.rsplit(":", 1)[1])
    answers = iter([["127.0.0.1"], ["169.254.169.254"]])

    async def fake_lookup(self, key):
        found = next(answers)
        self._addresses[key] = found
        return found

    monkeypatch.setattr(Pins, "_lookup", fake_lookup)
    results = run_checks_sync(
        [HttpCheck(f"http://rebind.test:{port}/"), HttpCheck(f"http://rebind.test:{port}/again")],
        policy=ALLOWED,
        concurrency=1,
    )
    assert all(result.ok for result in results), [result.text for result in results]
    assert connects == [("127.0.0.1", port), ("127.0.0.1", port)]
    assert b"Host: rebind.test:%d" % port in scripted.requests[-1]


# --- kept-alive connections -----------------------------------------------------------------------


@pytest.fixture
def keep_alive():
    """A server answering every request of a connection (HTTP/1.1, no close), that counts the
    connections it accepted; with ``close_on_second``, it closes a connection at its second
    request instead of answering (a kept connection the server dropped)."""
    listener = socket.create_server(("127.0.0.1", 0))
    state = {"accepted": 0, "close_on_second": False}
    answer = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"

    def serve(connection):
        with connection:
            served = 0
            while connection.recv(65536):
                if served and state["close_on_second"]:
                    return
                connection.sendall(answer)
                served += 1

    def accept():
        while True:
            try:
                connection = listener.accept()[0]
            except OSError:
                return
            state["accepted"] += 1
            threading.Thread(target=serve, args=(connection,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    state["port"] = listener.getsockname()[1]
    yield state
    listener.close()


def test_a_kept_connection_serves_the_same_host_and_port_only(keep_alive, monkeypatch):
    _light_only(monkeypatch)
    port = keep_alive["port"]

    async def fake_lookup(self, key):
        self._addresses[key] = ["127.0.0.1"]
        return ["127.0.0.1"]

    monkeypatch.setattr(Pins, "_lookup", fake_lookup)
    results = run_checks_sync(
        [
            HttpCheck(f"http://127.0.0.1:{port}/a"),
            HttpCheck(f"http://127.0.0.1:{port}/b"),
            HttpCheck(f"http://other-name.test:{port}/c"),  # the same address, another host name
            HttpCheck(f"http://other-name.test:{port}/d"),
        ],
        policy=ALLOWED,
        concurrency=1,
    )
    assert all(result.ok for result in results), [result.text for result in results]
    assert keep_alive["accepted"] == 2


def test_a_kept_connection_is_not_lent_to_a_check_its_policy_refuses(keep_alive, connects, monkeypatch):
    """The guard judges every request, kept connection or not: a strict check of the same URL
    after an allowed one is refused and sends nothing."""
    _light_only(monkeypatch)
    url = f"http://127.0.0.1:{keep_alive['port']}/"
    allowed, strict = run_checks_sync(
        [HttpCheck(url), HttpCheck(url)], policy=[ALLOWED, TargetPolicy()], concurrency=1
    )
    assert allowed.ok and strict.text == "The target is a loopback address"
    assert len(connects) == 1 and keep_alive["accepted"] == 1


def test_a_kept_connection_the_server_closed_is_asked_again_on_a_new_one(keep_alive, monkeypatch):
    _light_only(monkeypatch)
    keep_alive["close_on_second"] = True
    url = f"http://127.0.0.1:{keep_alive['port']}/"
    results = run_checks_sync([HttpCheck(url), HttpCheck(url), HttpCheck(url)], policy=ALLOWED, concurrency=1)
    assert all(result.ok for result in results), [result.text for result in results]
    assert keep_alive["accepted"] == 3


def test_a_prober_lifts_the_open_files_limit_to_the_hard_one():
    # 200 probing plus 800 kept-alive sockets pass the common soft limit of 1,024 open files.
    import resource

    from inspections.probes import engine

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    low = min(256, hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (low, hard))
    engine._open_files_to_hard_limit.cache_clear()
    try:
        engine._Prober(10)
        assert resource.getrlimit(resource.RLIMIT_NOFILE) == (hard, hard)
    finally:
        resource.setrlimit(
            resource.RLIMIT_NOFILE, (max(soft, resource.getrlimit(resource.RLIMIT_NOFILE)[0]), hard)
        )
