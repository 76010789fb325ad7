"""Celery's entry points into contracts; the work is in contracts.settlement."""

from celery import shared_task

from contracts import settlement


@shared_task(ignore_result=True)
def tick():
    """Beat, hourly: late payments and build delays brought up to today (a rerun writes nothing)."""
    settlement.settle()
