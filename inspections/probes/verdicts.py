"""Judging what a probe measured against its check's expectations: pure functions, no I/O.

Each returns the problems found (an empty list when all is well) and may add what it judged to
``values`` (``keyword_found``, ``json_value_matched``). Messages are English msgids with
%-parameters. Neither ever holds what the target answered: a check's author chooses the target,
and a result that quoted the answer would hand them whatever the server can read (a JSON value at
``db.password``). They say what differed from the expectation instead.
"""

from __future__ import annotations

import json
from typing import Any

from inspections.probes.checks import ANY_VALUE, HttpCheck, NodeExporterCheck
from inspections.probes.metrics import NodeSummary
from inspections.probes.results import Problem

__all__ = ["MissingMetric", "decode", "http_problems", "latency_problems", "node_problems"]

_MISSING = object()


class MissingMetric(Exception):
    """A threshold is set but the page lacks the metric it needs: the check cannot be judged."""

    def __init__(self, metric: str) -> None:
        super().__init__(metric)
        self.metric = metric


def decode(body: bytes, charset: str | None) -> str:
    try:
        return body.decode(charset or "utf-8", errors="replace")
    except LookupError:  # an unknown charset name
        return body.decode("utf-8", errors="replace")


def latency_problems(values: dict[str, Any], limit_ms: float | None, message: str) -> list[Problem]:
    latency = values.get("latency_ms")
    if limit_ms is None or latency is None or latency <= limit_ms:
        return []
    return [Problem(message, {"latency_ms": latency, "limit_ms": limit_ms})]


def _same(found: object, expected: object) -> bool:
    if isinstance(found, bool) or isinstance(expected, bool):  # JSON true is not 1
        return type(found) is type(expected) and found == expected
    return found == expected


def _json_at(document: object, keys: tuple[str, ...]) -> object:
    for key in keys:
        if isinstance(document, dict) and key in document:
            document = document[key]
        elif isinstance(document, list) and key.isdigit() and int(key) < len(document):
            document = document[int(key)]
        else:
            return _MISSING
    return document


def _json_problems(check: HttpCheck, body: bytes, values: dict[str, Any]) -> list[Problem]:
    try:
        document = json.loads(body)
    except ValueError:
        return [Problem("The answer is not JSON")]
    found = _json_at(document, check.json_path_keys)
    path = {"path": check.json_path}
    if found is _MISSING:
        return [Problem("No JSON value at %(path)s", path)]
    if check.json_value is ANY_VALUE:
        return []
    values["json_value_matched"] = _same(found, check.json_value)
    if not values["json_value_matched"]:
        return [Problem("The JSON value at %(path)s did not equal the expected value", path)]
    return []


def http_problems(
    check: HttpCheck, status: int, charset: str | None, body: bytes, values: dict[str, Any]
) -> list[Problem]:
    problems = []
    if status != check.expected_status:
        problems.append(
            Problem(
                "HTTP status %(got)s, expected %(expected)s",
                {"got": status, "expected": check.expected_status},
            )
        )
    if check.keyword is not None:
        values["keyword_found"] = check.keyword in decode(body, charset)
        if not values["keyword_found"]:
            problems.append(Problem("Keyword %(keyword)r not found", {"keyword": check.keyword}))
    if check.json_path is not None:
        problems += _json_problems(check, body, values)
    problems += latency_problems(
        values, check.max_latency_ms, "Answered in %(latency_ms)s ms, limit %(limit_ms)s ms"
    )
    if check.min_cert_days is not None:
        days = values.get("cert_days_left")
        if days is None:
            problems.append(Problem("No TLS certificate to read"))
        elif days < check.min_cert_days:
            problems.append(
                Problem(
                    "TLS certificate expires in %(days)s days, minimum %(minimum)s",
                    {"days": days, "minimum": check.min_cert_days},
                )
            )
    return problems


def node_problems(check: NodeExporterCheck, summary: NodeSummary) -> list[Problem]:
    """Raises MissingMetric when a threshold is set and its metric is not on the page."""
    problems = []
    if (limit := check.max_memory_used_pct) is not None:
        if summary.memory_used_pct is None:
            raise MissingMetric("node_memory_MemAvailable_bytes")
        if summary.memory_used_pct > limit:
            problems.append(
                Problem(
                    "Memory %(pct)s%% used, limit %(limit)s%%",
                    {"pct": summary.memory_used_pct, "limit": limit},
                )
            )
    if (limit := check.max_filesystem_used_pct) is not None:
        if not summary.filesystems:
            raise MissingMetric("node_filesystem_avail_bytes")
        problems += [
            Problem(
                "File system %(mount)s %(pct)s%% used, limit %(limit)s%%",
                {"mount": mount, "pct": pct, "limit": limit},
            )
            for mount, pct in summary.filesystems.items()
            if pct > limit
        ]
    if (limit := check.max_network_errors) is not None:
        if summary.network_errors is None:
            raise MissingMetric("node_network_receive_errs_total")
        if summary.network_errors > limit:
            problems.append(
                Problem(
                    "%(errors)s network errors, limit %(limit)s",
                    {"errors": summary.network_errors, "limit": limit},
                )
            )
    if (limit := check.max_load1_per_cpu) is not None:
        if summary.load1_per_cpu is None:
            raise MissingMetric("node_load1")
        if summary.load1_per_cpu > limit:
            problems.append(
                Problem(
                    "Load %(load)s per CPU, limit %(limit)s", {"load": summary.load1_per_cpu, "limit": limit}
                )
            )
    return problems
