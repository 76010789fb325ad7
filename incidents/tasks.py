from celery import shared_task

from incidents import checker, escalation, knowledge


@shared_task(ignore_result=True)
def check_sla_deadlines():
    """Beat, every minute: warn before and record breaches after SLA deadlines, and record the
    consultations left unanswered past their reply deadline (each idempotent)."""
    done = checker.check_deadlines()
    done["consultations"] = knowledge.check_consultations()
    return done


@shared_task(ignore_result=True)
def escalate(now=None):
    """Beat, every minute: fire the escalation steps that came due on unacknowledged incidents
    (each claimed once, whoever runs). ``now`` is for tests moving time."""
    return escalation.sweep(now=now)
