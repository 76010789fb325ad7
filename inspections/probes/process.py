"""A probes worker's shared engine (``probes.shared``) in a process of its own.

The worker's threads read, build and save their chunks: CPU work under the worker's one GIL. With
the engine's event loop in a thread beside them, the loop waited for the interpreter whenever a
chunk held it, and a first run of 10,000 checks ended 1.7× later than the bare sweep: the run's
first probes were started late, and the loop's own watch measured a dead target's timeout as
stalled for up to 1.7 s of its 2 s (probed again, MAX_UNSURE). Here the loop has an interpreter
to itself and the worker's chunks use the other core.

A chunk's call sends its built checks, their target policies and its judge (a picklable object
with ``again``, ``early``, ``watch`` and ``outcomes``: ``monitoring_chunk._Confirmation``) down a
pipe; the engine's process judges each result in its loop, as the worker's thread did, and sends
back the judge's outcomes. The process is started with the spawn method (the worker has threads),
ends when the worker's end of the pipe closes, and is started again by the next call if it died;
the calls it was running then fail (``EngineGone``), and their checks are sent again by the beat's
sweep of stalled runs (``monitoring.sweep_stalled_runs``): a failed task is acknowledged.
"""

from __future__ import annotations

import itertools
import logging
import multiprocessing
import os
import pickle
import queue
import signal
import threading
from concurrent.futures import Future

__all__ = ["EngineGone", "EngineProcess", "engine_process"]

logger = logging.getLogger(__name__)


class EngineGone(RuntimeError):
    """The engine's process ended while a call waited for it."""


class EngineProcess:
    """The worker's end: ``run`` may be called from any thread; each call waits for its answer."""

    def __init__(self, concurrency: int, timeout: float) -> None:
        context = multiprocessing.get_context("spawn")
        self._pipe, theirs = context.Pipe()
        self.process = context.Process(
            target=_serve, args=(theirs, concurrency, timeout), name="probes-engine", daemon=True
        )
        self.process.start()
        theirs.close()
        self._calls: dict[int, Future] = {}
        self._ids = itertools.count()
        self._sending = threading.Lock()
        self._ended = False
        threading.Thread(target=self._read, name="probes-engine-reader", daemon=True).start()

    @property
    def alive(self) -> bool:
        return not self._ended and self.process.is_alive()

    def run(self, checks: list, limit: int | None, policies, first: list[int], judge) -> list:
        """Probe ``checks`` in the engine (see ``LoopRunner._run``), judged by ``judge``; returns
        the judge's outcomes as the engine's process left them."""
        # The call's id and its pickled payload apart: a payload the engine cannot read fails
        # this call, never leaves it waiting.
        payload = pickle.dumps((checks, limit, policies, list(first), judge))
        call, answer = next(self._ids), Future()
        self._calls[call] = answer
        try:
            with self._sending:
                self._pipe.send((call, payload))
        except (OSError, ValueError) as error:
            self._calls.pop(call, None)
            raise EngineGone("the probes engine's process is gone") from error
        if self._ended:  # ended meanwhile, before the reader could fail this call
            self._fail_all()
        return answer.result()

    def _read(self) -> None:
        while True:
            try:
                call, ok, value = self._pipe.recv()
            except (EOFError, OSError):
                break
            answer = self._calls.pop(call, None)
            if answer is None:
                continue
            if ok:
                answer.set_result(value)
            else:
                answer.set_exception(value)
        self._ended = True
        self._fail_all()

    def _fail_all(self) -> None:
        for call in list(self._calls):
            answer = self._calls.pop(call, None)
            if answer is not None and not answer.done():
                answer.set_exception(EngineGone("the probes engine's process ended during the call"))


def _serve(pipe, concurrency: int, timeout: float) -> None:
    """The engine's process: its calls come down ``pipe``; it ends when the worker's end closes."""
    import django

    # Ctrl-C in a terminal reaches the whole process group: the worker decides when this ends.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    django.setup()  # the judges and the checks are the project's classes
    from inspections.probes.shared import SharedEngine

    engine = SharedEngine(concurrency, timeout)
    answers: queue.SimpleQueue = queue.SimpleQueue()

    def send() -> None:  # a thread of its own: a large answer never blocks the loop
        while True:
            pipe.send(answers.get())

    threading.Thread(target=send, name="probes-engine-sender", daemon=True).start()
    while True:
        try:
            call, payload = pipe.recv()
        except (EOFError, OSError):
            return
        try:
            checks, limit, policies, first, judge = pickle.loads(payload)  # noqa: S301 — the worker's own
            judge.watch = engine.watch
            future = engine.start([(checks, limit, policies, first, judge.again, judge.early)])
        except Exception as error:  # bad input: this call fails, the engine goes on
            answers.put((call, False, _sendable(error)))
            continue
        future.add_done_callback(lambda done, call=call, judge=judge: answers.put(_answer(call, done, judge)))


def _answer(call: int, done, judge) -> tuple:
    error = done.exception()
    if error is not None:
        return call, False, _sendable(error)
    return call, True, judge.outcomes


def _sendable(error: BaseException) -> BaseException:
    # An exception that cannot be pickled (a library's with odd arguments) goes as its text.
    try:
        pickle.dumps(error)
    except Exception:
        return RuntimeError(f"{type(error).__name__}: {error}")
    return error


_engine: tuple[int, EngineProcess] | None = None
_engine_lock = threading.Lock()


def engine_process(concurrency: int, timeout: float) -> EngineProcess:
    """This worker's engine process (started on first use, or again if it ended)."""
    global _engine
    with _engine_lock:
        if _engine is None or _engine[0] != os.getpid() or not _engine[1].alive:
            if _engine is not None and _engine[0] == os.getpid():
                logger.warning("probes: the engine's process ended; starting another")
            _engine = (os.getpid(), EngineProcess(concurrency, timeout))
        return _engine[1]
