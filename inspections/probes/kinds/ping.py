"""Ping: ICMP echo to an IPv4 host; replies, loss and average round trip."""

import secrets
from typing import Any

from inspections.probes import icmp
from inspections.probes.checks import PingCheck
from inspections.probes.kinds._shared import MAX_LATENCY_MS
from inspections.probes.kinds.base import NUMBER, Option, ProbeKind, gettext_noop
from inspections.probes.results import Problem, Status, Verdict
from inspections.probes.verdicts import latency_problems


def build(target, port, timeout, options, secrets, previous=None):
    return PingCheck(target, timeout=timeout, **options)


async def probe(prober, check: PingCheck, values: dict[str, Any], timeout: float, policy) -> list[Problem]:
    (address, *_others) = await prober.pins.resolve(check.host, policy, ipv4_only=True)
    try:
        sock, raw = icmp.open_socket()
    except icmp.PingNotPermitted:
        raise Verdict(Status.ERROR, "Ping is not permitted on this system") from None
    ident = secrets.randbits(16)
    # The requests share the check's timeout; a little is kept for the last reply to come.
    wait = max(0.05, timeout * 0.9 / check.count)
    try:
        trips = [await icmp.echo(sock, raw, address, ident, seq, wait) for seq in range(1, check.count + 1)]
    finally:
        sock.close()
    answered = [trip for trip in trips if trip is not None]
    values.update(
        sent=check.count,
        received=len(answered),
        loss_pct=round(100 * (1 - len(answered) / check.count), 1),
    )
    if not answered:
        return [Problem("No answer to %(sent)s pings", {"sent": check.count})]
    values["latency_ms"] = round(sum(answered) / len(answered), 2)
    values["latency_max_ms"] = max(answered)
    problems = []
    if check.max_loss_pct is not None and values["loss_pct"] > check.max_loss_pct:
        problems.append(
            Problem(
                "%(loss_pct)s%% of pings lost, limit %(limit)s%%",
                {"loss_pct": values["loss_pct"], "limit": check.max_loss_pct},
            )
        )
    return problems + latency_problems(
        values, check.max_latency_ms, "Ping took %(latency_ms)s ms on average, limit %(limit_ms)s ms"
    )


KIND = ProbeKind(
    code="ping",
    label=gettext_noop("Ping"),
    check_type=PingCheck,
    options=(
        MAX_LATENCY_MS,
        Option(
            "count",
            int,
            "int",
            gettext_noop("Echo requests"),
            help=gettext_noop("Blank: 3."),
            minimum=1,
            maximum=10,
        ),
        Option(
            "max_loss_pct",
            NUMBER,
            "float",
            gettext_noop("Packet loss at most (%)"),
            help=gettext_noop("Blank: any reply will do."),
            minimum=0,
            maximum=99.999,
        ),
    ),
    build=build,
    probe=probe,
    messages=frozenset(
        {
            gettext_noop("No answer to %(sent)s pings"),
            gettext_noop("%(loss_pct)s%% of pings lost, limit %(limit)s%%"),
            gettext_noop("Ping took %(latency_ms)s ms on average, limit %(limit_ms)s ms"),
            gettext_noop("Ping is not permitted on this system"),
        }
    ),
)
