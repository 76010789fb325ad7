"""Celery's entry points into automated inspections; the work is in inspections.monitoring."""

from celery import shared_task

from inspections import monitoring, retention


@shared_task(ignore_result=True)
def tick():
    """Beat, every minute: slots, missed rounds, due automated runs, lost chunks (idempotent)."""
    monitoring.tick()


@shared_task(ignore_result=True)
def run_chunk(run_id, check_ids):
    """Probe one chunk of a run's checks; a redelivered chunk saves nothing twice."""
    monitoring.run_chunk(run_id, check_ids)


@shared_task(ignore_result=True)
def purge_results():
    """Beat, daily: results past CHECK_RESULT_RETENTION_DAYS, in batches (a second run finds none)."""
    retention.purge()
