"""The SLA checker: every minute, find the incidents whose next deadline has passed, and warn
or record the breach — each exactly once, however many workers run it at the same time.

A clock is claimed with a conditional UPDATE (``…_breached_at IS NULL``) whose row count says
who won; only the winner records the breach and notifies. The breach itself is also idempotent
(``record_breach`` on ``incident:<pk>:<clock>``), so even a crash between the two cannot
duplicate it. No row locks are held across the work.
"""

import logging

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from contracts.models import Breach, SLATerm
from contracts.penalties import record_breach
from incidents import services
from incidents.models import Incident, IncidentEvent

log = logging.getLogger(__name__)
BATCH = 1000


def due_incidents(now=None, limit=BATCH) -> list[int]:
    """The ids of incidents with something due: one query on the partial index."""
    now = now or timezone.now()
    return list(
        Incident.objects.filter(next_deadline__lte=now)
        .order_by("next_deadline")
        .values_list("pk", flat=True)[:limit]
    )


def check_deadlines(now=None) -> dict:
    """One tick of the checker; returns what it did (for logs and tests)."""
    now = now or timezone.now()
    done = {"incidents": 0, "warnings": 0, "breaches": 0}
    for pk in due_incidents(now):
        warnings, breaches = check_incident(pk, now)
        done["incidents"] += 1
        done["warnings"] += warnings
        done["breaches"] += breaches
    return done


def _claim(pk, column, now) -> bool:
    return Incident.objects.filter(pk=pk, **{f"{column}__isnull": True}).update(**{column: now}) == 1


def breach_kind(clock) -> str:
    """The ledger's kind: the linked clause's, else an unpriced "sla_<clock>"."""
    clause = clock.term.penalty_clause if clock.term is not None else None
    return clause.kind if clause is not None else f"sla_{clock.name}"


def check_incident(pk, now) -> tuple[int, int]:
    warnings = breaches = 0
    with transaction.atomic():
        incident = Incident.objects.select_related("contract").get(pk=pk)
        computed = services.clocks_of(incident)
        for name, clock in computed.items():
            if not clock.running or clock.paused or clock.due_at is None:
                continue
            if clock.warn_at and clock.warn_at <= now < clock.due_at and _claim(pk, f"{name}_warned_at", now):
                setattr(incident, f"{name}_warned_at", now)
                _warn(incident, clock, now)
                warnings += 1
            if clock.due_at <= now and _claim(pk, f"{name}_breached_at", now):
                setattr(incident, f"{name}_breached_at", now)
                _breach(incident, clock, now)
                breaches += 1
        services.refresh_clocks(incident, computed, now)
    return warnings, breaches


def _breach(incident, clock, now):
    kind = breach_kind(clock)
    record_breach(
        incident.contract,
        kind,
        occurred_at=clock.due_at,
        source=Breach.Source.INCIDENT,
        source_ref=services.breach_ref(incident, clock),
        days_late=services.days_late(clock, now) if services.per_day(clock) else None,
        note=_("%(number)s %(title)s: %(clock)s due %(due)s missed.")
        % {
            "number": incident.number,
            "title": incident.title,
            "clock": SLATerm.Clock(clock.name).label,
            "due": clock.due_at,
        },
    )
    IncidentEvent.objects.create(
        incident=incident, kind=IncidentEvent.Kind.BREACH, at=now, to_value=clock.name
    )
    _notify(incident, clock, "breach", now)


def _warn(incident, clock, now):
    IncidentEvent.objects.create(
        incident=incident, kind=IncidentEvent.Kind.WARNING, at=now, to_value=clock.name
    )
    _notify(incident, clock, "warning", now)


def _notify(incident, clock, what, now):
    from incidents.notify import notify_clock

    notify_clock(incident, clock, what, now)
