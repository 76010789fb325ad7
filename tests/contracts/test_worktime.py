"""China's working-time calendar, checked against the State Council's published schedules.

2024's National Day (国办发明电〔2023〕7号): Oct 1–7 off; Sun Sep 29 and Sat Oct 12 are working
days in exchange (调休). The whole stretch, with W a working day:

    Fri 09-27 W · Sat 09-28 off · Sun 09-29 W · Mon 09-30 W · Tue 10-01 … Mon 10-07 off
    Tue 10-08 W · … · Fri 10-11 W · Sat 10-12 W · Sun 10-13 off · Mon 10-14 W
"""

import datetime as dt

import pytest
from django.core.checks.registry import registry
from django.db import OperationalError
from django.utils import translation
from rest_framework.test import APIClient

from contracts import checks
from contracts.models import CalendarDay, CalendarYear
from contracts.worktime import (
    CHINA_TZ,
    Calendar,
    add_target,
    add_working_days,
    add_working_time,
    is_working_day,
    known_years,
    official_years,
    working_time_between,
)

D = dt.date
NINE, HALF_FIVE = dt.time(9, 0), dt.time(17, 30)  # the default business hours of a contract
HOUR = dt.timedelta(hours=1)

pytestmark = pytest.mark.django_db


def at(*args):
    """A Beijing-time moment."""
    return dt.datetime(*args, tzinfo=CHINA_TZ)


def test_national_day_2024_holidays_and_swapped_working_weekend_days():
    assert not is_working_day(D(2024, 10, 7))  # a Monday, off in exchange for Sat Oct 12
    assert is_working_day(D(2024, 10, 12))  # a Saturday made a working day
    assert is_working_day(D(2024, 9, 29))  # a Sunday made a working day
    assert is_working_day(D(2024, 10, 8))  # the Tuesday after the holiday
    assert not is_working_day(D(2024, 10, 13))  # an ordinary Sunday
    assert not is_working_day(D(2024, 10, 1))


def test_ten_working_days_after_friday_27_september_2024():
    # After Fri 09-27: Sun 09-29 (1), Mon 09-30 (2), [Oct 1–7 off], Tue 10-08 (3), Wed (4), Thu (5),
    # Fri 10-11 (6), Sat 10-12 (7), [Sun off], Mon 10-14 (8), Tue 10-15 (9), Wed 10-16 (10).
    assert add_working_days(D(2024, 9, 27), 10) == D(2024, 10, 16)
    assert add_working_days(D(2024, 9, 30), 1) == D(2024, 10, 8)


def test_zero_working_days_is_the_day_itself_or_the_next_working_day():
    assert add_working_days(D(2024, 9, 29), 0) == D(2024, 9, 29)  # a working Sunday
    assert add_working_days(D(2024, 10, 1), 0) == D(2024, 10, 8)
    with pytest.raises(ValueError):
        add_working_days(D(2024, 10, 1), -1)


def test_a_calendar_reads_the_overrides_once(django_assert_num_queries):
    calendar = Calendar(range(2024, 2026))
    with django_assert_num_queries(1):  # the completed years, asked once
        assert add_working_days(D(2024, 9, 27), 10, calendar) == D(2024, 10, 16)
        # Across the year end and Spring Festival 2025 (Jan 28–Feb 4 off; Sun Jan 26 and Sat Feb 8
        # worked): Dec 23–31 give 7, Jan 2–24 give 17, Jan 26–27 give 2, Feb 5–8 the last 4.
        assert add_working_days(D(2024, 12, 20), 30, calendar) == D(2025, 2, 8)
    with django_assert_num_queries(2):  # a fresh calendar: that year's overrides, completed years
        add_working_days(D(2024, 9, 27), 10)


def test_5x8_four_hours_from_friday_afternoon_lands_on_the_working_sunday():
    # Fri 09-27 16:00–17:30 counts 1.5 h; Sat is off; Sun 09-29 is a working day: 2.5 h more → 11:30.
    assert add_working_time(at(2024, 9, 27, 16), 4 * HOUR, "5x8", NINE, HALF_FIVE) == at(2024, 9, 29, 11, 30)
    # Mon 09-30 16:00: 1.5 h, then nothing until Tue 10-08 09:00 + 2.5 h.
    assert add_working_time(at(2024, 9, 30, 16), 4 * HOUR, "5x8", NINE, HALF_FIVE) == at(2024, 10, 8, 11, 30)


def test_7x8_counts_business_hours_on_every_day():
    assert add_working_time(at(2024, 9, 27, 16), 4 * HOUR, "7x8", NINE, HALF_FIVE) == at(2024, 9, 28, 11, 30)
    assert add_working_time(at(2024, 10, 1, 8), HOUR, "7x8", NINE, HALF_FIVE) == at(2024, 10, 1, 10)


def test_business_hour_edges():
    # A clock started outside hours starts at the next opening.
    assert add_working_time(at(2024, 10, 5, 8), HOUR, "5x8", NINE, HALF_FIVE) == at(2024, 10, 8, 10)
    # Closing time itself is outside [09:00, 17:30).
    assert add_working_time(at(2024, 10, 8, 17, 30), HOUR / 2, "5x8", NINE, HALF_FIVE) == at(
        2024, 10, 9, 9, 30
    )
    # A whole business day used up ends at closing time, not the next morning.
    assert add_working_time(at(2024, 10, 8, 9), 8.5 * HOUR, "5x8", NINE, HALF_FIVE) == at(2024, 10, 8, 17, 30)


def test_other_time_zones_are_read_and_returned_in_beijing_time():
    utc_nine = dt.datetime(2024, 10, 8, 1, 0, tzinfo=dt.UTC)  # 09:00 in Beijing
    result = add_working_time(utc_nine, HOUR, "5x8", NINE, HALF_FIVE)
    assert result == at(2024, 10, 8, 10)
    assert result.utcoffset() == dt.timedelta(hours=8)


def test_7x24_adds_plainly():
    assert add_working_time(at(2024, 9, 30, 22), 4 * HOUR, "7x24", NINE, HALF_FIVE) == at(2024, 10, 1, 2)
    assert working_time_between(at(2024, 9, 30, 22), at(2024, 10, 1, 2), "7x24", NINE, HALF_FIVE) == 4 * HOUR


def test_working_time_between_counts_only_covered_time():
    # Fri 09-27 16:00–17:30 (1.5 h) + Sun 09-29 (8.5 h) + Mon 09-30 (8.5 h) + Tue 10-08 09:00–10:00 (1 h).
    start, end = at(2024, 9, 27, 16), at(2024, 10, 8, 10)
    assert working_time_between(start, end, "5x8", NINE, HALF_FIVE) == 19.5 * HOUR
    assert working_time_between(end, start, "5x8", NINE, HALF_FIVE) == dt.timedelta(0)


@pytest.mark.parametrize("coverage", ["5x8", "7x8", "7x24"])
@pytest.mark.parametrize(
    "start", [at(2024, 9, 27, 16), at(2024, 9, 28, 3), at(2024, 10, 7, 23, 59), at(2024, 10, 12, 17, 30)]
)
@pytest.mark.parametrize("minutes", [0, 1, 90, 510, 4 * 60, 40 * 60])
def test_working_time_between_inverts_add_working_time(coverage, start, minutes):
    calendar = Calendar([2024])
    duration = dt.timedelta(minutes=minutes)
    end = add_working_time(start, duration, coverage, NINE, HALF_FIVE, calendar)
    assert working_time_between(start, end, coverage, NINE, HALF_FIVE, calendar) == duration


def test_sla_targets_by_unit():
    # Resolution in 5 working days of a Friday-evening report: after Fri 09-27 the 5th working day
    # is Thu 10-10 (Sep 29, Sep 30, Oct 8, 9, 10); due at its closing time.
    assert add_target(at(2024, 9, 27, 20), 5, "working_days", "5x8", NINE, HALF_FIVE) == at(
        2024, 10, 10, 17, 30
    )
    assert add_target(at(2024, 9, 30, 10), 2, "calendar_days", "5x8", NINE, HALF_FIVE) == at(2024, 10, 2, 10)
    assert add_target(at(2024, 10, 1, 10), 2, "hours", "7x24", NINE, HALF_FIVE) == at(2024, 10, 1, 12)
    assert add_target(at(2024, 10, 7, 23), 30, "minutes", "5x8", NINE, HALF_FIVE) == at(2024, 10, 8, 9, 30)
    with pytest.raises(ValueError):
        add_target(at(2024, 10, 7, 23), 30, "fortnights", "5x8", NINE, HALF_FIVE)


def test_known_years_are_the_packages_announced_years_plus_completed_ones():
    # holidays 0.109 has the 调休 of 2024–2026; 2027's festivals are only computed by rule.
    assert {2024, 2025, 2026} <= official_years()
    assert 2027 not in known_years()
    CalendarYear.objects.create(year=2027, source="国办发明电〔2026〕…")
    assert 2027 in known_years()


def test_overrides_win_over_the_official_calendar():
    # Artificial rows to prove precedence: 2027-02-06 is a Saturday (and the package's estimate of
    # Spring Festival), Thu 2027-02-11 an ordinary working day by the package.
    assert not is_working_day(D(2027, 2, 6))
    assert is_working_day(D(2027, 2, 11))
    CalendarDay.objects.create(date=D(2027, 2, 6), is_working_day=True, name="调休上班")
    CalendarDay.objects.create(date=D(2027, 2, 11), is_working_day=False, name="春节")
    assert is_working_day(D(2027, 2, 6))
    assert not is_working_day(D(2027, 2, 11))


def test_a_completed_year_is_the_plain_week_plus_its_overrides():
    # Mon 2027-05-03 is off only in the package's estimate (Labor Day observed); once an
    # administrator has entered 2027 in full, only their rows move days off the plain week.
    assert not is_working_day(D(2027, 5, 3))
    CalendarYear.objects.create(year=2027)
    assert is_working_day(D(2027, 5, 3))
    assert not is_working_day(D(2027, 5, 1))  # a Saturday
    CalendarDay.objects.create(date=D(2027, 5, 3), is_working_day=False, name="劳动节")
    assert not is_working_day(D(2027, 5, 3))


@pytest.fixture
def contract_to_2027(contract_a):
    # Seed 003's term: 2026-05-29 to 2027-05-28.
    contract_a.starts_on, contract_a.ends_on = D(2026, 5, 29), D(2027, 5, 28)
    contract_a.save()
    return contract_a


def test_check_warns_about_active_contracts_beyond_the_calendar(contract_to_2027, contract_b):
    assert checks.check_contracts_beyond_calendar in registry.get_checks()
    contract_b.ends_on, contract_b.status = D(2027, 12, 31), "draft"  # not active: no warning
    contract_b.save()
    with translation.override("en"):
        [warning] = checks.check_contracts_beyond_calendar()
    assert warning.id == "contracts.W001"
    assert "A-2026-OM" in warning.msg and "2027" in warning.msg
    assert "calendar year" in warning.hint
    assert list(checks.contracts_beyond_calendar()) == [contract_to_2027]

    CalendarYear.objects.create(year=2027)
    assert checks.check_contracts_beyond_calendar() == []
    assert not checks.contracts_beyond_calendar().exists()


def test_check_is_quiet_without_tables(monkeypatch):
    def no_table():
        raise OperationalError("no such table: contracts_calendaryear")

    monkeypatch.setattr(checks, "last_known_year", no_table)
    assert checks.check_contracts_beyond_calendar() == []


def test_admin_changelist_names_the_contracts_beyond_the_calendar(client, contract_to_2027, make_user):
    client.force_login(make_user(is_staff=True, is_superuser=True))
    response = client.get("/admin/contracts/calendaryear/", follow=True)
    assert "A-2026-OM" in response.content.decode()
    CalendarYear.objects.create(year=2027)
    assert "A-2026-OM" not in client.get("/admin/contracts/calendarday/").content.decode()


def test_api_lists_calendar_days_by_range(client_staff_a):
    for day, working in [(D(2027, 1, 30), True), (D(2027, 2, 6), True), (D(2027, 2, 20), False)]:
        CalendarDay.objects.create(date=day, is_working_day=working)
    api = APIClient()
    api.force_authenticate(client_staff_a)
    response = api.get("/api/v1/calendar-days/", {"date__gte": "2027-02-01", "date__lte": "2027-02-28"})
    assert response.status_code == 200
    assert [row["date"] for row in response.json()["results"]] == ["2027-02-06", "2027-02-20"]
    assert api.get("/api/v1/calendar-days/2027-02-06/").json()["is_working_day"] is True
    assert api.get("/api/v1/calendar-days/not-a-date/").status_code == 404


def test_api_refuses_anonymous_readers():
    assert APIClient().get("/api/v1/calendar-days/").status_code in (401, 403)
