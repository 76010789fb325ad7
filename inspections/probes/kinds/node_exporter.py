"""VM metrics: a Prometheus node_exporter page judged by memory, file systems, errors and load."""

from inspections.probes.checks import NodeExporterCheck
from inspections.probes.kinds._shared import MAX_MEMORY_USED_PCT, VERIFY_TLS
from inspections.probes.kinds.base import NUMBER, Option, ProbeKind, gettext_noop


def build(target, port, timeout, options, secrets, previous=None):
    return NodeExporterCheck(target, timeout=timeout, **options)


async def probe(prober, check, values, timeout, policy):
    return await prober.node_exporter(check, values, timeout, policy)


KIND = ProbeKind(
    code="node_exporter",
    label=gettext_noop("VM metrics (node_exporter)"),
    check_type=NodeExporterCheck,
    target="url",
    options=(
        MAX_MEMORY_USED_PCT,
        Option(
            "max_filesystem_used_pct",
            NUMBER,
            "float",
            gettext_noop("Each file system used at most (%)"),
            minimum=0.001,
            maximum=100,
        ),
        Option(
            "max_network_errors", int, "int", gettext_noop("Network errors at most (since boot)"), minimum=0
        ),
        Option(
            "max_load1_per_cpu", NUMBER, "float", gettext_noop("Load (1 min) per CPU at most"), minimum=0.001
        ),
        VERIFY_TLS,
    ),
    build=build,
    probe=probe,
    messages=frozenset(
        {
            gettext_noop("HTTP status %(got)s, expected %(expected)s"),
            gettext_noop("Not a node_exporter page"),
            gettext_noop("Metric %(metric)s is missing from the page"),
            gettext_noop("Memory %(pct)s%% used, limit %(limit)s%%"),
            gettext_noop("File system %(mount)s %(pct)s%% used, limit %(limit)s%%"),
            gettext_noop("%(errors)s network errors, limit %(limit)s"),
            gettext_noop("Load %(load)s per CPU, limit %(limit)s"),
        }
    ),
)
