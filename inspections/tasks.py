"""Celery's entry points into automated inspections; the work is in inspections.monitoring."""

import datetime as dt

from celery import shared_task
from celery.signals import worker_ready
from django.conf import settings
from django.db import connections

from inspections import monitoring, monitoring_chunk, ondemand, retention


@worker_ready.connect
def _start_probes_engine(sender, **kwargs):
    """A probes worker (a pool of threads on the probes queue) starts its engine's process with
    itself: spawning it takes a second or two of imports, which a first run should not wait for."""
    queues = {queue.name for queue in sender.task_consumer.queues}
    threads = type(sender.pool).__module__ == "celery.concurrency.thread"
    if threads and settings.CELERY_QUEUES["probes"] in queues:
        monitoring_chunk.start_engine()


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
def run_check_now(check_id, requested_at):
    """Probe one check someone asked to run now; a redelivered request probes nothing twice."""
    ondemand.run_now(check_id, dt.datetime.fromisoformat(requested_at))


@shared_task(ignore_result=True)
def purge_results():
    """Beat, daily: results past CHECK_RESULT_RETENTION_DAYS, in batches (a second run finds none)."""
    retention.purge()
