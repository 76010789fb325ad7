"""The events the calendar brings rather than a person: payments coming due and overdue, and next
year's working-day calendar still missing. Run by the beat (``contracts.tasks.daily_events``);
each notice's key holds the day, and recording it is the claim (a unique key, inserted once), so
any number of runs a day make one notice per milestone and one for the calendar.
"""

import datetime as dt

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from contracts.models import Contract, Milestone
from contracts.notify import notify_event
from contracts.settlement import days_overdue
from contracts.worktime import known_years

# The State Council publishes next year's holidays late in the year; from this month on, a year
# not entered yet is worth an administrator's attention every day.
CALENDAR_NOTICE_MONTH = 11


def payment_reminders(today: dt.date) -> int:
    """One notice a day for each unpaid milestone of an active contract that falls due within
    PAYMENT_DUE_NOTICE_DAYS, or is overdue."""
    horizon = today + dt.timedelta(days=settings.PAYMENT_DUE_NOTICE_DAYS)
    milestones = (
        Milestone.objects.filter(
            due_on__isnull=False, due_on__lte=horizon, contract__status=Contract.Status.ACTIVE
        )
        .exclude(status=Milestone.Status.PAID)
        .select_related("contract")
        .order_by("due_on", "pk")
    )
    made = 0
    for milestone in milestones:
        overdue = milestone.due_on < today
        notice = notify_event(
            "payment.overdue" if overdue else "payment.due",
            milestone.contract,
            params={
                "milestone": milestone.name,
                "amount": f"{milestone.payable:,.2f}",
                "due": milestone.due_on.isoformat(),
                "days": days_overdue(milestone.due_on, None, today),
            },
            link=reverse("contracts:milestones", kwargs={"code": milestone.contract.code}),
            dedupe_key=f"payment:{milestone.pk}:{today.isoformat()}",
        )
        made += notice is not None
    return made


def calendar_reminder(today: dt.date) -> int:
    """Administrators hear, once a day from November, that next year's calendar is missing."""
    year = today.year + 1
    if today.month < CALENDAR_NOTICE_MONTH or year in known_years():
        return 0
    notice = notify_event(
        "calendar.missing",
        None,
        params={"year": year},
        link=reverse("admin:contracts_calendaryear_changelist"),
        dedupe_key=f"calendar.missing:{year}:{today.isoformat()}",
    )
    return int(notice is not None)


def run(today: dt.date | None = None) -> int:
    today = today or timezone.localdate()
    return payment_reminders(today) + calendar_reminder(today)
