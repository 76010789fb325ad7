"""TCP port: connect and close, optionally within a latency limit."""

import asyncio
import time
from typing import Any

from inspections.probes.checks import TcpCheck
from inspections.probes.kinds._shared import MAX_LATENCY_MS
from inspections.probes.kinds.base import ProbeKind, gettext_noop
from inspections.probes.results import Problem, ms
from inspections.probes.verdicts import latency_problems


def build(target, port, timeout, options, secrets, previous=None):
    return TcpCheck(target, port, timeout=timeout, **options)


async def probe(prober, check: TcpCheck, values: dict[str, Any], timeout: float, policy) -> list[Problem]:
    (address, *_others) = await prober.pins.resolve(check.host, policy, check.port)
    start = time.perf_counter()
    transport, _protocol = await asyncio.get_running_loop().create_connection(
        asyncio.Protocol, address, check.port
    )
    values["latency_ms"] = ms(time.perf_counter() - start)
    transport.close()
    return latency_problems(
        values, check.max_latency_ms, "Connected in %(latency_ms)s ms, limit %(limit_ms)s ms"
    )


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
