"""A chunk's new failures opened together on PostgreSQL (``monitoring_states._open_incidents``):
what ``report_incidents``, ``audit.record_many`` and ``checks_failing`` write, in a number of
queries that does not grow with the failures, the people who hear of them read once.

Before the transaction: the incidents built and checked (the contract's SLA terms) and the
notice's audience (``contracts.notify.prepare_event``: the parties' members with their choices
of channels, and the duty shifts). In it, two statements:

1. the claim: one UPDATE of the checks, each as this worker read it (``_claim``), that also
   links each to its incident's id, taken from the incidents' sequence (the foreign key is
   checked at the commit, once the incident is there); then, only if every claim held, the
   audit trail's head locked (after the checks' rows, the order the one-by-one path locks them
   in, so the two never wait on each other in a circle) and the ids of the events, the audit
   lines (from the lines' sequence after the lock: the chain's order stays the ids' order) and
   the notice taken;
2. the writes, as data-modifying CTEs (``om_portal.bulk``): the incidents, their events, the
   audit lines, the head moved over them (after them: its trigger checks the last line is
   there), the notice unless one of the same key exists, and its inbox items only if it was
   written.

A claim that fails is rolled back whole and the caller acts one by one, as on SQLite.
"""

from functools import partial

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone, translation

from contracts.notify import prepare_event
from incidents.models import Incident, IncidentEvent, IncidentSource
from incidents.notify import failing_event
from incidents.services import audit_lines, build_incidents
from inspections.models import AutomatedCheck
from inspections.monitoring_outcomes import incident_reports, problem_text
from om_portal import audit, digest
from om_portal.bulk import Insert, write_together
from om_portal.models import AuditChain, AuditEntry, Notice

HEAD = ("last_id", "last_hash", "origin_hash", "purged_through", "unkeyed_through", "head_mac")

CLOSED = Incident.Status.CLOSED


class _Lost(Exception):
    """A claim matched fewer rows than it should (another worker acted first), or the audit
    trail has no head to lock (the one-by-one path makes one): roll back, act one by one."""


def open_together(items) -> int | None:
    """Open the incidents of these failing checks ((check, status it turned from or None,
    outcome)); returns how many, or None when nothing was written and the caller must act one by
    one. A ValidationError (a check's bad data) is raised before anything is written."""
    contract = items[0][0].contract  # a chunk's checks are all of its run's contract
    now = timezone.now()
    since = min(outcome.started for _check, _was, outcome in items)
    with translation.override(settings.LANGUAGE_CODE):
        problem = problem_text(items[0][2])
    reports = incident_reports(items, now)
    incidents, timelines, _handlers = build_incidents(
        contract, reports, by=None, source=IncidentSource.MONITORING
    )
    events = [event for timeline in timelines for event in timeline]
    prepared = prepare_event("check.failing", contract, at=since)
    try:
        with transaction.atomic():
            found = _claim(items, events=len(events), lines=len(incidents) + len(events))
            if found is None:
                raise _Lost
            linked, head, event_ids, line_ids, notice_id = found
            for (check, _was, _outcome), incident in zip(items, incidents, strict=True):
                incident.pk = linked[check.pk]
            for event, pk in zip(events, sorted(event_ids), strict=True):
                event.pk, event.incident = pk, event.incident  # the incident's id, now it has one
            lines = audit_lines(incidents, timelines)
            head = audit.chain_with_ids(head, lines, line_ids)
            pairs = [(check, incident) for (check, _w, _o), incident in zip(items, incidents, strict=True)]
            with translation.override(settings.LANGUAGE_CODE):
                _code, _contract, fields = failing_event(pairs, since, problem)
            notice, inbox = digest.build(
                **prepared.fields(fields["params"], link=fields["link"], dedupe_key=fields["dedupe_key"])
            )
            notice.pk = notice_id
            for item in inbox:
                item.notice = notice
            quote = connection.ops.quote_name
            moved = (  # identifiers from the models, values as parameters
                f"UPDATE {quote(AuditChain._meta.db_table)} SET last_id = %s, last_hash = %s, "  # noqa: S608
                "head_mac = %s WHERE id = 1 AND (SELECT count(*) FROM w2) = %s",
                [head.last_id, head.last_hash, head.head_mac, len(lines)],
            )
            (written,) = write_together(
                [
                    Insert(incidents),
                    Insert(events),
                    Insert(lines, returning=True),  # w2
                    moved,
                    Insert([notice], ignore_conflicts=True, returning=True),  # w4
                    Insert(inbox, only_if="EXISTS (SELECT 1 FROM w4)"),
                ],
                tail="SELECT count(*) FROM w4",
            )
            if written:
                transaction.on_commit(partial(digest.enqueue_flush, notice.contract_code))
    except _Lost:
        return None
    for (check, _was, outcome), incident in zip(items, incidents, strict=True):
        check.last_status, check.incident = outcome.status, incident
    return len(items)


def _claim(items, *, events: int, lines: int):
    """Claim every check as this worker read it, linking each to a new incident id; lock the
    audit head and take the other rows' ids if all held. Returns ({check: incident id}, the
    head, the events' ids, the lines' ids, the notice's id), or None."""
    quote = connection.ops.quote_name
    checks, head = quote(AutomatedCheck._meta.db_table), quote(AuditChain._meta.db_table)
    columns = ", ".join(f"h.{quote(name)}" for name in HEAD)
    # Identifiers from the models; every value a parameter.
    sql = f"""
WITH m AS (
    SELECT * FROM unnest(%s::bigint[], %s::text[], %s::bigint[], %s::text[], %s::timestamptz[])
        AS m(id, was, replaced, status, started)
), claim AS (
    UPDATE {checks} c SET
        last_status = CASE WHEN m.was IS NULL THEN c.last_status ELSE m.status END,
        last_checked_at = CASE WHEN m.was IS NULL THEN c.last_checked_at ELSE m.started END,
        failing_since = CASE WHEN m.was IS NULL THEN c.failing_since ELSE m.started END,
        incident_id = nextval(pg_get_serial_sequence(%s, 'id'))
    FROM m
    WHERE c.id = m.id AND (m.was IS NULL OR c.last_status = m.was)
        AND c.incident_id IS NOT DISTINCT FROM m.replaced
    RETURNING c.id, c.incident_id
), head AS MATERIALIZED (
    SELECT * FROM {head} WHERE id = 1 AND (SELECT count(*) FROM claim) = %s FOR UPDATE
)
SELECT (SELECT json_agg(json_build_array(id, incident_id)) FROM claim), h.id, {columns},
    ARRAY(SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s) WHERE h.id = 1),
    ARRAY(SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s) WHERE h.id = 1),
    (SELECT nextval(pg_get_serial_sequence(%s, 'id')) WHERE h.id = 1)
FROM (SELECT 1) AS one LEFT JOIN head AS h ON true
"""  # noqa: S608
    replaced = [
        check.incident_id if check.incident is not None and check.incident.status == CLOSED else None
        for check, _was, _outcome in items
    ]
    params = [
        [check.pk for check, _was, _outcome in items],
        [was for _check, was, _outcome in items],
        replaced,
        [outcome.status for _check, _was, outcome in items],
        [outcome.started for _check, _was, outcome in items],
        Incident._meta.db_table,
        len(items),
        IncidentEvent._meta.db_table,
        events,
        AuditEntry._meta.db_table,
        lines,
        Notice._meta.db_table,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        claimed, head_id, *values = cursor.fetchone()
    if head_id is None:
        return None
    *head_values, event_ids, line_ids, notice_id = values
    linked = {check: incident for check, incident in claimed}
    return (
        linked,
        AuditChain(pk=head_id, **dict(zip(HEAD, head_values, strict=True))),
        event_ids,
        line_ids,
        notice_id,
    )
