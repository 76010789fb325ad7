"""Ping: ICMP echo to an IPv4 host; replies, loss and average round trip."""

from inspections.probes.checks import PingCheck
from inspections.probes.kinds._shared import MAX_LATENCY_MS
from inspections.probes.kinds.base import NUMBER, Option, ProbeKind, gettext_noop


def build(target, port, timeout, options, secrets, previous=None):
    return PingCheck(target, timeout=timeout, **options)


async def probe(prober, check, values, timeout, policy):
    return await prober.ping(check, values, timeout, policy)


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
