"""VM metrics: a Prometheus node_exporter page judged by memory, file systems, errors and load."""

from typing import Any

from inspections.probes.checks import NodeExporterCheck
from inspections.probes.kinds import http_client
from inspections.probes.kinds._shared import VERIFY_TLS
from inspections.probes.kinds.base import NUMBER, Option, ProbeKind, gettext_noop
from inspections.probes.metrics import summarize_node
from inspections.probes.results import Problem, Status, Verdict
from inspections.probes.verdicts import MissingMetric, decode, node_problems

# Uncompressed: see probe().
PLAIN = {"Accept-Encoding": "identity"}
MAX_MEMORY_USED_PCT = Option(
    "max_memory_used_pct",
    NUMBER,
    "float",
    gettext_noop("Memory used at most (%)"),
    minimum=0.001,
    maximum=100,
)


def build(target, port, timeout, options, secrets, previous=None):
    return NodeExporterCheck(target, timeout=timeout, **options)


async def probe(
    prober, check: NodeExporterCheck, values: dict[str, Any], timeout: float, policy
) -> list[Problem]:
    # Uncompressed: a page is some 20 KB on the LAN, and gzip costs the exporter and the probe
    # more CPU than the transfer saves (bench/sweep.py: 961 → 1,298 pages/s).
    status, charset, body = await http_client.fetch(
        prober, check.url, check.verify_tls, False, values, policy, PLAIN
    )
    if status != 200:
        raise Verdict(Status.FAILED, "HTTP status %(got)s, expected %(expected)s", got=status, expected=200)
    summary = summarize_node(decode(body, charset), check.ignored_fstypes)
    values.update(summary.as_values())
    if summary.memory_used_pct is None and summary.load1 is None and not summary.filesystems:
        raise Verdict(Status.ERROR, "Not a node_exporter page")
    try:
        return node_problems(check, summary)
    except MissingMetric as missing:
        raise Verdict(
            Status.ERROR, "Metric %(metric)s is missing from the page", metric=missing.metric
        ) from None


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
