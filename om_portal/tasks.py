from celery import shared_task

from om_portal import health, notifications


@shared_task(ignore_result=True)
def heartbeat():
    """Record that a worker is alive and consuming (scheduled by beat every minute)."""
    from celery import current_task

    health.record_heartbeat(current_task.request.hostname or "worker")


# The retry is raised by hand rather than with autoretry_for: Celery's retry_backoff is a whole
# number of seconds fixed at import, and the delay here comes from settings at run time
# (NOTIFICATION_RETRY_BASE_SECONDS), which tests and operators can change.
@shared_task(bind=True, max_retries=5, ignore_result=True)
def send_delivery(self, delivery_id):
    """One attempt at a delivery; transient failures come back with exponential backoff, and
    the last retry marks the delivery failed. Safe to run twice: see notifications.claim."""
    countdown = notifications.retry_delay(self.request.retries)
    try:
        notifications.send_delivery(
            delivery_id, final=self.request.retries >= self.max_retries, retry_in=countdown
        )
    except notifications.Transient as exc:
        raise self.retry(exc=exc, countdown=countdown) from exc


@shared_task(ignore_result=True)
def requeue_stalled_deliveries():
    """Re-enqueue deliveries whose message was lost (beat, every few minutes)."""
    notifications.requeue_stalled()


@shared_task(ignore_result=True)
def flush_notices(contract_code):
    """Send a contract's waiting notices (enqueued when one is recorded); once a minute at most."""
    from om_portal import digest

    digest.flush(contract_code)


@shared_task(ignore_result=True)
def flush_all_notices():
    """Beat, every minute: what waited for the minute to turn goes out as a digest."""
    from om_portal import digest

    digest.flush_all()


@shared_task(ignore_result=True)
def purge_audit():
    """Delete audit lines past their retention (beat, daily); a second run finds nothing."""
    from om_portal import audit

    audit.purge()


@shared_task(ignore_result=True)
def write_audit_anchor():
    """Write today's anchor of the audit trail (beat, daily); a rerun replaces it with the newer head."""
    from om_portal import audit_anchor

    audit_anchor.write()
