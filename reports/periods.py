"""Report periods: which days a weekly, monthly... report covers, and when it is due.

Each kind's module (``reports.kinds``) says how its periods fall: weeks run Monday to Sunday,
months, quarters and half years by the calendar, a year is the contract year (from the term's
start, seed 003: 2026-05-29 to 2027-05-28). Here is what all kinds share: a period is clipped to
the term, so the first weekly report of a term that starts on a Friday covers three days.
"""

import datetime as dt
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from contracts import worktime
from contracts.models import Contract, Milestone
from reports import kinds

if TYPE_CHECKING:
    from reports.models import ReportRequirement

ONE_DAY = dt.timedelta(days=1)


def month_end(year: int, month: int) -> dt.date:
    """The last day of ``month`` (which may run past 12: month 14 of 2026 is February 2027)."""
    return (dt.date(year + month // 12, month % 12 + 1, 1)) - ONE_DAY


def days(start: dt.date, end: dt.date) -> str:
    """ "(06-01–06-07)": a period's days, as its name adds them."""
    return f"({start:%m-%d}–{end:%m-%d})"


def calendar_period(contract: Contract, kind: str, day: dt.date) -> tuple[dt.date, dt.date]:
    """The period of ``kind`` holding ``day``, before clipping to the term (the kind's module
    says how it counts)."""
    return kinds.get(kind).period(contract, day)


def clip_to_term(contract: Contract, start: dt.date, end: dt.date) -> tuple[dt.date, dt.date] | None:
    """The part of the period inside the term, or None when there is none."""
    if contract.starts_on:
        start = max(start, contract.starts_on)
    if contract.ends_on:
        end = min(end, contract.ends_on)
    return (start, end) if start <= end else None


def period_of(contract: Contract, kind: str, day: dt.date) -> tuple[dt.date, dt.date] | None:
    return clip_to_term(contract, *calendar_period(contract, kind, day))


def check_period(contract: Contract, start: dt.date, end: dt.date) -> None:
    """Refuse a period that is reversed or reaches outside the contract's term."""
    if end < start:
        raise ValidationError({"period_end": _("The period cannot end before it starts.")})
    errors = {}
    if contract.starts_on and start < contract.starts_on:
        errors["period_start"] = _("The period starts before the term (%(date)s).") % {
            "date": contract.starts_on
        }
    if contract.ends_on and end > contract.ends_on:
        errors["period_end"] = _("The period ends after the term (%(date)s).") % {"date": contract.ends_on}
    if errors:
        raise ValidationError(errors)


def closed_periods(
    contract: Contract, kind: str, today: dt.date, *, within_days: int
) -> list[tuple[dt.date, dt.date]]:
    """The periods of ``kind`` that closed before ``today`` and ended in the last ``within_days``
    days, oldest first: what the beat should have reports for (a few, to catch up after a stop)."""
    periods = []
    day = today - ONE_DAY
    horizon = today - dt.timedelta(days=within_days)
    while day >= horizon:
        period = period_of(contract, kind, day)
        start, end = calendar_period(contract, kind, day)
        if period and end < today:
            periods.append(period)
        day = start - ONE_DAY
        if contract.starts_on and day < contract.starts_on:
            break
    return sorted(set(periods))


def due_date(requirement: "ReportRequirement | None", period_end: dt.date) -> dt.date | None:
    """The last day the report may be submitted; None when no requirement sets one."""
    if requirement is None:
        return None
    if requirement.due_unit == Milestone.OffsetUnit.WORKING_DAYS:
        return worktime.add_working_days(period_end, requirement.due_offset)
    return period_end + dt.timedelta(days=requirement.due_offset)


def refresh_due_dates_for_calendar(year: int) -> int:
    """The reports not yet submitted whose due date counts working days through ``year`` (their
    period ended in it, or shortly before it) get the due date the calendar now gives. Returns how
    many changed."""
    from reports.models import Report, ReportRequirement

    requirements = {
        (r.contract_id, r.kind): r
        for r in ReportRequirement.objects.filter(due_unit=Milestone.OffsetUnit.WORKING_DAYS)
    }
    if not requirements:
        return 0
    calendar = worktime.Calendar(range(year - 1, year + 2))
    reports = Report.objects.filter(
        status__in=[Report.Status.DRAFT, Report.Status.RETURNED],
        contract_id__in={contract_id for contract_id, _kind in requirements},
        period_end__gte=dt.date(year - 1, 10, 1),  # a due date counted into ``year``
        period_end__lte=dt.date(year, 12, 31),
    )
    changed = []
    for report in reports:
        requirement = requirements.get((report.contract_id, report.kind))
        if requirement is None:
            continue
        due_on = worktime.add_working_days(report.period_end, requirement.due_offset, calendar)
        if due_on != report.due_on:
            report.due_on = due_on
            changed.append(report)
    Report.objects.bulk_update(changed, ["due_on"])
    return len(changed)
