"""The SNMP kind against a real net-snmp ``snmpd`` on loopback, started by the tests with its own
configuration: a v2c community and a v3 user (authPriv, SHA/AES)."""

import shutil
import socket
import subprocess
import time

import pytest

from inspections.probes import Status, run_checks_sync
from inspections.probes.guard import STRICT, TargetPolicy
from inspections.probes.kinds.snmp import SnmpCheck, error_growth, interface_problems

SNMPD = "/usr/sbin/snmpd"
COMMUNITY = "om-probe-community"
USER, AUTH, PRIV = "om-monitor", "auth-pass-phrase-1", "priv-pass-phrase-2"
LOOPBACK = TargetPolicy(allow_internal=True)


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def snmpd(tmp_path_factory):
    if shutil.which(SNMPD) is None:
        pytest.fail(f"{SNMPD} is missing: .ci/run installs the snmpd package")
    home = tmp_path_factory.mktemp("snmpd")
    port = free_udp_port()
    config = home / "snmpd.conf"
    config.write_text(
        f"agentAddress udp:127.0.0.1:{port}\n"
        f"rocommunity {COMMUNITY} 127.0.0.1\n"
        f'createUser {USER} SHA "{AUTH}" AES "{PRIV}"\n'
        f"rouser {USER} priv\n"
    )
    process = subprocess.Popen(
        [SNMPD, "-f", "-Lo", "-C", "-c", str(config), "-p", str(home / "pid"), f"--persistentDir={home}"],
        env={"MIBS": "", "MIBDIRS": str(home), "PATH": "/usr/bin:/bin"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:  # answered once sysUpTime is readable
            [result] = run_checks_sync([SnmpCheck("127.0.0.1", port, community=COMMUNITY)], policy=LOOPBACK)
            if result.ok or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert result.ok, result.text
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


def run(*checks, policy=LOOPBACK):
    return run_checks_sync(list(checks), policy=policy, timeout=3)


def test_v2c_reads_interfaces_cpu_and_memory(snmpd):
    [result] = run(
        SnmpCheck(
            "127.0.0.1",
            snmpd,
            community=COMMUNITY,
            interfaces="lo",
            max_interface_errors=1000,
            max_memory_used_pct=100,
        )
    )
    assert result.status is Status.OK, result.text
    assert result.values["uptime_s"] >= 0
    assert result.values["interfaces_up"] >= 1
    assert "lo" in result.values["if_errors"]
    assert 0 <= result.values["memory_used_pct"] <= 100
    assert "if_errors_growth" not in result.values  # no previous result: the baseline


def test_cpu_where_the_device_gives_it(snmpd):
    # net-snmp gives hrProcessorLoad after a minute of samples, and in some containers never:
    # then the check says which value is missing rather than passing unjudged.
    [result] = run(SnmpCheck("127.0.0.1", snmpd, community=COMMUNITY, max_cpu_pct=100))
    if "cpu_pct" in result.values:
        assert result.status is Status.OK and 0 <= result.values["cpu_pct"] <= 100
    else:
        assert result.status is Status.ERROR
        assert result.text == "The device does not give hrProcessorLoad"


def test_v3_auth_priv_and_thresholds_that_break(snmpd):
    v3 = {"version": "3", "username": USER, "auth_key": AUTH, "priv_key": PRIV}
    [tight, missing] = run(
        SnmpCheck("127.0.0.1", snmpd, **v3, max_memory_used_pct=0.001),
        SnmpCheck("127.0.0.1", snmpd, **v3, interfaces="lo, eth-none-9"),
    )
    assert tight.status is Status.FAILED
    assert tight.message == "Memory %(pct)s%% used, limit %(limit)s%%"
    assert tight.params["pct"] == tight.values["memory_used_pct"] > 0.001
    assert missing.status is Status.FAILED
    assert missing.text == "Interface eth-none-9 is not on the device"


def test_error_growth_since_the_previous_result(snmpd):
    [first] = run(SnmpCheck("127.0.0.1", snmpd, community=COMMUNITY, max_interface_errors=0))
    # The previous result counted fewer errors on lo than there are now: they grew.
    earlier = {name: count - 5 for name, count in first.values["if_errors"].items()}
    [grown] = run(
        SnmpCheck("127.0.0.1", snmpd, community=COMMUNITY, max_interface_errors=3, previous_errors=earlier)
    )
    assert grown.status is Status.FAILED
    assert grown.values["if_errors_growth"] >= 5 * len(earlier)
    assert grown.message == "%(errors)s interface errors since the last check, limit %(limit)s"


def test_wrong_credentials(snmpd):
    [community, keys] = run(
        SnmpCheck("127.0.0.1", snmpd, community="not-the-community"),
        SnmpCheck("127.0.0.1", snmpd, version="3", username=USER, auth_key="wrong-pass-phrase"),
    )
    # A v2c agent ignores an unknown community: silence; a v3 agent reports the wrong digest.
    assert community.status is Status.TIMEOUT
    assert keys.status is Status.FAILED
    assert keys.message == "SNMP login refused: wrong user, keys or protocols"


def test_the_guard_refuses_loopback_for_snmp_too(snmpd):
    [result] = run(SnmpCheck("127.0.0.1", snmpd, community=COMMUNITY), policy=STRICT)
    assert result.status is Status.ERROR
    assert result.message == "The target is a loopback address"


def test_judging_interfaces():
    table = {
        "ge-0/0/1": {"admin": 1, "oper": 2},
        "ge-0/0/2": {"admin": 2, "oper": 2},
        "lo": {"admin": 1, "oper": 1},
    }
    every = SnmpCheck("10.0.0.1", community="x", interfaces="*")
    assert [p.text for p in interface_problems(every, table)] == ["Interface ge-0/0/1 is down"]
    # Set down by its administrator: not a failure, even when named.
    named = SnmpCheck("10.0.0.1", community="x", interfaces="ge-0/0/2,lo")
    assert interface_problems(named, table) == []
    assert error_growth({"a": 10, "b": 3}, {"a": 4, "b": 7}) == 6 + 3  # b went backwards: a reboot
    assert error_growth({"a": 10}, None) is None


@pytest.mark.parametrize(
    "options",
    [
        {"community": None},
        {"version": "1", "community": "x"},
        {"version": "3", "username": "u"},
        {"version": "3", "username": "u", "auth_key": "short"},
        {"community": "x", "max_cpu_pct": 101},
        {"community": "x", "interfaces": " , "},
        {"community": "x", "auth_protocol": "SHA1"},
    ],
)
def test_malformed_checks_are_refused(options):
    with pytest.raises(ValueError):
        SnmpCheck("10.0.0.1", **options)
