"""The SLA checker: every minute, find the incidents whose next check has come, and warn
or record the breach — each exactly once, however many workers run it at the same time.

A tick works in batches of up to 1,000 incidents, in one transaction each, with a constant
number of queries per batch:

1. the due incidents, by the partial index, locked ``FOR UPDATE SKIP LOCKED``: a second checker
   takes the others, and a transition in progress on one (which holds its row) leaves it for
   the next tick, so the clocks written back are never older than the timeline;
2. their events and their contracts' SLA terms, and one working-day calendar;
3. per clock column, one conditional ``UPDATE … WHERE <column> IS NULL … RETURNING id``: only
   the rows it returns were claimed by this run (the Healthchecks way: the row count decides);
4. the claimed breaches into the contracts' ledgers in one insert (idempotent on
   ``incident:<pk>:<clock>``), their timeline events, the refreshed clock columns;
5. one notification per contract and kind, listing its incidents (a robot that posts a
   thousand messages a minute is throttled, and people stop reading).
"""

import hashlib
import logging
from collections import defaultdict

from django.db import connection, transaction
from django.utils import timezone

from contracts import worktime
from contracts.models import SLATerm
from incidents import services
from incidents.models import Incident, IncidentEvent

log = logging.getLogger(__name__)
BATCH = 1000
CLOCK_COLUMNS = {
    f"{name}_{what}": (name, what)
    for name in ("response", "arrival", "resolution")
    for what in ("warned_at", "breached_at")
}


def due_incidents(now=None, limit=BATCH) -> list[int]:
    """The ids of incidents with something due: one query on the partial index."""
    now = now or timezone.now()
    return list(
        Incident.objects.filter(next_check_at__lte=now)
        .order_by("next_check_at")
        .values_list("pk", flat=True)[:limit]
    )


def check_deadlines(now=None) -> dict:
    """One tick of the checker; returns what it did (for logs and tests)."""
    now = now or timezone.now()
    done = {"incidents": 0, "warnings": 0, "breaches": 0}
    while True:
        ids = due_incidents(now)
        result = check_batch(ids, now)
        for key in done:
            done[key] += result[key]
        # A full batch may have more behind it; a batch that did nothing (all locked elsewhere)
        # ends the tick rather than spinning.
        if len(ids) < BATCH or result["incidents"] == 0:
            return done


def breach_kind(clock) -> str:
    return services.breach_kind(clock)


def _claim(column: str, ids: list[int], now) -> set[int]:
    """Set ``column`` where it is still NULL; the ids returned are the rows this run claimed."""
    if not ids:
        return set()
    if column not in CLOCK_COLUMNS:
        raise ValueError(f"not a clock column: {column}")
    quote = connection.ops.quote_name
    field = quote(Incident._meta.get_field(column).column)
    placeholders = ", ".join(["%s"] * len(ids))
    # Only quoted names of the model's own columns are formatted in; the values are parameters.
    sql = (
        f"UPDATE {quote(Incident._meta.db_table)} SET {field} = %s "  # noqa: S608
        f"WHERE {field} IS NULL AND {quote('id')} IN ({placeholders}) RETURNING {quote('id')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [now, *ids])
        return {row[0] for row in cursor.fetchall()}


def check_batch(ids: list[int], now) -> dict:
    done = {"incidents": 0, "warnings": 0, "breaches": 0}
    if not ids:
        return done
    with transaction.atomic():
        incidents = list(
            Incident.objects.filter(pk__in=ids, next_check_at__lte=now)
            .select_related("contract")
            .select_for_update(skip_locked=True, of=("self",))
        )
        if not incidents:
            return done
        events = defaultdict(list)
        for event in IncidentEvent.objects.filter(incident__in=incidents).order_by("incident_id", "at", "id"):
            events[event.incident_id].append(event)
        terms = defaultdict(list)
        for term in SLATerm.objects.filter(contract_id__in={i.contract_id for i in incidents}).select_related(
            "penalty_clause"
        ):
            terms[term.contract_id].append(term)
        first_year = min(i.reported_at.year for i in incidents)
        calendar = worktime.Calendar(range(first_year, max(timezone.localdate(now).year, first_year) + 2))
        computed = {
            i.pk: services.clocks_of(i, events[i.pk], terms[i.contract_id], calendar=calendar)
            for i in incidents
        }

        wanted = defaultdict(list)  # column → incidents whose clock should be claimed there
        for incident in incidents:
            for name, clock in computed[incident.pk].items():
                if not clock.running or clock.paused or clock.due_at is None:
                    continue
                if (
                    clock.warn_at
                    and clock.warn_at <= now < clock.due_at
                    and getattr(incident, f"{name}_warned_at") is None
                ):
                    wanted[f"{name}_warned_at"].append(incident)
                if clock.due_at <= now and getattr(incident, f"{name}_breached_at") is None:
                    wanted[f"{name}_breached_at"].append(incident)
        claimed = {"warned_at": [], "breached_at": []}
        for column, candidates in wanted.items():
            won = _claim(column, [i.pk for i in candidates], now)
            name, what = CLOCK_COLUMNS[column]
            for incident in candidates:
                if incident.pk in won:
                    setattr(incident, column, now)
                    claimed[what].append((incident, computed[incident.pk][name]))

        _record(claimed, now)
        late_days, changes = {}, defaultdict(list)
        for incident in incidents:
            for field, value in services.derived_values(incident, computed[incident.pk], now).items():
                if getattr(incident, field) != value:
                    changes[field, value].append(incident.pk)
            late_days.update(services.late_days_due(incident, computed[incident.pk], now))
        _store(changes, {i.pk: i for i in incidents})
        services.settle_late_days({i.contract_id for i in incidents}, late_days)
        _notify(claimed, now)
    done["incidents"] = len(incidents)
    done["warnings"] = len(claimed["warned_at"])
    done["breaches"] = len(claimed["breached_at"])
    return done


def _store(changes: dict, incidents: dict):
    """Write the changed clock columns. A breach batch's changes share few values (a breached
    clock's next deadline is mostly none): one plain UPDATE per column and value then, which
    costs far less than bulk_update's CASE per row; a column with many distinct values (a batch
    of warnings moving each to its own deadline) goes through bulk_update."""
    by_field = defaultdict(dict)
    for (field, value), pks in changes.items():
        by_field[field][value] = pks
    for field, groups in by_field.items():
        if len(groups) <= 20:
            for value, pks in groups.items():
                Incident.objects.filter(pk__in=pks).update(**{field: value})
            continue
        rows = []
        for value, pks in groups.items():
            for pk in pks:
                setattr(incidents[pk], field, value)
                rows.append(incidents[pk])
        Incident.objects.bulk_update(rows, [field], batch_size=500)


def _record(claimed, now):
    specs, events = [], []
    for incident, clock in claimed["breached_at"]:
        specs.append(services.breach_spec(incident, clock, now))
        events.append(
            IncidentEvent(incident=incident, kind=IncidentEvent.Kind.BREACH, at=now, to_value=clock.name)
        )
    for incident, clock in claimed["warned_at"]:
        events.append(
            IncidentEvent(incident=incident, kind=IncidentEvent.Kind.WARNING, at=now, to_value=clock.name)
        )
    services.record_clock_breaches(specs)
    IncidentEvent.objects.bulk_create(events, batch_size=500)


def _notify(claimed, now):
    from incidents.notify import notify_clocks

    for what, kind in (("warned_at", "warning"), ("breached_at", "breach")):
        by_contract = defaultdict(list)
        for incident, clock in claimed[what]:
            by_contract[incident.contract].append((incident, clock))
        for contract, items in by_contract.items():
            digest = hashlib.sha256(
                ",".join(sorted(f"{i.pk}:{c.name}" for i, c in items)).encode()
            ).hexdigest()[:16]
            notify_clocks(contract, items, kind, now, dedupe_key=f"sla:{contract.pk}:{kind}:{digest}")
