"""SNMP (v2c, v3 USM): a network device's interfaces, error counters, CPU and memory.

Read with pysnmp's asyncio API from the address the guard allowed (UDP, port 161 by default):

- interfaces (IF-MIB ifTable): each interface asked for by name (ifDescr), or every interface
  with "*", must be up (ifOperStatus) when its administrator set it up (ifAdminStatus); one set
  down on purpose is not a failure;
- error counters: ifInErrors + ifOutErrors, summed over the interfaces; judged by their growth
  since the check's previous result (the first run records the baseline; a counter that went
  backwards, a reboot, counts from zero);
- CPU: the average of HOST-RESOURCES hrProcessorLoad, else 100 − UCD-SNMP ssCpuIdle;
- memory used %: UCD-SNMP memAvailReal / memTotalReal (as node_exporter's MemAvailable), else
  HOST-RESOURCES hrStorage's RAM row.

Thresholds as the node_exporter check's: one left blank is not checked; one that is set needs
its values from the device, or the result is an error naming what is missing. The community and
the v3 keys are secret options: written, kept in the check's password column, never read back.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from inspections.probes.checks import _fail, _host, _number, _port
from inspections.probes.kinds.base import NUMBER, Option, ProbeKind, gettext_noop
from inspections.probes.kinds.node_exporter import MAX_MEMORY_USED_PCT
from inspections.probes.results import Problem, Status, Verdict

VERSIONS = ("2c", "3")
AUTH_PROTOCOLS = ("SHA", "SHA256", "SHA512", "MD5")
PRIV_PROTOCOLS = ("AES", "AES256", "DES")
MAX_ROWS = 512  # rows read from one table: a device may answer a walk without end
_NAME = re.compile(r"[^\x21-\x7e]")  # what an interface's name may show: printable ASCII

_IF = "1.3.6.1.2.1.2.2.1"
IF_DESCR, IF_ADMIN, IF_OPER, IF_IN_ERRORS, IF_OUT_ERRORS = (f"{_IF}.{n}" for n in (2, 7, 8, 14, 20))
HR_PROCESSOR_LOAD = "1.3.6.1.2.1.25.3.3.1.2"
_HR_STORAGE = "1.3.6.1.2.1.25.2.3.1"
HR_STORAGE_TYPE, HR_STORAGE_UNITS, HR_STORAGE_SIZE, HR_STORAGE_USED = (
    f"{_HR_STORAGE}.{n}" for n in (2, 4, 5, 6)
)
HR_STORAGE_RAM = "1.3.6.1.2.1.25.2.1.2"
UCD_MEM_TOTAL, UCD_MEM_AVAIL = "1.3.6.1.4.1.2021.4.5.0", "1.3.6.1.4.1.2021.4.6.0"
UCD_CPU_IDLE = "1.3.6.1.4.1.2021.11.11.0"

NO_ANSWER = gettext_noop("No SNMP answer within %(timeout)s s (check the community or user)")
REFUSED = gettext_noop("SNMP login refused: wrong user, keys or protocols")
DEVICE_ERROR = gettext_noop("The device answered with an SNMP error")
DOWN = gettext_noop("Interface %(name)s is down")
NOT_FOUND = gettext_noop("Interface %(name)s is not on the device")
ERRORS = gettext_noop("%(errors)s interface errors since the last check, limit %(limit)s")
CPU = gettext_noop("CPU %(pct)s%% busy, limit %(limit)s%%")
MEMORY = gettext_noop("Memory %(pct)s%% used, limit %(limit)s%%")
MISSING = gettext_noop("The device does not give %(metric)s")


@dataclass(frozen=True, slots=True)
class SnmpCheck:
    """Query a device by SNMP v2c (``community``) or v3 USM (``username``, ``auth_key`` and
    optionally ``priv_key``: authNoPriv or authPriv) and judge it by the thresholds set."""

    kind: ClassVar[str] = "snmp"
    host: str
    port: int = 161
    version: str = "2c"
    community: str | None = field(default=None, repr=False)
    username: str | None = None
    auth_protocol: str = "SHA"
    auth_key: str | None = field(default=None, repr=False)
    priv_protocol: str = "AES"
    priv_key: str | None = field(default=None, repr=False)
    interfaces: str | None = None
    max_interface_errors: int | None = None
    max_cpu_pct: float | None = None
    max_memory_used_pct: float | None = None
    # The error counters of the previous result ({interface: in + out}), to judge their growth.
    previous_errors: Mapping[str, int] | None = field(default=None, repr=False, compare=False)
    timeout: float | None = None

    def __post_init__(self) -> None:
        _host(self, self.host)
        _port(self, self.port)
        if self.version not in VERSIONS:
            _fail(self, f"version must be 2c or 3, not {self.version!r}")
        for name in ("community", "username", "auth_key", "priv_key", "interfaces"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, str) or not value or len(value) > 200):
                _fail(self, f"{name} must be a non-empty string of at most 200 characters")
        if self.version == "2c" and not self.community:
            _fail(self, "an SNMP v2c check needs a community")
        if self.version == "3":
            if not self.username or not self.auth_key:
                _fail(self, "an SNMP v3 check needs a username and an auth_key")
            for name in ("auth_key", "priv_key"):
                value = getattr(self, name)
                if value is not None and len(value) < 8:  # RFC 3414: pass phrases of 8 or more
                    _fail(self, f"{name} must be at least 8 characters")
        if self.auth_protocol not in AUTH_PROTOCOLS:
            _fail(self, f"auth_protocol must be one of {', '.join(AUTH_PROTOCOLS)}")
        if self.priv_protocol not in PRIV_PROTOCOLS:
            _fail(self, f"priv_protocol must be one of {', '.join(PRIV_PROTOCOLS)}")
        if self.interfaces is not None and not self.interface_names:
            _fail(self, "interfaces must name interfaces, separated by commas, or be *")
        _number(self, "max_interface_errors", self.max_interface_errors, above=-1, integer=True)
        for name in ("max_cpu_pct", "max_memory_used_pct"):
            _number(self, name, getattr(self, name))
            value = getattr(self, name)
            if value is not None and value > 100:
                _fail(self, f"{name} is a percentage, at most 100, not {value!r}")
        _number(self, "timeout", self.timeout)

    @property
    def interface_names(self) -> tuple[str, ...]:
        return tuple(n.strip() for n in (self.interfaces or "").split(",") if n.strip())


def build(target, port, timeout, options, secrets, previous=None):
    errors = None
    if options.get("max_interface_errors") is not None and previous is not None:
        found = (previous() or {}).get("if_errors")
        errors = found if isinstance(found, dict) else None
    return SnmpCheck(target, port=port or 161, timeout=timeout, previous_errors=errors, **options, **secrets)


# --- Judging (pure) -----------------------------------------------------------------------------


def _shown(name: object) -> str:
    return _NAME.sub("?", str(name))[:64] or "?"


def interface_problems(check: SnmpCheck, table: dict[str, dict[str, Any]]) -> list[Problem]:
    """``table``: {ifDescr: {"admin": 1|2|3, "oper": 1..7}}. Up is 1 (IF-MIB)."""
    names = check.interface_names
    if names == ("*",):
        watched = [name for name, row in table.items() if row.get("admin") == 1]
    else:
        missing = [name for name in names if name not in table]
        if missing:
            return [Problem(NOT_FOUND, {"name": _shown(missing[0])})]
        watched = [name for name in names if table[name].get("admin") == 1]
    return [Problem(DOWN, {"name": _shown(name)}) for name in watched if table[name].get("oper") != 1]


def error_growth(current: Mapping[str, int], previous: Mapping[str, int] | None) -> int | None:
    """Errors counted since the previous result, or None without one to compare with."""
    if previous is None:
        return None
    grown = 0
    for name, count in current.items():
        before = previous.get(name)
        if not isinstance(before, int) or isinstance(before, bool):
            continue  # an interface new since: its baseline starts now
        grown += count - before if count >= before else count  # backwards: a reboot or a wrap
    return grown


def problems(check: SnmpCheck, values: dict[str, Any], table: dict[str, dict[str, Any]]) -> list[Problem]:
    found: list[Problem] = []
    if check.interfaces is not None:
        found += interface_problems(check, table)
    if (limit := check.max_interface_errors) is not None:
        if "if_errors" not in values:
            raise Verdict(Status.ERROR, MISSING, metric="ifInErrors")
        grown = error_growth(values["if_errors"], check.previous_errors)
        if grown is not None:
            values["if_errors_growth"] = grown
            if grown > limit:
                found.append(Problem(ERRORS, {"errors": grown, "limit": limit}))
    for limit, key, message, metric in (
        (check.max_cpu_pct, "cpu_pct", CPU, "hrProcessorLoad"),
        (check.max_memory_used_pct, "memory_used_pct", MEMORY, "memAvailReal"),
    ):
        if limit is None:
            continue
        if values.get(key) is None:
            raise Verdict(Status.ERROR, MISSING, metric=metric)
        if values[key] > limit:
            found.append(Problem(message, {"pct": values[key], "limit": limit}))
    return found


# --- Reading (pysnmp) ---------------------------------------------------------------------------


class _Session:
    def __init__(self, check: SnmpCheck, address: str, timeout: float) -> None:
        from pysnmp.hlapi.v3arch import asyncio as snmp

        self.snmp, self.check, self.address = snmp, check, address
        self.engine = snmp.SnmpEngine()
        self.wait = max(0.2, timeout * 0.8 / 2)  # two tries within the check's timeout
        if check.version == "2c":
            # v2c where the device offers nothing better: the contract's devices are on closed networks.
            self.auth = snmp.CommunityData(check.community, mpModel=1)  # noqa: S508
        else:
            auth = {
                "SHA": snmp.usmHMACSHAAuthProtocol,
                "SHA256": snmp.usmHMAC192SHA256AuthProtocol,
                "SHA512": snmp.usmHMAC384SHA512AuthProtocol,
                "MD5": snmp.usmHMACMD5AuthProtocol,
            }[check.auth_protocol]
            priv = {
                "AES": snmp.usmAesCfb128Protocol,
                "AES256": snmp.usmAesCfb256Protocol,
                "DES": snmp.usmDESPrivProtocol,
            }[check.priv_protocol]
            self.auth = snmp.UsmUserData(
                check.username,
                authKey=check.auth_key,
                privKey=check.priv_key,
                authProtocol=auth,
                privProtocol=priv if check.priv_key else snmp.usmNoPrivProtocol,
            )

    async def __aenter__(self) -> _Session:
        transport = self.snmp.Udp6TransportTarget if ":" in self.address else self.snmp.UdpTransportTarget
        self.target = await transport.create((self.address, self.check.port), timeout=self.wait, retries=1)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.engine.close_dispatcher()

    def _raise(self, indication: object, status: object) -> None:
        if indication:
            text = str(indication).lower()
            if "timeout" in text or "no snmp response" in text:
                raise Verdict(Status.TIMEOUT, NO_ANSWER, timeout=round(self.wait * 2, 1))
            if any(word in text for word in ("unknown", "digest", "decrypt", "authentic", "usm")):
                raise Verdict(Status.FAILED, REFUSED)
            raise Verdict(Status.ERROR, DEVICE_ERROR)
        if status:
            raise Verdict(Status.ERROR, DEVICE_ERROR)

    async def get(self, *oids: str) -> dict[str, Any]:
        """The scalars' values by OID; an OID the device does not have is left out."""
        snmp = self.snmp
        indication, status, _index, binds = await snmp.get_cmd(
            self.engine,
            self.auth,
            self.target,
            snmp.ContextData(),
            *(snmp.ObjectType(snmp.ObjectIdentity(oid)) for oid in oids),
        )
        self._raise(indication, status)
        absent = (snmp.NoSuchObject, snmp.NoSuchInstance, snmp.EndOfMibView)
        return {str(name): value for name, value in binds if not isinstance(value, absent)}

    async def column(self, oid: str) -> dict[str, Any]:
        """One column of a table: {row index: value}, at most MAX_ROWS rows."""
        snmp, rows, prefix = self.snmp, {}, oid + "."
        walk = snmp.bulk_walk_cmd(
            self.engine,
            self.auth,
            self.target,
            snmp.ContextData(),
            0,
            32,
            snmp.ObjectType(snmp.ObjectIdentity(oid)),
            lexicographicMode=False,
        )
        async for indication, status, _index, binds in walk:
            self._raise(indication, status)
            for name, value in binds:
                name = str(name)
                if not name.startswith(prefix) or isinstance(value, snmp.EndOfMibView):
                    return rows
                rows[name[len(prefix) :]] = value
            if len(rows) >= MAX_ROWS:
                break
        return rows


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


async def _interfaces(session: _Session, values: dict[str, Any]) -> dict[str, dict[str, Any]]:
    descr = await session.column(IF_DESCR)
    admin, oper = await session.column(IF_ADMIN), await session.column(IF_OPER)
    table = {}
    for index, name in descr.items():
        text = name.prettyPrint() if hasattr(name, "prettyPrint") else str(name)
        table[text] = {"index": index, "admin": _int(admin.get(index)), "oper": _int(oper.get(index))}
    values["interfaces_up"] = sum(1 for row in table.values() if row["oper"] == 1)
    values["interfaces_down"] = sorted(
        _shown(name) for name, row in table.items() if row["admin"] == 1 and row["oper"] != 1
    )[:64]
    return table


async def _errors(session: _Session, table: dict, values: dict[str, Any]) -> None:
    inbound, outbound = await session.column(IF_IN_ERRORS), await session.column(IF_OUT_ERRORS)
    errors = {}
    for name, row in table.items():
        counts = [_int(inbound.get(row["index"])), _int(outbound.get(row["index"]))]
        if any(count is not None for count in counts):
            errors[_shown(name)] = sum(count or 0 for count in counts)
    if errors:
        values["if_errors"] = dict(list(errors.items())[:MAX_ROWS])


async def _cpu(session: _Session, values: dict[str, Any]) -> None:
    loads = [
        load for load in map(_int, (await session.column(HR_PROCESSOR_LOAD)).values()) if load is not None
    ]
    if loads:
        values["cpu_pct"] = round(sum(loads) / len(loads), 1)
        return
    idle = _int((await session.get(UCD_CPU_IDLE)).get(UCD_CPU_IDLE))
    if idle is not None and 0 <= idle <= 100:
        values["cpu_pct"] = float(100 - idle)


async def _memory(session: _Session, values: dict[str, Any]) -> None:
    found = await session.get(UCD_MEM_TOTAL, UCD_MEM_AVAIL)
    total, avail = _int(found.get(UCD_MEM_TOTAL)), _int(found.get(UCD_MEM_AVAIL))
    if total and avail is not None:
        values["memory_used_pct"] = round(100 * (1 - avail / total), 1)
        return
    types = await session.column(HR_STORAGE_TYPE)
    ram = next((index for index, kind in types.items() if str(kind) == HR_STORAGE_RAM), None)
    if ram is None:
        return
    row = await session.get(*(f"{column}.{ram}" for column in (HR_STORAGE_SIZE, HR_STORAGE_USED)))
    size, used = _int(row.get(f"{HR_STORAGE_SIZE}.{ram}")), _int(row.get(f"{HR_STORAGE_USED}.{ram}"))
    if size and used is not None:
        values["memory_used_pct"] = round(100 * used / size, 1)


async def probe(prober, check: SnmpCheck, values: dict[str, Any], timeout: float, policy) -> list[Problem]:
    (address, *_others) = await prober.pins.resolve(check.host, policy, check.port)
    async with _Session(check, address, timeout) as session:
        # Read what the thresholds need; with none set, reachability (sysUpTime) alone.
        uptime = await session.get("1.3.6.1.2.1.1.3.0")
        if (ticks := _int(uptime.get("1.3.6.1.2.1.1.3.0"))) is not None:
            values["uptime_s"] = ticks // 100
        table: dict[str, dict[str, Any]] = {}
        if check.interfaces is not None or check.max_interface_errors is not None:
            table = await _interfaces(session, values)
        if check.max_interface_errors is not None:
            await _errors(session, table, values)
        if check.max_cpu_pct is not None:
            await _cpu(session, values)
        if check.max_memory_used_pct is not None:
            await _memory(session, values)
    return problems(check, values, table)


def _choice(values):
    return tuple((value, value) for value in values)


KIND = ProbeKind(
    code="snmp",
    label=gettext_noop("Network device (SNMP)"),
    check_type=SnmpCheck,
    show_port=True,
    options=(
        Option(
            "version",
            str,
            "choice",
            gettext_noop("SNMP version"),
            choices=_choice(VERSIONS),
            blank_choice=gettext_noop("Default (2c)"),
        ),
        Option("community", str, "secret", gettext_noop("Community (v2c)")),
        Option("username", str, "text", gettext_noop("User (v3)"), max_length=100),
        Option(
            "auth_protocol",
            str,
            "choice",
            gettext_noop("Authentication protocol (v3)"),
            choices=_choice(AUTH_PROTOCOLS),
            blank_choice=gettext_noop("Default (SHA)"),
        ),
        Option("auth_key", str, "secret", gettext_noop("Authentication pass phrase (v3)")),
        Option(
            "priv_protocol",
            str,
            "choice",
            gettext_noop("Privacy protocol (v3)"),
            choices=_choice(PRIV_PROTOCOLS),
            blank_choice=gettext_noop("Default (AES)"),
        ),
        Option(
            "priv_key",
            str,
            "secret",
            gettext_noop("Privacy pass phrase (v3)"),
            help=gettext_noop("Blank: authentication without encryption."),
        ),
        Option(
            "interfaces",
            str,
            "text",
            gettext_noop("Interfaces that must be up"),
            help=gettext_noop("Names separated by commas, or * for every interface set up."),
        ),
        Option(
            "max_interface_errors",
            int,
            "int",
            gettext_noop("Interface errors at most (since the last check)"),
            minimum=0,
        ),
        Option(
            "max_cpu_pct", NUMBER, "float", gettext_noop("CPU busy at most (%)"), minimum=0.001, maximum=100
        ),
        MAX_MEMORY_USED_PCT,
    ),
    build=build,
    probe=probe,
    messages=frozenset({NO_ANSWER, REFUSED, DEVICE_ERROR, DOWN, NOT_FOUND, ERRORS, CPU, MEMORY, MISSING}),
)
