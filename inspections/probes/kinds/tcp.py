"""TCP port: connect and close, optionally within a latency limit."""

from inspections.probes.checks import TcpCheck
from inspections.probes.kinds._shared import MAX_LATENCY_MS
from inspections.probes.kinds.base import ProbeKind, gettext_noop


def build(target, port, timeout, options, secrets, previous=None):
    return TcpCheck(target, port, timeout=timeout, **options)


async def probe(prober, check, values, timeout, policy):
    return await prober.tcp(check, values, timeout, policy)


KIND = ProbeKind(
    code="tcp",
    label=gettext_noop("TCP port"),
    check_type=TcpCheck,
    needs_port=True,
    show_port=True,
    options=(MAX_LATENCY_MS,),
    build=build,
    probe=probe,
    messages=frozenset({gettext_noop("Connected in %(latency_ms)s ms, limit %(limit_ms)s ms")}),
)
