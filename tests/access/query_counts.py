"""How many SQL queries each route costs each role, against a committed baseline.

The access matrix sends every route's request as every role of organisation A; the queries of
that one request (not the matrix's own before/after snapshots) are counted and compared with
``query_counts.json`` beside this file: a count above its baseline fails the case, so a query
per row, per right or per menu entry shows up in review. Fewer queries pass; re-record to lock
the gain in.

Re-record (after adding a route, or when a new query is wanted) with the whole matrix::

    RECORD_QUERY_COUNTS=1 python -m pytest tests/access

and commit the changed file. Recording merges what this run measured into the file (parallel
workers take turns under a lock) and drops the cases the matrix no longer has.

Counts are deterministic: the world is the same on every run, each request is made in a
savepoint that is rolled back, the process-wide content-type cache is emptied and the session's
last activity refreshed before each counted request, so a request counts the same whichever test
ran before it in the process and however long the run has taken.
"""

import fcntl
import json
import os
import time
from pathlib import Path

from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.test.utils import CaptureQueriesContext

from om_portal.auth.middleware import LAST_SEEN_KEY

BASELINE = Path(__file__).with_name("query_counts.json")
RECORDING = os.environ.get("RECORD_QUERY_COUNTS", "") not in ("", "0")
HOW_TO_RECORD = "re-record with RECORD_QUERY_COUNTS=1 python -m pytest tests/access"

_baseline: dict | None = None
measured: dict[str, dict[str, int]] = {}


def counted(send, session_key=None):
    """``send()``'s answer and the number of queries it made, from a cold content-type cache.

    The session's last activity is made now first (outside the count): the portal writes it to
    the session at most once a minute, so otherwise a request would cost three queries more
    when it came more than a minute after the world's log-in, i.e. depending on how fast the
    machine is and on which tests ran before it."""
    if session_key:
        session = SessionStore(session_key=session_key)
        session[LAST_SEEN_KEY] = int(time.time())
        session.save()
    ContentType.objects.clear_cache()
    with CaptureQueriesContext(connection) as queries:
        response = send()
    return response, len(queries)


def check(case_id: str, role: str, count: int) -> str | None:
    """A problem if ``count`` exceeds the baseline of ``role`` on the case (or there is none)."""
    measured.setdefault(case_id, {})[role] = count
    if RECORDING:
        return None
    expected = baseline().get(case_id, {}).get(role)
    if expected is None:
        return f"{count} queries and no baseline in {BASELINE.name}: {HOW_TO_RECORD}"
    if count > expected:
        return f"{count} queries, {count - expected} more than its baseline of {expected}: {HOW_TO_RECORD}"
    return None


def baseline() -> dict:
    global _baseline
    if _baseline is None:
        _baseline = json.loads(BASELINE.read_text()) if BASELINE.exists() else {}
    return _baseline


def write(known_cases: set[str]) -> None:
    """Merge this process's counts into the file, keeping only cases the matrix still has."""
    if not measured:
        return
    # The file itself is the lock (another worker's write_text truncates the same inode).
    with BASELINE.open("a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        text = BASELINE.read_text()
        counts = json.loads(text) if text.strip() else {}
        for case_id, roles in measured.items():
            counts.setdefault(case_id, {}).update(roles)
        counts = {case_id: counts[case_id] for case_id in sorted(counts) if case_id in known_cases}
        # One line per case: a change to a route's cost reads as a one-line diff.
        lines = [
            f"  {json.dumps(case_id, ensure_ascii=False)}: {json.dumps(dict(sorted(roles.items())))}"
            for case_id, roles in counts.items()
        ]
        BASELINE.write_text("{\n" + ",\n".join(lines) + "\n}\n")
