"""A prober whose own loop stalled (a busy CPU) does not blame the target for the time it lost
(issue 17): the stall is measured beside the probes and taken off a latency that failed its
limit; a target slower than its limit even so still fails."""

import asyncio
import datetime as dt
import time

from inspections.monitoring_chunk import _outcome
from inspections.probes import HttpCheck
from inspections.probes.results import Problem, Result, Status
from inspections.probes.stalls import StallWatch, watched

LATE = "Answered in %(latency_ms)s ms, limit %(limit_ms)s ms"


def test_the_watch_measures_how_long_the_loop_was_blocked():
    async def blocked():
        await asyncio.sleep(0.05)
        started = dt.datetime.now(dt.UTC)
        time.sleep(0.3)  # the loop can run nothing: as under a CPU taken by others
        await asyncio.sleep(0.05)
        return started, dt.datetime.now(dt.UTC)

    ([(started, finished)], watch) = asyncio.run(watched(blocked()))
    assert 0.25 <= watch.during(started, finished) <= 0.45
    # Outside the window, none of it.
    assert watch.during(finished + dt.timedelta(seconds=1), finished + dt.timedelta(seconds=2)) == 0


def slow_result(latency_ms: float, limit_ms: float, started: dt.datetime) -> Result:
    params = {"latency_ms": latency_ms, "limit_ms": limit_ms}
    return Result(
        check=HttpCheck("http://127.0.0.1:1/"),
        ok=False,
        status=Status.FAILED,
        message=LATE,
        params=params,
        values={"latency_ms": latency_ms, "http_status": 200},
        started=started,
        finished=started + dt.timedelta(milliseconds=latency_ms),
        problems=(Problem(LATE, params),),
    )


def test_a_latency_failure_the_stall_explains_is_no_failure():
    started = dt.datetime(2026, 6, 1, 9, tzinfo=dt.UTC)
    result = slow_result(1624.0, 1000, started)
    watch = StallWatch()
    # The loop stalled 900 ms inside the probe's window.
    watch.stalls.append(((started + dt.timedelta(milliseconds=1500)).timestamp(), 0.9))
    outcome = _outcome(result, watch)
    assert outcome.ok and outcome.problems == []
    assert outcome.values["latency_ms"] == 724.0 and outcome.values["prober_stall_ms"] == 900.0
    # Without the watch, or with a stall too short to explain it, the failure stands.
    assert not _outcome(result).ok
    short = StallWatch()
    short.stalls.append(((started + dt.timedelta(milliseconds=1500)).timestamp(), 0.3))
    kept = _outcome(result, short)
    assert (kept.ok, kept.params["latency_ms"]) == (False, 1624.0)
    # A stall outside the window explains nothing.
    elsewhere = StallWatch()
    elsewhere.stalls.append(((started - dt.timedelta(seconds=5)).timestamp(), 0.9))
    assert not _outcome(result, elsewhere).ok
