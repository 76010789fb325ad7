"""Report periods: which days a weekly, monthly... report covers, and when it is due.

Weeks run Monday to Sunday, months, quarters and half years by the calendar; a year is the
contract year (from the term's start, seed 003: 2026-05-29 to 2027-05-28). A period is clipped
to the term, so the first weekly report of a term that starts on a Friday covers three days.
"""

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from contracts import worktime
from contracts.models import Contract, Milestone
from contracts.services import contract_year
from reports.models import ReportKind, ReportRequirement

ONE_DAY = dt.timedelta(days=1)


def _month_end(year: int, month: int) -> dt.date:
    return (dt.date(year + month // 12, month % 12 + 1, 1)) - ONE_DAY


def calendar_period(contract: Contract, kind: str, day: dt.date) -> tuple[dt.date, dt.date]:
    """The period of ``kind`` holding ``day``, before clipping to the term."""
    if kind == ReportKind.WEEKLY:
        start = day - dt.timedelta(days=day.weekday())
        return start, start + dt.timedelta(days=6)
    if kind == ReportKind.MONTHLY:
        return day.replace(day=1), _month_end(day.year, day.month)
    if kind == ReportKind.QUARTERLY:
        first = 3 * ((day.month - 1) // 3) + 1
        return dt.date(day.year, first, 1), _month_end(day.year, first + 2)
    if kind == ReportKind.HALF_YEARLY:
        first = 1 if day.month <= 6 else 7
        return dt.date(day.year, first, 1), _month_end(day.year, first + 5)
    if kind == ReportKind.ANNUAL:
        return contract_year(contract, day)
    raise ValueError(f"unknown report kind {kind!r}")


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


def due_date(requirement: ReportRequirement | None, period_end: dt.date) -> dt.date | None:
    """The last day the report may be submitted; None when no requirement sets one."""
    if requirement is None:
        return None
    if requirement.due_unit == Milestone.OffsetUnit.WORKING_DAYS:
        return worktime.add_working_days(period_end, requirement.due_offset)
    return period_end + dt.timedelta(days=requirement.due_offset)
