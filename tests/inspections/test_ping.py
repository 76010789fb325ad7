"""ICMP echo from the probe engine's own socket: loopback answers, an unrouted address does not,
and a user the system refuses ICMP sockets gets an error that says so."""

import json
import os

import pytest

from inspections.probes import PingCheck, Status, icmp, run_checks_sync
from inspections.probes.guard import TargetPolicy

LOOPBACK = TargetPolicy(allow_internal=True)  # an administrator's allowance


def can_ping() -> bool:
    try:
        sock, _raw = icmp.open_socket()
    except icmp.PingNotPermitted:
        return False
    sock.close()
    return True


needs_icmp = pytest.mark.skipif(not can_ping(), reason="this user may open no ICMP socket")


@needs_icmp
def test_loopback_answers_every_ping():
    (result,) = run_checks_sync([PingCheck("127.0.0.1", count=3)], policy=LOOPBACK)
    assert result.status is Status.OK, result.text
    assert (result.values["sent"], result.values["received"], result.values["loss_pct"]) == (3, 3, 0.0)
    assert result.values["latency_ms"] <= result.values["latency_max_ms"]


@needs_icmp
def test_a_latency_limit_below_any_round_trip_fails():
    (result,) = run_checks_sync([PingCheck("127.0.0.1", count=2, max_latency_ms=0.0001)], policy=LOOPBACK)
    assert result.status is Status.FAILED
    assert result.message == "Ping took %(latency_ms)s ms on average, limit %(limit_ms)s ms"


@needs_icmp
def test_an_address_nobody_answers_fails_within_the_timeout():
    # 10.255.255.1: private, unrouted from here; no host answers it.
    (result,) = run_checks_sync([PingCheck("10.255.255.1", count=2)], timeout=1.0)
    assert result.status is Status.FAILED, result.text
    assert result.values.get("received", 0) == 0
    assert result.duration_ms < 1500


def test_malformed_pings_are_refused():
    for bad in (
        {"host": "::1"},
        {"host": "127.0.0.1", "count": 0},
        {"host": "127.0.0.1", "max_loss_pct": 100},
    ):
        with pytest.raises(ValueError):
            PingCheck(**bad)


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to run a probe as another user")
def test_a_user_without_icmp_sockets_gets_an_error_not_a_crash():
    with open("/proc/sys/net/ipv4/ping_group_range") as ranges:
        low, high = map(int, ranges.read().split())
    nobody_gid = 65534
    if low <= nobody_gid <= high:
        pytest.skip("this system lets every group ping")
    # A forked child drops to nobody (the venv's interpreter may be unreadable to nobody, so no
    # exec) and reports through a pipe.
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            os.setgroups([])
            os.setgid(nobody_gid)
            os.setuid(nobody_gid)
            (result,) = run_checks_sync([PingCheck("127.0.0.1")], policy=LOOPBACK)
            os.write(writer, json.dumps([result.status.value, result.message]).encode())
        finally:
            os._exit(0)
    os.close(writer)
    with os.fdopen(reader) as pipe:
        reported = pipe.read()
    os.waitpid(pid, 0)
    assert json.loads(reported) == ["error", "Ping is not permitted on this system"]
