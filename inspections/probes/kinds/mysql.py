"""Database login (MySQL / MariaDB): log in and run SELECT 1 (PyMySQL, in a worker thread).

Like the PostgreSQL check: the driver connects to the address the guard allowed, the server's
own words never reach a result (a fixed message per kind of refusal), and a refused login is
flagged so that the portal backs off (``inspections.targets.record_logins``).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, ClassVar

from inspections.probes.checks import _fail, _host, _number, _port
from inspections.probes.kinds._shared import LATENCY_MESSAGE, MAX_LATENCY_MS
from inspections.probes.kinds.base import ProbeKind, gettext_noop
from inspections.probes.kinds.postgres import DBNAME, USER
from inspections.probes.results import Problem, Status, Verdict, ms
from inspections.probes.verdicts import latency_problems

# The server's error codes (mysqld_error.h, errmsg.h) that mean the login itself was refused.
_NO_SUCH_DATABASE = {1049}
_WRONG_CREDENTIALS = {1044, 1045, 1698, 1251}
_REFUSED = 2003  # client: can't connect (nothing listens)
_TIMEOUTS = {2013}  # client: lost connection during the handshake or query

REFUSED_DATABASE = gettext_noop("Database login refused: no such database or user")
REFUSED_CREDENTIALS = gettext_noop("Database login refused: wrong user name or password")
INCOMPLETE = gettext_noop("The server did not complete a MySQL login")


@dataclass(frozen=True, slots=True)
class MysqlCheck:
    """Log in to a MySQL or MariaDB database and run ``SELECT 1``."""

    kind: ClassVar[str] = "mysql"
    host: str
    dbname: str
    user: str
    password: str | None = field(default=None, repr=False)
    port: int = 3306
    max_latency_ms: float | None = None
    timeout: float | None = None

    def __post_init__(self) -> None:
        _host(self, self.host)
        _port(self, self.port)
        for name in ("dbname", "user"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value or "\x00" in value or len(value) > 64:
                _fail(self, f"{name} must be a non-empty string of at most 64 characters, not {value!r}")
        if self.password is not None and (not isinstance(self.password, str) or "\x00" in self.password):
            _fail(self, "password must be a string or None")
        _number(self, "max_latency_ms", self.max_latency_ms)
        _number(self, "timeout", self.timeout)


def build(target, port, timeout, options, secrets, previous=None):
    return MysqlCheck(
        target, port=port or 3306, password=secrets.get("password") or None, timeout=timeout, **options
    )


def _login(check: MysqlCheck, timeout: float, address: str) -> None:
    """Log in and run SELECT 1 (in a worker thread). The parameters go to the driver as its
    arguments (the handshake carries them): nothing is spliced into SQL."""
    import pymysql

    seconds = max(1, math.ceil(timeout))
    connection = pymysql.connect(
        host=address,
        port=check.port,
        user=check.user,
        password=check.password or "",
        database=check.dbname,
        connect_timeout=seconds,
        read_timeout=seconds,
        write_timeout=seconds,
        program_name="om-portal probe",
        local_infile=False,
        autocommit=True,
    )
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            if cursor.fetchone() != (1,):
                raise pymysql.err.DatabaseError("SELECT 1 did not return 1")
    finally:
        connection.close()


async def probe(prober, check: MysqlCheck, values: dict[str, Any], timeout: float, policy) -> list[Problem]:
    import pymysql  # a worker that runs no MySQL check does not need it

    (address, *_others) = await prober.pins.resolve(check.host, policy, check.port)
    start = time.perf_counter()
    try:
        await prober.in_thread(_login, check, timeout, address)
    except pymysql.err.MySQLError as error:
        code = error.args[0] if error.args and isinstance(error.args[0], int) else None
        if code == _REFUSED and "refused" in str(error).lower():
            raise Verdict(Status.FAILED, "Connection refused") from error
        if code in _TIMEOUTS or (code == _REFUSED and "timed out" in str(error).lower()):
            raise Verdict(Status.TIMEOUT, "No answer within %(timeout)s s", timeout=timeout) from error
        if code in _NO_SUCH_DATABASE or code in _WRONG_CREDENTIALS:
            values["login_refused"] = True
            message = REFUSED_DATABASE if code in _NO_SUCH_DATABASE else REFUSED_CREDENTIALS
            raise Verdict(Status.FAILED, message) from error
        raise Verdict(Status.FAILED, INCOMPLETE) from error
    values["latency_ms"] = ms(time.perf_counter() - start)
    return latency_problems(values, check.max_latency_ms, LATENCY_MESSAGE)


KIND = ProbeKind(
    code="mysql",
    label=gettext_noop("Database login (MySQL / MariaDB)"),
    check_type=MysqlCheck,
    show_port=True,
    password=True,
    logs_in=True,
    options=(MAX_LATENCY_MS, DBNAME, USER),
    build=build,
    probe=probe,
    messages=frozenset(
        {
            LATENCY_MESSAGE,
            REFUSED_DATABASE,
            REFUSED_CREDENTIALS,
            INCOMPLETE,
            gettext_noop("Connection refused"),
            gettext_noop("No answer within %(timeout)s s"),
        }
    ),
)
