"""What a chunk's results change: each check's state, and the incidents its changes open or tell
(``inspections.monitoring``'s step 2; its docstring tells the claims that keep them exactly-once).

A chunk's new failures open their incidents together (``_open_incidents``; on PostgreSQL in two
statements, ``monitoring_opening``): their status changes are claimed in one conditional UPDATE,
the incidents made by ``incidents.services.report_incidents`` (a few INSERTs, whatever their
number) and linked in a second UPDATE, all in one transaction that
is rolled back whole when a claim matches fewer rows than it should (another worker got there
first); the chunk then acts on those checks one by one, under each one's own claims. The rows
are locked in the order the one-by-one path locks them (the check, then the audit trail's head),
so the two never wait on each other in a circle.
"""

import logging
from functools import reduce
from operator import or_

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone, translation

from incidents.models import Incident, IncidentSource
from incidents.notify import check_changed, checks_failing
from incidents.services import record_monitoring, report_incident, report_incidents
from inspections.models import AutomatedCheck, ResultStatus
from inspections.monitoring_opening import open_together
from inspections.monitoring_outcomes import (
    Outcome,
    incident_reports,
    incident_text,
    problem_text,
    timeline_note,
)
from om_portal.bulk import Update, postgresql, write_together

logger = logging.getLogger("inspections.monitoring")

CHUNK = 500  # checks per Celery message, and results per INSERT
OK = ResultStatus.OK
CLOSED = Incident.Status.CLOSED


def _is_open(check: AutomatedCheck) -> bool:
    return check.incident is not None and check.incident.status != CLOSED


def _update_states(checks: list[AutomatedCheck], outcomes: list[Outcome]) -> int:
    """Bring the checks' last_* columns up to date; act on each change. Returns the changes
    this worker made (a change another worker claimed first is not counted)."""
    return _act(*_record_steady(checks, outcomes))


def _record_steady(checks: list[AutomatedCheck], outcomes: list[Outcome], also=()) -> tuple[list, list]:
    """Write the unchanged checks' state, with the writes ``also`` (run_chunk: the results) in
    one statement on PostgreSQL, one transaction elsewhere; returns them and the changed ones,
    for ``_act``."""
    steady, changed = [], []
    for check, outcome in zip(checks, outcomes, strict=True):
        was = check.last_status
        if (was == "" and outcome.ok) or (was != "" and (was == OK) == outcome.ok):
            check.last_status, check.last_checked_at = outcome.status, outcome.started
            steady.append((check, outcome))
        else:
            changed.append((check, was, outcome))
    # One UPDATE per side for the whole chunk. Each is limited to the rows still on that side,
    # so a stale worker never flips a check that another has just moved: passing and failing
    # only ever trade places under _change's claim. failing_since and the incident link are
    # written there and in _open_incident, under their claims.
    write_together([*also, *_steady_writes(steady)])  # one statement on PostgreSQL
    closed = [
        check.pk for check, outcome in steady if outcome.ok and check.incident_id and not _is_open(check)
    ]
    if closed:
        AutomatedCheck.objects.filter(pk__in=closed, incident__status=CLOSED).update(incident=None)
    return steady, changed


def _steady_writes(steady) -> list:
    """The writes of the checks whose state did not change, each side only on rows still on it:
    on PostgreSQL an UPDATE from arrays (bulk_update's CASE WHEN of 500 branches a column cost
    more CPU to build than the chunk's probes), elsewhere ``bulk.Update``."""
    fields = ["last_status", "last_checked_at"]
    same_side = Q(last_status__in=[OK, ""])
    writes = []
    for passing in (True, False):
        checks = [check for check, outcome in steady if outcome.ok == passing]
        if not checks:
            continue
        if postgresql():
            writes.append(_states_sql(checks, fields, passing=passing))
        else:
            rows = AutomatedCheck.objects.filter(same_side if passing else ~same_side)
            writes.append(Update(rows, checks, fields))
    return writes


def _states_sql(checks: list[AutomatedCheck], fields: list[str], *, passing: bool) -> tuple[str, list]:
    """UPDATE the checks' ``fields`` to their values from one array a column, on the rows still
    passing (or still failing)."""
    meta = AutomatedCheck._meta
    columns = [meta.get_field(name) for name in fields]
    pk = meta.pk
    types = [pk.db_type(connection)] + [field.db_type(connection) for field in columns]
    arrays = [[check.pk for check in checks]]
    arrays += [
        [field.get_db_prep_value(getattr(check, field.attname), connection) for check in checks]
        for field in columns
    ]
    status = meta.get_field("last_status").column
    qn = connection.ops.quote_name
    names = ["pk"] + [f"v{n}" for n in range(len(columns))]
    sets = ", ".join(f"{qn(field.column)} = v.{name}" for field, name in zip(columns, names[1:], strict=True))
    unnest = ", ".join(f"%s::{kind}[]" for kind in types)
    side = "IN" if passing else "NOT IN"
    # S608: the table and column names come from the model's meta, every value is a parameter.
    head = f"UPDATE {qn(meta.db_table)} AS c SET {sets}"  # noqa: S608
    sql = (
        f"{head} FROM unnest({unnest}) AS v({', '.join(names)}) "
        f"WHERE c.{qn(pk.column)} = v.pk AND c.{qn(status)} {side} (%s, %s)"
    )
    return sql, [*arrays, OK, ""]


def _act(steady: list, changed: list) -> int:
    """Act on the changes, each under its claims, and open the incidents still missing."""
    count, opening = 0, []
    for check, was, outcome in changed:
        if not outcome.ok and not _is_open(check):
            opening.append((check, was, outcome))
        else:
            count += _change(check, was, outcome)
    # Still failing with no open incident: its incident was closed while the target stayed
    # down, or the change's incident could not be opened last time. No status to claim (None).
    opening += [(check, None, outcome) for check, outcome in steady if not outcome.ok and not _is_open(check)]
    return count + _open_incidents(opening)


def _change(check: AutomatedCheck, was: str, outcome: Outcome) -> bool:
    """A check turned from passing to failing (or failed at its first run), or back: claimed by
    its last_status as this worker read it, acted on in the same transaction."""
    with transaction.atomic():
        won = AutomatedCheck.objects.filter(pk=check.pk, last_status=was).update(
            last_status=outcome.status,
            last_checked_at=outcome.started,
            failing_since=None if outcome.ok else outcome.started,
        )
        if won != 1:
            return False  # another worker saw this change first and acted on it
        check.last_status = outcome.status
        if not outcome.ok and not _is_open(check):
            _open_incident(check, outcome)
        elif not outcome.ok and was == OK:
            record_monitoring(check.incident, timeline_note(outcome), recovered=False, at=outcome.started)
        elif outcome.ok and _is_open(check):
            record_monitoring(check.incident, timeline_note(outcome), recovered=True, at=outcome.started)
            check_changed(check, check.incident, outcome.started, "", recovered=True)
        elif outcome.ok and check.incident_id:
            AutomatedCheck.objects.filter(pk=check.pk, incident_id=check.incident_id).update(incident=None)
    return True


class _Lost(Exception):
    """Another worker linked an incident to the check first: roll this one back."""


def _open_incident(check: AutomatedCheck, outcome: Outcome) -> Incident | None:
    """Open the check's incident unless another worker has just opened one: the link is claimed
    in the incident's own transaction, so the loser's incident is rolled back, never seen."""
    replaced = check.incident_id if check.incident is not None and check.incident.status == CLOSED else None
    try:
        with transaction.atomic():
            with translation.override(settings.LANGUAGE_CODE):
                title, description = incident_text(check, outcome)
            incident = report_incident(
                check.contract,
                by=None,
                title=title,
                source=IncidentSource.MONITORING,
                severity=check.severity,
                asset=check.asset,
                description=description,
                reported_at=min(outcome.started, timezone.now()),
            )
            link = AutomatedCheck.objects.filter(pk=check.pk)
            link = link.filter(incident_id=replaced) if replaced else link.filter(incident__isnull=True)
            if link.update(incident=incident) != 1:
                raise _Lost
            with translation.override(settings.LANGUAGE_CODE):
                check_changed(check, incident, outcome.started, problem_text(outcome), recovered=False)
    except _Lost:
        return None
    except ValidationError:
        # Bad data on the check (an asset of another contract): keep the chunk going; the
        # next run tries again, and the log says why.
        logger.exception("inspections: could not open the incident of check %s", check.pk)
        return None
    check.incident = incident
    return incident


def _open_incidents(items: list[tuple[AutomatedCheck, str | None, Outcome]]) -> int:
    """Open the incidents of these failing checks (with the status each turned from, or None
    when it was failing already) together; returns how many this worker opened. One by one
    (``_change``, ``_open_incident``) if a claim is lost or a check's data is refused."""
    if not items:
        return 0
    if postgresql():
        try:
            opened = open_together(items)
        except ValidationError:
            opened = None
        return opened if opened is not None else _one_by_one(items)
    now = timezone.now()
    try:
        with transaction.atomic():
            # The claim first, of every row this will change: a status changed as this worker
            # read it, the link as it read it. Locked now, the rows are the first thing this
            # transaction holds, as in _change and in any save of a check (then the audit head).
            changes = [(check, was, outcome) for check, was, outcome in items if was is not None]
            claim = reduce(or_, (_claim(check, was) for check, was, _outcome in items))
            won = AutomatedCheck.objects.filter(claim).update(
                last_status=_each(changes, lambda outcome: outcome.status, "last_status"),
                last_checked_at=_each(changes, lambda outcome: outcome.started, "last_checked_at"),
                failing_since=_each(changes, lambda outcome: outcome.started, "failing_since"),
            )
            if won != len(items):
                raise _Lost
            incidents = report_incidents(
                items[0][0].contract,  # a chunk's checks are all of its run's contract
                incident_reports(items, now),
                by=None,
                source=IncidentSource.MONITORING,
            )
            link = AutomatedCheck.objects.filter(pk__in=[check.pk for check, _was, _outcome in items])
            pairs = zip(items, incidents, strict=True)
            chosen = [When(pk=check.pk, then=Value(incident.pk)) for (check, _w, _o), incident in pairs]
            link.update(incident_id=Case(*chosen))  # rows this transaction holds since its claim
            with translation.override(settings.LANGUAGE_CODE):
                checks_failing(
                    [(check, incident) for (check, _w, _o), incident in zip(items, incidents, strict=True)],
                    min(outcome.started for _check, _was, outcome in items),
                    problem_text(items[0][2]),
                )
    except (_Lost, ValidationError):
        return _one_by_one(items)
    for (check, _was, outcome), incident in zip(items, incidents, strict=True):
        check.last_status, check.incident = outcome.status, incident
    return len(items)


def _one_by_one(items) -> int:
    return sum(
        _open_incident(check, outcome) is not None if was is None else _change(check, was, outcome)
        for check, was, outcome in items
    )


def _each(changes, value, name: str) -> Case | F:
    """One column's new value per changed check, for an UPDATE of them all."""
    whens = [When(pk=check.pk, then=Value(value(outcome))) for check, _was, outcome in changes]
    return Case(*whens, default=F(name)) if whens else F(name)


def _claim(check: AutomatedCheck, was: str | None) -> Q:
    """The check as it must still be for this worker to open its incident: in the status it
    read (unless None: failing already), without an incident or with the closed one it read."""
    replaced = check.incident_id if check.incident is not None and check.incident.status == CLOSED else None
    claim = Q(pk=check.pk, incident_id=replaced) if replaced else Q(pk=check.pk, incident__isnull=True)
    return claim if was is None else claim & Q(last_status=was)


# --- Texts --------------------------------------------------------------------------------------
