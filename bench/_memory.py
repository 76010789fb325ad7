"""A process's own peak resident memory, for benches that measure a render or a sweep in a child.

``ru_maxrss`` is no good there: Linux carries it across ``exec``, so a child that multiprocessing
spawns reports at least the RSS its parent had when it forked (a bench's parent that rendered a
whole term of reports made every package child read 3.2 GB). ``VmHWM`` in /proc/self/status is the
high-water mark of this process's own address space, which ``exec`` starts afresh.
"""

import os
import resource
import threading


def _proc_mb(path: str, field: str) -> float | None:
    """The first ``field:`` of a /proc file (kB there) in MB, None when it has none; OSError when
    the file cannot be read (the process has ended, or this is not Linux)."""
    with open(path) as lines:
        for line in lines:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return None


def peak_mb(pid: int | str = "self") -> float:
    """The peak RSS in MB of this process, or of process ``pid`` (another program, such as
    blackbox_exporter), read while it runs."""
    try:
        found = _proc_mb(f"/proc/{pid}/status", "VmHWM")
    except OSError:
        if pid != "self":
            return 0.0
        found = None
    if found is not None:
        return found
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # not Linux: the best there is


def pss_mb(pid: int) -> float:
    """Process ``pid``'s proportional share of resident memory (its own pages, and its share of
    those it shares with other processes, such as a fork's), in MB; 0 once it has ended."""
    try:
        return _proc_mb(f"/proc/{pid}/smaps_rollup", "Pss") or 0.0
    except OSError:
        return 0.0


def descendants(pid: int) -> list[int]:
    """The processes ``pid`` started, and theirs (Linux's /proc/<pid>/task/<tid>/children)."""
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        try:
            tasks = os.listdir(f"/proc/{parent}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                with open(f"/proc/{parent}/task/{task}/children") as children:
                    kids = [int(kid) for kid in children.read().split()]
            except OSError:
                continue
            found += kids
            todo += kids
    return found


class TreePeak:
    """The peak of the PSS of process ``pid`` and its descendants together, sampled every
    ``every`` seconds by a thread of this (another) process while the block runs: a render that
    lays out half its pages in a fork of itself uses both, and their shared pages count once."""

    def __init__(self, pid: int, every: float = 0.05):
        self.pid, self.every, self.mb = pid, every, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self):
        while not self._stop.is_set():
            total = sum(pss_mb(pid) for pid in [self.pid, *descendants(self.pid)])
            self.mb = max(self.mb, total)
            self._stop.wait(self.every)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
