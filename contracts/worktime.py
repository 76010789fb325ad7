"""China's working-time calendar: working days, business hours and SLA deadlines.

A day is a working day by, in order:

1. an administrator's ``CalendarDay`` override for that date;
2. for a year marked complete in ``CalendarYear`` that the ``holidays`` package does not know,
   the plain week (Monday–Friday), since the administrator's rows *are* that year's schedule;
3. the official calendar of ``holidays.China``: public holidays and their swapped days off are
   off, weekends are off except the weekend days made working days by a swap (调休).

For years the package has no 调休 data for (see ``official_years()``), step 3 is only the
package's estimate; the system check ``contracts.W001`` warns about contracts that run into them.

Conventions:

* ``add_working_days(start, n)`` returns the n-th working day *after* ``start``; ``n = 0`` returns
  ``start`` itself if it is a working day, else the next working day. "Pay within 10 working
  days of signing" is due on ``add_working_days(signed_on, 10)``.
* Business hours are the half-open interval ``[day_starts, day_ends)``; time outside them does
  not count, and a clock started outside them starts at the next opening.
* A target in working days ends at ``day_ends`` of the n-th working day after the start's date.
* Datetimes are read and returned in Beijing time (Asia/Shanghai, no DST); a naive datetime is
  taken to be Beijing time already.

Every function takes an optional ``Calendar``; pass one when asking about many days, so the
overrides are read once per year rather than once per call.
"""

import datetime as dt
from collections.abc import Iterable
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

# The official calendar and the contracts' business hours are Beijing time, whatever zone a
# user has activated for display.
CHINA_TZ = ZoneInfo("Asia/Shanghai")

# The values of contracts.models.Coverage and TargetUnit, repeated so this module imports no models.
ALWAYS, WORKING_DAYS, EVERY_DAY = "7x24", "5x8", "7x8"
MINUTES, HOURS, CALENDAR_DAYS, WORKING_DAYS_UNIT = "minutes", "hours", "calendar_days", "working_days"

ONE_DAY = dt.timedelta(days=1)


@lru_cache(maxsize=1)
def official_years() -> frozenset[int]:
    """Years whose official schedule the ``holidays`` package holds, not just estimates.

    China announces each year's holidays with their swapped working weekends; the package records
    those announcements in its special-holiday tables. A year without any is computed by rule
    only (holidays 0.109: 2027 has its festivals but none of the 调休).
    """
    china = holidays.China()
    return frozenset(china.special_public_holidays) | frozenset(china.special_public_holidays_observed)


def known_years() -> set[int]:
    """Years with a trustworthy schedule: the package's plus those an administrator completed."""
    from contracts.models import CalendarYear

    return set(official_years()) | set(CalendarYear.objects.values_list("year", flat=True))


class Calendar:
    """China's working days with the administrators' overrides, read once per year.

    ``Calendar(range(2024, 2028))`` loads those years' overrides in one query; a year asked
    about later is loaded on first use. Build one per request or task: it does not see
    ``CalendarDay`` rows changed after a year was loaded.
    """

    def __init__(self, years: Iterable[int] = ()):
        self._official = holidays.China()
        self._overrides: dict[dt.date, bool] = {}
        self._loaded: set[int] = set()
        self._complete: set[int] | None = None
        years = sorted(set(years))
        if years:
            self._load(years[0], years[-1])

    def _load(self, first: int, last: int) -> None:
        from contracts.models import CalendarDay

        rows = CalendarDay.objects.filter(date__gte=dt.date(first, 1, 1), date__lte=dt.date(last, 12, 31))
        self._overrides.update(rows.values_list("date", "is_working_day"))
        self._loaded.update(range(first, last + 1))

    def _completed_by_admin(self, year: int) -> bool:
        if self._complete is None:
            from contracts.models import CalendarYear

            self._complete = set(CalendarYear.objects.values_list("year", flat=True))
        return year in self._complete and year not in official_years()

    def is_working_day(self, day: dt.date) -> bool:
        if isinstance(day, dt.datetime):
            day = to_china(day).date()
        if day.year not in self._loaded:
            self._load(day.year, day.year)
        if day in self._overrides:
            return self._overrides[day]
        if self._completed_by_admin(day.year):
            return day.weekday() < 5
        return self._official.is_working_day(day)


def _calendar(calendar: Calendar | None, *years: int) -> Calendar:
    return calendar if calendar is not None else Calendar(years)


def to_china(moment: dt.datetime) -> dt.datetime:
    """The same instant in Beijing time; a naive datetime is taken as Beijing time already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=CHINA_TZ)
    return moment.astimezone(CHINA_TZ)


def is_working_day(day: dt.date, calendar: Calendar | None = None) -> bool:
    return _calendar(calendar).is_working_day(day)


def add_working_days(start: dt.date, n: int, calendar: Calendar | None = None) -> dt.date:
    """The n-th working day after ``start``; for n = 0, ``start`` or the next working day."""
    if n < 0:
        raise ValueError("n must not be negative")
    # Ten working days span about two weeks, a month at worst around Spring Festival.
    calendar = _calendar(calendar, start.year, (start + dt.timedelta(days=2 * n + 30)).year)
    day = start
    if n == 0:
        while not calendar.is_working_day(day):
            day += ONE_DAY
        return day
    while n:
        day += ONE_DAY
        if calendar.is_working_day(day):
            n -= 1
    return day


def _counts(day: dt.date, coverage: str, calendar: Calendar) -> bool:
    """Whether the business hours of ``day`` count under ``coverage``."""
    if coverage == EVERY_DAY:
        return True
    if coverage == WORKING_DAYS:
        return calendar.is_working_day(day)
    raise ValueError(f"unknown coverage {coverage!r}")


def _business_hours(day: dt.date, day_starts: dt.time, day_ends: dt.time) -> tuple[dt.datetime, dt.datetime]:
    opens = dt.datetime.combine(day, day_starts, tzinfo=CHINA_TZ)
    closes = dt.datetime.combine(day, day_ends, tzinfo=CHINA_TZ)
    return opens, closes


def _check_hours(day_starts: dt.time, day_ends: dt.time) -> None:
    if day_ends <= day_starts:
        raise ValueError("business hours must end after they start on the same day")


def add_working_time(
    start: dt.datetime,
    duration: dt.timedelta,
    coverage: str,
    day_starts: dt.time,
    day_ends: dt.time,
    calendar: Calendar | None = None,
) -> dt.datetime:
    """The moment ``duration`` of covered time has passed since ``start``.

    A duration that runs out exactly at closing time ends at closing time, not at the next
    opening. A zero duration started outside business hours ends at the next opening.
    """
    if duration < dt.timedelta(0):
        raise ValueError("duration must not be negative")
    start = to_china(start)
    if coverage == ALWAYS:
        return start + duration
    _check_hours(day_starts, day_ends)
    calendar = _calendar(calendar, start.year)
    remaining, cursor, day = duration, start, start.date()
    while True:
        if _counts(day, coverage, calendar):
            opens, closes = _business_hours(day, day_starts, day_ends)
            begin = max(cursor, opens)
            if begin < closes:
                if remaining <= closes - begin:
                    return begin + remaining
                remaining -= closes - begin
        day += ONE_DAY
        cursor = dt.datetime.combine(day, dt.time.min, tzinfo=CHINA_TZ)


def working_time_between(
    start: dt.datetime,
    end: dt.datetime,
    coverage: str,
    day_starts: dt.time,
    day_ends: dt.time,
    calendar: Calendar | None = None,
) -> dt.timedelta:
    """The covered time from ``start`` to ``end``; zero if ``end`` is not after ``start``."""
    start, end = to_china(start), to_china(end)
    if end <= start:
        return dt.timedelta(0)
    if coverage == ALWAYS:
        return end - start
    _check_hours(day_starts, day_ends)
    calendar = _calendar(calendar, start.year, end.year)
    total = dt.timedelta(0)
    day = start.date()
    while day <= end.date():
        if _counts(day, coverage, calendar):
            opens, closes = _business_hours(day, day_starts, day_ends)
            overlap = min(end, closes) - max(start, opens)
            if overlap > dt.timedelta(0):
                total += overlap
        day += ONE_DAY
    return total


def add_target(
    start: dt.datetime,
    target: int,
    unit: str,
    coverage: str,
    day_starts: dt.time,
    day_ends: dt.time,
    calendar: Calendar | None = None,
) -> dt.datetime:
    """The deadline of an SLA target of ``target`` ``unit`` counted from ``start``.

    Minutes and hours count covered time only (see ``add_working_time``). Calendar days are plain
    days. Working days ignore ``coverage`` (the official calendar already says which days count):
    the deadline is closing time (``day_ends``) of the n-th working day after the start's date, so
    "solved within 5 working days" of a Friday-night report is due at the end of the fifth working
    day after that Friday.
    """
    if unit == MINUTES:
        return add_working_time(start, dt.timedelta(minutes=target), coverage, day_starts, day_ends, calendar)
    if unit == HOURS:
        return add_working_time(start, dt.timedelta(hours=target), coverage, day_starts, day_ends, calendar)
    if unit == CALENDAR_DAYS:
        return to_china(start) + dt.timedelta(days=target)
    if unit == WORKING_DAYS_UNIT:
        day = add_working_days(to_china(start).date(), target, calendar)
        return dt.datetime.combine(day, day_ends, tzinfo=CHINA_TZ)
    raise ValueError(f"unknown target unit {unit!r}")


# --- The calendar as a list of days ---------------------------------------------------------------

# What a day is, in the calendar's words: its kind, and what says so.
WORKDAY, WEEKEND, HOLIDAY, MAKEUP_WORKDAY = "workday", "weekend", "holiday", "makeup_workday"
OVERRIDE, ADMIN_YEAR, OFFICIAL, ESTIMATE = "override", "admin_year", "official", "estimate"


def calendar_days(start: dt.date, end: dt.date, calendar: Calendar | None = None) -> list[dict]:
    """Each day of ``[start, end]`` as the engine counts it: working or not; its kind (a working
    day, a weekend, a holiday or swapped day off, or a weekend day made a working day by 调休);
    the holiday's name; where the answer comes from (an administrator's override, a year an
    administrator entered in full, the published schedule, or the package's estimate); and
    whether the year's schedule is published (``official``): ``holidays.China`` knows the years
    the State Council has announced, and a later one (2027) is its estimate by rule, without
    the swaps, until an administrator enters it."""
    from contracts.models import CalendarDay

    calendar = _calendar(calendar, start.year, end.year)
    names = dict(CalendarDay.objects.filter(date__range=(start, end)).values_list("date", "name"))
    package = holidays.China(language="zh_CN", years=range(start.year, end.year + 1))
    published = official_years()
    days, day = [], start
    while day <= end:
        working = calendar.is_working_day(day)
        if day in calendar._overrides:
            source = OVERRIDE
        elif calendar._completed_by_admin(day.year):
            source = ADMIN_YEAR
        else:
            source = OFFICIAL if day.year in published else ESTIMATE
        weekend = day.weekday() >= 5
        # A year an administrator entered in full is the entry alone: the package's festivals
        # are not holidays of it (a weekend it names is a plain weekend).
        if source == OVERRIDE:
            name = names.get(day, "")
        else:
            name = "" if source == ADMIN_YEAR else package.get(day) or ""
        if working:
            kind = MAKEUP_WORKDAY if weekend else WORKDAY
        else:
            kind = WEEKEND if weekend and not name else HOLIDAY
        days.append(
            {
                "date": day,
                "is_working_day": working,
                "kind": kind,
                "name": name,
                "source": source,
                "official": day.year in published or calendar._completed_by_admin(day.year),
            }
        )
        day += ONE_DAY
    return days
