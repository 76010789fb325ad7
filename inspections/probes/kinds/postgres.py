"""Database login (PostgreSQL): log in and run SELECT 1 (psycopg2, in a worker thread)."""

import math
import time
from typing import Any

from inspections.probes.checks import PostgresCheck
from inspections.probes.kinds._shared import MAX_LATENCY_MS
from inspections.probes.kinds.base import Option, ProbeKind, gettext_noop
from inspections.probes.results import Problem, Status, Verdict, ms, reason
from inspections.probes.verdicts import latency_problems

SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
# libpq's own words for them, said plainly (the mode is stored as libpq's value).
SSL_MODE_LABELS = {
    "disable": gettext_noop("No encryption"),
    "allow": gettext_noop("Encrypt if the server asks"),
    "prefer": gettext_noop("Encrypt if the server can"),
    "require": gettext_noop("Always encrypt, certificate not checked"),
    "verify-ca": gettext_noop("Always encrypt, certificate's issuer checked"),
    "verify-full": gettext_noop("Always encrypt, certificate and host name checked"),
}


def build(target, port, timeout, options, secrets, previous=None):
    options = {"dbname": "postgres", "user": "postgres", **options}
    password = secrets.get("password") or None
    return PostgresCheck(target, port=port or 5432, password=password, timeout=timeout, **options)


async def probe(
    prober, check: PostgresCheck, values: dict[str, Any], timeout: float, policy
) -> list[Problem]:
    import psycopg2  # a worker that runs no database check does not need it

    (address, *_others) = await prober.pins.resolve(check.host, policy, check.port)
    start = time.perf_counter()
    try:
        await prober.in_thread(_login, check, timeout, address)
    except psycopg2.Error as error:
        text = reason(error)
        if "timeout expired" in text:
            raise Verdict(Status.TIMEOUT, "No answer within %(timeout)s s", timeout=timeout) from error
        if "refused" in text.lower() and "connection" in text.lower():
            raise Verdict(Status.FAILED, "Connection refused") from error
        # The server's own words may quote what it was sent or answer in another protocol:
        # a fixed message per kind of refusal, and a flag the portal backs off on.
        message = _login_refusal(str(error))
        if message is not None:
            values["login_refused"] = True
        raise Verdict(Status.FAILED, message or "The server did not complete a PostgreSQL login") from error
    values["latency_ms"] = ms(time.perf_counter() - start)
    return latency_problems(
        values, check.max_latency_ms, "Answered in %(latency_ms)s ms, limit %(limit_ms)s ms"
    )


def _login_refusal(text: str) -> str | None:
    """The message of a login the server refused (user, password, database), or None."""
    text = text.lower()
    if "does not exist" in text:
        return "Database login refused: no such database or user"
    if "authentication failed" in text or "no password supplied" in text or "pg_hba.conf" in text:
        return "Database login refused: wrong user name or password"
    return None


def _login(check: PostgresCheck, timeout: float, address: str) -> None:
    """Log in and run SELECT 1 (in a worker thread). The parameters go to libpq as connection
    keywords, quoted by psycopg2: nothing is spliced into SQL or a command line. libpq connects
    to ``hostaddr``, the address the guard allowed, and uses ``host`` for TLS only."""
    import psycopg2

    params: dict[str, Any] = {
        "host": check.host,
        "hostaddr": address,
        "port": check.port,
        "dbname": check.dbname,
        "user": check.user,
        "sslmode": check.sslmode,
        "connect_timeout": max(2, math.ceil(timeout)),  # libpq's minimum is 2 s
        "application_name": "om-portal probe",
        "options": f"-c statement_timeout={max(1, int(timeout * 1000))}",
    }
    if check.password is not None:
        params["password"] = check.password
    connection = psycopg2.connect(**params)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            if cursor.fetchone() != (1,):
                raise psycopg2.DatabaseError("SELECT 1 did not return 1")
    finally:
        connection.close()


DBNAME = Option("dbname", str, "text", gettext_noop("Database name"), required=True, max_length=100)
USER = Option("user", str, "text", gettext_noop("Database user"), required=True, max_length=100)

KIND = ProbeKind(
    code="postgres",
    label=gettext_noop("Database login (PostgreSQL)"),
    check_type=PostgresCheck,
    show_port=True,
    password=True,
    logs_in=True,
    options=(
        MAX_LATENCY_MS,
        DBNAME,
        USER,
        Option(
            "sslmode",
            str,
            "choice",
            gettext_noop("TLS mode"),
            choices=tuple((mode, SSL_MODE_LABELS[mode]) for mode in SSL_MODES),
            blank_choice=gettext_noop("Default: encrypt if the server can"),
        ),
    ),
    build=build,
    probe=probe,
    messages=frozenset(
        {
            gettext_noop("Answered in %(latency_ms)s ms, limit %(limit_ms)s ms"),
            gettext_noop("Database login refused: no such database or user"),
            gettext_noop("Database login refused: wrong user name or password"),
            gettext_noop("The server did not complete a PostgreSQL login"),
        }
    ),
)
