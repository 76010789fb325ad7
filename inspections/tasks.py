"""Celery's entry points into automated inspections; the work is in inspections.monitoring."""

from celery import shared_task
from django.db import connections

from inspections import monitoring, retention


@shared_task(ignore_result=True)
def tick():
    """Beat, every minute: slots, missed rounds, due automated runs, lost chunks (idempotent)."""
    monitoring.tick()


@shared_task(bind=True, ignore_result=True)
def run_chunk(self, run_id, check_ids):
    """Probe one chunk of a run's checks; a redelivered chunk saves nothing twice."""
    try:
        monitoring.run_chunk(run_id, check_ids)
    finally:
        # The probes worker's pool is threads (manage.py worker), each with its own connection:
        # closed after each chunk, so that idle threads hold none (and a broken one is not kept).
        if not self.request.is_eager:
            connections.close_all()


@shared_task(ignore_result=True)
def purge_results():
    """Beat, daily: results past CHECK_RESULT_RETENTION_DAYS, in batches (a second run finds none)."""
    retention.purge()
