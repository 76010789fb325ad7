"""reports.building: the snapshot's figures, worked out by hand from tests/reports/report_data.py."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from contracts.models import Breach, DutyShift, PenaltyClause, StaffAssignment, StaffPost
from contracts.penalties import penalty_summary
from reports.building import build_data, period_label
from tests.reports.report_data import at, june, many_incidents, set_term

pytestmark = pytest.mark.django_db

JUNE = (dt.date(2026, 6, 1), dt.date(2026, 6, 30))


def json_safe(value) -> bool:
    if isinstance(value, dict):
        return all(isinstance(k, str) and json_safe(v) for k, v in value.items())
    if isinstance(value, list):
        return all(json_safe(v) for v in value)
    return value is None or isinstance(value, (str, int, float, bool))


@pytest.fixture
def june_a(contract_a):
    return june(contract_a)


def test_the_monthly_figures_are_the_months_own(contract_a, june_a):
    calls = []
    data = build_data(contract_a, "monthly", *JUNE, progress=calls.append)

    assert json_safe(data) and json.loads(json.dumps(data)) == data
    assert calls == [10, 40, 70, 100]
    assert data["schema"] == 1 and data["kind"] == "monthly" and data["empty"] is False
    assert data["period"] == {"start": "2026-06-01", "end": "2026-06-30", "label": "2026年6月"}
    assert data["contract"] == {
        "code": "A-2026-OM",
        "title": "甲市运维服务",
        "client": "甲市公安局",
        "vendor": "甲科技有限公司",
        "starts_on": "2026-05-29",
        "ends_on": "2027-05-28",
        "total": "708000.00",
    }
    # Six reported in June (05-31 23:30 and 07-01 00:00 Beijing are outside); #5 never resolved
    # and #6 resolved on 07-01, after the period: 2 open, 4 resolved, 4 / 6 = 66.7%.
    assert data["incidents"] | {"list": None} == {
        "total": 6,
        "open": 2,
        "resolved": 4,
        "completion_percent": 66.7,
        "by_severity": {"emergency": 1, "severe": 1, "general": 4},
        "list": None,
    }
    # Targets: #1, #2, #3, #4, #6 = 5; #4 breached; #6 still running at the end → pending;
    # met #1, #2, #3 = 3; attainment 3 / (3 + 1) = 75.0%.
    sla = data["sla"]
    assert (sla["incidents"], sla["with_target"], sla["met"], sla["breached"], sla["pending"]) == (
        6,
        5,
        3,
        1,
        1,
    )
    assert sla["attainment_percent"] == 75.0
    # Resolution clocks: 5, one breached → 4 / 5 = 80.0%; response: #3 alone, kept → 100.0%.
    assert sla["by_clock"]["resolution"] == {"with_target": 5, "breached": 1, "attainment_percent": 80.0}
    assert sla["by_clock"]["response"] == {"with_target": 1, "breached": 0, "attainment_percent": 100.0}
    assert sla["by_clock"]["arrival"] == {"with_target": 0, "breached": 0, "attainment_percent": None}
    # Slots 06-01..06-04: 3 done, 06-04 missed; the 06-02 run found 2 abnormal items; 3 / 4 = 75.0%.
    assert data["inspections"] == {
        "due": 4,
        "done": 3,
        "missed": 1,
        "pending": 0,
        "runs": 3,
        "abnormal": 2,
        "abnormal_items": 2,
        "failed_checks": 0,
        "completion_percent": 75.0,
    }
    assert [(d["date"], d["done"], d["missed"], d["abnormal"]) for d in data["inspection_days"]] == [
        ("2026-06-01", 1, 0, 0),
        ("2026-06-02", 1, 0, 2),
        ("2026-06-03", 1, 0, 0),
        ("2026-06-04", 0, 1, 0),
    ]
    # The June breach alone: 1 day × 0.3% × ¥708,000 = ¥2,124.00 (May's 2 days are not this month's).
    breaches = data["breaches"]
    assert breaches["count"] == 1 and breaches["penalty_total"] == "2124.00"
    assert breaches["lines"][0] | {"note": ""} == {
        "occurred_at": "2026-06-04T13:00:00+08:00",
        "kind": "late_inspection",
        "clause": "未按时巡检",
        "source": "inspection",
        "days_late": 1,
        "waived": False,
        "withdrawn": False,
        "note": "",
    }
    assert [(c["kind"], c["breaches"], c["amount"]) for c in breaches["clauses"]] == [
        ("late_inspection", 1, "2124.00")
    ]
    # Seed 000's monthly report: the work log and every fault's description, solution and outcome.
    assert [(e["date"], e["category"]) for e in data["work_log"]] == [
        ("2026-06-02", "fault"),
        ("2026-06-10", "fault"),
        ("2026-06-30", "inspection"),
    ]
    assert data["tasks"]["work_log_total"] == 3 and data["tasks"]["work_log"]["fault"] == 2
    listed = data["incidents"]["list"]
    assert [i["sla"] for i in listed] == ["met", "met", "met", "breached", "none", "pending"]
    assert listed[3]["breached_clocks"] == ["resolution"] and listed[5]["open"] is True
    assert (
        listed[2].items()
        >= {
            "title": "人口库连接中断",
            "severity": "emergency",
            "reported_at": "2026-06-10T08:00:00+08:00",
            "resolved_at": "2026-06-10T09:00:00+08:00",
            "description": "受理系统无法连接人口库。",
            "method": "重启数据库监听并切换备用链路。",
            "result": "业务于 09:00 恢复。",
        }.items()
    )


def test_an_empty_period_says_so_and_measures_nothing(contract_a):
    set_term(contract_a)
    data = build_data(contract_a, "monthly", dt.date(2026, 8, 1), dt.date(2026, 8, 31))
    assert data["empty"] is True
    assert data["sla"]["attainment_percent"] is None and data["inspections"]["completion_percent"] is None
    assert (
        data["incidents"]["list"] == []
        and data["work_log"] == []
        and data["breaches"]["penalty_total"] == "0.00"
    )


@pytest.mark.parametrize(
    ("kind", "start", "end", "label"),
    [
        ("weekly", dt.date(2026, 6, 1), dt.date(2026, 6, 7), "2026年第23周 (06-01–06-07)"),
        ("monthly", dt.date(2026, 6, 1), dt.date(2026, 6, 30), "2026年6月"),
        # The term starts on 05-29: the first month and quarter are clipped and say their days.
        ("monthly", dt.date(2026, 5, 29), dt.date(2026, 5, 31), "2026年5月 (05-29–05-31)"),
        ("quarterly", dt.date(2026, 5, 29), dt.date(2026, 6, 30), "2026年第2季度 (05-29–06-30)"),
        ("quarterly", dt.date(2026, 7, 1), dt.date(2026, 9, 30), "2026年第3季度"),
        ("half_yearly", dt.date(2026, 7, 1), dt.date(2026, 12, 31), "2026年下半年"),
        ("half_yearly", dt.date(2027, 1, 1), dt.date(2027, 5, 28), "2027年上半年 (01-01–05-28)"),
        ("annual", dt.date(2026, 5, 29), dt.date(2027, 5, 28), "2026-05-29 至 2027-05-28"),
    ],
)
def test_period_labels(contract_a, kind, start, end, label):
    set_term(contract_a)
    assert period_label(contract_a, kind, start, end) == label


def test_the_weekly_report_has_attendance_tasks_and_the_weeks_problems(contract_a, june_a):
    post = StaffPost.objects.create(contract=contract_a, name="驻场运维", shift="7x8", headcount=2)
    StaffAssignment.objects.create(post=post, person="张工", starts_on=dt.date(2026, 5, 29))
    for day, person, on_site in ((1, "张工", True), (2, "张工", True), (2, "李工", False), (9, "李工", True)):
        DutyShift.objects.create(
            contract=contract_a, date=dt.date(2026, 6, day), person=person, on_site=on_site
        )

    data = build_data(contract_a, "weekly", dt.date(2026, 6, 1), dt.date(2026, 6, 7))

    # Shifts on 06-01, 06-02 (two) in the week; 06-09 is the next week's. 2 days of 7 covered.
    attendance = data["attendance"]
    assert (attendance["days"], attendance["days_covered"], attendance["shifts"], attendance["on_site"]) == (
        7,
        2,
        3,
        2,
    )
    assert attendance["people"] == [
        {"person": "张工", "shifts": 2, "on_site": 2, "days": 2},
        {"person": "李工", "shifts": 1, "on_site": 0, "days": 1},
    ]
    # The post needs 2 and one person holds it at the week's end: 1 short.
    assert attendance["posts"] == [
        {"name": "驻场运维", "shift": "7x8", "headcount": 2, "current": 1, "short": 1}
    ]
    # The week's incidents: #1 (06-02) and #2 (06-05); slots 06-01..06-04.
    assert [i["reported_at"][:10] for i in data["incidents"]["list"]] == ["2026-06-02", "2026-06-05"]
    assert data["inspections"]["due"] == 4 and len(data["inspection_days"]) == 4
    # The 06-04 breach falls in the week: 1 day × 0.3% × ¥708,000.
    assert data["breaches"]["penalty_total"] == "2124.00"
    assert data["tasks"]["work_log_total"] == 1  # 06-02 only
    assert "work_log" not in data  # the list is the monthly report's


def test_the_quarterly_report_has_weekly_trends(contract_a, june_a):
    data = build_data(contract_a, "quarterly", dt.date(2026, 5, 29), dt.date(2026, 6, 30))
    series = data["series"]
    # Weeks from Monday 05-25 (shown from the period's first day, 05-29) to the week of 06-29.
    assert series["labels"] == ["05-29", "06-01", "06-08", "06-15", "06-22", "06-29"]
    # 05-31 23:30 → week of 05-25; #1 06-02, #2 06-05 → 06-01; #3 → 06-08; #4 → 06-15; #5 → 06-22;
    # #6 06-30 23:50 → 06-29.
    assert series["incidents"] == [1, 2, 1, 1, 1, 1]
    assert series["breached"] == [0, 0, 0, 1, 0, 0]
    # The 05-31 incident was resolved in time (06-01 01:00): met, 100%; #4's week 0%; #5 has no
    # target and #6 is pending at the end: no figure (None), not zero.
    assert series["sla_percent"] == [100.0, 100.0, 100.0, 0.0, None, None]
    assert series["inspections_due"] == [0, 4, 0, 0, 0, 0]
    assert series["inspection_percent"] == [None, 75.0, None, None, None, None]
    assert series["work_log"] == [0, 1, 1, 0, 0, 1]
    assert len(data["incidents"]["list"]) == 7 and "description" not in data["incidents"]["list"][0]


def test_the_annual_report_has_the_staff_structure_and_monthly_trends(contract_a, june_a):
    post = StaffPost.objects.create(
        contract=contract_a, name="驻场运维", shift="7x24", headcount=2, place="机房"
    )
    first = StaffAssignment.objects.create(
        post=post,
        person="张工",
        role="project_manager",
        starts_on=dt.date(2026, 5, 29),
        ends_on=dt.date(2026, 9, 30),
    )
    StaffAssignment.objects.create(
        post=post,
        person="王工",
        role="project_manager",
        starts_on=dt.date(2026, 10, 1),
        replaces=first,
        reason="调岗",
        client_consent=True,
    )
    StaffAssignment.objects.create(post=post, person="李工", starts_on=dt.date(2026, 5, 29))
    # Before the term: not in the year's structure.
    StaffAssignment.objects.create(
        post=post, person="赵工", starts_on=dt.date(2025, 1, 1), ends_on=dt.date(2025, 12, 31)
    )

    data = build_data(contract_a, "annual", dt.date(2026, 5, 29), dt.date(2027, 5, 28))

    staff = data["staff"]
    assert staff["headcount"] == 2 and staff["people"] == 3
    assert [p["person"] for p in staff["posts"][0]["people"]] == ["张工", "李工", "王工"]
    assert staff["by_role"] == {"project_manager": 2, "technical_lead": 0, "engineer": 1}
    assert [(r["person"], r["replaces"], r["client_consent"]) for r in staff["replacements"]] == [
        ("王工", "张工", True)
    ]
    series = data["series"]
    # Months 2026-05 … 2027-05: 13 buckets; May holds the 05-31 incident, June six, July one.
    assert series["labels"][:3] == ["2026-05", "2026-06", "2026-07"] and len(series["labels"]) == 13
    assert series["incidents"][:3] == [1, 6, 1] and sum(series["incidents"]) == 8
    # The whole year: both breaches, 3 days × 0.3% × ¥708,000 = ¥6,372.00.
    assert data["breaches"]["count"] == 2 and data["breaches"]["penalty_total"] == "6372.00"


def test_the_half_yearly_report_lists_abnormal_items_and_failed_checks(contract_a, june_a):
    data = build_data(contract_a, "half_yearly", dt.date(2026, 5, 29), dt.date(2026, 6, 30))
    assert data["series"]["labels"] == ["5月", "6月"]
    assert data["series"]["inspection_percent"] == [None, 75.0] and data["series"]["abnormal"] == [0, 2]
    assert data["abnormal_items"] == [] and data["failed_checks"] == []  # counts only, no answers stored


KINDS = {
    "weekly": (dt.date(2026, 6, 1), dt.date(2026, 6, 7)),
    "monthly": JUNE,
    "quarterly": (dt.date(2026, 5, 29), dt.date(2026, 6, 30)),
    "half_yearly": (dt.date(2026, 5, 29), dt.date(2026, 6, 30)),
    "annual": (dt.date(2026, 5, 29), dt.date(2027, 5, 28)),
}


@pytest.mark.parametrize("kind", list(KINDS))
def test_the_number_of_queries_does_not_grow_with_the_data(
    contract_a, june_a, kind, django_assert_max_num_queries
):
    many_incidents(contract_a, 5)
    with CaptureQueriesContext(connection) as few:
        build_data(contract_a, kind, *KINDS[kind])
    many_incidents(contract_a, 45)
    post = StaffPost.objects.create(contract=contract_a, name="驻场", shift="5x8")
    for i in range(10):
        StaffAssignment.objects.create(post=post, person=f"工程师{i}", starts_on=dt.date(2026, 6, 1))
        DutyShift.objects.create(contract=contract_a, date=dt.date(2026, 6, 1 + i % 7), person=f"工程师{i}")
    with django_assert_max_num_queries(len(few)):
        data = build_data(contract_a, kind, *KINDS[kind])
    assert len(few) <= 20
    assert data["incidents"]["total"] >= 50 if kind != "weekly" else data["incidents"]["total"] > 2


# --- contracts.penalties.penalty_summary limited to a period ----------------------------------------


def test_penalty_summary_prices_only_the_breaches_of_the_period(contract_a, june_a):
    clause = PenaltyClause.objects.get(contract=contract_a, kind="late_inspection")
    # On the period's last moment (Beijing) and the next day's first one.
    for moment, ref in ((at(2026, 6, 30, 23, 59), "last"), (at(2026, 7, 1, 0, 0), "next")):
        Breach.objects.create(
            contract=contract_a,
            clause=clause,
            kind=clause.kind,
            occurred_at=moment,
            days_late=1,
            source="manual",
            source_ref=ref,
        )
    # Without a period, every breach: 2 + 1 + 1 + 1 = 5 days × 0.3% × ¥708,000 = ¥10,620.00.
    assert penalty_summary(contract_a).vendor_total == Decimal("10620.00")
    # June: 06-04 and 06-30 23:59 → 2 days → ¥4,248.00.
    june_only = penalty_summary(contract_a, start=dt.date(2026, 6, 1), end=dt.date(2026, 6, 30))
    assert june_only.vendor_total == Decimal("4248.00")
    assert june_only.clauses[0].breaches == 2 and june_only.clauses[0].days == 2
    # From July on: 07-01 00:00 → 1 day → ¥2,124.00; up to May: 05-30 → 2 days → ¥4,248.00.
    assert penalty_summary(contract_a, start=dt.date(2026, 7, 1)).vendor_total == Decimal("2124.00")
    assert penalty_summary(contract_a, end=dt.date(2026, 5, 31)).vendor_total == Decimal("4248.00")


def test_completion_counts_only_the_slots_due_by_the_time_of_the_build(contract_a, monkeypatch):
    from inspections.models import InspectionSchedule, InspectionSlot

    set_term(contract_a)
    schedule = InspectionSchedule.objects.create(contract=contract_a, name="日常巡检")
    Status = InspectionSlot.Status
    # A daily round at 09:00, 4 hours to do it, over the week of Monday 2026-06-01.
    for day, status in enumerate(
        [
            Status.DONE,
            Status.MISSED,
            Status.PENDING,
            Status.PENDING,
            Status.PENDING,
            Status.PENDING,
            Status.PENDING,
        ],
        start=1,
    ):
        InspectionSlot.objects.create(
            contract=contract_a,
            schedule=schedule,
            due_at=at(2026, 6, day, 9),
            deadline=at(2026, 6, day, 13),
            status=status,
            done_at=at(2026, 6, day, 10) if status == Status.DONE else None,
        )
    # Built on Wednesday 06-03 at 14:00: Monday done, Tuesday missed, Wednesday's round past its
    # deadline (13:00) and not marked yet — missed too; Thursday to Sunday not due yet.
    monkeypatch.setattr("django.utils.timezone.now", lambda: at(2026, 6, 3, 14))
    figures = build_data(contract_a, "weekly", dt.date(2026, 6, 1), dt.date(2026, 6, 7))["inspections"]
    # Due by then: 3 slots; 1 done, 2 missed: 1 / 3 = 33.3% (not 1 / 7 = 14.3%).
    assert (figures["due"], figures["done"], figures["missed"], figures["pending"]) == (3, 1, 2, 0)
    assert figures["completion_percent"] == 33.3
    # At 10:00 on Wednesday its round is due but still within its 4 hours: neither done nor
    # missed, so left out of the rate: 1 / (1 + 1) = 50.0%.
    monkeypatch.setattr("django.utils.timezone.now", lambda: at(2026, 6, 3, 10))
    figures = build_data(contract_a, "weekly", dt.date(2026, 6, 1), dt.date(2026, 6, 7))["inspections"]
    assert (figures["due"], figures["done"], figures["missed"], figures["pending"]) == (3, 1, 1, 1)
    assert figures["completion_percent"] == 50.0


def test_a_withdrawn_breach_is_listed_as_withdrawn_and_costs_nothing(contract_a, june_a):
    # DOMAIN.md: a breach the facts show met is withdrawn, "kept, marked withdrawn": the June
    # report still lists it, says so, and prices June at 0 days × 0.3% × ¥708,000 = ¥0.00.
    Breach.objects.filter(contract=contract_a, occurred_at__month=6).update(
        withdrawn_at=at(2026, 6, 5, 9), withdrawn_reason="补录的巡检记录表明已按时完成"
    )
    breaches = build_data(contract_a, "monthly", *JUNE)["breaches"]
    assert (breaches["count"], breaches["withdrawn"], breaches["penalty_total"]) == (1, 1, "0.00")
    assert breaches["lines"][0]["withdrawn"] is True
