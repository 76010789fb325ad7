"""Entering a year's working-day schedule: the State Council's notice as the administrator reads it.

Each year's notice (国务院办公厅关于XXXX年部分节假日安排的通知) lists the holidays as ranges of days
off with the weekend days worked to make up for them (调休上班). ``save_notice`` takes the whole
notice at once and makes the year's ``CalendarDay`` overrides say exactly that, in one
transaction; ``mark_complete`` records that the year is entered in full, which from then on makes
the days not entered plain weekdays and weekends rather than the ``holidays`` package's estimate
(``worktime.Calendar``), and takes the year off the "calendar unknown" warnings (contracts.W001).
"""

import datetime as dt
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from contracts import worktime
from contracts.models import CalendarDay, CalendarYear, Contract, Milestone
from om_portal import audit

# The years a schedule may be entered for (the engine's range, as the calendar API's).
FIRST_YEAR, LAST_YEAR = 1970, 2099


@dataclass
class NoticeRow:
    """One line of the notice: a holiday's name, its days off (both included) and its make-up
    working days. A row may carry make-up days only (rarely, a swap without a range)."""

    name: str
    first: dt.date | None = None
    last: dt.date | None = None
    makeup: list[dt.date] = field(default_factory=list)

    def days_off(self) -> list[dt.date]:
        if self.first is None or self.last is None:
            return []
        return [self.first + dt.timedelta(days=n) for n in range((self.last - self.first).days + 1)]


def check_year(year: int) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValidationError(
            _("Give a year between %(first)s and %(last)s.") % {"first": FIRST_YEAR, "last": LAST_YEAR}
        )


def notice_errors(year: int, rows: list[NoticeRow]) -> dict[int, dict[str, list[str]]]:
    """Each row's errors by field ({row index: {field: [messages]}}), empty when the notice holds
    together: ranges in order and inside the year, no two holidays on one day, make-up days on
    weekends of the year and never inside a holiday."""
    errors: dict[int, dict[str, list[str]]] = {}

    def add(index, name, message):
        errors.setdefault(index, {}).setdefault(name, []).append(message)

    taken: dict[dt.date, int] = {}
    for index, row in enumerate(rows):
        if (row.first is None) != (row.last is None):
            missing = "last" if row.last is None else "first"
            add(index, missing, _("Give both the first and the last day off."))
            continue
        if row.first is None and not row.makeup:
            add(index, "first", _("Give the days off, the make-up working days, or both."))
            continue
        if row.first is not None:
            if row.last < row.first:
                add(index, "last", _("The last day off comes before the first."))
                continue
            outside = [d for d in (row.first, row.last) if d.year != year]
            if outside:
                add(
                    index,
                    "first" if row.first.year != year else "last",
                    _("%(date)s is not in %(year)s: enter it with its own year.")
                    % {"date": outside[0].isoformat(), "year": year},
                )
                continue
            for day in row.days_off():
                if day in taken:
                    add(
                        index,
                        "first",
                        _("%(date)s is already a day off of “%(other)s”.")
                        % {"date": day.isoformat(), "other": rows[taken[day]].name},
                    )
                    break
                taken[day] = index
    days_off = {day for row in rows for day in row.days_off()}
    seen: set[dt.date] = set()
    for index, row in enumerate(rows):
        for day in row.makeup:
            if day.year != year:
                add(
                    index,
                    "makeup",
                    _("%(date)s is not in %(year)s: enter it with its own year.")
                    % {"date": day.isoformat(), "year": year},
                )
            elif day in days_off:
                add(index, "makeup", _("%(date)s is a day off of this notice.") % {"date": day.isoformat()})
            elif day.weekday() < 5:
                # A weekday is worked anyway: a make-up day is a Saturday or a Sunday.
                add(
                    index,
                    "makeup",
                    _("%(date)s is a weekday: a make-up working day is a Saturday or a Sunday.")
                    % {"date": day.isoformat()},
                )
            elif day in seen:
                add(index, "makeup", _("%(date)s is given twice.") % {"date": day.isoformat()})
            seen.add(day)
    return errors


def overrides_of(year: int) -> list[CalendarDay]:
    return list(CalendarDay.objects.filter(date__year=year).order_by("date"))


def notice_of(year: int) -> list[NoticeRow]:
    """The year's overrides read back as the notice's rows, to edit: each run of consecutive
    days off under one name is a range, and each working day goes with the holiday of its name."""
    rows: list[NoticeRow] = []
    by_name: dict[str, NoticeRow] = {}
    days = overrides_of(year)
    for day in days:
        if day.is_working_day:
            continue
        last = rows[-1] if rows else None
        if last is not None and last.name == day.name and last.last == day.date - worktime.ONE_DAY:
            last.last = day.date
            continue
        row = NoticeRow(name=day.name, first=day.date, last=day.date)
        rows.append(row)
        by_name.setdefault(day.name, row)
    for day in days:
        if not day.is_working_day:
            continue
        row = by_name.get(day.name)
        if row is None:
            row = by_name[day.name] = NoticeRow(name=day.name)
            rows.append(row)
        row.makeup.append(day.date)
    return rows


def save_notice(year: int, rows: list[NoticeRow], *, by, source: str = "") -> dict[str, int]:
    """Make ``year``'s overrides exactly the notice's days, in one transaction, as one line of
    the audit trail; the payment milestones due in working days follow the new calendar.
    Raises ValidationError (its ``rows``: {row index: {field: messages}}) when the notice does
    not hold together; returns the counts of days off and make-up days."""
    check_year(year)
    errors = notice_errors(year, rows)
    if errors:
        refusal = ValidationError(_("The notice has errors; see the rows."))
        refusal.rows = errors
        raise refusal
    wanted: dict[dt.date, tuple[bool, str]] = {}
    for row in rows:
        for day in row.days_off():
            wanted[day] = (False, row.name)
        for day in row.makeup:
            wanted[day] = (True, row.name)
    try:
        with transaction.atomic():
            # Lock the year's rows: of two administrators saving at once, the second waits and
            # then replaces the first's days with its own, rather than interleaving them.
            list(CalendarDay.objects.select_for_update().filter(date__year=year).values_list("pk"))
            removed, _by_model = CalendarDay.objects.filter(date__year=year).delete()
            CalendarDay.objects.bulk_create(
                CalendarDay(date=day, is_working_day=working, name=name)
                for day, (working, name) in sorted(wanted.items())
            )
            counts = {
                "days_off": sum(1 for working, _n in wanted.values() if not working),
                "makeup_days": sum(1 for working, _n in wanted.values() if working),
            }
            audit.record(
                "calendar_entered",
                user=by,
                detail={
                    "year": year,
                    "source": source,
                    "replaced": removed,
                    **counts,
                    "holidays": [
                        {
                            "name": row.name,
                            "from": row.first.isoformat() if row.first else "",
                            "to": row.last.isoformat() if row.last else "",
                            "makeup": [d.isoformat() for d in row.makeup],
                        }
                        for row in rows
                    ],
                },
            )
            follow_calendar(year)
    except IntegrityError:
        # Another administrator added a day of this year between the lock and the insert.
        raise ValidationError(
            _("Someone saved this year's calendar at the same time: reload and check.")
        ) from None
    return counts


def mark_complete(year: int, *, by, source: str = "") -> CalendarYear:
    """Record that ``year``'s schedule is entered in full. Refused for a year the ``holidays``
    package publishes (its schedule is known already) and for a year without a single day off
    entered (marking it would make every public holiday of that year a working day)."""
    check_year(year)
    if year in worktime.official_years():
        raise ValidationError(
            _("The published schedule of %(year)s is known already: there is nothing to complete.")
            % {"year": year}
        )
    if not CalendarDay.objects.filter(date__year=year, is_working_day=False).exists():
        raise ValidationError(
            _(
                "Enter the holidays of %(year)s first: marked complete without them, every day of %(year)s "
                "but the weekends would be a working day."
            )
            % {"year": year}
        )
    with transaction.atomic():
        entry, _created = CalendarYear.objects.update_or_create(year=year, defaults={"source": source})
        follow_calendar(year)
    return entry


def reopen(year: int, *, by) -> bool:
    """Take back a year's "complete": its days not entered are the package's estimate again."""
    with transaction.atomic():
        deleted, _by_model = CalendarYear.objects.filter(year=year).delete()
        if deleted:
            follow_calendar(year)
    return bool(deleted)


def follow_calendar(year: int) -> dict[str, int]:
    """Everything dated by counting working days or business hours through ``year`` follows the
    calendar as it now stands: the unpaid payments here, and the stored dates of the upper apps
    (an open incident's SLA deadlines, a report's submission date), which give a
    ``calendar_changed(year)`` on their AppConfig (this lower app imports none of them). Runs in
    the caller's transaction; returns how many of each were refreshed."""
    from django.apps import apps

    refreshed = {"contracts": refresh_working_day_milestones(year)}
    for config in apps.get_app_configs():
        if hasattr(config, "calendar_changed"):
            refreshed[config.label] = config.calendar_changed(year)
    return refreshed


def refresh_working_day_milestones(year: int) -> int:
    """Recompute the due dates of the unpaid payments counted in working days that the year's
    calendar can move (due in that year or the next, or not computed yet): they were counted on
    the calendar as it stood. Returns how many contracts were refreshed."""
    from contracts.services import refresh_due_dates

    contracts = (
        Milestone.objects.filter(offset_unit=Milestone.OffsetUnit.WORKING_DAYS)
        .exclude(status=Milestone.Status.PAID)
        .filter(due_on__year__in=[year, year + 1])
        .values_list("contract", flat=True)
        .distinct()
    )
    refreshed = 0
    for contract in Contract.objects.filter(pk__in=list(contracts)):
        refresh_due_dates(contract)
        refreshed += 1
    return refreshed


def year_months(year: int) -> list[dict]:
    """The year as twelve month grids for the page: each a list of weeks (Monday first), each
    day the engine's answer (``worktime.calendar_days``) or None outside the month."""
    days = worktime.calendar_days(dt.date(year, 1, 1), dt.date(year, 12, 31))
    months = []
    for month in range(1, 13):
        in_month = [day for day in days if day["date"].month == month]
        weeks, week = [], [None] * in_month[0]["date"].weekday()
        for day in in_month:
            week.append(day)
            if len(week) == 7:
                weeks.append(week)
                week = []
        if week:
            weeks.append(week + [None] * (7 - len(week)))
        months.append({"month": month, "weeks": weeks})
    return months


def year_status(year: int) -> str:
    """Where the year's days come from: ``official`` (the package knows the published schedule),
    ``complete`` (an administrator entered it in full) or ``estimate`` (neither: the package's
    rules, without the 调休)."""
    if year in worktime.official_years():
        return "official"
    if CalendarYear.objects.filter(year=year).exists():
        return "complete"
    return "estimate"
