"""Counting for the bills: the days a per-day clause's breaches cover, how the bill says so, and
the client's termination rights those breaches reach. Plain functions over the figures that
``contracts.penalties`` aggregates; no query here."""

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

if TYPE_CHECKING:  # the per-day shape counts with this module, and the models import the shapes
    from contracts.models import PenaltyClause


def covered_days(spans) -> list[tuple[dt.date, dt.date, int]]:
    """The runs of consecutive Beijing days a per-day clause's breaches cover, with how many
    breaches fall in each: a breach covers [its day, its day + days late). One duty missed
    several times on one day is one day (DOMAIN.md: "每日 0.3%" counts days, not events)."""
    runs: list[list] = []
    for first, days, n in sorted(s for s in spans if s[1] > 0):
        last = first + dt.timedelta(days=days - 1)
        if runs and first <= runs[-1][1] + dt.timedelta(days=1):
            runs[-1][1] = max(runs[-1][1], last)
            runs[-1][2] += n
        else:
            runs.append([first, last, n])
    return [tuple(run) for run in runs]


RUNS_SHOWN = 12


def days_line(runs) -> str:
    """How the days were counted: "3 breaches on 2026-06-01 (1 day) + … = 4 days"."""
    parts = []
    for first, last, n in runs[:RUNS_SHOWN]:
        breaches = ngettext("%(count)s breach", "%(count)s breaches", n) % {"count": n}
        if first == last:
            parts.append(_("%(breaches)s on %(day)s (1 day)") % {"breaches": breaches, "day": first})
        else:
            parts.append(
                _("%(breaches)s from %(first)s to %(last)s (%(days)s days)")
                % {"breaches": breaches, "first": first, "last": last, "days": (last - first).days + 1}
            )
    if len(runs) > RUNS_SHOWN:
        parts.append(_("%(count)s more runs") % {"count": len(runs) - RUNS_SHOWN})
    days = sum((last - first).days + 1 for first, last, _n in runs)
    return ngettext(
        "Days counted once each: %(runs)s = %(days)s day",
        "Days counted once each: %(runs)s = %(days)s days",
        days,
    ) % {"runs": " + ".join(parts), "days": days}


@dataclass
class TerminationRight:
    """A right of the client to terminate that the breaches have reached, with its clause."""

    clause: "PenaltyClause"
    reason: str


def right_reached(item) -> TerminationRight | None:
    """Whether the clause's breaches (unwaived, as counted in ``item``, a
    ``contracts.penalties.ClauseAmount``) reach its termination
    right: a number of breaches (``termination_at_count``), or a delay longer than
    ``termination_after_days`` (seed 000 "逾期超过5日": consecutive days late, counted once each)."""
    clause = item.clause
    if clause.termination_at_count and item.breaches >= clause.termination_at_count:
        return TerminationRight(
            clause,
            ngettext(
                "%(count)s breach under “%(title)s” (the right arises at %(at)s)",
                "%(count)s breaches under “%(title)s” (the right arises at %(at)s)",
                item.breaches,
            )
            % {"count": item.breaches, "title": clause.title, "at": clause.termination_at_count},
        )
    if clause.termination_after_days is not None and item.spans:
        longest = max((last - first).days + 1 for first, last, _n in covered_days(item.spans))
        if longest > clause.termination_after_days:
            return TerminationRight(
                clause,
                _("A delay of %(days)s days under “%(title)s”, more than %(limit)s")
                % {"days": longest, "title": clause.title, "limit": clause.termination_after_days},
            )
    return None
