"""The money side of the contracts (issue 13): per-day clauses count days, the LPR as data, late
payments and build delays that grow each day, termination rights, refused duplicates, deductions
never above the payment, seed 001's build timeline. Every figure is worked out from the contract
texts (shared/seeds/) in the test."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from rest_framework.test import APIClient

from contracts.models import Breach, BuildTimeline, Contract, LoanPrimeRate, Milestone, PenaltyClause, Role
from contracts.penalties import penalty_summary, record_breach, vendor_exposure
from contracts.services import load_seed_contracts
from contracts.settlement import settle, settle_late_payments, termination_rights, timeline_of
from contracts.worktime import CHINA_TZ
from om_portal.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def beijing(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=CHINA_TZ)


def of(summary, kind):
    return next(c for c in summary.clauses if c.clause.kind == kind)


@pytest.fixture
def seeds(db):
    return {contract.code: contract for contract, _created in load_seed_contracts()}


def api_as(user):
    api = APIClient()
    api.force_authenticate(user)
    return api


# --- 6: per-day clauses count days ---------------------------------------------------------------


def test_seed_000_three_rounds_missed_on_one_day_cost_one_day(seeds):
    # Seed 000 第六条 2: "未能严格按本合同定时完成每周巡检等维护、服务工作的 … 需要每日向甲方支付
    # 合同总额的千分之叁作为违约金". The heightened period's rounds at 08:00, 13:00 and 19:00 all
    # missed on 2026-06-01 are one day late: 1 × 0.3% × ¥708,000 = ¥2,124, not 3 × ¥2,124.
    contract = seeds["ZH-2023-SPS"]
    day = dt.date(2026, 6, 1)
    for n, hour in enumerate((8, 13, 19)):
        record_breach(
            contract,
            "late_service",
            occurred_at=beijing(day, hour, 30),
            source="inspection",
            source_ref=f"slot:{n}",
            days_late=1,
        )
    item = of(penalty_summary(contract), "late_service")
    assert 1 * D("0.003") * D(708000) == D(2124)
    assert (item.breaches, item.days, item.amount) == (3, 1, D("2124.00"))
    assert item.lines[0] == "Days counted once each: 3 breaches on 2026-06-01 (1 day) = 1 day"

    # A round missed on 06-03 and a support request 2 days late from 06-02 (06-02 and 06-03):
    # the days covered are 06-01, 06-02, 06-03: 3 × 0.3% × ¥708,000 = ¥6,372.
    record_breach(
        contract, "late_service", occurred_at=beijing(day + dt.timedelta(days=2), 8, 30),
        source="inspection", source_ref="slot:3", days_late=1,
    )  # fmt: skip
    record_breach(
        contract, "late_service", occurred_at=beijing(day + dt.timedelta(days=1), 10),
        source="incident", source_ref="incident:1:resolution", days_late=2,
    )  # fmt: skip
    item = of(penalty_summary(contract), "late_service")
    assert (item.days, item.amount) == (3, 3 * D("0.003") * D(708000))
    assert item.lines[0] == (
        "Days counted once each: 5 breaches from 2026-06-01 to 2026-06-03 (3 days) = 3 days"
    )
    assert item.lines[1] == "3 days × 0.3% × ¥708,000.00 = ¥6,372.00"
    # The dashboard's exposure prices the same days.
    assert vendor_exposure([contract], recent_since=beijing(day, 0))[contract.pk].vendor_total == D("6372.00")


def test_the_summary_still_takes_two_queries_with_breaches_on_many_days(seeds):
    contract = seeds["ZH-2023-SPS"]
    for n in range(40):
        record_breach(
            contract, "late_service", occurred_at=beijing(dt.date(2026, 6, 1), 8) + dt.timedelta(days=n),
            source="inspection", source_ref=f"slot:{n}", days_late=1,
        )  # fmt: skip
    with CaptureQueriesContext(connection) as queries:
        summary = penalty_summary(contract)
    # 40 days × 0.3% = 12% of ¥708,000 = ¥84,960 (seed 000 has no cap).
    assert of(summary, "late_service").amount == 40 * D("0.003") * D(708000) == D("84960.00")
    assert len(queries) == 2


# --- 4 and 5.3: late payments, the LPR --------------------------------------------------------------


def test_seed_000_late_payment_grows_daily_and_stops_when_paid(seeds):
    # Seed 000 第六条 1: "逾期付款部分金额按照每日万分之一的标准计算违约金，计算日期从应付款之日起".
    contract = seeds["ZH-2023-SPS"]
    first = contract.milestones.get(name="签约款")  # ¥72,000, due 10 working days after signing
    assert first.due_on == dt.date(2023, 11, 23)
    # Unpaid 3 days after its due date: 3 × 0.01% × ¥72,000 = ¥21.60.
    assert settle_late_payments(dt.date(2023, 11, 26)) == 1
    breach = Breach.objects.get(contract=contract, source="payment", source_ref=f"milestone:{first.pk}")
    assert (breach.kind, breach.days_late, breach.overdue_amount) == ("late_payment", 3, D("72000.00"))
    assert breach.occurred_at == beijing(dt.date(2023, 11, 24), 0)
    assert of(penalty_summary(contract), "late_payment").amount == 3 * D("0.0001") * D(72000) == D("21.60")
    # A day later it has grown to 4 days; a rerun the same day writes nothing.
    assert settle_late_payments(dt.date(2023, 11, 27)) == 1
    assert settle_late_payments(dt.date(2023, 11, 27)) == 0
    breach.refresh_from_db()
    assert breach.days_late == 4
    # Paid on 11-28: 5 days late for good, whenever the beat runs after.
    first.status, first.paid_on = Milestone.Status.PAID, dt.date(2023, 11, 28)
    first.save()
    settle_late_payments(dt.date(2024, 3, 1))
    breach.refresh_from_db()
    assert breach.days_late == 5
    assert Breach.objects.filter(contract=contract, source="payment").count() == 1
    assert penalty_summary(contract).client_total == 5 * D("0.0001") * D(72000) == D("36.00")


def test_a_payment_date_corrected_to_on_time_withdraws_its_breach(seeds):
    # DOMAIN.md, readings: "an edit that shows it was met withdraws it, with a line on the audit
    # trail". Seed 000's ¥72,000 is due 2023-11-23; recorded as paid 11-28 it is 5 days late.
    contract = seeds["ZH-2023-SPS"]
    first = contract.milestones.get(name="签约款")
    first.status, first.paid_on = Milestone.Status.PAID, dt.date(2023, 11, 28)
    first.save()
    settle_late_payments(dt.date(2023, 12, 1))
    breach = Breach.objects.get(contract=contract, source="payment")
    # The bureau corrects the date: it was paid on 11-22, before the due date. The breach stays in
    # the ledger, withdrawn, and counts zero.
    first.paid_on = dt.date(2023, 11, 22)
    first.save()
    settle_late_payments(dt.date(2023, 12, 1))
    breach.refresh_from_db()
    assert breach.withdrawn_at is not None and breach.withdrawn_reason
    assert penalty_summary(contract).client_total == D("0.00")
    assert AuditEntry.objects.filter(action="withdraw", object_id=str(breach.pk)).exists()
    # Corrected back to 11-25 (2 days late): the same entry is in force again, not a second one.
    first.paid_on = dt.date(2023, 11, 25)
    first.save()
    settle_late_payments(dt.date(2023, 12, 1))
    breach.refresh_from_db()
    assert (breach.withdrawn_at, breach.days_late) == (None, 2)
    assert Breach.objects.filter(contract=contract, source="payment").count() == 1
    assert penalty_summary(contract).client_total == 2 * D("0.0001") * D(72000) == D("14.40")


def test_seed_002_late_payment_is_capped_at_three_percent(seeds):
    # Seed 002 九 4: "违约金按每延迟一日向乙方支付合同总价的0.1%计算，最高限额为本合同总价的3%".
    # The one payment is due by the term's last day, 2025-11-11; unpaid on 12-21 it is 40 days
    # late: 40 × 0.1% = 4% of ¥711,880, above the cap: 3% = ¥21,356.40.
    contract = seeds["XX-2024-SEAL"]
    assert contract.milestones.get().due_on == dt.date(2025, 11, 11)
    settle(dt.date(2025, 12, 21))
    item = of(penalty_summary(contract), "late_payment")
    assert item.days == 40
    assert item.amount == D("0.03") * D(711880) == D("21356.40")
    assert item.lines[-1] == "Capped at 3% of ¥711,880.00 = ¥21,356.40"


def test_seed_003_late_payment_at_the_lpr_in_force_when_the_contract_took_effect(seeds):
    # Seed 003 七.1: "每逾期1日,乙方有权要求甲方按照合同生效当日的1年期LPR … 支付未付款项的逾期
    # 违约金,逾期违约金的最高限额为合同总价的10%". Reading: the LPR is an annual rate, a day
    # costs a 365th of it on the unpaid amount.
    contract = seeds["BJ-2026-RP"]
    first = contract.milestones.get(name="首付款")  # 50% = ¥3,007,660 within 15 days of 05-29
    assert (first.value, first.due_on) == (D("3007660.00"), dt.date(2026, 6, 13))
    settle_late_payments(dt.date(2026, 7, 13))  # 30 days late, no LPR entered yet
    item = of(penalty_summary(contract), "late_payment")
    assert item.amount == D("0.00")
    assert item.lines == [
        "No one-year LPR in force on 2026-05-29 has been entered: an administrator enters it"
    ]
    # The rate published 2026-05-20 is the one in force on 05-29; the later one does not count.
    LoanPrimeRate.objects.create(effective_on=dt.date(2026, 4, 20), one_year_percent=D("3.100"))
    LoanPrimeRate.objects.create(effective_on=dt.date(2026, 5, 20), one_year_percent=D("3.000"))
    LoanPrimeRate.objects.create(effective_on=dt.date(2026, 6, 22), one_year_percent=D("2.900"))
    summary = penalty_summary(contract)
    item = of(summary, "late_payment")
    # 30 days × ¥3,007,660 × 3.0% ÷ 365 = ¥7,416.147… → ¥7,416.15 (under 10% = ¥601,532).
    assert D(30) * D(3007660) * D("0.03") / 365 == pytest.approx(D("7416.1479"), abs=D("0.0001"))
    assert item.amount == D("7416.15") == summary.client_total
    assert item.lpr.effective_on == dt.date(2026, 5, 20)
    assert item.lines[0] == (
        "Rate: the one-year LPR in force on 2026-05-29 (published 2026-05-20) 3% a year ÷ 365 "
        "= 0.008219% a day"
    )
    assert item.lines[1] == "30 days × 0.008219% × ¥3,007,660.00 = ¥7,416.15"


def test_api_lpr_rates_are_read_by_all_and_written_by_administrators(administrator, client_staff_a):
    body = {"effective_on": "2026-05-20", "one_year_percent": "3.000", "source": "全国银行间同业拆借中心公告"}
    assert api_as(client_staff_a).post("/api/v1/lpr-rates/", body, format="json").status_code == 403
    assert not LoanPrimeRate.objects.exists()
    response = api_as(administrator).post("/api/v1/lpr-rates/", body, format="json")
    assert response.status_code == 201
    bad = api_as(administrator).post("/api/v1/lpr-rates/", {**body, "one_year_percent": "-1"}, format="json")
    assert bad.status_code == 400 and "one_year_percent" in bad.json()
    listed = api_as(client_staff_a).get("/api/v1/lpr-rates/").json()
    assert [row["effective_on"] for row in listed["results"]] == ["2026-05-20"]


def test_api_summary_shows_the_rate_and_the_lpr_it_used(seeds, administrator):
    contract = seeds["BJ-2026-RP"]
    LoanPrimeRate.objects.create(effective_on=dt.date(2026, 5, 20), one_year_percent=D("3.000"))
    settle_late_payments(dt.date(2026, 7, 13))
    manager = administrator  # an administrator reads every contract
    data = api_as(manager).get(f"/api/v1/contracts/{contract.code}/penalties/", HTTP_ACCEPT_LANGUAGE="en")
    assert data.status_code == 200, data.content
    late = next(c for c in data.json()["clauses"] if c["kind"] == "late_payment")
    assert (late["lpr_effective_on"], late["lpr_one_year_percent"], late["amount"]) == (
        "2026-05-20",
        "3.000",
        "7416.15",
    )


# --- 5.4: an identical manual breach is refused -----------------------------------------------------


def test_an_identical_manual_breach_is_refused_everywhere(contract_a, make_user, client):
    PenaltyClause.objects.create(
        contract=contract_a, kind="late_service", title="巡检逾期", shape="per_day", rate_percent=D("0.3")
    )
    moment = beijing(dt.date(2026, 6, 1), 9)
    record_breach(contract_a, "late_service", occurred_at=moment, source="manual", days_late=2)
    with pytest.raises(ValidationError) as error:
        record_breach(contract_a, "late_service", occurred_at=moment, source="manual", days_late=2)
    assert "occurred_at" in error.value.message_dict
    # A minute later is another fact.
    record_breach(
        contract_a, "late_service", occurred_at=moment + dt.timedelta(minutes=1), source="manual", days_late=1
    )
    manager = make_user(Role.CLIENT_MANAGER, contract_a.client)
    body = {
        "contract": contract_a.code,
        "kind": "late_service",
        "occurred_at": moment.isoformat(),
        "days_late": 2,
    }
    response = api_as(manager).post("/api/v1/breaches/", body, format="json")
    assert response.status_code == 400 and "occurred_at" in response.json()
    client.force_login(manager)
    clause = contract_a.penalty_clauses.get()
    page = client.post(
        f"/contracts/{contract_a.code}/penalties/breaches/add/",
        {"clause": clause.pk, "occurred_at": "2026-06-01T09:00", "days_late": 2},
    )
    assert page.status_code == 200
    # The portal speaks Chinese whatever the browser asks: "该违约已记录" is "already recorded".
    assert "该违约已记录" in page.content.decode()
    assert contract_a.breaches.count() == 2


# --- 6: termination rights -------------------------------------------------------------------------


def test_seed_000_more_than_five_days_late_gives_the_right_to_terminate(seeds):
    # Seed 000 第六条 2: "逾期超过 5 日的，甲方有权解除本合同".
    contract = seeds["ZH-2023-SPS"]
    start = dt.date(2026, 6, 1)
    for n in range(5):  # five consecutive days with a missed round: 5 days, not more than 5
        record_breach(
            contract, "late_service", occurred_at=beijing(start + dt.timedelta(days=n), 8),
            source="inspection", source_ref=f"slot:{n}", days_late=1,
        )  # fmt: skip
    assert termination_rights(contract) == []
    record_breach(
        contract, "late_service", occurred_at=beijing(start + dt.timedelta(days=5), 8),
        source="inspection", source_ref="slot:5", days_late=1,
    )  # fmt: skip
    (right,) = termination_rights(contract)
    assert right.clause.kind == "late_service"
    assert right.reason == "A delay of 6 days under “未按时完成每周巡检或技术支持”, more than 5"
    assert [r.clause.kind for r in penalty_summary(contract).termination_rights] == ["late_service"]


def test_seed_004_three_breaches_or_one_staff_conduct_give_the_right(seeds):
    # Seed 004 8.2: "每发生一次 … 1%的违约金。发生三次 … 20%的违约金外，甲方有权解除合同";
    # 8.3: staff "对群众 … 态度恶劣 … 并造成恶劣影响的，甲方有权解除合同 … 支付合同总价20%的违约金".
    contract = seeds["XJ-2024-PAY"]
    moment = beijing(dt.date(2025, 3, 3), 10)
    for n in range(2):
        record_breach(contract, "service_breach", occurred_at=moment + dt.timedelta(days=n), source="manual")
    assert termination_rights(contract) == []
    record_breach(contract, "service_breach", occurred_at=moment + dt.timedelta(days=2), source="manual")
    assert [r.clause.kind for r in termination_rights(contract)] == ["service_breach"]
    record_breach(contract, "staff_conduct", occurred_at=moment, source="manual", note="对来访群众态度恶劣")
    summary = penalty_summary(contract)
    # 20% at the third breach (replacing the three 1%) + 8.3's 20%: 2 × 20% × ¥770,000 = ¥308,000.
    assert of(summary, "staff_conduct").amount == D("0.20") * D(770000) == D("154000.00")
    assert summary.vendor_total == 2 * D("154000.00")
    assert sorted(r.clause.kind for r in termination_rights(contract)) == ["service_breach", "staff_conduct"]


def test_the_contract_page_and_the_dashboard_say_the_right_is_reached(seeds, client, make_user):
    contract = seeds["XJ-2024-PAY"]
    user = make_user(Role.CLIENT_MANAGER, contract.client)
    client.force_login(user)
    record_breach(contract, "staff_conduct", occurred_at=beijing(dt.date(2025, 3, 3), 10), source="manual")
    page = client.get(f"/contracts/{contract.code}/").content.decode()
    home = client.get("/")
    # The portal speaks Chinese: "The client may terminate the contract:", "1 breach under …".
    assert "甲方有权解除合同：" in page
    assert "“技术服务人员态度恶劣并造成恶劣影响”违约 1 次" in page
    row = next(r for r in home.context["board"].contracts if r.contract == contract)
    assert [r.clause.kind for r in row.exposure.rights] == ["staff_conduct"]


# --- 7.2: the dashboard keeps contracts with money open ---------------------------------------------


def test_an_ended_contract_with_money_open_stays_on_the_dashboard(seeds, administrator):
    from reports import dashboard

    contracts = list(Contract.objects.all())
    now = beijing(dt.date(2026, 7, 20), 10)
    # Seed 000 ended 2024-11-08, long before: its final payment awaits an acceptance date, so it
    # is unpaid and the contract stays; seed 003's first payment is overdue since 06-13.
    board = dashboard.dashboard_data(administrator, contracts, now=now)
    codes = {row.contract.code for row in board.contracts}
    assert "ZH-2023-SPS" in codes
    overdue = [m for m in board.milestones if m.due_on and m.due_on < now.date()]
    assert any(m.contract.code == "BJ-2026-RP" and m.name == "首付款" for m in overdue)
    # Every milestone of seed 000 paid and no penalty left: it goes.
    Milestone.objects.filter(contract__code="ZH-2023-SPS").update(status="paid", paid_on=dt.date(2024, 12, 1))
    board = dashboard.dashboard_data(administrator, contracts, now=now)
    assert "ZH-2023-SPS" not in {row.contract.code for row in board.contracts}
    # A breach priced above what the milestones deducted: penalties unsettled, it comes back.
    zh = seeds["ZH-2023-SPS"]
    record_breach(zh, "quality_failure", occurred_at=beijing(dt.date(2024, 6, 3), 10), source="manual")
    board = dashboard.dashboard_data(administrator, contracts, now=now)
    assert "ZH-2023-SPS" in {row.contract.code for row in board.contracts}


# --- 9: deductions never above the payment ----------------------------------------------------------


def test_a_deduction_never_exceeds_the_payment(contract_a, make_user):
    contract_a.total = D("100000.00")
    contract_a.save()
    milestone = Milestone.objects.create(
        contract=contract_a, name="首付款", amount=D("1000.00"), trigger="signing"
    )
    milestone.deduction = D("1500.00")
    assert milestone.payable == D("0.00")  # never negative
    with pytest.raises(ValidationError):
        milestone.full_clean()
    manager = make_user(Role.CLIENT_MANAGER, contract_a.client)
    response = api_as(manager).patch(
        f"/api/v1/milestones/{milestone.pk}/", {"deduction": "1500.00"}, format="json"
    )
    assert response.status_code == 400 and "deduction" in response.json()
    milestone.refresh_from_db()
    assert milestone.deduction == D("0.00")
    ok = api_as(manager).patch(f"/api/v1/milestones/{milestone.pk}/", {"deduction": "400.00"}, format="json")
    assert ok.status_code == 200 and ok.json()["payable"] == "600.00"


# --- 9: seed 001's build timeline ---------------------------------------------------------------------


def test_seed_001_build_timeline_and_delay(seeds, make_user):
    # Seed 001 五: "自签订合同之日起,在180个日历日内实施完成 … 系统实施完成后30个日历日内完成初验";
    # "试运行期 … 如发生问题,自发现问题之日起试运行期将予以延长30个日历日。延长期限内,再次发生
    # 问题的,甲方有权 … 解除合同"; "经过180个日历日试运行后 … 在30个日历日内完成项目终验";
    # 八.2 "维保期3年,从项目通过最终验收合格之日起开始计算"; 九.1(1) "每延误1个日历日的违约金按
    # 合同总价的0.5%计收 … 最高限额为合同总价的10%".
    contract = seeds["BJ-SSP-UPG"]
    contract.signed_on = dt.date(2026, 1, 10)
    contract.save()
    timeline = BuildTimeline.objects.get(contract=contract)
    # Signed 01-10: the 180th day after is 07-09, the build's last day.
    assert timeline.build_due_on == dt.date(2026, 1, 10) + dt.timedelta(days=180) == dt.date(2026, 7, 9)
    # Built 07-19: 10 days late, 10 × 0.5% × ¥6,986,000 = ¥349,300 (under the 10% cap).
    timeline.build_done_on = dt.date(2026, 7, 19)
    timeline.save()
    settle(dt.date(2026, 9, 1))
    late = of(penalty_summary(contract), "late_delivery")
    assert (late.days, late.amount) == (10, 10 * D("0.005") * D(6986000)) == (10, D("349300.00"))
    settle(dt.date(2026, 9, 2))  # the build is done: the days do not grow any more
    assert of(penalty_summary(contract), "late_delivery").days == 10
    # Initial acceptance within 30 days of 07-19: by 08-18; accepted 08-10.
    assert timeline.initial_acceptance_due_on == dt.date(2026, 8, 18)
    timeline.initial_acceptance_on = dt.date(2026, 8, 10)
    timeline.save()
    # 180 days of trial run: to 2027-02-06; one problem adds 30: 2027-03-08; final acceptance
    # within 30 days after: by 2027-04-07.
    assert timeline_of(contract).trial_run_ends_on == dt.date(2027, 2, 6)
    record_breach(
        contract, "trial_run_problem", occurred_at=beijing(dt.date(2026, 10, 12), 10), source="manual"
    )
    derived = timeline_of(contract)
    assert (derived.problems, derived.trial_run_ends_on) == (1, dt.date(2027, 3, 8))
    assert derived.final_acceptance_due_on == dt.date(2027, 4, 7)
    assert termination_rights(contract) == []
    # A second problem: the bureau may terminate.
    record_breach(
        contract, "trial_run_problem", occurred_at=beijing(dt.date(2027, 2, 20), 10), source="manual"
    )
    assert [r.clause.kind for r in termination_rights(contract)] == ["trial_run_problem"]
    # Final acceptance 2027-04-01: the warranty's last day is 2030-03-31.
    timeline.final_acceptance_on = dt.date(2027, 4, 1)
    timeline.save()
    assert timeline_of(contract).warranty_ends_on == dt.date(2030, 3, 31)

    # Through the API: the dates are the client's to enter; the deadlines are derived.
    manager = make_user(Role.CLIENT_MANAGER, contract.client)
    data = api_as(manager).get(f"/api/v1/build-timelines/{timeline.pk}/").json()
    assert (data["build_due_on"], data["trial_run_problems"], data["trial_run_ends_on"]) == (
        "2026-07-09",
        2,
        "2027-04-07",
    )
    assert data["warranty_ends_on"] == "2030-03-31"
    bad = api_as(manager).patch(
        f"/api/v1/build-timelines/{timeline.pk}/", {"final_acceptance_on": "2026-08-01"}, format="json"
    )
    assert bad.status_code == 400 and "final_acceptance_on" in bad.json()
    for field, value in (("build_done_on", "9999-12-31"), ("trial_run_days", 2_000_000_000)):
        # A date or period whose deadlines would leave the calendar: a 400, not a 500.
        odd = api_as(manager).patch(f"/api/v1/build-timelines/{timeline.pk}/", {field: value}, format="json")
        assert odd.status_code == 400 and field in odd.json()
    # 一.②/③: the payments "通过初验后30个工作日内" and "终验合格 … 后30个工作日内" start from the
    # timeline's dates (before, they waited on a trigger date nobody entered: no due date at all).
    # The 30 working days themselves are the official calendar's (tests/contracts/test_worktime.py).
    api_as(manager).patch(f"/api/v1/build-timelines/{timeline.pk}/", {"build_days": 180}, format="json")
    from contracts import worktime

    initial = contract.milestones.get(name="初验款")
    assert initial.due_on is not None
    assert initial.due_on == worktime.add_working_days(dt.date(2026, 8, 10), 30)
    final = contract.milestones.get(name="终验款")
    assert final.due_on == worktime.add_working_days(dt.date(2027, 4, 1), 30)
    vendor = make_user(Role.VENDOR_MANAGER, contract.vendor)
    refused = api_as(vendor).patch(
        f"/api/v1/build-timelines/{timeline.pk}/", {"build_done_on": "2026-07-01"}, format="json"
    )
    assert refused.status_code == 403


def test_the_beat_task_brings_late_payments_up_to_today(seeds):
    # The hourly task (contracts.tasks.tick) runs settle() for today: seed 003's first payment,
    # due 2026-06-13 and unpaid, is as many days late as days have passed since (七.1: 每逾期1日).
    from django.utils import timezone

    from contracts.tasks import tick

    contract = seeds["BJ-2026-RP"]
    first = contract.milestones.get(name="首付款")
    today = timezone.localdate()
    tick()
    tick()  # a rerun the same day changes nothing
    breaches = Breach.objects.filter(contract=contract, source="payment")
    if today <= first.due_on:
        assert not breaches.exists()
    else:
        (breach,) = breaches
        assert breach.days_late == (today - dt.date(2026, 6, 13)).days


def test_the_milestones_tab_shows_what_is_payable(contract_a, client, make_user):
    # 9: a ¥1,000 payment with ¥400 deducted leaves ¥600 to pay.
    Milestone.objects.create(
        contract=contract_a, name="首付款", amount=D("1000.00"), trigger="signing", deduction=D("400.00")
    )
    client.force_login(make_user(Role.CLIENT_MANAGER, contract_a.client))
    page = client.get(f"/contracts/{contract_a.code}/milestones/", HTTP_ACCEPT_LANGUAGE="en")
    assert "¥600.00" in page.content.decode()
