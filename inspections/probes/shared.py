"""One event loop that many calls hand their checks to: a probes worker's engine, which runs in
a process of its own (``probes.process``) and takes every chunk of the worker's pool of threads.

A worker runs a run's chunks side by side in threads. Each with its own event loop, the chunks
split the engine's concurrency between them (20 chunks: 10 probes each): a chunk holding many
dead targets (the failing checks are sent first, so the first chunk of a steady run holds them
all) waited out their timeouts ten at a time while the others' slots idled, and twenty loops
took turns at one interpreter lock. Here every chunk's checks go through one loop and one gate
of ``concurrency`` slots that any of them may take, the checks marked ``first`` (those that
failed last time, the confirming probes) before the others, whichever chunk they belong to: the
dead targets' timeouts overlap across the whole run, as in one sweep of it.

The calls of a minute share one ``_Prober`` (HTTP session and pins), as the checks of one
``run_checks`` do: kept-alive connections are reused across chunks (500 checks over a few hundred
hosts would otherwise connect nearly every time), and a host is looked up once per generation.
Every check still checks the pinned addresses against its own policy before it connects. A call
keeps its generation to its end; a new one starts for calls after PINS_FOR, so DNS changes are
seen within about a minute.
"""

from __future__ import annotations

import asyncio
import bisect
import concurrent.futures
import functools
import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from inspections.probes.engine import _policies, _Prober, _start_order, _validated
from inspections.probes.results import Result
from inspections.probes.stalls import TICK, StallWatch

__all__ = ["LoopRunner", "SharedEngine"]

logger = logging.getLogger(__name__)

KEEP_STALLS = 600.0  # seconds of the loop's stalls kept: longer than any probe's window
SETTLE = 2 * TICK  # seconds a failed result waits before it is judged (LoopRunner._run)
PINS_FOR = 60.0  # seconds a generation of pins and kept-alive connections serves new calls


class _Gate:
    """``slots`` checks at a time. A check is submitted with the function that starts it; a free
    slot starts it at once, else the waiting check with the lowest (priority, arrival) is started
    when a slot is given back (by ``release``, as each started check ends)."""

    def __init__(self, slots: int) -> None:
        self._free = slots  # never above 0 while checks wait
        self._waiting: list[tuple[int, int, Callable[[], None]]] = []
        self._arrivals = itertools.count()

    def submit(self, priority: int, start: Callable[[], None]) -> None:
        if self._free:
            self._free -= 1
            start()
        else:
            heapq.heappush(self._waiting, (priority, next(self._arrivals), start))

    def release(self) -> None:
        if self._waiting:
            heapq.heappop(self._waiting)[2]()
        else:
            self._free += 1


class _RollingWatch(StallWatch):
    """A StallWatch that runs for the life of the loop: stalls older than KEEP_STALLS are dropped,
    and ``during`` reads only those that can touch the window (they are kept in time order)."""

    def __init__(self) -> None:
        super().__init__()
        self._longest = 0.0

    async def watch(self) -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(TICK)
            late = time.perf_counter() - before - TICK
            if late > TICK:
                now = time.time()
                self.stalls.append((now, late))
                self._longest = max(self._longest, late)
                if self.stalls[0][0] < now - 2 * KEEP_STALLS:
                    keep = bisect.bisect_left(self.stalls, (now - KEEP_STALLS,))
                    del self.stalls[:keep]

    def during(self, start, end) -> float:
        begin, finish = start.timestamp(), end.timestamp()
        # A stall ending before the window, or starting after it (none is longer than _longest),
        # takes nothing from it.
        low = bisect.bisect_left(self.stalls, (begin,))
        high = bisect.bisect_right(self.stalls, (finish + self._longest, float("inf")))
        stalls = self.stalls[low:high]
        return sum(max(0.0, min(at, finish) - max(at - late, begin)) for at, late in stalls)


# What a call may ask after each of its results (``again``): None when the check is done, or
# (seconds to wait, a semaphore bounding such probes or None) to probe it once more.
Again = Callable[[int, Result], "tuple[float, asyncio.Semaphore | None] | None"]
# What a call may ask as each check's probe starts (``early``): seconds after which, if it is still
# unanswered, its next probe starts beside it; None for no such probe.
Early = Callable[[int], "float | None"]


class LoopRunner:
    """The gate, the prober generations and the calls' runs, on the loop that awaits them: the
    shared engine's thread, or a command's or a test's own ``asyncio.run``."""

    def __init__(self, concurrency: int, timeout: float) -> None:
        self.concurrency, self.timeout = concurrency, timeout
        self._gate = _Gate(concurrency)
        self._current: _Prober | None = None
        self._current_since = 0.0
        self._users: dict[_Prober, int] = {}

    def calls(self, groups: Sequence[tuple]) -> list:
        """The coroutines of groups of (checks, limit, policies, first[, again[, early]]), checked here
        (bad input raises in the caller's thread, not inside the loop)."""
        calls = []
        for checks, limit, policy, first, *judges in groups:
            checks = _validated(checks, self.concurrency, self.timeout)
            order = _start_order(len(checks), first)
            policies = _policies(policy, len(checks))
            calls.append(self._run(checks, order, set(first), policies, limit, *judges))
        return calls

    async def run_here(self, groups: Sequence[tuple]) -> list[list[Result]]:
        """``run_groups`` in the running loop, its prober closed at the end (a one-off run)."""
        try:
            return list(await asyncio.gather(*self.calls(groups)))
        finally:
            if self._current is not None:
                await self._current.__aexit__(None, None, None)
                self._current = None

    async def _prober(self) -> _Prober:
        """The current generation's prober (HTTP session and pins), a new one past PINS_FOR: the
        calls of one generation share kept-alive connections and host lookups; a call keeps the
        one it started with, so its requests and redirects connect where its lookups said."""
        now = time.monotonic()
        if self._current is None or now - self._current_since > PINS_FOR:
            if self._current is not None and not self._users.get(self._current):
                await self._current.__aexit__(None, None, None)
                self._users.pop(self._current, None)
            self._current = await _Prober(self.concurrency).__aenter__()
            self._current_since = now
        self._users[self._current] = self._users.get(self._current, 0) + 1
        return self._current

    async def _done_with(self, prober: _Prober) -> None:
        self._users[prober] -= 1
        if not self._users[prober] and prober is not self._current:
            del self._users[prober]
            await prober.__aexit__(None, None, None)

    async def _run(
        self, checks, order, ahead, policies, limit, again: Again | None = None, early: Early | None = None
    ) -> list[Result]:
        """A call's checks through the gate. ``again`` is asked after each result: a check it
        wants probed once more goes back through the gate after its wait, ahead of every first
        probe (a confirmation does not wait for the rest of the run), and the call ends when no
        check is left to probe; a result's slot is the latest probe's.

        ``early`` is asked as each check's probe starts: a check still unanswered that many
        seconds later gets its next probe started beside it (a hedge), which ``again`` then has
        as its next one if it asks for one at once; else the hedge is cancelled. A dead target's
        two timeouts then end a pause apart, not one after the other."""
        timeout, gate = self.timeout, self._gate
        loop = asyncio.get_running_loop()
        results: list[Any] = [None] * len(checks)
        pending = iter(order)
        done = loop.create_future()
        left = len(checks)
        tasks = set()
        hedges: dict[int, _Hedge] = {}
        prober = await self._prober()

        def follow(index: int) -> tuple | None:
            try:
                return again(index, results[index]) if again is not None else None
            except Exception:  # a bad judge must not leave the call waiting forever
                logger.exception("probes: judging check %s's result failed", index)
                return None

        def hedge_after(index: int, window: float) -> float | None:
            try:
                after = early(index) if early is not None else None
            except Exception:  # no hedge then: the next probe follows the first, as without
                logger.exception("probes: asking for check %s's early probe failed", index)
                return None
            return after if after is not None and 0 < after < window else None

        async def run_one(index: int, bound: asyncio.Semaphore | None) -> None:
            check = checks[index]
            window = check.timeout or timeout
            after = hedge_after(index, window) if index not in hedges else None
            timer = loop.call_later(after, hedge, index) if after is not None else None
            try:
                results[index] = await prober.run(check, window, policies[index])
            finally:
                if timer is not None:
                    timer.cancel()
                gate.release()
                if bound is not None:
                    bound.release()
            await judge(index)

        async def judge(index: int) -> None:
            nonlocal left
            then = None
            try:
                if again is not None and results[index] is not None and not results[index].ok:
                    # A failure may be judged by the loop's stalls: let the watch record the one
                    # that may have just ended (its tick runs late, after it).
                    await asyncio.sleep(SETTLE)
                then = follow(index)
            finally:
                early_probe = hedges.pop(index, None)
                if then is not None and then[1] is None and early_probe is not None:
                    spawn(take(index, early_probe))
                else:
                    if early_probe is not None:
                        early_probe.drop()
                    if then is not None:
                        spawn(later(index, *then))
                    else:
                        left -= 1
                        if not left and not done.done():
                            done.set_result(None)
                    if limit:
                        submit_next()  # the call's own bound: one in, one out

        def hedge(index: int) -> None:
            early_probe = hedges[index] = _Hedge(loop.create_future())
            gate.submit(-1, functools.partial(start_hedge, index, early_probe))

        def start_hedge(index: int, early_probe: _Hedge) -> None:
            if early_probe.result.done():  # dropped while it waited for a slot
                gate.release()
                return
            task = early_probe.task = loop.create_task(probe_early(index, early_probe))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            # The slot comes back however the task ends, cancelled before its first step included.
            task.add_done_callback(lambda _task: gate.release())

        async def probe_early(index: int, early_probe: _Hedge) -> None:
            check = checks[index]
            result = await prober.run(check, check.timeout or timeout, policies[index])
            if not early_probe.result.done():
                early_probe.result.set_result(result)

        async def take(index: int, early_probe: _Hedge) -> None:
            results[index] = await early_probe.result
            await judge(index)

        async def later(index: int, wait: float, bound: asyncio.Semaphore | None) -> None:
            if wait > 0:
                await asyncio.sleep(wait)
            if bound is not None:
                await bound.acquire()
            gate.submit(-1, functools.partial(start, index, bound))

        def spawn(coroutine) -> None:
            task = loop.create_task(coroutine)
            tasks.add(task)
            task.add_done_callback(tasks.discard)

        def start(index: int, bound: asyncio.Semaphore | None = None) -> None:
            spawn(run_one(index, bound))

        def submit_next() -> None:
            index = next(pending, None)
            if index is not None:
                gate.submit(0 if index in ahead else 1, functools.partial(start, index))

        try:
            if not checks:
                return results
            for _ in range(limit or len(checks)):
                submit_next()
            await done
        finally:
            await self._done_with(prober)
        return results


class _Hedge:
    """A check's next probe started while its first is still unanswered (``LoopRunner._run``):
    its result when it has one; dropped (cancelled, or never started) when not needed."""

    def __init__(self, result: asyncio.Future) -> None:
        self.result = result
        self.task: asyncio.Task | None = None

    def drop(self) -> None:
        self.result.cancel()
        if self.task is not None:
            self.task.cancel()


class SharedEngine(LoopRunner):
    """An event loop in a daemon thread of its own; ``run_groups`` may be called from any other
    thread."""

    def __init__(self, concurrency: int, timeout: float) -> None:
        super().__init__(concurrency, timeout)
        self.watch = _RollingWatch()
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = threading.Thread(target=self._serve, name="probes-shared-loop", daemon=True)
        self._thread.start()
        self._ready.wait()

    def _serve(self) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._loop = loop
        self._ticker = loop.create_task(self.watch.watch())
        self._ready.set()
        loop.run_forever()

    def run_groups(self, groups: Sequence[tuple]) -> list[list[Result]]:
        """Run groups of (checks, limit, policies, first[, again[, early]]) side by side in the shared
        loop; a list of Results per group, in its checks' order. ``first``: indexes of a group's
        checks to start ahead of every call's other checks; ``limit``: at most this many of the
        group's checks at once (within the shared slots), None for no bound of its own;
        ``again`` and ``early``: see ``LoopRunner._run``."""
        return self.start(groups).result()

    def start(self, groups: Sequence[tuple]) -> concurrent.futures.Future:
        """``run_groups`` without waiting: a future of its lists of Results."""
        calls = self.calls(groups)
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(self._gather(calls), self._loop)

    @staticmethod
    async def _gather(calls) -> list[list[Result]]:
        return list(await asyncio.gather(*calls))
