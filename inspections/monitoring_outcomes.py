"""What one check found in a chunk (``Outcome``) and what it says in words, in the portal's
language: the title and description of the incident a failing check opens, and the timeline notes
of a check failing or passing again. Shared by the one-by-one path (``monitoring_states``) and the
bulk one (``monitoring_opening``).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from contracts.worktime import CHINA_TZ
from inspections.models import AutomatedCheck, ResultStatus

_TITLE_MAX = 200  # Incident.title


@dataclass
class Outcome:
    """What one check found in this chunk, in the shape CheckResult stores."""

    status: str
    message: str
    params: dict[str, Any]
    values: dict[str, Any]
    started: dt.datetime
    duration_ms: float
    problems: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == ResultStatus.OK


def _fill(message: str, params: dict[str, Any]) -> str:
    text = _(message) if message else ""
    try:
        return text % params if params else text
    except (KeyError, TypeError, ValueError):
        return text


def problem_text(outcome: Outcome) -> str:
    problems = outcome.problems or [(outcome.message, outcome.params)]
    return "; ".join(_fill(message, params) for message, params in problems)


def timeline_note(outcome: Outcome) -> str:
    """The timeline note of a check failing again or passing again."""
    with translation.override(settings.LANGUAGE_CODE):
        if outcome.ok:
            return _with_values(_("The check passes again."), outcome)
        note = _("Failing again: %(problem)s") % {"problem": problem_text(outcome)}
        return _with_values(note, outcome)


def _with_values(note: str, outcome: Outcome) -> str:
    # Numbers the probe measured only: a text among the values could be what a target answered.
    values = {name: value for name, value in outcome.values.items() if _measured(value)}
    if not values:
        return note
    lines = [f"{name}: {_value(value)}" for name, value in sorted(values.items())]
    return "\n".join([note, _("Measured values:"), *lines])


def _measured(value: Any) -> bool:
    if isinstance(value, dict):
        return all(_measured(item) for item in value.values())
    return isinstance(value, int | float | bool) or value is None


def _value(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)


def incident_reports(items, now) -> list[dict]:
    """What each newly failing check of ``items`` ((check, was, outcome) triples) reports: the
    keyword arguments of ``report_incidents``, written in the portal's language."""
    with translation.override(settings.LANGUAGE_CODE):
        texts = [incident_text(check, outcome) for check, _was, outcome in items]
    return [
        {
            "title": title,
            "description": description,
            "severity": check.severity,
            "asset": check.asset,
            "reported_at": min(outcome.started, now),
        }
        for (check, _was, outcome), (title, description) in zip(items, texts, strict=True)
    ]


def incident_text(check: AutomatedCheck, outcome: Outcome) -> tuple[str, str]:
    problem = problem_text(outcome)
    title = _("%(check)s: %(problem)s") % {"check": check.name, "problem": problem}
    if len(title) > _TITLE_MAX:
        title = title[: _TITLE_MAX - 1] + "…"
    found_at = timezone.localtime(outcome.started, CHINA_TZ).strftime("%Y-%m-%d %H:%M:%S")
    head = _(
        "The automated check “%(check)s” (%(kind)s, %(target)s) of “%(asset)s” found at %(at)s: "
        "%(status)s, %(problem)s"
    ) % {
        "check": check.name,
        "kind": check.get_kind_display(),
        "target": _target(check),
        "asset": check.asset.name,
        "at": found_at,
        "status": ResultStatus(outcome.status).label,
        "problem": problem,
    }
    return title, _with_values(head, outcome)


def _target(check: AutomatedCheck) -> str:
    # Never the password: a database check's target is its host and port.
    return check.target_display
