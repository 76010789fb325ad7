from celery import shared_task

from om_portal import health


@shared_task(ignore_result=True)
def heartbeat():
    """Record that a worker is alive and consuming (scheduled by beat every minute)."""
    from celery import current_task

    health.record_heartbeat(current_task.request.hostname or "worker")
