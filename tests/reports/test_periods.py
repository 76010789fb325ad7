import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from contracts.models import Contract, Milestone
from reports.models import ReportKind, ReportRequirement
from reports.periods import check_period, closed_periods, due_date, period_of

D = dt.date
# Seed 003's term: 2026-05-29 (a Friday) to 2027-05-28.
SEED_003 = Contract(code="BJ-2026-RP", starts_on=D(2026, 5, 29), ends_on=D(2027, 5, 28))


@pytest.mark.parametrize(
    ("kind", "day", "expected"),
    [
        # Weeks run Monday to Sunday; the first one is clipped to the term's Friday start.
        (ReportKind.WEEKLY, D(2026, 5, 30), (D(2026, 5, 29), D(2026, 5, 31))),
        (ReportKind.WEEKLY, D(2026, 6, 3), (D(2026, 6, 1), D(2026, 6, 7))),
        (ReportKind.MONTHLY, D(2026, 6, 15), (D(2026, 6, 1), D(2026, 6, 30))),
        (ReportKind.MONTHLY, D(2026, 12, 31), (D(2026, 12, 1), D(2026, 12, 31))),
        (ReportKind.MONTHLY, D(2027, 2, 10), (D(2027, 2, 1), D(2027, 2, 28))),
        (ReportKind.QUARTERLY, D(2026, 8, 1), (D(2026, 7, 1), D(2026, 9, 30))),
        (ReportKind.QUARTERLY, D(2026, 6, 1), (D(2026, 5, 29), D(2026, 6, 30))),
        (ReportKind.HALF_YEARLY, D(2026, 11, 21), (D(2026, 7, 1), D(2026, 12, 31))),
        # The year is the contract year, which here is the whole term.
        (ReportKind.ANNUAL, D(2026, 11, 21), (D(2026, 5, 29), D(2027, 5, 28))),
        # The last month is clipped at the term's end.
        (ReportKind.MONTHLY, D(2027, 5, 20), (D(2027, 5, 1), D(2027, 5, 28))),
    ],
)
def test_periods_of_seed_003(kind, day, expected):
    assert period_of(SEED_003, kind, day) == expected


def test_no_period_outside_the_term():
    assert period_of(SEED_003, ReportKind.WEEKLY, D(2027, 6, 10)) is None


def test_closed_periods_catch_up_after_a_stop():
    # On Wednesday 2026-07-01, the weeks that closed in the last 20 days: those ending 06-14,
    # 06-21 and 06-28 (the week of 06-29 is still open).
    weeks = closed_periods(SEED_003, ReportKind.WEEKLY, D(2026, 7, 1), within_days=20)
    assert weeks == [
        (D(2026, 6, 8), D(2026, 6, 14)),
        (D(2026, 6, 15), D(2026, 6, 21)),
        (D(2026, 6, 22), D(2026, 6, 28)),
    ]
    # On the 1st, last month has closed; this month has not.
    assert closed_periods(SEED_003, ReportKind.MONTHLY, D(2026, 7, 1), within_days=1) == [
        (D(2026, 6, 1), D(2026, 6, 30))
    ]
    assert closed_periods(SEED_003, ReportKind.ANNUAL, D(2026, 7, 1), within_days=40) == []


def test_period_outside_the_term_is_refused():
    with pytest.raises(ValidationError) as error:
        check_period(SEED_003, D(2026, 5, 1), D(2026, 5, 31))
    assert "period_start" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        check_period(SEED_003, D(2027, 5, 1), D(2027, 6, 30))
    assert "period_end" in error.value.message_dict
    with pytest.raises(ValidationError):
        check_period(SEED_003, D(2026, 7, 10), D(2026, 7, 1))


@pytest.mark.django_db
def test_due_dates_in_working_and_calendar_days():
    weekly = ReportRequirement(
        kind=ReportKind.WEEKLY, due_offset=2, due_unit=Milestone.OffsetUnit.WORKING_DAYS
    )
    # The week ending Sunday 2026-09-27: Mon 09-28 and Tue 09-29 are working days → due 09-29.
    assert due_date(weekly, D(2026, 9, 27)) == D(2026, 9, 29)
    # The week ending Sunday 2026-10-04 falls in the National Day holiday (10-01..10-07 in 2026's
    # official schedule): the first two working days after it are Thu 10-08 and Fri 10-09.
    assert due_date(weekly, D(2026, 10, 4)) == D(2026, 10, 9)
    # Seed 003: the annual summary within 15 (calendar) days after the term.
    annual = ReportRequirement(
        kind=ReportKind.ANNUAL, due_offset=15, due_unit=Milestone.OffsetUnit.CALENDAR_DAYS
    )
    assert due_date(annual, D(2027, 5, 28)) == D(2027, 6, 12)
    assert due_date(None, D(2027, 5, 28)) is None
