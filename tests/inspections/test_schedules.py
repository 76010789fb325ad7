"""Inspection schedules, heightened periods and their slots; missed slots become breaches.

Expected values are counted out from the seeds (DOMAIN.md) and China's 2024 calendar.
"""

import datetime as dt
import threading
import zoneinfo
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from contracts import worktime
from contracts.models import Breach, PenaltyClause
from contracts.penalties import penalty_summary
from inspections import schedules
from inspections.models import HeightenedPeriod, InspectionSchedule, InspectionSlot

pytestmark = pytest.mark.django_db

CN = zoneinfo.ZoneInfo("Asia/Shanghai")
UTC = dt.UTC
Kind = InspectionSchedule.Kind
Status = InspectionSlot.Status


def at(*args) -> dt.datetime:
    """A Beijing time."""
    return dt.datetime(*args, tzinfo=CN)


def make_schedule(contract, **fields) -> InspectionSchedule:
    """A schedule, by default the model's: daily at 09:00, two hours to do it."""
    fields.setdefault("name", f"{fields.get('kind', 'daily')} {fields.get('times_of_day', '')}")
    fields.setdefault("what", "按功能清单巡检")
    schedule = InspectionSchedule(contract=contract, **fields)
    schedule.full_clean()
    schedule.save()
    return schedule


def make_period(contracts, starts_on, ends_on, **fields) -> HeightenedPeriod:
    fields.setdefault("name", "国庆重保")
    period = HeightenedPeriod(starts_on=starts_on, ends_on=ends_on, **fields)
    period.full_clean()
    period.save()
    period.contracts.set(contracts)
    return period


def dues(slots) -> list[dt.datetime]:
    return [slot.due_at for slot in slots]


# --- Computing slots ----------------------------------------------------------------------------


def test_a_daily_0900_round_over_a_week_is_seven_slots(contract_a):
    daily = make_schedule(contract_a)
    # Monday 4 to Monday 11 November 2024, the end excluded: seven days, weekend included
    # (seed 000: daily inspection 7 days a week).
    slots = schedules.slots_between(contract_a, dt.date(2024, 11, 4), dt.date(2024, 11, 11))
    assert dues(slots) == [at(2024, 11, day, 9, 0) for day in range(4, 11)]
    assert {slot.schedule for slot in slots} == {daily}
    # The default grace: two hours to do the round.
    assert [slot.deadline for slot in slots] == [at(2024, 11, day, 11, 0) for day in range(4, 11)]


def test_beijing_time_has_no_daylight_saving(contract_a):
    make_schedule(contract_a)
    # A window given in UTC over Europe's and America's autumn clock changes (27 October and
    # 3 November 2024): 09:00 Beijing stays 01:00 UTC, 24 hours apart, every day.
    start = dt.datetime(2024, 10, 25, 16, 0, tzinfo=UTC)  # 26 October 00:00 in Beijing
    slots = schedules.slots_between(contract_a, start, start + dt.timedelta(days=10))
    assert [slot.due_at.astimezone(UTC) for slot in slots] == [
        dt.datetime(2024, 10, 26, 1, 0, tzinfo=UTC) + dt.timedelta(days=n) for n in range(10)
    ]


def test_several_times_a_day_with_a_blank_grace_stay_open_until_the_next(contract_a):
    make_schedule(contract_a, kind=Kind.SEVERAL_DAILY, times_of_day=["17:00", "08:30"], grace=None)
    slots = schedules.slots_between(contract_a, dt.date(2024, 11, 4), dt.date(2024, 11, 5))
    assert [(s.due_at, s.deadline) for s in slots] == [
        (at(2024, 11, 4, 8, 30), at(2024, 11, 4, 17, 0)),
        (at(2024, 11, 4, 17, 0), at(2024, 11, 5, 8, 30)),
    ]


def test_a_heightened_period_replaces_the_daily_round_but_not_the_weekly(contract_a, contract_b):
    daily = make_schedule(contract_a)
    weekly = make_schedule(contract_a, name="周巡检", kind=Kind.WEEKLY, weekday=0, times_of_day=["10:00"])
    # National Day 2024 with the eve: 30 September to 7 October, both included — 8 days.
    period = make_period([contract_a, contract_b], dt.date(2024, 9, 30), dt.date(2024, 10, 7))

    slots = schedules.slots_between(contract_a, dt.date(2024, 9, 28), dt.date(2024, 10, 10))
    # 28 September to 9 October is 12 days: the daily 09:00 on the 4 outside the period
    # (28, 29 September, 8, 9 October), 3 rounds on each of its 8 days, and the weekly Monday
    # round on 30 September and 7 October: 4 + 24 + 2 = 30.
    assert len(slots) == 30
    ordinary = [s.due_at for s in slots if s.schedule == daily and s.period is None]
    assert ordinary == [at(2024, 9, 28, 9), at(2024, 9, 29, 9), at(2024, 10, 8, 9), at(2024, 10, 9, 9)]
    heightened = [s for s in slots if s.period == period]
    assert len(heightened) == 24
    assert dues(heightened[:3]) == [at(2024, 9, 30, hour) for hour in (8, 13, 19)]
    # Still the daily schedule's rounds (its checklist, its mode), with the period's grace.
    assert {s.schedule for s in heightened} == {daily}
    assert heightened[0].deadline == at(2024, 9, 30, 10)
    assert [s.due_at for s in slots if s.schedule == weekly] == [at(2024, 9, 30, 10), at(2024, 10, 7, 10)]

    # Contract B has no daily schedule: the period's own rounds, 3 a day for 8 days.
    slots_b = schedules.slots_between(contract_b, dt.date(2024, 9, 28), dt.date(2024, 10, 10))
    assert len(slots_b) == 24
    assert {(s.schedule, s.period) for s in slots_b} == {(None, period)}


def test_the_period_that_started_last_wins_when_two_overlap(contract_a):
    make_schedule(contract_a)
    make_period([contract_a], dt.date(2024, 9, 30), dt.date(2024, 10, 7))
    event = make_period(
        [contract_a], dt.date(2024, 10, 3), dt.date(2024, 10, 3), name="活动", times_of_day=["07:00"]
    )
    slots = schedules.slots_between(contract_a, dt.date(2024, 10, 3), dt.date(2024, 10, 4))
    assert [(s.due_at, s.period) for s in slots] == [(at(2024, 10, 3, 7), event)]


def test_seed_001_monthly_plan_before_the_5th_working_day(contract_a):
    plan = make_schedule(contract_a, name="月度计划", kind=Kind.MONTHLY_WORKING_DAY, nth_working_day=5)
    calendar = worktime.Calendar([2024])
    # October 2024: 1–7 October is the National Day holiday. Working days: Tue 8 (1st),
    # Wed 9 (2nd), Thu 10 (3rd), Fri 11 (4th), and Saturday 12, a swapped working day (调休),
    # the 5th.
    assert not any(worktime.is_working_day(dt.date(2024, 10, d), calendar) for d in range(1, 8))
    assert worktime.is_working_day(dt.date(2024, 10, 12), calendar)
    october = schedules.slots_between(contract_a, dt.date(2024, 10, 1), dt.date(2024, 11, 1), calendar)
    assert len(october) == 1
    assert october[0].schedule == plan
    # Open from the first working day; due by the end of business (17:30) of the 5th.
    assert october[0].due_at == at(2024, 10, 8, 9, 0)
    assert october[0].deadline == at(2024, 10, 12, 17, 30)

    # November 2024 has no holiday: Fri 1 (1st), Mon 4 (2nd), Tue 5 (3rd), Wed 6 (4th), Thu 7 (5th).
    november = schedules.slots_between(contract_a, dt.date(2024, 11, 1), dt.date(2024, 12, 1), calendar)
    assert [(s.due_at, s.deadline) for s in november] == [(at(2024, 11, 1, 9, 0), at(2024, 11, 7, 17, 30))]


def test_day_31_falls_on_the_last_day_of_shorter_months(contract_a):
    make_schedule(contract_a, name="月检", kind=Kind.MONTHLY_DAY, day_of_month=31, times_of_day=["10:00"])
    slots = schedules.slots_between(contract_a, dt.date(2024, 1, 1), dt.date(2024, 5, 1))
    # 2024 is a leap year: 29 February; April has 30 days.
    assert dues(slots) == [at(2024, 1, 31, 10), at(2024, 2, 29, 10), at(2024, 3, 31, 10), at(2024, 4, 30, 10)]
    slots = schedules.slots_between(contract_a, dt.date(2025, 2, 1), dt.date(2025, 3, 1))
    assert dues(slots) == [at(2025, 2, 28, 10)]


def test_quarterly_and_half_yearly_with_a_blank_grace_last_the_period(contract_a):
    make_schedule(contract_a, name="平台维护", kind=Kind.QUARTERLY, day_of_month=1, grace=None)
    make_schedule(contract_a, name="半年巡检", kind=Kind.HALF_YEARLY, day_of_month=31)
    slots = schedules.slots_between(contract_a, dt.date(2024, 1, 1), dt.date(2025, 1, 1))
    quarterly = [(s.due_at, s.deadline) for s in slots if s.schedule.kind == Kind.QUARTERLY]
    # Seed 001: platform software maintained at least once a quarter — open the whole quarter.
    assert quarterly == [
        (at(2024, 1, 1, 9), at(2024, 4, 1, 9)),
        (at(2024, 4, 1, 9), at(2024, 7, 1, 9)),
        (at(2024, 7, 1, 9), at(2024, 10, 1, 9)),
        (at(2024, 10, 1, 9), at(2025, 1, 1, 9)),
    ]
    half_yearly = [s.due_at for s in slots if s.schedule.kind == Kind.HALF_YEARLY]
    assert half_yearly == [at(2024, 1, 31, 9), at(2024, 7, 31, 9)]


def test_slots_stay_within_the_contract_term_and_skip_inactive_schedules(contract_a):
    contract_a.starts_on, contract_a.ends_on = dt.date(2024, 11, 6), dt.date(2024, 11, 8)
    contract_a.save()
    make_schedule(contract_a)
    make_schedule(contract_a, name="停用", kind=Kind.DAILY, times_of_day=["15:00"], active=False)
    slots = schedules.slots_between(contract_a, dt.date(2024, 11, 1), dt.date(2024, 11, 30))
    assert dues(slots) == [at(2024, 11, 6, 9), at(2024, 11, 7, 9), at(2024, 11, 8, 9)]


# --- Materialising ------------------------------------------------------------------------------


def test_materialising_twice_creates_nothing_new(contract_a, contract_b):
    make_schedule(contract_a)
    make_schedule(contract_b, kind=Kind.SEVERAL_DAILY, times_of_day=["08:00", "20:00"])
    window = (at(2024, 11, 4), at(2024, 11, 11))
    now = at(2024, 11, 1)
    # A: 7 days × 1; B: 7 days × 2.
    assert schedules.materialise_slots(*window, now=now) == {"created": 21, "removed": 0}
    assert schedules.materialise_slots(*window, now=now) == {"created": 0, "removed": 0}
    assert InspectionSlot.objects.count() == 21
    assert set(InspectionSlot.objects.values_list("status", flat=True)) == {Status.PENDING}
    # B ends on 6 November at noon: its slots from then on go (20:00 on the 6th, then 2 a day).
    contract_b.status = "ended"
    contract_b.save()
    assert schedules.materialise_slots(*window, now=at(2024, 11, 6, 12)) == {"created": 0, "removed": 9}


def test_a_concurrent_run_inserting_the_same_slots_inserts_nothing(contract_a, contract_b):
    make_schedule(contract_a)
    make_period([contract_b], dt.date(2024, 11, 4), dt.date(2024, 11, 4))
    schedules.materialise_slots(at(2024, 11, 4), at(2024, 11, 5), now=at(2024, 11, 1))
    # A's 09:00 from its schedule; B's three rounds from the period alone.
    assert InspectionSlot.objects.count() == 4
    # What a second run that read the table just before the first one wrote would insert.
    columns = ("contract_id", "schedule_id", "heightened_period_id", "due_at", "deadline")
    again = [InspectionSlot(**row) for row in InspectionSlot.objects.values(*columns)]
    InspectionSlot.objects.bulk_create(again, ignore_conflicts=True)
    assert InspectionSlot.objects.count() == 4


def test_a_period_entered_later_replaces_only_the_future_pending_slots(contract_a):
    daily = make_schedule(contract_a)
    window = (at(2024, 9, 29), at(2024, 10, 2))
    assert schedules.materialise_slots(*window, now=at(2024, 9, 28))["created"] == 3
    # Entered on 30 September at noon: that morning's 09:00 slot is history and stays; the
    # 1 October one goes; the rounds from 13:00 on the 30th come in (2 + 3), not the 08:00 one,
    # whose deadline (10:00) passed before the period was entered.
    make_period([contract_a], dt.date(2024, 9, 30), dt.date(2024, 10, 7))
    assert schedules.materialise_slots(*window, now=at(2024, 9, 30, 12)) == {"created": 5, "removed": 1}
    rows = InspectionSlot.objects.order_by("due_at").values_list("due_at", "heightened_period")
    assert [(due.astimezone(CN), period is None) for due, period in rows] == [
        (at(2024, 9, 29, 9), True),
        (at(2024, 9, 30, 9), True),
        (at(2024, 9, 30, 13), False),
        (at(2024, 9, 30, 19), False),
        (at(2024, 10, 1, 8), False),
        (at(2024, 10, 1, 13), False),
        (at(2024, 10, 1, 19), False),
    ]
    assert set(InspectionSlot.objects.values_list("schedule", flat=True)) == {daily.pk}


def test_a_heightened_period_replaces_the_manual_rounds_not_the_automated_checks(contract_a):
    # Seed 003: a machine-room round by an engineer at 09:30 and automated checks at 08:00,
    # 12:00, 16:00 and 20:00. On a heightened day (seed 000's three rounds, 08:00, 13:00, 19:00)
    # the engineer's round runs at the period's times; the machines keep their own schedule.
    manual = make_schedule(contract_a, name="机房日常巡检", times_of_day=["09:30"])
    automated = make_schedule(
        contract_a,
        name="系统自动巡检",
        kind=Kind.SEVERAL_DAILY,
        times_of_day=["08:00", "12:00", "16:00", "20:00"],
        grace=dt.timedelta(minutes=30),
        mode="automated",
    )
    period = make_period([contract_a], dt.date(2026, 10, 1), dt.date(2026, 10, 1))
    slots = schedules.slots_between(contract_a, dt.date(2026, 10, 1), dt.date(2026, 10, 2))
    # 3 heightened rounds of the manual schedule + 4 automated checks = 7, none at 09:30.
    assert sorted((s.due_at, s.schedule.name, s.period is not None) for s in slots) == sorted(
        [(at(2026, 10, 1, h), manual.name, True) for h in (8, 13, 19)]
        + [(at(2026, 10, 1, h), automated.name, False) for h in (8, 12, 16, 20)]
    )
    assert all(s.deadline == s.due_at + dt.timedelta(minutes=30) for s in slots if s.schedule == automated)
    assert period.pk in {s.period.pk for s in slots if s.period}


def test_a_period_entered_after_the_days_round_adds_no_round_that_round_covers(contract_a):
    daily = make_schedule(contract_a)  # 09:00, two hours to do it
    window = (at(2024, 9, 30), at(2024, 10, 1))
    assert schedules.materialise_slots(*window, now=at(2024, 9, 29))["created"] == 1
    schedules.complete_slot(InspectionSlot.objects.get(), at=at(2024, 9, 30, 9, 10))
    # Entered at 09:30 on 30 September: the period's 08:00 round is open until 10:00 and the
    # round walked at 09:10 falls in it, so it is not asked for again; 13:00 and 19:00 are.
    make_period([contract_a], dt.date(2024, 9, 30), dt.date(2024, 10, 7))
    assert schedules.materialise_slots(*window, now=at(2024, 9, 30, 9, 30)) == {"created": 2, "removed": 0}
    assert schedules.materialise_slots(*window, now=at(2024, 9, 30, 9, 30)) == {"created": 0, "removed": 0}
    rows = InspectionSlot.objects.order_by("due_at").values_list("due_at", "status")
    assert [(due.astimezone(CN), status) for due, status in rows] == [
        (at(2024, 9, 30, 9), Status.DONE),
        (at(2024, 9, 30, 13), Status.PENDING),
        (at(2024, 9, 30, 19), Status.PENDING),
    ]
    # Nothing is missed at 10:00: no breach for a round already walked.
    assert schedules.mark_missed(now=at(2024, 9, 30, 10, 30)) == 0
    assert set(InspectionSlot.objects.values_list("schedule", flat=True)) == {daily.pk}


# --- Missed slots and breaches ------------------------------------------------------------------


@pytest.fixture
def seed_000_clause(contract_a):
    # Seed 000: late weekly inspections or support cost 0.3% of the ¥708,000 total per day.
    contract_a.total = Decimal("708000.00")
    contract_a.save()
    fields = dict(kind="late_service", title="未按时巡检", shape="per_day", rate_percent=Decimal("0.3"))
    return PenaltyClause.objects.create(contract=contract_a, **fields)


def one_slot(contract, day=4) -> InspectionSlot:
    """The daily 09:00 round of 2024-11-<day>, open until 11:00."""
    if not contract.inspection_schedules.exists():
        make_schedule(contract)
    schedules.materialise_slots(at(2024, 11, day), at(2024, 11, day + 1), now=at(2024, 11, 1))
    return InspectionSlot.objects.get(contract=contract, due_at=at(2024, 11, day, 9))


def test_a_missed_slot_is_one_breach_across_two_runs(contract_a, seed_000_clause):
    slot = one_slot(contract_a)
    # Due 09:00, done by 11:00 at the latest.
    assert schedules.mark_missed(now=at(2024, 11, 4, 11, 0)) == 0
    assert list(schedules.overdue_slots(at(2024, 11, 4, 11, 1))) == [slot]
    assert schedules.mark_missed(now=at(2024, 11, 4, 11, 1)) == 1
    assert schedules.mark_missed(now=at(2024, 11, 4, 11, 2)) == 0
    slot.refresh_from_db()
    assert (slot.status, slot.missed_at) == (Status.MISSED, at(2024, 11, 4, 11, 1))
    breach = Breach.objects.get()
    assert (breach.kind, breach.clause, breach.source) == ("late_service", seed_000_clause, "inspection")
    assert (breach.source_ref, breach.days_late) == (f"slot:{slot.pk}", 1)
    assert breach.occurred_at == at(2024, 11, 4, 11)
    # One day late at 0.3% of ¥708,000 = ¥2,124.00.
    assert penalty_summary(contract_a).vendor_total == Decimal("2124.00")


def test_a_done_slot_is_not_missed(contract_a, seed_000_clause):
    slot = one_slot(contract_a)
    schedules.complete_slot(slot, at=at(2024, 11, 4, 10, 15))
    assert schedules.mark_missed(now=at(2024, 11, 5)) == 0
    slot.refresh_from_db()
    assert (slot.status, slot.done_at) == (Status.DONE, at(2024, 11, 4, 10, 15))
    assert not Breach.objects.exists()
    with pytest.raises(ValidationError) as error:
        schedules.complete_slot(slot, at=at(2024, 11, 4, 10, 30))
    assert "slot" in error.value.message_dict


def test_done_late_is_still_missed_with_one_breach(contract_a, seed_000_clause):
    late, missed = one_slot(contract_a, day=4), one_slot(contract_a, day=5)
    # Submitted at 11:30, after its 11:00 deadline, before the checker noticed.
    schedules.complete_slot(late, at=at(2024, 11, 4, 11, 30))
    # Marked missed first, submitted at 14:00.
    assert schedules.mark_missed(now=at(2024, 11, 5, 12)) == 1
    schedules.complete_slot(missed, at=at(2024, 11, 5, 14))
    assert schedules.mark_missed(now=at(2024, 11, 6)) == 0
    late.refresh_from_db()
    missed.refresh_from_db()
    assert (late.status, late.done_at) == (Status.MISSED, at(2024, 11, 4, 11, 30))
    assert (missed.status, missed.done_at) == (Status.MISSED, at(2024, 11, 5, 14))
    assert missed.missed_at == at(2024, 11, 5, 12)
    refs = sorted(Breach.objects.values_list("source_ref", flat=True))
    assert refs == [f"slot:{late.pk}", f"slot:{missed.pk}"]


def test_the_breach_kind_follows_the_contracts_clauses(contract_a, contract_b, seed_000_clause):
    # A: seed 000's late_service; B: no clause, so an unpriced late_inspection; once A also has
    # a clause of its own for inspections, that one.
    assert schedules.missed_breach_kinds([contract_a.pk, contract_b.pk]) == {
        contract_a.pk: "late_service",
        contract_b.pk: "late_inspection",
    }
    PenaltyClause.objects.create(
        contract=contract_a, kind="late_inspection", title="巡检", shape="per_occurrence", rate_percent=1
    )
    assert schedules.missed_breach_kinds([contract_a.pk])[contract_a.pk] == "late_inspection"
    slot = one_slot(contract_b)
    schedules.mark_missed(now=at(2024, 11, 5))
    assert Breach.objects.get(source_ref=f"slot:{slot.pk}").clause is None


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_record_each_missed_slot_once(contract_a, seed_000_clause):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need a real PostgreSQL (DATABASE_URL); SQLite serialises them")
    make_schedule(contract_a, kind=Kind.SEVERAL_DAILY, times_of_day=[f"{h:02d}:00" for h in range(0, 20)])
    schedules.materialise_slots(at(2024, 11, 4), at(2024, 11, 5), now=at(2024, 11, 1))
    assert InspectionSlot.objects.count() == 20
    barrier = threading.Barrier(2)
    results = []

    def run():
        barrier.wait()
        try:
            results.append(schedules.mark_missed(now=at(2024, 11, 5, 12)))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(results) == 20
    assert Breach.objects.count() == 20
    assert InspectionSlot.objects.filter(status=Status.MISSED).count() == 20


def test_the_overdue_query_reads_the_partial_index(contract_a):
    if connection.vendor != "postgresql":
        pytest.skip("the plan is checked on PostgreSQL")
    sql, params = schedules.overdue_slots(at(2024, 11, 5)).values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "insp_slot_overdue_idx" in plan


# --- Bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"kind": Kind.DAILY, "times_of_day": ["25:00"]}, "times_of_day"),
        ({"kind": Kind.DAILY, "times_of_day": "09:00"}, "times_of_day"),
        ({"kind": Kind.DAILY, "times_of_day": []}, "times_of_day"),
        ({"kind": Kind.DAILY, "times_of_day": ["08:00", "13:00"]}, "times_of_day"),
        ({"kind": Kind.SEVERAL_DAILY, "times_of_day": ["08:00", "08:00"]}, "times_of_day"),
        ({"kind": Kind.MONTHLY_WORKING_DAY, "nth_working_day": 0}, "nth_working_day"),
        ({"kind": Kind.MONTHLY_WORKING_DAY, "nth_working_day": 16}, "nth_working_day"),
        ({"kind": Kind.MONTHLY_WORKING_DAY, "nth_working_day": 5, "times_of_day": ["18:00"]}, "times_of_day"),
        ({"kind": Kind.WEEKLY}, "weekday"),
        ({"kind": Kind.DAILY, "weekday": 0}, "weekday"),
        ({"kind": Kind.MONTHLY_DAY, "day_of_month": 32}, "day_of_month"),
        ({"kind": Kind.DAILY, "grace": dt.timedelta(0)}, "grace"),
        ({"kind": Kind.DAILY, "what": ""}, "what"),
    ],
)
def test_bad_schedules_are_refused_naming_the_field(contract_a, fields, field):
    fields.setdefault("what", "巡检")
    schedule = InspectionSchedule(contract=contract_a, name="坏", **fields)
    with pytest.raises(ValidationError) as error:
        schedule.full_clean()
    assert field in error.value.message_dict


@pytest.mark.parametrize(
    ("starts_on", "ends_on", "times", "fields"),
    [
        (dt.date(2024, 10, 7), dt.date(2024, 9, 30), ["24:00"], {"ends_on", "times_of_day"}),
        (dt.date(2024, 9, 30), dt.date(2024, 10, 7), [], {"times_of_day"}),
    ],
)
def test_bad_periods_are_refused_naming_the_field(starts_on, ends_on, times, fields):
    period = HeightenedPeriod(name="重保", starts_on=starts_on, ends_on=ends_on, times_of_day=times)
    with pytest.raises(ValidationError) as error:
        period.full_clean()
    assert set(error.value.message_dict) == fields
