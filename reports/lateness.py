"""Late reports: a report still unsubmitted after its due date is flagged once, and where the
contract prices lateness its breach is recorded and counts the days until it is submitted
(seed 000: 0.3% a day for a weekly report). The beat flags (reports.beat); a submission ends the
count (reports.services.submit)."""

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from contracts.models import Breach, Contract
from contracts.penalties import record_breach
from reports.models import Report, ReportRequirement


def requirement_for(contract: Contract, kind: str) -> ReportRequirement | None:
    return ReportRequirement.objects.filter(contract=contract, kind=kind).first()


def late_days(report: Report, day: dt.date) -> int:
    return (day - report.due_on).days if report.due_on else 0


def price_lateness(report: Report, *, submitted_on: dt.date) -> None:
    """A report submitted after its due date: its breach (if any) counts the days until now."""
    days = late_days(report, submitted_on)
    if days <= 0:
        return
    requirement = requirement_for(report.contract, report.kind)
    if requirement is None or not requirement.breach_kind:
        return
    breach, created = record_late(report, requirement, days)
    if not created and breach.days_late != days:
        # Flagged while it was missing with the days late then; the submission ends the count.
        Breach.objects.filter(pk=breach.pk).update(days_late=days)


def record_late(report: Report, requirement: ReportRequirement, days: int):
    return record_breach(
        report.contract,
        requirement.breach_kind,
        occurred_at=timezone.make_aware(dt.datetime.combine(report.due_on + dt.timedelta(days=1), dt.time())),
        source=Breach.Source.REPORT,
        source_ref=f"report:{report.pk}",
        days_late=days,
        note=_("%(report)s was due on %(due)s.") % {"report": report, "due": report.due_on},
    )


def flag_late_reports(today: dt.date | None = None) -> int:
    """Flag each report still unsubmitted after its due date, once, and record its breach where
    the contract prices lateness. Reads the partial index of unsubmitted, unflagged reports."""
    today = today or timezone.localdate()
    flagged = 0
    candidates = Report.objects.filter(
        due_on__lt=today, first_submitted_at__isnull=True, late_flagged_at__isnull=True
    ).select_related("contract")
    for report in candidates:
        with transaction.atomic():
            claimed = Report.objects.filter(pk=report.pk, late_flagged_at__isnull=True).update(
                late_flagged_at=timezone.now()
            )
            if not claimed:
                continue
            flagged += 1
            requirement = requirement_for(report.contract, report.kind)
            if requirement and requirement.breach_kind:
                record_late(report, requirement, late_days(report, today))
    count_missing_days(today)
    return flagged


def count_missing_days(today: dt.date) -> int:
    """A report still missing keeps counting: its breach's days late follow the calendar each
    day until it is submitted (seed 000: a weekly report 6 days missing is 6 days at 0.3%, and
    past 5 days the bureau may terminate), never more than today's count, so a rerun changes
    nothing. Returns how many breaches grew."""
    grown = 0
    missing = Report.objects.filter(
        due_on__lt=today, first_submitted_at__isnull=True, late_flagged_at__isnull=False
    ).values_list("pk", "due_on")
    for pk, due_on in missing:
        days = (today - due_on).days
        grown += Breach.objects.filter(
            source=Breach.Source.REPORT, source_ref=f"report:{pk}", days_late__lt=days
        ).update(days_late=days)
    return grown
