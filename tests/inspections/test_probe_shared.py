"""A probes worker's threads hand their chunks' checks to one event loop (issue 17): they share
its slots, the checks marked first (last time's failures, confirmations) start ahead of every
other call's, and the calls of a generation share kept-alive connections; a later generation
looks hosts up again."""

import datetime as dt
import socket
import threading
import time

import pytest

from inspections.probes import HttpCheck, Status
from inspections.probes import shared as shared_module
from inspections.probes.guard import TargetPolicy
from inspections.probes.shared import SharedEngine, _RollingWatch
from inspections.probes.stalls import StallWatch
from tests.inspections import targets

LOOPBACK = TargetPolicy(allow_internal=True)


@pytest.fixture
def silent():
    """A port that accepts connections and never answers (the kernel's backlog accepts them)."""
    listener = socket.create_server(("127.0.0.1", 0), backlog=128)
    yield listener.getsockname()[1]
    listener.close()


def in_thread(function):
    out = []
    thread = threading.Thread(target=lambda: out.append(function()))
    thread.start()
    return thread, out


def test_calls_from_threads_share_the_slots_and_first_checks_go_ahead_of_other_calls(silent):
    engine = SharedEngine(concurrency=2, timeout=1.0)
    url = f"http://127.0.0.1:{silent}/"
    others = [HttpCheck(url + f"other/{n}") for n in range(4)]
    failing = [HttpCheck(url + f"failing/{n}") for n in range(2)]
    thread_a, out_a = in_thread(lambda: engine.run_groups([(others, None, LOOPBACK, ())]))
    wait_for(lambda: len(engine._gate._waiting) == 2)  # A's first two hold both slots, two wait
    thread_b, out_b = in_thread(lambda: engine.run_groups([(failing, None, LOOPBACK, [0, 1])]))
    wait_for(lambda: len(engine._gate._waiting) == 4)  # B's two wait too
    thread_a.join()
    thread_b.join()
    [a], [b] = out_a[0], out_b[0]
    assert [r.status for r in a + b] == [Status.TIMEOUT] * 6
    # Two at a time for both calls: B's first checks took the slots A's first two gave back,
    # before A's last two, though A asked first.
    assert max(r.started for r in b) < min(r.started for r in a[2:])
    assert min(r.started for r in a[2:]) >= max(r.finished for r in b) - dt.timedelta(milliseconds=100)


def wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "not within the time"
        time.sleep(0.005)


def test_a_group_limit_bounds_its_own_checks_within_the_shared_slots(silent):
    engine = SharedEngine(concurrency=10, timeout=0.2)
    checks = [HttpCheck(f"http://127.0.0.1:{silent}/{n}") for n in range(4)]
    started = time.monotonic()
    [results] = engine.run_groups([(checks, 2, LOOPBACK, ())])
    assert [r.status for r in results] == [Status.TIMEOUT] * 4
    assert time.monotonic() - started >= 0.38  # two rounds of two


def test_the_calls_of_a_generation_share_a_session_and_a_later_one_gets_its_own(monkeypatch):
    web = targets.Web()
    try:
        engine = SharedEngine(concurrency=5, timeout=2)
        [[first]] = engine.run_groups([([HttpCheck(web.url("/health"))], None, LOOPBACK, ())])
        prober = engine._current
        [[second]] = engine.run_groups([([HttpCheck(web.url("/health"))], None, LOOPBACK, ())])
        assert first.ok and second.ok
        assert engine._current is prober  # the same pins and kept-alive connections
        monkeypatch.setattr(shared_module, "PINS_FOR", 0.0)
        [[third]] = engine.run_groups([([HttpCheck(web.url("/error"))], None, LOOPBACK, ())])
        assert third.status == Status.FAILED
        assert engine._current is not prober  # looked up again
        assert prober not in engine._users  # the old one closed once no call used it
    finally:
        web.close()


def test_the_rolling_watch_reads_a_window_as_the_plain_watch_does():
    plain, rolling = StallWatch(), _RollingWatch()
    base = dt.datetime(2026, 6, 1, 9, tzinfo=dt.UTC)
    for offset, late in [(0.5, 0.2), (1.0, 0.9), (3.0, 0.1), (10.0, 2.0)]:
        stall = ((base + dt.timedelta(seconds=offset)).timestamp(), late)
        plain.stalls.append(stall)
        rolling.stalls.append(stall)
        rolling._longest = max(rolling._longest, late)
    for start, end in [(0, 1), (0.4, 0.6), (2, 4), (8.5, 9), (7, 12), (11, 12)]:
        window = (base + dt.timedelta(seconds=start), base + dt.timedelta(seconds=end))
        assert rolling.during(*window) == pytest.approx(plain.during(*window))


def test_a_check_asked_again_goes_ahead_of_the_first_probes_still_waiting(silent):
    """A confirmation (``again``) is probed as soon as it is due, ahead of the call's checks
    still waiting for a slot, not after them all (issue 17: a dead target's second timeout
    overlaps the sweep)."""
    engine = SharedEngine(concurrency=2, timeout=0.3)
    checks = [HttpCheck(f"http://127.0.0.1:{silent}/{n}") for n in range(8)]
    seen = []

    def again(index, result):
        if index == 0 and not seen:
            seen.append(result)
            return 0.0, None  # once more, at once
        return None

    [results] = engine.run_groups([(checks, None, LOOPBACK, range(8), again)])
    assert [r.status for r in results] == [Status.TIMEOUT] * 8
    (first,) = seen
    assert results[0].started >= first.finished  # the slot holds the second probe's result
    # Two slots, 0.3 s a probe: 0 and 1, then 2 and 3, then 0 again beside 4, before 5.
    assert results[0].started < min(r.started for r in results[5:])


def free_slots_come_back(engine, slots):
    deadline = time.monotonic() + 5
    while engine._gate._free != slots:
        assert time.monotonic() < deadline, f"{engine._gate._free} of {slots} slots free"
        time.sleep(0.005)


def test_a_probe_still_unanswered_after_early_gets_its_next_probe_started_beside_it(silent):
    """``early``: a dead target's confirming probe starts a pause after its first, while the first
    is still waiting; when the first times out, ``again`` has that one as its next probe. The two
    timeouts end a pause apart, not one after the other (issue 17's first run)."""
    engine = SharedEngine(concurrency=4, timeout=0.6)
    checks = [HttpCheck(f"http://127.0.0.1:{silent}/dead")]
    seen = []

    def again(index, result):
        seen.append(result)
        return (0.0, None) if len(seen) == 1 else None

    [results] = engine.run_groups([(checks, None, LOOPBACK, (), again, lambda index: 0.2)])
    first, second = seen
    assert (first.status, second.status) == (Status.TIMEOUT, Status.TIMEOUT)
    assert second.started < first.finished  # beside it, not after it
    assert second.started - first.started >= dt.timedelta(seconds=0.2)  # still a pause apart
    assert results[0] is second
    free_slots_come_back(engine, 4)


@pytest.mark.parametrize("slots", [2, 1])
def test_an_early_probe_the_first_answer_makes_needless_is_dropped_and_its_slot_given_back(slots):
    """A slow target that answers after the pause: its early probe, started (2 slots) or still
    waiting for a slot (1), is dropped when the first probe's answer needs no confirmation; the
    answer kept is the first one's and every slot comes back."""
    web = targets.Web()
    try:
        web.answer_after("/slow", 0.4)
        engine = SharedEngine(concurrency=slots, timeout=2)
        seen = []

        def again(index, result):
            seen.append(result)
            return None

        [[result]] = engine.run_groups(
            [([HttpCheck(web.url("/slow"))], None, LOOPBACK, (), again, lambda i: 0.1)]
        )
        assert result.ok and seen == [result]
        free_slots_come_back(engine, slots)
        assert web.hits["/slow"] == (2 if slots == 2 else 1)  # one slot: the early probe never started
    finally:
        web.close()
