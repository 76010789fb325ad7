"""Celery's entry points into contracts; the work is in contracts.settlement."""

from celery import shared_task

from contracts import settlement


@shared_task(ignore_result=True)
def tick():
    """Beat, hourly: late payments and build delays brought up to today (a rerun writes nothing)."""
    settlement.settle()


@shared_task(ignore_result=True)
def daily_events():
    """Beat: payments coming due or overdue, next year's calendar missing; one notice a day each."""
    from contracts import reminders

    reminders.run()


@shared_task(ignore_result=True)
def read_upload(upload_id):
    """Read an uploaded contract and extract its proposals; a second delivery does nothing."""
    from contracts.intake import flow

    flow.run_reading(upload_id)
