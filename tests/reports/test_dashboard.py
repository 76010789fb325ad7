"""The dashboard (the home page): figures worked out by hand, scoping, and a constant query count."""

import datetime as dt
import functools
import zoneinfo
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from contracts.models import Breach, Contract, Milestone, PenaltyClause
from contracts.penalties import penalty_summary, vendor_exposure
from inspections.models import InspectionSchedule, InspectionSlot
from reports import dashboard
from reports.models import Report, ReportKind
from tests import factories

pytestmark = pytest.mark.django_db

CN = zoneinfo.ZoneInfo("Asia/Shanghai")
# A Wednesday: its week starts on Monday 2026-07-13; the last 30 days start 2026-06-15 12:00.
NOW = dt.datetime(2026, 7, 15, 12, 0, tzinfo=CN)
# What the home page costs with any number of contracts: session and user (2), the contracts (1),
# the calendar warning (3), SLA, open incidents, clauses, breaches, slots (5), milestones (1),
# the two report lists (2), the menu's overseeing roles (1: audit trail, accounts) = 15; a full
# list (10 rows) adds its count. Fixed here so that a query per contract or per row shows.
MAX_QUERIES = 15


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=CN)


# The home page's incidents: closed, with a resolution target a day after they were reported
# (``targets=()``: none); ``breached``: a clock breached two hours in.
incident = functools.partial(
    factories.incident, targets=["resolution"], due_in=dt.timedelta(days=1), status="closed"
)


def slot_maker(contract):
    schedule = InspectionSchedule.objects.create(contract=contract, name="日常巡检")

    def slot(due_at, status="pending"):
        done_at = due_at + dt.timedelta(hours=1) if status == "done" else None
        return InspectionSlot.objects.create(
            contract=contract,
            schedule=schedule,
            due_at=due_at,
            deadline=due_at + dt.timedelta(hours=12),
            status=status,
            done_at=done_at,
        )

    return slot


def breach(contract, clause, occurred_at, kind=None, **fields):
    return Breach.objects.create(
        contract=contract,
        clause=clause,
        kind=kind or clause.kind,
        occurred_at=occurred_at,
        source=Breach.Source.MANUAL,
        **fields,
    )


@pytest.fixture
def term_a(contract_a):
    """Contract A with seed 000's figures: ¥708,000, its year 2026-05-29 to 2027-05-28."""
    contract_a.starts_on, contract_a.ends_on = dt.date(2026, 5, 29), dt.date(2027, 5, 28)
    contract_a.total = Decimal("708000.00")
    contract_a.save()
    return contract_a


@pytest.fixture
def figures_a(term_a):
    """Incidents, breaches and slots of contract A with figures worked out by hand below."""
    a = term_a
    # Last 30 days: four with a target; one breached (its resolution), one still new and
    # unbreached (pending: not counted yet) → met 2 / (2 met + 1 breached) = 66.7%.
    incident(a, at(2026, 7, 10, 9, 0))
    incident(a, at(2026, 7, 1, 9, 0), breached="resolution", status="on_site", severity="severe")
    incident(a, at(2026, 6, 20, 9, 0), status="resolved")
    incident(a, at(2026, 7, 14, 9, 0), status="new", severity="emergency")
    # The contract year before that: one more, its arrival breached → 2 / (2 + 2) = 50.0%.
    incident(a, at(2026, 6, 1, 9, 0), breached="arrival")
    # Before the contract year: counted nowhere.
    incident(a, at(2026, 5, 20, 9, 0), breached="response")
    # No target at all (a consultation): not in attainment, but open.
    incident(a, at(2026, 7, 12, 9, 0), targets=(), status="acknowledged")

    per_day = PenaltyClause.objects.create(
        contract=a, kind="late_inspection", title="未按时巡检", shape="per_day", rate_percent="0.3"
    )
    per_occurrence = PenaltyClause.objects.create(
        contract=a, kind="sla_resolution", title="故障未按时解决", shape="per_occurrence", rate_percent="1"
    )
    client_side = PenaltyClause.objects.create(
        contract=a,
        kind="late_payment",
        title="甲方逾期付款",
        party="client",
        shape="per_day",
        base="overdue_amount",
        rate_percent="0.01",
    )
    breach(a, per_day, at(2026, 7, 5, 9, 0), days_late=3)
    breach(a, per_day, at(2026, 7, 6, 9, 0), days_late=2, waived=True, waived_reason="停电")
    breach(a, per_occurrence, at(2026, 7, 1, 11, 0))
    breach(a, per_occurrence, at(2026, 6, 1, 11, 0))
    breach(a, None, at(2026, 7, 10, 9, 0), kind="misc")
    breach(a, client_side, at(2026, 6, 10, 9, 0), days_late=10, overdue_amount=Decimal("100000.00"))

    slot = slot_maker(a)
    slot(at(2026, 7, 15, 8, 0))  # pending, deadline 20:00 still to come
    slot(at(2026, 7, 14, 8, 0), "done")
    slot(at(2026, 7, 13, 8, 0), "missed")
    slot(at(2026, 7, 12, 8, 0))  # pending past its deadline: missed, not yet marked
    slot(at(2026, 7, 1, 8, 0), "done")
    slot(at(2026, 6, 20, 8, 0), "done")
    slot(at(2026, 6, 10, 8, 0), "done")  # before the 30 days, in the trend's week of 06-08
    return a


def test_figures_worked_out_by_hand(figures_a, client_manager_a):
    board = dashboard.dashboard_data(client_manager_a, [figures_a], now=NOW)
    [row] = board.contracts
    assert row.year == (dt.date(2026, 5, 29), dt.date(2027, 5, 28))

    # 4 incidents with a target in the last 30 days: 1 breached, 1 pending (07-14, new), 2 met:
    # 2 / (2 + 1) = 66.7%.
    recent = row.sla_recent
    assert (recent.with_target, recent.met, recent.pending, recent.percent) == (4, 2, 1, 66.7)
    # This contract year (from 2026-05-29): those 4 and 2026-06-01's, 2 breached: 2 / 4 = 50.0%.
    assert (row.sla_year.with_target, row.sla_year.met, row.sla_year.percent) == (5, 2, 50.0)

    # Open: 07-14 new (emergency), 07-01 on site (severe), 07-12 acknowledged (general).
    assert row.open == {"emergency": 1, "severe": 1, "general": 1}
    assert row.open_total == 3

    # Unwaived breaches: late inspection 1, SLA 2, unpriced 1, the client's late payment 1 = 5;
    # in the last 30 days (from 06-15 12:00): 07-05, 07-01, 07-10 = 3.
    # Vendor: 3 days × 0.3% × ¥708,000 = ¥6,372.00 (the 2-day breach is waived)
    #       + 2 × 1% × ¥708,000 = ¥14,160.00 → ¥20,532.00; the client's ¥100 is not the vendor's.
    exposure = row.exposure
    assert (exposure.breaches, exposure.recent, exposure.unpriced) == (5, 3, 1)
    assert exposure.vendor_total == Decimal("20532.00")
    assert exposure.vendor_total == penalty_summary(figures_a).vendor_total
    assert not exposure.capped

    # Last 7 days (from 07-08 12:00): 07-14 done; 07-13 and 07-12 missed; 07-15 pending:
    # 1 / (1 + 2) = 33.3%. Last 30 days: 07-14, 07-01, 06-20 done, 2 missed: 3 / 5 = 60.0%.
    week, recent = row.inspections_week, row.inspections_recent
    assert (week.done, week.missed, week.pending, week.percent) == (1, 2, 1, 33.3)
    assert (recent.done, recent.missed, recent.pending, recent.percent) == (3, 2, 1, 60.0)

    # One contract: the totals are its figures.
    assert board.totals.sla_recent.percent == 66.7
    assert board.totals.exposure.vendor_total == Decimal("20532.00")
    assert board.totals.open_total == 3


def test_weekly_trend(figures_a, client_manager_a):
    board = dashboard.dashboard_data(client_manager_a, [figures_a], now=NOW)
    assert board.weeks == [dt.date(2026, 5, 25) + dt.timedelta(weeks=n) for n in range(8)]
    # Weeks from 05-25: 06-01's breached → 0; 06-20 met → 100 (week of 06-15); 07-01 breached
    # → 0 (06-29); 07-10 → 100 (07-06); 07-14 is still pending → none decided (07-13). 05-20 is
    # before the first week.
    assert [a.percent for a in board.weekly_sla] == [None, 0.0, None, 100.0, None, 0.0, 100.0, None]
    # Slots: 06-10 done (06-08); 06-20 done (06-15); 07-01 done (06-29); 07-12 missed (07-06);
    # 07-13 missed, 07-14 done, 07-15 pending → 1 / 2 (07-13).
    assert [c.percent for c in board.weekly_inspections] == [
        None,
        None,
        100.0,
        100.0,
        None,
        100.0,
        0.0,
        50.0,
    ]


def test_exposure_applies_the_contract_wide_cap_like_penalty_summary(term_a, contract_b, administrator):
    # Contract B: ¥100,000, all penalties capped at 1%; 3 occurrences × 1% = ¥3,000 → ¥1,000.
    contract_b.total, contract_b.penalty_cap_percent = Decimal("100000.00"), Decimal("1")
    contract_b.save()
    clause = PenaltyClause.objects.create(
        contract=contract_b, kind="sla_resolution", title="违约", shape="per_occurrence", rate_percent="1"
    )
    for day in (1, 2, 3):
        breach(contract_b, clause, at(2026, 7, day, 9, 0))
    # Contract A: a per-day clause capped at 10%: 50 days × 0.5% = 25% → 10% of ¥708,000 = ¥70,800.
    delay = PenaltyClause.objects.create(
        contract=term_a,
        kind="late_delivery",
        title="逾期交付",
        shape="per_day",
        rate_percent="0.5",
        cap_percent="10",
    )
    breach(term_a, delay, at(2026, 7, 1, 9, 0), days_late=50)

    exposure = vendor_exposure([term_a, contract_b], recent_since=NOW - dt.timedelta(days=30))
    assert exposure[contract_b.pk].vendor_total == Decimal("1000.00")
    assert exposure[contract_b.pk].capped
    assert exposure[term_a.pk].vendor_total == Decimal("70800.00")
    assert not exposure[term_a.pk].capped  # the clause's own cap, not the contract's
    for contract in (term_a, contract_b):
        assert exposure[contract.pk].vendor_total == penalty_summary(contract).vendor_total


def test_upcoming_milestones_and_reports_awaiting_action(
    term_a, client_manager_a, vendor_manager_a, vendor_engineer_a
):
    def milestone(name, due_on, status="pending", **fields):
        return Milestone.objects.create(
            contract=term_a,
            name=name,
            amount=Decimal("1000.00"),
            trigger="signing",
            due_on=due_on,
            status=status,
            **fields,
        )

    today = NOW.date()
    soon = milestone("首付款", today + dt.timedelta(days=17))
    last_day = milestone("进度款", today + dt.timedelta(days=60), status="invoiced")
    milestone("已付款", today + dt.timedelta(days=5), status="paid", paid_on=today)
    milestone("尾款", today + dt.timedelta(days=61))
    # Issue 13, 7.2: an overdue milestone stays on the list, first, until it is paid.
    overdue = milestone("逾期款", today - dt.timedelta(days=1))

    def report(kind, status, due_on=None):
        return Report.objects.create(
            contract=term_a,
            kind=kind,
            period_start=dt.date(2026, 6, 1),
            period_end=dt.date(2026, 6, 30),
            status=status,
            due_on=due_on,
        )

    submitted = report(ReportKind.MONTHLY, "submitted", dt.date(2026, 7, 7))
    returned = report(ReportKind.QUARTERLY, "returned", dt.date(2026, 7, 10))
    draft = report(ReportKind.HALF_YEARLY, "draft", dt.date(2026, 7, 20))
    report(ReportKind.WEEKLY, "draft")  # no due date: nothing anyone waits for yet
    report(ReportKind.ANNUAL, "signed_off", dt.date(2026, 7, 1))

    board = dashboard.dashboard_data(client_manager_a, [term_a], now=NOW)
    assert board.milestones == [overdue, soon, last_day] and board.milestone_count == 3
    assert board.to_sign_off == [submitted] and board.to_sign_off_count == 1
    assert board.to_write == []

    board = dashboard.dashboard_data(vendor_manager_a, [term_a], now=NOW)
    assert board.to_sign_off == []
    assert board.to_write == [returned, draft] and board.to_write_count == 2

    board = dashboard.dashboard_data(vendor_engineer_a, [term_a], now=NOW)
    assert (board.to_sign_off, board.to_write) == ([], [])


def test_lists_show_the_first_ten_and_count_them_all(term_a, client_manager_a):
    for n in range(12):
        Report.objects.create(
            contract=term_a,
            kind=ReportKind.WEEKLY,
            period_start=dt.date(2026, 6, 1) + dt.timedelta(weeks=n),
            period_end=dt.date(2026, 6, 7) + dt.timedelta(weeks=n),
            status="submitted",
            submitted_at=NOW - dt.timedelta(days=12 - n),
        )
    board = dashboard.dashboard_data(client_manager_a, [term_a], now=NOW)
    assert len(board.to_sign_off) == 10 and board.to_sign_off_count == 12
    assert board.to_sign_off[0].period_start == dt.date(2026, 6, 1)  # the longest waiting first


def test_which_contracts_are_shown(term_a):
    today = NOW.date()
    assert dashboard.shown_on_dashboard(term_a, today)
    term_a.status = Contract.Status.DRAFT
    assert not dashboard.shown_on_dashboard(term_a, today)
    # Ended: shown for 180 days after the term, while acceptance and the last payment run.
    term_a.status, term_a.ends_on = Contract.Status.ENDED, today - dt.timedelta(days=180)
    assert dashboard.shown_on_dashboard(term_a, today)
    term_a.ends_on = today - dt.timedelta(days=181)
    assert not dashboard.shown_on_dashboard(term_a, today)
    # An ended contract's year is its last one, not a year after the term.
    term_a.starts_on, term_a.ends_on = dt.date(2025, 5, 29), dt.date(2026, 5, 28)
    assert dashboard.current_year(term_a, today) == (dt.date(2025, 5, 29), dt.date(2026, 5, 28))


# --- The page ------------------------------------------------------------------------------------


@pytest.fixture
def live_a(term_a):
    """Contract A with data relative to the real now: 4 open emergencies with a target (1 breached,
    3 still running) and 3 resolved incidents that met their targets."""
    now = timezone.now()
    term_a.starts_on = timezone.localdate(now) - dt.timedelta(days=100)
    term_a.ends_on = term_a.starts_on + dt.timedelta(days=364)
    term_a.save()
    for days, breached in ((1, None), (2, "resolution"), (3, None), (4, None)):
        incident(term_a, now - dt.timedelta(days=days), breached=breached, status="new", severity="emergency")
    for days in (5, 6, 7):
        incident(term_a, now - dt.timedelta(days=days), status="resolved")
    return term_a


def test_the_page_in_chinese(client, live_a, client_manager_a):
    client.force_login(client_manager_a)
    response = client.get("/")
    assert response.status_code == 200
    body = response.content.decode()
    assert '<html lang="zh-CN">' in body
    assert "首页" in body  # the default language, whatever the browser asks
    assert "A-2026-OM" in body
    assert "75.0%" in body  # 3 met of 3 + 1 breached, in the table and the ring
    assert "紧急 4" in body  # four open emergencies, with the severity's Chinese label
    assert "css/dashboard.css" in body
    assert body.count("<svg") >= 4  # rings, severity bars, the trend
    board = response.context["board"]
    assert board.totals.sla_recent.percent == 75.0


def test_the_outsider_sees_nothing_of_contract_a(client, live_a, contract_b, outsider):
    Milestone.objects.create(
        contract=live_a, name="甲合同首付款", amount=1000, trigger="signing", due_on=timezone.localdate()
    )
    Report.objects.create(
        contract=live_a,
        kind=ReportKind.MONTHLY,
        period_start=dt.date(2026, 6, 1),
        period_end=dt.date(2026, 6, 30),
        status="submitted",
    )
    client.force_login(outsider)
    response = client.get("/")
    body = response.content.decode()
    assert "A-2026-OM" not in body and "甲合同首付款" not in body
    board = response.context["board"]
    assert [row.contract for row in board.contracts] == [contract_b]
    assert board.totals.sla_recent.with_target == 0 and board.totals.open_total == 0
    assert (board.milestones, board.to_sign_off) == ([], [])


def test_the_page_with_no_contracts_at_all(client, make_user):
    client.force_login(make_user())
    response = client.get("/")
    assert response.status_code == 200
    board = response.context["board"]
    assert board.contracts == [] and board.totals.sla_recent.percent is None
    assert "暂无履行中的合同。" in response.content.decode()  # "No active contracts.", in Chinese


def _more_contracts(base, n):
    """n more contracts of contract A's parties, each with incidents, breaches, slots, a milestone
    and reports, so every aggregate has rows in every contract."""
    made = [base]
    for i in range(n):
        made.append(
            Contract.objects.create(
                code=f"A-2026-X{i}",
                title="运维",
                client=base.client,
                vendor=base.vendor,
                status="active",
                starts_on=base.starts_on + dt.timedelta(days=i),  # a different contract year each
                total=Decimal("100000.00"),
            )
        )
    now = timezone.now()
    for contract in made:
        clause = PenaltyClause.objects.create(
            contract=contract, kind="sla_arrival", title="违约", shape="per_occurrence", rate_percent="1"
        )
        breach(contract, clause, now - dt.timedelta(days=1))
        incident(contract, now - dt.timedelta(days=2), breached="arrival", status="new")
        slot_maker(contract)(now - dt.timedelta(days=1), "done")
        Milestone.objects.create(
            contract=contract,
            name="款",
            amount=1000,
            trigger="signing",
            due_on=timezone.localdate() + dt.timedelta(days=3),
        )
        for status in ("submitted", "draft"):
            Report.objects.create(
                contract=contract,
                kind=ReportKind.MONTHLY if status == "draft" else ReportKind.WEEKLY,
                period_start=dt.date(2026, 6, 1),
                period_end=dt.date(2026, 6, 30),
                status=status,
                due_on=dt.date(2026, 7, 7),
            )
    return made


@pytest.mark.parametrize("extra", [0, 4])
def test_the_query_count_does_not_grow_with_contracts(
    client, live_a, make_user, client_org_a, vendor_org_a, django_assert_max_num_queries, extra
):
    from contracts.models import Role
    from tests.legacy import membership_past_every_guard

    contracts = _more_contracts(live_a, extra)
    # One person in both roles, so that both report lists have rows to show (refused since
    # issue 14, so written as older data could hold it).
    user = make_user(Role.CLIENT_MANAGER, client_org_a)
    membership_past_every_guard(user=user, organization=vendor_org_a, role=Role.VENDOR_MANAGER)
    client.force_login(user)
    with django_assert_max_num_queries(MAX_QUERIES):
        response = client.get("/")
    board = response.context["board"]
    assert len(board.contracts) == len(contracts) == 1 + extra
    assert board.totals.open_total == 4 + (1 + extra)
    assert board.to_sign_off_count == board.to_write_count == 1 + extra


def test_one_and_five_contracts_cost_the_same_queries(client, live_a, client_manager_a):
    client.force_login(client_manager_a)
    with CaptureQueriesContext(connection) as one:
        assert client.get("/").status_code == 200
    _more_contracts(live_a, 4)
    for n in range(50):  # and many more rows in the one contract
        incident(live_a, timezone.now() - dt.timedelta(hours=n), status="acknowledged")
    with CaptureQueriesContext(connection) as five:
        response = client.get("/")
    assert len(response.context["board"].contracts) == 5
    assert len(five) == len(one)
