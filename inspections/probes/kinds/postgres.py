"""Database login (PostgreSQL): log in and run SELECT 1 (psycopg2, in a worker thread)."""

from inspections.probes.checks import PostgresCheck
from inspections.probes.kinds._shared import MAX_LATENCY_MS
from inspections.probes.kinds.base import Option, ProbeKind, gettext_noop

SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")


def build(target, port, timeout, options, secrets, previous=None):
    options = {"dbname": "postgres", "user": "postgres", **options}
    password = secrets.get("password") or None
    return PostgresCheck(target, port=port or 5432, password=password, timeout=timeout, **options)


async def probe(prober, check, values, timeout, policy):
    return await prober.postgres(check, values, timeout, policy)


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
            choices=tuple((mode, mode) for mode in SSL_MODES),
            blank_choice=gettext_noop("Default (prefer)"),
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
