"""A process's own peak resident memory, for benches that measure a render or a sweep in a child.

``ru_maxrss`` is no good there: Linux carries it across ``exec``, so a child that multiprocessing
spawns reports at least the RSS its parent had when it forked (a bench's parent that rendered a
whole term of reports made every package child read 3.2 GB). ``VmHWM`` in /proc/self/status is the
high-water mark of this process's own address space, which ``exec`` starts afresh.
"""

import resource


def peak_mb(pid: int | str = "self") -> float:
    """The peak RSS in MB of this process, or of process ``pid`` (another program, such as
    blackbox_exporter), read while it runs."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        if pid != "self":
            return 0.0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # not Linux: the best there is
