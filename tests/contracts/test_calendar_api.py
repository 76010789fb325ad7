"""The working-day calendar and a contract's roster gaps through the API (issue 13, item 9)."""

import datetime as dt

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from contracts.models import CalendarDay, Contract, DutyShift, Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeds():
    call_command("load_seed_contracts", verbosity=0)
    return {c.code: c for c in Contract.objects.select_related("client")}


@pytest.fixture
def api(make_user, client_org_a):
    client = APIClient()
    client.force_authenticate(make_user(Role.CLIENT_STAFF, client_org_a))
    return client


def by_date(rows):
    return {row["date"]: row for row in rows}


def test_national_day_2025_with_its_swaps(api):
    answer = api.get("/api/v1/working-days/", {"start": "2025-09-27", "end": "2025-10-12"})
    assert answer.status_code == 200
    days = by_date(answer.json())
    assert len(days) == 16  # 27 September to 12 October, both included
    # The State Council's 2025 notice: 1–8 October off; Sunday 28 September and Saturday
    # 11 October are working days (调休).
    assert [d for d, row in days.items() if not row["is_working_day"]] == [
        "2025-09-27",
        *[f"2025-10-0{n}" for n in range(1, 9)],
        "2025-10-12",
    ]
    assert days["2025-09-28"]["kind"] == days["2025-10-11"]["kind"] == "makeup_workday"
    assert (days["2025-10-01"]["kind"], days["2025-10-01"]["name"]) == ("holiday", "国庆节")
    assert days["2025-10-08"]["kind"] == "holiday"  # a swapped day off
    assert days["2025-09-27"]["kind"] == "weekend"
    assert days["2025-09-29"]["kind"] == "workday"
    assert all(row["official"] and row["source"] == "official" for row in days.values())


def test_2027_is_answered_as_an_estimate(api):
    # holidays.China knows the published schedules up to 2026; 2027's is not published.
    days = by_date(api.get("/api/v1/working-days/", {"start": "2026-12-31", "end": "2027-01-04"}).json())
    assert days["2026-12-31"]["official"] is True
    assert all(days[d]["official"] is False for d in ["2027-01-01", "2027-01-02", "2027-01-04"])
    assert days["2027-01-01"]["source"] == "estimate"
    assert days["2027-01-01"]["kind"] == "holiday"


def test_an_administrators_override_is_applied_and_named(api):
    CalendarDay.objects.create(date=dt.date(2027, 2, 20), is_working_day=True, name="春节调休上班")
    day = api.get("/api/v1/working-days/", {"start": "2027-02-20", "end": "2027-02-20"}).json()[0]
    # Saturday 20 February 2027 made a working day by the administrator's entry.
    assert (day["is_working_day"], day["kind"], day["name"], day["source"]) == (
        True,
        "makeup_workday",
        "春节调休上班",
        "override",
    )
    assert day["official"] is False  # the year is still not complete


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"start": "2025-10-01"},
        {"start": "2025-10-05", "end": "2025-10-01"},
        {"start": "x", "end": "y"},
        {"start": "9999-12-30", "end": "9999-12-31"},
        {"start": "0001-01-01", "end": "0001-01-02"},
    ],
)
def test_a_bad_range_is_a_400_naming_the_field(api, query):
    answer = api.get("/api/v1/working-days/", query)
    assert answer.status_code == 400
    assert set(answer.json()) <= {"start", "end"}


def test_a_range_of_more_than_two_years_is_refused(api):
    assert api.get("/api/v1/working-days/", {"start": "2024-01-01", "end": "2026-01-01"}).status_code == 400


def test_seed_004_roster_gaps_for_any_period(seeds, make_user):
    contract = seeds["XJ-2024-PAY"]
    api = APIClient()
    api.force_authenticate(make_user(Role.CLIENT_MANAGER, contract.client))
    url = f"/api/v1/contracts/{contract.code}/roster-gaps/"
    # Seed 004: "周末、节假日以及重要时间节点必须安排不少于1名工程师" on site. National Day 2025:
    # 1–8 October off and Sunday 12 October; Sunday 28 September and Saturday 11 October work.
    answer = api.get(url, {"start": "2025-09-27", "end": "2025-10-12"})
    assert answer.status_code == 200
    body = answer.json()
    assert [gap["date"] for gap in body["gaps"]] == [
        "2025-09-27",
        *[f"2025-10-0{n}" for n in range(1, 9)],
        "2025-10-12",
    ]
    assert body["count"] == 10
    assert body["gaps"][1]["name"] == "国庆节"
    for day in range(1, 9):
        DutyShift.objects.create(
            contract=contract, date=dt.date(2025, 10, day), person="值班员", on_site=True
        )
    body = api.get(url, {"start": "2025-09-27", "end": "2025-10-12"}).json()
    assert [gap["date"] for gap in body["gaps"]] == ["2025-09-27", "2025-10-12"]
    # After the term (ends 2025-12-15) nobody is owed: only 13 and 14 December count.
    body = api.get(url, {"start": "2025-12-10", "end": "2025-12-21"}).json()
    assert [gap["date"] for gap in body["gaps"]] == ["2025-12-13", "2025-12-14"]
    assert api.get(url, {"start": "2025-12-10"}).status_code == 400


def test_roster_gaps_of_another_organisations_contract_are_404(seeds, api):
    assert (
        api.get(
            "/api/v1/contracts/XJ-2024-PAY/roster-gaps/", {"start": "2025-10-01", "end": "2025-10-02"}
        ).status_code
        == 404
    )
