"""The probe engine of automated inspections: checks as data, run concurrently, judged by thresholds.

    from inspections.probes import HttpCheck, TcpCheck, run_checks_sync
    results = run_checks_sync([HttpCheck("https://10.1.2.3/api/health", json_path="status",
                                         json_value="UP", min_cert_days=30), TcpCheck("10.1.2.4", 22)])

No Django here: the inspections app binds checks to ledger assets and saves the results.
"""

from inspections.probes.checks import (
    ANY_VALUE,
    DEFAULT_IGNORED_FSTYPES,
    Check,
    HttpCheck,
    NodeExporterCheck,
    PingCheck,
    PostgresCheck,
    TcpCheck,
)
from inspections.probes.engine import MAX_BODY_BYTES, run_checks, run_checks_sync
from inspections.probes.metrics import NodeSummary, parse_samples, summarize_node
from inspections.probes.results import Problem, Result, Status

__all__ = [
    "ANY_VALUE",
    "DEFAULT_IGNORED_FSTYPES",
    "MAX_BODY_BYTES",
    "Check",
    "HttpCheck",
    "NodeExporterCheck",
    "NodeSummary",
    "PingCheck",
    "PostgresCheck",
    "Problem",
    "Result",
    "Status",
    "TcpCheck",
    "parse_samples",
    "run_checks",
    "run_checks_sync",
    "summarize_node",
]
