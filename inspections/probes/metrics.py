"""Reading a node_exporter page: the Prometheus text format, only the few families we judge by.

The text format keeps all samples of a family in one group of lines, so ``str.find`` (C speed)
locates each wanted family in the 60-200 KB page and only those few lines are parsed; the rest
of the page is never looked at in Python. About 30 µs a page here.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from inspections.probes.checks import DEFAULT_IGNORED_FSTYPES

__all__ = ["NODE_FAMILIES", "NodeSummary", "parse_samples", "summarize_node"]

MEM_AVAILABLE = "node_memory_MemAvailable_bytes"
MEM_TOTAL = "node_memory_MemTotal_bytes"
FS_AVAIL = "node_filesystem_avail_bytes"
FS_SIZE = "node_filesystem_size_bytes"
NET_RX_ERRS = "node_network_receive_errs_total"
NET_TX_ERRS = "node_network_transmit_errs_total"
LOAD1 = "node_load1"
CPU_SECONDS = "node_cpu_seconds_total"
NODE_FAMILIES = (MEM_AVAILABLE, MEM_TOTAL, FS_AVAIL, FS_SIZE, NET_RX_ERRS, NET_TX_ERRS, LOAD1)

# A sample line: name, an optional {label set}, the value (a timestamp may follow). The label set
# runs to the line's last "}": quoted label values may hold braces, the value after it cannot.
_SAMPLE = re.compile(r"\n[A-Za-z_:][A-Za-z0-9_:]*(?:\{([^\n]*)\})?[ \t]+(\S+)")
_LABEL = re.compile(r'\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*"((?:[^"\\\n]|\\.)*)"\s*,?')
_ESCAPES = {"\\\\": "\\", '\\"': '"', "\\n": "\n"}
_ESCAPE = re.compile(r"\\[\\\"n]")
_AFTER_NAME = ("{", " ", "\t")

Labels = dict[str, str]


def _family(page: str, name: str) -> str:
    """The sample lines of one family, each after its newline ("" if none). ``page`` starts with
    a newline so that its first line is found like the others."""
    needle = "\n" + name
    after = len(needle)
    start = page.find(needle)
    while start != -1 and page[start + after : start + after + 1] not in _AFTER_NAME:  # node_load15
        start = page.find(needle, start + 1)
    if start == -1:
        return ""
    end = start
    while end != -1 and page.startswith(needle, end) and page[end + after : end + after + 1] in _AFTER_NAME:
        end = page.find("\n", end + 1)
    return page[start:] if end == -1 else page[start:end]


def _labels(text: str | None) -> Labels:
    if not text:
        return {}
    labels = {}
    for match in _LABEL.finditer(text):
        value = match.group(2)
        labels[match.group(1)] = _ESCAPE.sub(lambda m: _ESCAPES[m.group()], value) if "\\" in value else value
    return labels


def parse_samples(page: str, names: Iterable[str] = NODE_FAMILIES) -> dict[str, list[tuple[Labels, float]]]:
    """{family: [(labels, value), ...]} for the named families found on a text-format page.
    A value that is not a number (a garbled line) is skipped; so are a family's lines that stray
    from its group (the format forbids it; node_exporter never does it)."""
    page = "\n" + page
    samples: dict[str, list[tuple[Labels, float]]] = {}
    for name in names:
        samples[name] = found = []
        for label_text, value in _SAMPLE.findall(_family(page, name)):
            try:
                found.append((_labels(label_text), float(value)))
            except ValueError:
                continue
    return samples


@dataclass(frozen=True, slots=True)
class NodeSummary:
    """What one page says about a VM; None where the page lacks the metrics."""

    memory_used_pct: float | None
    filesystems: dict[str, float] = field(default_factory=dict)  # mount point → used %
    network_errors: int | None = None
    load1: float | None = None
    cpus: int | None = None

    @property
    def load1_per_cpu(self) -> float | None:
        if self.load1 is None or not self.cpus:
            return None
        return round(self.load1 / self.cpus, 3)

    def as_values(self) -> dict[str, object]:
        return {
            "memory_used_pct": self.memory_used_pct,
            "filesystems": dict(self.filesystems),
            "network_errors": self.network_errors,
            "load1": self.load1,
            "cpus": self.cpus,
            "load1_per_cpu": self.load1_per_cpu,
        }


def _pct_used(available: float, size: float) -> float | None:
    if not size or not math.isfinite(available) or not math.isfinite(size) or size <= 0:
        return None
    return round(max(0.0, min(100.0, (1 - available / size) * 100)), 2)


def summarize_node(page: str, ignored_fstypes: frozenset[str] = DEFAULT_IGNORED_FSTYPES) -> NodeSummary:
    """Memory and file systems used %, network errors, load1 and CPUs from one page."""
    samples = parse_samples(page, NODE_FAMILIES)

    def single(name: str) -> float | None:
        return samples[name][0][1] if samples[name] else None

    available, total = single(MEM_AVAILABLE), single(MEM_TOTAL)
    memory = _pct_used(available, total) if available is not None and total is not None else None

    sizes = {
        (labels.get("mountpoint"), labels.get("device")): value
        for labels, value in samples[FS_SIZE]
        if labels.get("fstype") not in ignored_fstypes and labels.get("mountpoint")
    }
    filesystems: dict[str, float] = {}
    for labels, avail in samples[FS_AVAIL]:
        key = (labels.get("mountpoint"), labels.get("device"))
        if key in sizes and (pct := _pct_used(avail, sizes[key])) is not None:
            mount = key[0] or ""
            filesystems[mount] = max(pct, filesystems.get(mount, 0.0))  # bind mounts: the fuller

    errors = [
        value for name in (NET_RX_ERRS, NET_TX_ERRS) for _, value in samples[name] if math.isfinite(value)
    ]
    cpus = _family("\n" + page, CPU_SECONDS).count('mode="idle"')  # one idle counter a CPU
    return NodeSummary(
        memory_used_pct=memory,
        filesystems=dict(sorted(filesystems.items())),
        network_errors=int(sum(errors)) if errors else None,
        load1=single(LOAD1),
        cpus=cpus or None,
    )
