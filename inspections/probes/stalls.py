"""How long the prober itself could not run: a busy CPU (other processes, other threads holding
the GIL) delays an event loop's callbacks, and every answer that arrived meanwhile is measured
that much slower than the target gave it. ``StallWatch`` ticks in the loop beside the probes and
records how late each tick woke; ``during(start, end)`` is the time of a probe's window that the
loop spent stalled, which a latency measured in that window should not count against the target.
"""

import asyncio
import datetime as dt
import time
from collections.abc import Awaitable
from typing import Any

TICK = 0.005  # seconds between ticks: fine enough for limits of tens of milliseconds


class StallWatch:
    def __init__(self) -> None:
        self.stalls: list[tuple[float, float]] = []  # (wall-clock second it ended, its length)

    async def watch(self) -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(TICK)
            late = time.perf_counter() - before - TICK
            if late > TICK:  # scheduling noise below a tick is no stall
                self.stalls.append((time.time(), late))

    def during(self, start: dt.datetime, end: dt.datetime) -> float:
        """Seconds of [start, end] (a result's ``started``, ``finished``) the loop was stalled."""
        begin, finish = start.timestamp(), end.timestamp()
        return sum(max(0.0, min(at, finish) - max(at - late, begin)) for at, late in self.stalls)


async def watched(*runs: Awaitable[Any], watch: StallWatch | None = None) -> tuple[list[Any], StallWatch]:
    """Await the runs side by side with a StallWatch (``watch``, or a new one) ticking beside them."""
    watch = watch if watch is not None else StallWatch()
    ticker = asyncio.create_task(watch.watch())
    try:
        results = await asyncio.gather(*runs)
    finally:
        ticker.cancel()
    return list(results), watch
