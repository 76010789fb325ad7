from celery import shared_task

from incidents import checker


@shared_task(ignore_result=True)
def check_sla_deadlines():
    """Beat, every minute: warn before and record breaches after SLA deadlines (idempotent)."""
    return checker.check_deadlines()
