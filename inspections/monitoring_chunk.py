"""A chunk of an automated run (``inspections.monitoring``'s step 2): probe its checks, confirm the
changes they show, save the results, act on them, finish the run when it is complete.

A change is probed again before it counts, per check (``AutomatedCheck.confirm_failures`` and
``confirm_recoveries``, the settings' default when empty), as soon as the change is seen and in
the same event loop as the rest of the run (``_Confirmation``): a dead target's second timeout
overlaps the other checks' probes instead of following them all.
"""

import asyncio
import contextlib
import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, F, OuterRef, Q, Subquery
from django.utils import timezone, translation

from inspections import targets
from inspections.models import AutomatedCheck, CheckConfigError, CheckResult, InspectionRun, ResultStatus
from inspections.monitoring_states import CHUNK, OK, Outcome, _act, _record_steady, logger
from inspections.probes.process import engine_process
from inspections.probes.shared import LoopRunner
from inspections.probes.stalls import StallWatch, watched
from inspections.schedules import complete_slot
from om_portal import audit_changes
from om_portal.bulk import Insert

CONCURRENCY = 200
DEFAULT_TIMEOUT = 2.0  # seconds, for a check without its own
MAX_UNSURE = 3  # rounds more for a confirmation whose probe the prober stalled through
_MESSAGE_MAX = 300  # CheckResult.message


def run_chunk(run_id: int, check_ids: list[int]) -> dict:
    """Probe these checks of the run, save their results, act on the changes, maybe finish the
    run. Checks that already have a result in the run (a chunk delivered twice) are not probed
    again; a result of theirs that was never acted on (its worker died after saving it) is."""
    with _turn():
        run, loaded = _load(run_id, check_ids)
        if run is None:  # deleted with its slot's contract
            return {"checked": 0, "changes": 0, "finished": False}
        fresh, held, late, stored = _sort_out(run, loaded, check_ids)
        probing = _Probing(fresh)
    outcomes = probing.run()
    with _turn():
        return _save_and_act(run, fresh, held, late, stored, outcomes)


def _sort_out(run: InspectionRun, loaded: list[AutomatedCheck], check_ids: list[int]) -> tuple:
    """The chunk's checks to probe, to hold back (edited since the dispatch), and to act on from
    the result a delivery before saved (with those results, by check)."""
    done = {check.pk for check in loaded if check.saved_at is not None}
    behind = [check.pk for check in loaded if check.pk in done and _is_behind(check)]
    stored = {}
    if behind:
        results = CheckResult.objects.filter(run_id=run.pk, automated_check_id__in=behind)
        stored = {result.automated_check_id: result for result in results}
    position = {pk: index for index, pk in enumerate(dict.fromkeys(check_ids)) if pk not in done}
    checks = sorted(
        (check for check in loaded if check.pk in position or check.pk in stored),
        key=lambda check: position.get(check.pk, -1),
    )
    # Edited (or paused) since the dispatch: held back with a result that says so.
    held = [c for c in checks if c.pk in position and not targets.is_runnable(c, run.started_at)]
    fresh = [check for check in checks if check.pk in position and check not in held]
    late = [check for check in checks if check.pk in stored]
    return fresh, held, late, stored


def _save_and_act(run, fresh, held, late, stored, outcomes: list[Outcome]) -> dict:
    # The results and the unchanged checks' state in one statement on PostgreSQL (a transaction
    # elsewhere); the changes after it, each under its own claims.
    rows = _result_rows(run, fresh + held, outcomes + [_held(check) for check in held])
    # One INSERT per CHUNK rows; a row a concurrent delivery saved first is skipped.
    saving = [Insert(rows[start : start + CHUNK], True) for start in range(0, len(rows), CHUNK)]
    steady, changed = _record_steady(
        late + fresh, [_stored(stored[c.pk]) for c in late] + outcomes, also=saving
    )
    targets.record_logins(fresh, [bool(outcome.values.get("login_refused")) for outcome in outcomes])
    changes = _act(steady, changed)
    finished = _finish_if_complete(run)
    return {"checked": len(fresh), "changes": changes, "finished": finished}


def _load(run_id: int, check_ids: list[int]) -> tuple[InspectionRun | None, list[AutomatedCheck]]:
    """The run and those of ``check_ids`` that are its contract's, each with the start of the
    result it already has in the run (a chunk delivered again, else None): one query for all,
    the run's few columns read with the checks through the contract."""
    saved = CheckResult.objects.filter(run_id=run_id, automated_check_id=OuterRef("pk"))
    through = "contract__inspection_runs__"
    loaded = AutomatedCheck.objects.filter(pk__in=check_ids, **{f"{through}pk": run_id}).annotate(
        saved_at=Subquery(saved.values("started_at")[:1]),
        **{f"run_{name}": F(f"{through}{name}") for name in _RUN_FIELDS},
    )
    with audit_changes.unsaved_loads():  # the chunk writes its checks by UPDATE, never save()
        loaded = list(loaded.select_related("contract", "asset", "incident"))
    if not loaded:  # none of them left (or no run): the run alone, for finishing it
        return InspectionRun.objects.filter(pk=run_id).first(), []
    first = loaded[0]
    run = InspectionRun(
        pk=run_id,
        contract_id=first.contract_id,
        **{name: getattr(first, f"run_{name}") for name in _RUN_FIELDS},
    )
    return run, loaded


# What a chunk reads of its run (run_chunk, _finish_if_complete, _finish).
_RUN_FIELDS = ("slot_id", "started_at", "checks_total", "mode")


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


def _is_behind(check: AutomatedCheck) -> bool:
    """``_behind`` for a check loaded with its saved result's start (run_chunk's saved_at)."""
    return check.last_checked_at is None or check.last_checked_at < check.saved_at


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
    """Run the checks concurrently, the failing ones started first, each change confirmed as
    soon as it is seen (``_Confirmation``); a check that cannot be built (CheckConfigError) is an
    ERROR outcome with its message and costs the others nothing."""
    return _Probing(checks).run()


class _Probing:
    """A chunk's checks built into probes (CPU work, done in the chunk's turn), then run (mostly
    waiting on the targets, outside it)."""

    def __init__(self, checks: list[AutomatedCheck]) -> None:
        self.checks = checks
        self.outcomes: list[Outcome | None] = [None] * len(checks)
        self.built, self.indexes, self.first = [], [], []
        now = timezone.now()
        # The messages in English, the msgid language. Once for the chunk: the active language
        # is an asgiref Local behind one lock, and entering it per check kept a pool of 20
        # threads queueing on that lock (over a third of their time in a profile of a run).
        with translation.override(None):
            for index, check in enumerate(checks):
                try:
                    self.built.append(check.probe(previous=True))
                except CheckConfigError as error:
                    message = str(error.message)[:_MESSAGE_MAX]
                    self.outcomes[index] = Outcome(
                        ResultStatus.ERROR, message, {}, {}, now, 0.0, [(message, {})]
                    )
                    continue
                if check.last_status != OK:
                    self.first.append(len(self.indexes))
                self.indexes.append(index)
        runnable = [checks[index] for index in self.indexes]
        self.policies = targets.policies_for(runnable) if runnable else None
        self.confirmation = _Confirmation(runnable)

    def run(self) -> list[Outcome]:
        if self.built:
            _run_groups(self.built, _concurrency(), self.policies, self.first, self.confirmation)
            for index, outcome in zip(self.indexes, self.confirmation.outcomes, strict=True):
                self.outcomes[index] = outcome
        return self.outcomes  # type: ignore[return-value] — every index is filled by now


_TURN = threading.Lock()


def _in_pool() -> bool:
    """Whether this chunk runs in a probes worker's pool of threads (any thread but the main
    one), beside other chunks and sharing the process's engine; a prefork child, a command or a
    test runs one chunk at a time in its main thread."""
    return threading.current_thread() is not threading.main_thread()


def _turn():
    """In a probes worker's pool of threads, one chunk at a time reads, builds and saves: those
    parts are CPU work under the worker's GIL, and twenty chunks doing them at once finished
    them together, late, where one after the other the first chunk's probes start at once and
    the engine's slots are kept busy from the start (a first run of 10,000 checks: 1.55-1.62×
    the bare sweep without turns, 1.46-1.56× with them). Their probing overlaps."""
    return _TURN if _in_pool() else contextlib.nullcontext()


def start_engine() -> None:
    """Start the worker's engine process now rather than at its first chunk."""
    engine_process(CONCURRENCY, DEFAULT_TIMEOUT)


def _concurrency() -> int:
    """This chunk's own bound on its probes at a time: none in a probes worker's pool of threads,
    whose chunks share the worker's engine and its CONCURRENCY slots (``_run_groups``)."""
    return 0 if _in_pool() else CONCURRENCY


def _run_groups(built: list, limit: int, policies, first: list[int], confirmation: "_Confirmation") -> None:
    """Run the checks, ``first`` ahead, each result judged by ``confirmation`` as it comes (in
    the loop's thread) and its check probed again when it asks, a StallWatch beside them; the
    outcomes are left in ``confirmation.outcomes``.

    In a probes worker's thread they go to the worker's engine, in a process of its own
    (``probes.process``, ``probes.shared``): one event loop and CONCURRENCY slots for all the
    chunks the worker runs at once, the ``first`` checks of any chunk started before the others'
    and every confirming probe before those (a run's dead targets time out side by side, not a
    few at a time per chunk, and a change is confirmed while the run goes on). Elsewhere, in an
    event loop of this thread's own (a helper thread's when this one runs a loop), with its own
    slots. A limit of 0: no bound of the chunk's own."""
    if _in_pool():
        engine = engine_process(CONCURRENCY, DEFAULT_TIMEOUT)
        confirmation.outcomes = engine.run(built, limit or None, policies, first, confirmation)
        return
    confirmation.watch = StallWatch()

    async def run() -> None:
        runner = LoopRunner(limit or CONCURRENCY, DEFAULT_TIMEOUT)
        group = (built, None, policies, first, confirmation.again, confirmation.early)
        await watched(runner.run_here([group]), watch=confirmation.watch)

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(run())
        return
    with ThreadPoolExecutor(max_workers=1) as helper:
        helper.submit(asyncio.run, run()).result()


def _outcome(result, watch: StallWatch | None = None) -> Outcome:
    outcome = Outcome(
        status=result.status.value,
        message=result.message[:_MESSAGE_MAX],
        params=result.params,
        values=result.values,
        started=result.started,
        duration_ms=round(result.duration_ms, 1),
        problems=[(problem.message, problem.params) for problem in result.problems],
    )
    if watch is None or not _slow(outcome):
        return outcome
    # Failed only on time: the part of it that the prober's own loop spent stalled (a busy CPU)
    # is not the target's. All of the window's stall is taken off, so the latency kept is the
    # least the target can have taken: a failure stands only when the target was surely slow.
    stalled = watch.during(result.started, result.finished) * 1000
    if not stalled or any(p["latency_ms"] - stalled > p["limit_ms"] for _m, p in outcome.problems):
        return outcome
    values = {**outcome.values, "prober_stall_ms": round(stalled, 1)}
    if isinstance(values.get("latency_ms"), int | float):
        values["latency_ms"] = round(max(values["latency_ms"] - stalled, 0.0), 1)
    return replace(outcome, status=OK, message="OK", params={}, values=values, problems=[])


class _Confirmation:
    """A change of state is probed again before it counts, the way Zabbix triggers and Uptime
    Kuma's retries do: a target that answered in 50 ms can be measured at over a second by a
    prober whose CPU is busy with 500 other probes, and each false failure would open an incident
    whose SLA clocks end in penalties. Each check asks for its own number of probes in a row
    (``_needed``).

    Judged in the loop as each result comes (``again``), so a check's next probe is started as
    soon as it is due, ahead of the run's other probes, while the rest of the run goes on: a dead
    target's second timeout overlaps the sweep instead of following it. A check's probes start
    at least MONITORING_CONFIRM_DELAY_SECONDS apart; a first probe still unanswered after that
    pause gets its second started beside it (``early``), so a dead target's two timeouts end a
    pause apart. Those that failed only on time are confirmed a few at a time
    (MONITORING_CONFIRM_CONCURRENCY), so that their timing is the target's rather than the
    prober's; every latency is judged with the prober's own stalls taken off (``_outcome``), and
    a timeout the prober stalled through is probed again, up to MAX_UNSURE times more. A probe
    that contradicts the change ends it: the check keeps its state, and that outcome is the one
    kept; a confirmed change keeps its last outcome, dated from the first probe (its clocks start
    when it was first seen)."""

    def __init__(self, checks: list[AutomatedCheck]) -> None:
        # What judging needs of the checks and the settings, read here: it may run in the probes
        # engine's own process (``probes.process``), which gets a copy of this object.
        self.rules = [(c.last_status, c.confirm_failures, c.confirm_recoveries) for c in checks]
        self.confirm_changes = settings.MONITORING_CONFIRM_CHANGES
        self.pause = settings.MONITORING_CONFIRM_DELAY_SECONDS
        self.few_at_once = settings.MONITORING_CONFIRM_CONCURRENCY
        self.outcomes: list[Outcome | None] = [None] * len(checks)
        self.watch: StallWatch | None = None
        self._first: dict[int, Outcome] = {}  # the change's first outcome, while it is confirmed
        self._left: dict[int, int] = {}
        self._unsure: dict[int, int] = {}
        self._few: asyncio.Semaphore | None = None  # made in the loop, on first use

    def __getstate__(self) -> dict:
        # Copied to the engine's process without the loop's semaphore or this process's watch.
        return {**self.__dict__, "_few": None, "watch": None}

    def again(self, index: int, result) -> tuple[float, asyncio.Semaphore | None] | None:
        outcome = _outcome(result, self.watch)
        first = self._first.get(index)
        if first is None:
            self.outcomes[index] = outcome
            if not _changes(self.rules[index][0], outcome) or self._needed(index, outcome.ok) <= 1:
                return None
            self._first[index], self._left[index], self._unsure[index] = (
                outcome,
                self._needed(index, outcome.ok) - 1,
                0,
            )
            return self._next(index, result)
        if _inconclusive(result, self.watch) and self._unsure[index] < MAX_UNSURE:
            self._unsure[index] += 1  # the prober stalled through it: probed again
            return self._next(index, result)
        self._left[index] -= 1
        if outcome.ok != first.ok:
            self._left[index] = 0  # contradicted: no change
        else:
            outcome = replace(outcome, started=first.started)
        self.outcomes[index] = outcome
        if self._left[index]:
            return self._next(index, result)
        return None

    def early(self, index: int) -> float | None:
        """As a check's first probe starts: if a failure would be a change to confirm, the pause
        after which, still unanswered, its confirming probe starts beside it (``LoopRunner._run``
        keeps that one if the first times out): a dead target's two timeouts end a pause apart,
        not a timeout apart. The probes still start at least the pause apart."""
        failing_is_a_change = self.rules[index][0] in (OK, "")
        if index in self._first or not failing_is_a_change or self._needed(index, False) <= 1:
            return None
        return self.pause

    def _needed(self, index: int, ok: bool) -> int:
        """How many probes in a row must agree before a change of this check to passing (``ok``)
        or to failing counts, the first included."""
        _was, failures, recoveries = self.rules[index]
        count = recoveries if ok else failures
        if count is None:  # the portal's default
            return 2 if self.confirm_changes else 1
        return count

    def _next(self, index: int, result) -> tuple[float, asyncio.Semaphore | None]:
        wait = self.pause - (dt.datetime.now(dt.UTC) - result.started).total_seconds()
        if not _slow(self._first[index]):
            return max(wait, 0.0), None
        if self._few is None:
            self._few = asyncio.Semaphore(self.few_at_once)
        return max(wait, 0.0), self._few


def _inconclusive(result, watch: StallWatch | None) -> bool:
    """A timeout the prober's loop spent a good part of stalled says little about the target."""
    if watch is None or result.status.value != ResultStatus.TIMEOUT:
        return False
    window = (result.finished - result.started).total_seconds()
    return watch.during(result.started, result.finished) >= window / 4


def _slow(outcome: Outcome) -> bool:
    """Failed only for the time it took: the prober's own load may be what was measured."""
    return (
        not outcome.ok
        and bool(outcome.problems)
        and all("latency_ms" in params and "limit_ms" in params for _message, params in outcome.problems)
    )


def _changes(was: str, outcome: Outcome) -> bool:
    """Whether this outcome turns the check from passing (or never run) to failing, or back."""
    return outcome.ok != (was in (OK, ""))


def _save_results(run: InspectionRun, checks: list[AutomatedCheck], outcomes: list[Outcome]) -> None:
    # One INSERT per CHUNK rows; a row a concurrent delivery saved first is skipped.
    CheckResult.objects.bulk_create(
        _result_rows(run, checks, outcomes), batch_size=CHUNK, ignore_conflicts=True
    )


def _result_rows(
    run: InspectionRun, checks: list[AutomatedCheck], outcomes: list[Outcome]
) -> list[CheckResult]:
    return [
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
