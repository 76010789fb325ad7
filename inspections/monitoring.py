"""Automated inspections: the beat's tick, the chunks it fans out, and what their results change.

The flow, each step safe to run twice or at once in several processes:

1. ``tick`` (Celery beat, every minute) makes the slots of today and tomorrow (Beijing), marks
   the overdue ones missed (one breach each), and *dispatches* every due automated slot: it
   claims the slot with ``UPDATE … SET dispatched_at = now WHERE id = … AND dispatched_at IS
   NULL AND status = 'pending'`` (a row count of 0: another beat has it), creates the slot's
   ``InspectionRun`` with the contract's active checks counted in ``checks_total``, and, once
   that commits, sends the check ids in chunks of at most ``CHUNK`` (one Celery message each),
   the checks that failed last time first. A run without checks is finished at once.
2. ``run_chunk`` (a worker) probes its checks concurrently (``inspections.probes``), saves one
   ``CheckResult`` per check with one INSERT per ``CHUNK`` results (``ON CONFLICT DO NOTHING``
   on (run, check): a redelivered chunk saves nothing twice, and skips the checks that already
   have a result in the run), and brings each check's state up to date (a result saved but
   never acted on, its worker killed in between, is acted on by the chunk's next delivery):
   - unchanged (still passing, or still failing) in bulk, a few UPDATEs for the whole chunk,
     sent with the results' INSERTs as one statement on PostgreSQL (``om_portal.bulk``);
   - a change between passing and failing is claimed per check by ``UPDATE … WHERE
     last_status = <what this worker read>``, in one transaction with what the change does: a
     failing check opens an incident (source monitoring), a failure of a check whose incident
     is still open adds "failing again" to its timeline, a recovery adds one "recovered" event.
     Two workers seeing the same change: one claims it, the other's UPDATE matches no row and
     it does nothing. The chunk's new incidents are opened together, their checks' changes
     and links claimed in one UPDATE (``monitoring_opening`` on PostgreSQL: ten queries for a
     first run's chunk, whatever its failures; ``incidents.services.report_incidents``
     elsewhere); a claim that matches fewer rows rolls it all back and the chunk acts on those
     checks one by one (``report_incident``), under each one's claim;
   - the incident link is itself claimed (``WHERE incident_id IS NULL``, or the closed incident
     it replaces) in the incident's transaction, so a failing check has one incident however
     many workers race; the link stays while the incident is open (a flapping check adds events
     to it) and is replaced once the incident is closed.
   A change counts once a few probes in a row agree (``monitoring_chunk._Confirmation``).
3. When every check of the run has a result, the run is finished by ``UPDATE … SET finished_at
   WHERE finished_at IS NULL`` (one finisher) and its slot completed (``complete_slot``: done
   on time, or done late, still missed, with its one breach).
4. A chunk lost on the way (a broker restart, a worker killed past its retries) is re-sent by
   the tick's sweeper: a run unfinished after ``STALLED_AFTER`` gets the checks still without a
   result (or with one not acted on) sent again, at most once per ``STALLED_AFTER`` of its age;
   after ``ABANDONED_AFTER`` it is finished with what it has (a check without a result counts
   as not passed).

Only checks the client side approved as they stand run (``inspections.targets``): dispatch and
the sweeper count and send those, and a chunk holds back one that was edited since (a result
that says so, acting on nothing). Each runs under its target policy (``probes.guard``).

The code: this module is the beat (steps 1, 4); a chunk and finishing a run (steps 2, 3) are in
``monitoring_chunk``, and what results change (states, incidents, their texts) in
``monitoring_states``. Their public names are importable from here.

Result messages are stored as the probe's English msgid and parameters and translated when
shown (``CheckResult.text``); incident titles and timeline notes are written in the portal's
language, as any text a person enters would be. They say what differed, never what a target
answered, and the measured values they list are numbers the probe measured.
"""

import datetime as dt
import logging
from functools import partial

from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from contracts.models import Asset
from contracts.worktime import CHINA_TZ
from inspections import targets
from inspections.models import (
    AutomatedCheck,
    CheckApproval,
    CheckResult,
    InspectionMode,
    InspectionRun,
    InspectionSlot,
    ResultStatus,
)
from inspections.monitoring_chunk import (
    _behind,
    _finish,
    _finish_if_complete,
    finish_run,
    probe_checks,
    run_chunk,
)
from inspections.monitoring_states import CHUNK
from inspections.schedules import due_slots, mark_missed, materialise_slots

__all__ = [
    "CHUNK",
    "dispatch",
    "finish_run",
    "probe_checks",
    "run_chunk",
    "sweep_stalled_runs",
    "tick",
]

logger = logging.getLogger(__name__)

STALLED_AFTER = dt.timedelta(minutes=10)
ABANDONED_AFTER = dt.timedelta(days=1)
SWEEP_BATCH = 100
OK = ResultStatus.OK


# --- The beat -----------------------------------------------------------------------------------


def tick(now=None) -> dict:
    """One beat: make the coming slots, record the missed ones, start the due automated runs,
    re-send lost chunks. Returns what it did, for the log."""
    now = now or timezone.now()
    today = timezone.localtime(now, CHINA_TZ).date()
    made = materialise_slots(today, today + dt.timedelta(days=2), now=now)
    missed = mark_missed(now)
    dispatched = 0
    slots = (
        due_slots(now)
        .filter(schedule__mode=InspectionMode.AUTOMATED, dispatched_at__isnull=True)
        .select_related("contract", "schedule", "heightened_period")
        .order_by("due_at", "pk")
    )
    for slot in slots:
        dispatched += dispatch(slot, now) is not None
    swept = sweep_stalled_runs(now)
    return {"slots_created": made["created"], "missed": missed, "dispatched": dispatched, **swept}


def _check_order(rows) -> list[int]:
    """Check ids from (id, last_status) rows, failing first, then by id: a check that failed,
    timed out or never ran starts first, so a dead target's timeout overlaps the live probes."""
    failing = {pk for pk, status in rows if status != OK}
    ordered = sorted(pk for pk, _status in rows)
    return [pk for pk in ordered if pk in failing] + [pk for pk in ordered if pk not in failing]


def _chunks(ids: list[int]) -> list[list[int]]:
    return [ids[start : start + CHUNK] for start in range(0, len(ids), CHUNK)]


def dispatch(slot: InspectionSlot, now=None) -> InspectionRun | None:
    """Start the automated run of ``slot``: None when another beat (or a person) got there first.

    The chunks are sent after the commit: a worker never looks for a run that is not there yet,
    and a rolled-back dispatch sends nothing.
    """
    now = now or timezone.now()
    with transaction.atomic():
        claimed = InspectionSlot.objects.filter(
            pk=slot.pk, dispatched_at__isnull=True, status=InspectionSlot.Status.PENDING
        ).update(dispatched_at=now)
        if claimed != 1 or InspectionRun.objects.filter(slot_id=slot.pk).exists():
            return None
        ids = _check_order(_runnable_rows(AutomatedCheck.objects.filter(contract_id=slot.contract_id), now))
        run = InspectionRun.objects.create(
            slot=slot,
            contract_id=slot.contract_id,
            mode=InspectionMode.AUTOMATED,
            started_at=now,
            checks_total=len(ids),
        )
        if ids:
            transaction.on_commit(partial(_send, run.pk, _chunks(ids)))
        else:
            _finish(run, checks_failed=0, at=now)
    return run


def _runnable_rows(checks, now) -> list[tuple[int, str]]:
    """(id, last_status) of those of ``checks`` that may run now: active, approved as they stand
    (the fingerprint is compared here: it depends on the asset's row too), not paused or waiting.
    Read as rows, the assets once each: a model per check (and per asset) cost the beat more CPU
    than a chunk's probes."""
    checks = checks.filter(active=True, approval=CheckApproval.APPROVED, paused_reason="").filter(
        Q(retry_after__isnull=True) | Q(retry_after__lte=now)
    )
    rows = list(checks.values_list("pk", "last_status", "approved_signature", *targets.Fingerprinted.FIELDS))
    assets = Asset.objects.in_bulk({row[-1] for row in rows if row[-1] is not None})
    return [
        (pk, status)
        for pk, status, approved, *fields, asset_id in rows
        if targets.signature(targets.Fingerprinted(*fields, assets.get(asset_id))) == approved
    ]


def _send(run_id: int, chunks: list[list[int]]) -> int:
    """Send the chunks; returns how many went. A broker that is down loses the rest until the
    sweeper re-sends them, which the run's rows make possible: nothing is lost but time."""
    from inspections.tasks import run_chunk as task  # the tasks module imports this one

    sent = 0
    for ids in chunks:
        try:
            # The message's own summary of its arguments: Celery's saferepr of 500 ids cost the
            # beat 50 ms a run of 10,000 checks, before any chunk went out.
            task.apply_async((run_id, ids), argsrepr=f"({run_id}, [{len(ids)} checks])")
        except Exception:
            logger.exception("inspections: could not send run %s's chunks; the sweeper will", run_id)
            break
        sent += 1
    return sent


def sweep_stalled_runs(now=None) -> dict:
    """Re-send the checks without a result of runs unfinished after STALLED_AFTER; finish those
    with nothing left to run, or past ABANDONED_AFTER. Reads the partial index of open runs."""
    now = now or timezone.now()
    runs = list(
        InspectionRun.objects.filter(
            finished_at__isnull=True, started_at__lt=now - STALLED_AFTER, mode=InspectionMode.AUTOMATED
        ).order_by("started_at")[:SWEEP_BATCH]
    )
    resent = finished = 0
    for run in runs:
        if now - run.started_at >= ABANDONED_AFTER:
            finished += _finish_if_complete(run, force=True, now=now)
            continue
        have = CheckResult.objects.filter(run_id=run.pk).values("automated_check_id")
        behind = _behind(CheckResult.objects.filter(run_id=run.pk)).values("automated_check_id")
        rows = _runnable_rows(
            AutomatedCheck.objects.filter(contract_id=run.contract_id).filter(
                ~Q(pk__in=have) | Q(pk__in=behind)
            ),
            now,
        )
        ids = _check_order(rows)
        if not ids:
            finished += _finish_if_complete(run, force=True, now=now)
            continue
        # Once per STALLED_AFTER of the run's age, however many beats sweep at once: cache.add
        # is atomic on Redis. Sent twice anyway (a cache without it), a chunk saves nothing twice.
        age_step = int((now - run.started_at) / STALLED_AFTER)
        key = f"inspections:resend:{run.pk}:{run.started_at.timestamp()}:{age_step}"
        if cache.add(key, 1, timeout=int(2 * STALLED_AFTER.total_seconds())):
            resent += _send(run.pk, _chunks(ids))
    return {"chunks_resent": resent, "runs_finished": finished}


# --- A chunk ------------------------------------------------------------------------------------
