"""Work done in a forked copy of this process, its result read back through a pipe (reports.parts
lays out the second half of a long PDF so, on the render worker's other core).

A fork, not a fresh process: the copy starts with what this one has loaded — Django, WeasyPrint,
the fonts, the report's data — and shares those pages until it writes to them, where a fresh
process would load them again (about 150 MB). The copy never returns into the caller's code: it
runs the work, writes the outcome and ends with ``os._exit``, so that no atexit handler, database
connection or Celery state of the parent's is run or closed from it. It dies with its parent (a
render killed at its hard time limit leaves nothing behind) and the parent kills it when it stops
waiting for it (``close``).
"""

import contextlib
import os
import pickle
import signal
import threading

PR_SET_PDEATHSIG = 1  # linux/prctl.h


class ForkedFailed(RuntimeError):
    """The copy raised, or ended without an outcome (killed: out of memory, or by hand)."""


def can_fork() -> bool:
    """Only from a process with one thread: a fork copies the calling thread alone, and a lock
    another thread held (Pango's, fontconfig's, logging's) would never be released in the copy.
    A render worker's child has one; a test process or a threaded server may not."""
    return hasattr(os, "fork") and threading.active_count() == 1


def _die_with(parent: int):
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent ended before the line above took effect
        os._exit(1)


class Forked:
    """``work()`` started in a forked copy; ``result()`` waits for its return value (picklable)."""

    def __init__(self, work):
        read, write = os.pipe()
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:
            os.close(read)
            code = 0
            try:
                _die_with(parent)
                try:
                    outcome = (True, work())
                except BaseException as exc:  # every failure goes back to the parent
                    outcome = (False, f"{type(exc).__name__}: {exc}")
                with os.fdopen(write, "wb") as out:
                    pickle.dump(outcome, out, protocol=pickle.HIGHEST_PROTOCOL)
            except BaseException:  # the pipe broke: the parent reads an end of file
                code = 1
            finally:
                os._exit(code)
        os.close(write)
        self.pid, self._read = pid, os.fdopen(read, "rb")

    def result(self):
        try:
            ok, value = pickle.load(self._read)  # noqa: S301 — written by our own fork, above
        except (EOFError, pickle.UnpicklingError) as exc:
            status = self._reap()
            raise ForkedFailed(f"the forked process ended without its result ({_how(status)})") from exc
        finally:
            self._read.close()
        self._reap()
        if not ok:
            raise ForkedFailed(value)
        return value

    def close(self):
        """Stop the copy if it still runs (the parent failed or was stopped meanwhile)."""
        if self.pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            self._reap()
        self._read.close()

    def _reap(self):
        if not self.pid:
            return None
        _pid, status = os.waitpid(self.pid, 0)
        self.pid = None
        return status


def _how(status) -> str:
    if status is None:
        return "no status"
    if os.WIFSIGNALED(status):
        return f"killed by {signal.Signals(os.WTERMSIG(status)).name}"
    return f"exit status {os.WEXITSTATUS(status)}"
