"""What a check found: a status, a short message to translate, and the values it measured."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from inspections.probes.checks import Check

__all__ = ["Problem", "Result", "Status", "Verdict", "ms", "reason"]


class Status(enum.StrEnum):
    OK = "ok"  # every expectation met
    FAILED = "failed"  # the target answered wrongly, broke a threshold, or refused the connection
    TIMEOUT = "timeout"  # no complete answer within the timeout
    ERROR = "error"  # the check could not be judged: a garbled answer, a metric missing, a probe bug


@dataclass(frozen=True, slots=True)
class Problem:
    """One finding as an English msgid with %-style parameters, e.g.
    ``Problem("HTTP status %(got)s, expected %(expected)s", {"got": 500, "expected": 200})``;
    the caller translates: ``gettext(problem.message) % problem.params``."""

    message: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return self.message % self.params if self.params else self.message


def ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def reason(error: BaseException) -> str:
    """The first line of an error's text, for a message parameter."""
    message = getattr(error, "message", None)  # aiohttp's HTTP errors: the text without the URL
    text = (message if isinstance(message, str) else str(error)).strip() or type(error).__name__
    return text.splitlines()[0].rstrip(":")[:200]


class Verdict(Exception):
    """Raised by a probe to end a check with this status and message."""

    def __init__(self, status: Status, message: str, **params: Any) -> None:
        super().__init__(message)
        self.status, self.problem = status, Problem(message, params)


@dataclass(frozen=True, slots=True)
class Result:
    """The outcome of one check. ``message``/``params`` are the first problem (or "OK");
    ``problems`` holds all of them when several thresholds broke. ``values`` holds what was
    measured, e.g. ``latency_ms``, ``http_status``, ``cert_days_left``, ``memory_used_pct``,
    ``filesystems`` ({mount point: used %}); plain JSON-able data for a JSONField."""

    check: Check
    ok: bool
    status: Status
    message: str
    params: dict[str, Any]
    values: dict[str, Any]
    started: datetime
    finished: datetime
    problems: tuple[Problem, ...] = ()

    @property
    def text(self) -> str:
        """The message in English with its parameters filled in (logs, tests)."""
        return self.message % self.params if self.params else self.message

    @property
    def duration_ms(self) -> float:
        return (self.finished - self.started).total_seconds() * 1000
