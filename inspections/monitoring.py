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
   - unchanged (still passing, or still failing) in bulk, a few UPDATEs for the whole chunk;
   - a change between passing and failing is claimed per check by ``UPDATE … WHERE
     last_status = <what this worker read>``, in one transaction with what the change does: a
     failing check opens an incident (``incidents.services.report_incident``, source
     monitoring), a failure of a check whose incident is still open adds "failing again" to its
     timeline, a recovery adds one "recovered" event. Two workers seeing the same change: one
     claims it, the other's UPDATE matches no row and it does nothing;
   - the incident link is itself claimed (``UPDATE … SET incident_id = … WHERE incident_id IS
     NULL``, or the closed incident it replaces) in the incident's transaction, so a failing
     check has one incident however many workers race; the link stays while the incident is
     open (a flapping check adds events to it) and is replaced once the incident is closed.
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

Result messages are stored as the probe's English msgid and parameters and translated when
shown (``CheckResult.text``); incident titles and timeline notes are written in the portal's
language, as any text a person enters would be. They say what differed, never what a target
answered, and the measured values they list are numbers the probe measured.
"""

import datetime as dt
import json
import logging
import time
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from contracts.worktime import CHINA_TZ
from incidents.models import Incident, IncidentSource
from incidents.notify import check_changed
from incidents.services import record_monitoring, report_incident
from inspections import probes, targets
from inspections.models import (
    AutomatedCheck,
    CheckApproval,
    CheckConfigError,
    CheckResult,
    InspectionMode,
    InspectionRun,
    InspectionSlot,
    ResultStatus,
)
from inspections.schedules import complete_slot, due_slots, mark_missed, materialise_slots

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

CHUNK = 500  # checks per Celery message, and results per INSERT
CONCURRENCY = 200
DEFAULT_TIMEOUT = 2.0  # seconds, for a check without its own
STALLED_AFTER = dt.timedelta(minutes=10)
ABANDONED_AFTER = dt.timedelta(days=1)
SWEEP_BATCH = 100
_TITLE_MAX = 200  # Incident.title
_MESSAGE_MAX = 300  # CheckResult.message
OK = ResultStatus.OK
CLOSED = Incident.Status.CLOSED


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
    (the fingerprint is compared here: it depends on the asset's row too), not paused or waiting."""
    checks = checks.filter(active=True, approval=CheckApproval.APPROVED, paused_reason="").filter(
        Q(retry_after__isnull=True) | Q(retry_after__lte=now)
    )
    fields = ["pk", "last_status", "contract_id", "asset", "kind", "target", "port", "options"]
    fields += ["password", "admin_allowed", "approval", "approved_signature", "active"]
    fields += ["paused_reason", "retry_after"]
    return [
        (check.pk, check.last_status)
        for check in checks.select_related("asset").only(*fields)
        if targets.is_runnable(check, now)
    ]


def _send(run_id: int, chunks: list[list[int]]) -> int:
    """Send the chunks; returns how many went. A broker that is down loses the rest until the
    sweeper re-sends them, which the run's rows make possible: nothing is lost but time."""
    from inspections.tasks import run_chunk as task  # the tasks module imports this one

    sent = 0
    for ids in chunks:
        try:
            task.apply_async((run_id, ids))
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
        return self.status == OK


def run_chunk(run_id: int, check_ids: list[int]) -> dict:
    """Probe these checks of the run, save their results, act on the changes, maybe finish the
    run. Checks that already have a result in the run (a chunk delivered twice) are not probed
    again; a result of theirs that was never acted on (its worker died after saving it) is."""
    run = InspectionRun.objects.filter(pk=run_id).first()
    if run is None:  # deleted with its slot's contract
        return {"checked": 0, "changes": 0, "finished": False}
    saved = CheckResult.objects.filter(run_id=run_id, automated_check_id__in=check_ids)
    done, behind = set(), []
    # The test of _behind, in the one query a first delivery (which finds nothing) makes anyway.
    for check_id, checked_at, started in saved.values_list(
        "automated_check_id", "automated_check__last_checked_at", "started_at"
    ):
        done.add(check_id)
        if checked_at is None or checked_at < started:
            behind.append(check_id)
    stored = {}
    if behind:
        stored = {result.automated_check_id: result for result in saved.filter(automated_check_id__in=behind)}
    position = {pk: index for index, pk in enumerate(dict.fromkeys(check_ids)) if pk not in done}
    checks = sorted(
        AutomatedCheck.objects.filter(
            pk__in=[*position, *stored], contract_id=run.contract_id
        ).select_related("contract", "asset", "incident"),
        key=lambda check: position.get(check.pk, -1),
    )
    # Edited (or paused) since the dispatch: held back with a result that says so.
    held = [c for c in checks if c.pk in position and not targets.is_runnable(c, run.started_at)]
    fresh = [check for check in checks if check.pk in position and check not in held]
    late = [check for check in checks if check.pk in stored]
    outcomes = probe_checks(fresh)
    _save_results(run, fresh + held, outcomes + [_held(check) for check in held])
    targets.record_logins(fresh, [bool(outcome.values.get("login_refused")) for outcome in outcomes])
    changes = _update_states(late + fresh, [_stored(stored[check.pk]) for check in late] + outcomes)
    finished = _finish_if_complete(run)
    return {"checked": len(fresh), "changes": changes, "finished": finished}


def _held(check: AutomatedCheck) -> "Outcome":
    message = "Not run: the check awaits the client's approval or is paused"
    return Outcome(ResultStatus.ERROR, message, {}, {}, timezone.now(), 0.0, [(message, {})])


def _behind(results):
    """Those of these results that their check's state has not taken in. Acting on a result sets
    the check's last_checked_at to the result's start (a later run's, later still), so an
    earlier or empty last_checked_at means a worker saved the result and died before acting."""
    return results.filter(
        Q(automated_check__last_checked_at__isnull=True)
        | Q(automated_check__last_checked_at__lt=F("started_at"))
    )


def _stored(result: CheckResult) -> "Outcome":
    """A saved result as the outcome it came from; its problems were summed up in its message."""
    return Outcome(
        status=result.status,
        message=result.message,
        params=result.params,
        values=result.values,
        started=result.started_at,
        duration_ms=result.duration_ms,
        problems=[] if result.status == OK else [(result.message, result.params)],
    )


def probe_checks(checks: list[AutomatedCheck]) -> list[Outcome]:
    """Run the checks concurrently, the failing ones started first; a check that cannot be built
    (CheckConfigError) is an ERROR outcome with its message and costs the others nothing."""
    outcomes: list[Outcome | None] = [None] * len(checks)
    built, indexes, first = [], [], []
    now = timezone.now()
    for index, check in enumerate(checks):
        try:
            with translation.override(None):  # the message in English, the msgid language
                built.append(check.probe(previous=True))
        except CheckConfigError as error:
            message = str(error.message)[:_MESSAGE_MAX]
            outcomes[index] = Outcome(ResultStatus.ERROR, message, {}, {}, now, 0.0, [(message, {})])
            continue
        if check.last_status != OK:
            first.append(len(indexes))
        indexes.append(index)
    if built:
        policies = targets.policies_for([checks[index] for index in indexes])
        results = probes.run_checks_sync(
            built, concurrency=CONCURRENCY, timeout=DEFAULT_TIMEOUT, first=first, policy=policies
        )
        for index, result in zip(indexes, results, strict=True):
            outcomes[index] = _outcome(result)
        _confirm_changes(checks, outcomes, dict(zip(indexes, built, strict=True)), policies)
    return outcomes  # type: ignore[return-value] — every index is filled above


def _outcome(result) -> Outcome:
    return Outcome(
        status=result.status.value,
        message=result.message[:_MESSAGE_MAX],
        params=result.params,
        values=result.values,
        started=result.started,
        duration_ms=round(result.duration_ms, 1),
        problems=[(problem.message, problem.params) for problem in result.problems],
    )


def _confirm_changes(checks, outcomes, built: dict, policies) -> None:
    """A change of state is probed once more before it counts, the way Zabbix triggers and Uptime
    Kuma's retries do: a target that answered in 50 ms can be measured at over a second by a
    prober whose CPU is busy with 500 other probes, and each false failure would open an incident
    whose SLA clocks end in penalties. The second probe runs after a pause, a few at a time, so
    its timing is the target's rather than the prober's; its outcome is the one kept. A recovery
    is confirmed the same way."""
    suspects = [
        index
        for index, check in enumerate(checks)
        if index in built and outcomes[index] is not None and _changes(check.last_status, outcomes[index])
    ]
    if not suspects or not settings.MONITORING_CONFIRM_CHANGES:
        return
    time.sleep(settings.MONITORING_CONFIRM_DELAY_SECONDS)
    if isinstance(policies, list):
        position = {index: n for n, index in enumerate(built)}
        policies = [policies[position[index]] for index in suspects]
    results = probes.run_checks_sync(
        [built[index] for index in suspects],
        concurrency=settings.MONITORING_CONFIRM_CONCURRENCY,
        timeout=DEFAULT_TIMEOUT,
        policy=policies,
    )
    for index, result in zip(suspects, results, strict=True):
        first, second = outcomes[index], _outcome(result)
        if second.ok == first.ok:
            # Confirmed: the change happened when it was first seen, where its clocks start.
            second = replace(second, started=first.started)
        outcomes[index] = second


def _changes(was: str, outcome: Outcome) -> bool:
    """Whether this outcome turns the check from passing (or never run) to failing, or back."""
    return outcome.ok != (was in (OK, ""))


def _save_results(run: InspectionRun, checks: list[AutomatedCheck], outcomes: list[Outcome]) -> None:
    rows = [
        CheckResult(
            run_id=run.pk,
            automated_check_id=check.pk,
            contract_id=run.contract_id,
            status=outcome.status,
            message=outcome.message,
            params=outcome.params,
            values=outcome.values,
            started_at=outcome.started,
            duration_ms=outcome.duration_ms,
        )
        for check, outcome in zip(checks, outcomes, strict=True)
    ]
    # One INSERT per CHUNK rows; a row a concurrent delivery saved first is skipped.
    CheckResult.objects.bulk_create(rows, batch_size=CHUNK, ignore_conflicts=True)


def _is_open(check: AutomatedCheck) -> bool:
    return check.incident is not None and check.incident.status != CLOSED


def _update_states(checks: list[AutomatedCheck], outcomes: list[Outcome]) -> int:
    """Bring the checks' last_* columns up to date; act on each change. Returns the changes
    this worker made (a change another worker claimed first is not counted)."""
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
    fields = ["last_status", "last_checked_at"]
    passing = [check for check, outcome in steady if outcome.ok]
    failing = [check for check, outcome in steady if not outcome.ok]
    if passing:
        AutomatedCheck.objects.filter(last_status__in=[OK, ""]).bulk_update(passing, fields, batch_size=CHUNK)
    if failing:
        AutomatedCheck.objects.exclude(last_status__in=[OK, ""]).bulk_update(
            failing, fields, batch_size=CHUNK
        )
    closed = [check.pk for check in passing if check.incident_id and not _is_open(check)]
    if closed:
        AutomatedCheck.objects.filter(pk__in=closed, incident__status=CLOSED).update(incident=None)
    count = 0
    for check, was, outcome in changed:
        count += _change(check, was, outcome)
    # Still failing with no open incident: its incident was closed while the target stayed
    # down, or the change's incident could not be opened last time.
    for check, outcome in steady:
        if not outcome.ok and not _is_open(check):
            count += _open_incident(check, outcome) is not None
    return count


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
            record_monitoring(check.incident, _note(outcome), recovered=False, at=outcome.started)
        elif outcome.ok and _is_open(check):
            record_monitoring(check.incident, _note(outcome), recovered=True, at=outcome.started)
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
                title, description = _incident_text(check, outcome)
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
                check_changed(check, incident, outcome.started, _problem_text(outcome), recovered=False)
    except _Lost:
        return None
    except ValidationError:
        # Bad data on the check (an asset of another contract): keep the chunk going; the
        # next run tries again, and the log says why.
        logger.exception("inspections: could not open the incident of check %s", check.pk)
        return None
    check.incident = incident
    return incident


# --- Texts --------------------------------------------------------------------------------------


def _fill(message: str, params: dict[str, Any]) -> str:
    text = _(message) if message else ""
    try:
        return text % params if params else text
    except (KeyError, TypeError, ValueError):
        return text


def _problem_text(outcome: Outcome) -> str:
    problems = outcome.problems or [(outcome.message, outcome.params)]
    return "; ".join(_fill(message, params) for message, params in problems)


def _note(outcome: Outcome) -> str:
    """The timeline note of a check failing again or passing again."""
    with translation.override(settings.LANGUAGE_CODE):
        if outcome.ok:
            return _with_values(_("The check passes again."), outcome)
        note = _("Failing again: %(problem)s") % {"problem": _problem_text(outcome)}
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


def _incident_text(check: AutomatedCheck, outcome: Outcome) -> tuple[str, str]:
    problem = _problem_text(outcome)
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


# --- Finishing ----------------------------------------------------------------------------------


def finish_run(run_id: int, *, force: bool = False, now=None) -> bool:
    """Finish the run once every check has a result (``force``: now, with what it has); complete
    its slot. True if this call finished it; a run already finished is left alone."""
    run = InspectionRun.objects.filter(pk=run_id, finished_at__isnull=True).first()
    return run is not None and _finish_if_complete(run, force=force, now=now)


def _finish_if_complete(run: InspectionRun, *, force: bool = False, now=None) -> bool:
    counts = CheckResult.objects.filter(run_id=run.pk).aggregate(
        total=Count("pk"), failed=Count("pk", filter=~Q(status=OK))
    )
    if counts["total"] < run.checks_total and not force:
        return False
    # A check that never got a result did not pass.
    failed = counts["failed"] + max(run.checks_total - counts["total"], 0)
    with transaction.atomic():
        return _finish(run, checks_failed=failed, at=now or timezone.now())


def _finish(run: InspectionRun, *, checks_failed: int, at) -> bool:
    won = InspectionRun.objects.filter(pk=run.pk, finished_at__isnull=True).update(
        finished_at=at, checks_failed=checks_failed
    )
    if won != 1:
        return False
    try:
        complete_slot(run.slot, at=at)
    except ValidationError:
        # Submitted some other way meanwhile (the slot keeps that record); the run stands.
        logger.info("inspections: slot %s of run %s was already submitted", run.slot_id, run.pk)
    return True
