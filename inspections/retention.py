"""How long automated checks' results are kept (CHECK_RESULT_RETENTION_DAYS).

10,000 checks every 5 minutes write about a billion results a year. The reports that need them
keep their own snapshot of the figures (Report.data, frozen at sign-off), so a result is needed
only until the longest period that reads it has been reported on: a year, plus the time its
report and acceptance take. Deleted in batches, one contract at a time along its (contract,
started_at) index, each batch its own short statement, so the beat's daily run never holds a
long lock and a second run finds nothing.
"""

import datetime as dt
import time

from django.conf import settings
from django.db import connection
from django.utils import timezone

from contracts.models import Contract
from inspections.models import CheckResult
from om_portal import audit

# A contract year and its annual report (due up to a month after the term) with room to spare.
MIN_RETENTION_DAYS = 400
BATCH = 5_000


def retention_days() -> int:
    return max(settings.CHECK_RESULT_RETENTION_DAYS, MIN_RETENTION_DAYS)


def purge(now=None, *, seconds: float = 120.0) -> int:
    """Delete the results older than the retention; stops after ``seconds`` (the next day's run
    goes on). Returns how many were deleted."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=retention_days())
    deadline = time.monotonic() + seconds
    deleted = 0
    for contract_id in Contract.objects.order_by("pk").values_list("pk", flat=True):
        while time.monotonic() < deadline:
            batch = _delete_batch(contract_id, cutoff)
            deleted += batch
            if batch < BATCH:
                break
    if deleted:
        audit.record_bulk("results_purge", CheckResult, deleted, detail={"before": cutoff.isoformat()})
    return deleted


def _delete_batch(contract_id: int, cutoff: dt.datetime) -> int:
    # One statement, not QuerySet.delete(): the audit trail's post_delete receiver would make
    # Django load and signal every row of a table that is not audited row by row.
    table = connection.ops.quote_name(CheckResult._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {table} WHERE id IN (SELECT id FROM {table} WHERE contract_id = %s"  # noqa: S608
            " AND started_at < %s ORDER BY started_at LIMIT %s)",
            [contract_id, cutoff, BATCH],
        )
        return cursor.rowcount
