"""Penalties priced as the seed contracts word them: every expected figure is worked out from the
contract's text in the test itself (DOMAIN.md, shared/seeds/)."""

import datetime as dt
import itertools
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from rest_framework.test import APIClient

from contracts import obligations
from contracts.models import Breach, Milestone, PenaltyClause, Role
from contracts.penalties import deduct_from_milestones, penalty_summary, record_breach, waive_breach

pytestmark = pytest.mark.django_db

WHEN = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def english():
    # The explanation lines are msgids; the Chinese catalogue would translate them.
    with translation.override("en"):
        yield


def terms(contract, total, cap=None):
    contract.total, contract.penalty_cap_percent = D(total), cap
    contract.save()
    return contract


def clause(contract, kind, shape, rate, **fields):
    return PenaltyClause.objects.create(
        contract=contract, kind=kind, title=kind, shape=shape, rate_percent=D(rate), **fields
    )


_minutes = itertools.count()


def breach(contract, kind, occurred_at=None, **fields):
    # Each a minute after the last: two identical manual breaches are refused (issue 13, 5.4).
    occurred_at = occurred_at or WHEN + dt.timedelta(minutes=next(_minutes))
    return record_breach(contract, kind, occurred_at=occurred_at, source="manual", **fields)[0]


def of(summary, kind):
    return next(c for c in summary.clauses if c.clause.kind == kind)


# --- Seed 000: Zhuhai, ¥708,000 ------------------------------------------------------------------


def test_seed_000_weekly_inspections_three_days_late(contract_a):
    # 第六条 2: 未能按时完成每周巡检 … 每日向甲方支付合同总额的千分之叁 (0.3% of the total a day).
    terms(contract_a, "708000.00")
    clause(contract_a, "late_service", "per_day", "0.3", termination_after_days=5)
    breach(contract_a, "late_service", days_late=3)
    summary = penalty_summary(contract_a)
    assert 3 * D("0.003") * D(708000) == D(6372)
    assert of(summary, "late_service").amount == D("6372.00")
    assert "3 days × 0.3% × ¥708,000.00 = ¥6,372.00" in of(summary, "late_service").lines
    assert summary.vendor_total == D("6372.00")
    assert summary.client_total == D("0.00")


def test_seed_000_client_late_payment_is_summed_apart_from_the_vendors(contract_a):
    # 第六条 1: 逾期付款部分金额按照每日万分之一 (0.01% of the overdue amount a day).
    terms(contract_a, "708000.00")
    clause(contract_a, "late_service", "per_day", "0.3")
    clause(contract_a, "late_payment", "per_day", "0.01", party="client", base="overdue_amount")
    breach(contract_a, "late_service", days_late=3)
    breach(contract_a, "late_payment", days_late=10, overdue_amount=D("636000.00"))
    summary = penalty_summary(contract_a)
    # The final payment ¥636,000 ten days late: 10 × 0.01% × 636,000 = ¥636.00.
    assert 10 * D("0.0001") * D(636000) == D(636)
    assert of(summary, "late_payment").lines == ["10 days × 0.01% × ¥636,000.00 = ¥636.00"]
    assert summary.client_total == D("636.00")
    assert summary.vendor_total == D("6372.00")

    # The signing payment ¥72,000 five days late too: (5 × 72,000 + 10 × 636,000) × 0.01% = ¥672.
    breach(contract_a, "late_payment", days_late=5, overdue_amount=D("72000.00"))
    assert (5 * D(72000) + 10 * D(636000)) * D("0.0001") == D(672)
    assert penalty_summary(contract_a).client_total == D("672.00")

    # Were the vendor's penalties capped (seed 001 style, here 0.5% = ¥3,540), the client's
    # would neither be cut nor eat into that cap.
    terms(contract_a, "708000.00", cap=D("0.5"))
    summary = penalty_summary(contract_a)
    assert (summary.vendor_subtotal, summary.vendor_total) == (D("6372.00"), D("3540.00"))
    assert summary.client_total == D("672.00")


# --- Seed 001: Beijing, ¥6,986,000, all penalties at most 30% ------------------------------------


def seed_001(contract):
    # 九 1.(1) 每延误1个日历日 … 合同总价的 0.5% … 最高限额为合同总价的 10%;
    # (2) 其他违约行为 … 10%; 8. 泄密 … 30%; (3) 累加计算后 … 最高为合同总价的 30%.
    terms(contract, "6986000.00", cap=D(30))
    clause(contract, "late_delivery", "per_day", "0.5", cap_percent=D(10))
    clause(contract, "other_breach", "per_occurrence", "10")
    clause(contract, "secret_leak", "one_off", "30")
    return contract


def test_seed_001_delay_is_capped_at_ten_percent(contract_a):
    seed_001(contract_a)
    breach(contract_a, "late_delivery", days_late=25)
    summary = penalty_summary(contract_a)
    # 25 × 0.5% = 12.5% of ¥6,986,000 = ¥873,250, above the 10% cap: ¥698,600.
    assert 25 * D("0.005") * D(6986000) == D(873250)
    assert D("0.10") * D(6986000) == D(698600)
    assert of(summary, "late_delivery").amount == D("698600.00")
    assert of(summary, "late_delivery").lines == [
        "25 days × 0.5% × ¥6,986,000.00 = ¥873,250.00",
        "Capped at 10% of ¥6,986,000.00 = ¥698,600.00",
    ]
    assert summary.vendor_total == D("698600.00")
    assert not summary.vendor_capped


def test_seed_001_all_penalties_together_never_above_thirty_percent(contract_a):
    seed_001(contract_a)
    breach(contract_a, "late_delivery", days_late=25)  # 10% after its own cap
    for _ in range(3):
        breach(contract_a, "other_breach")  # 10% each
    breach(contract_a, "secret_leak")  # 30%
    summary = penalty_summary(contract_a)
    # 10% + 3 × 10% + 30% = 70% of the total, above 30%: ¥2,095,800.
    assert summary.vendor_subtotal == D("0.70") * D(6986000) == D("4890200.00")
    assert summary.vendor_total == D("0.30") * D(6986000) == D("2095800.00")
    assert summary.vendor_capped
    assert summary.lines[-1] == (
        "All of the vendor's penalties together are capped at 30% of ¥6,986,000.00 = ¥2,095,800.00"
    )


def test_seed_001_deductions_from_unpaid_milestones_latest_first(contract_a):
    seed_001(contract_a)

    def milestone(name, amount, trigger, **extra):
        return Milestone.objects.create(
            contract=contract_a, name=name, amount=D(amount), trigger=trigger, **extra
        )

    paid = milestone("预付款", "2670060.00", "effective", status="paid", paid_on=dt.date(2026, 1, 20))
    initial = milestone(
        "初验款", "3617340.00", "initial_acceptance", status="due", due_on=dt.date(2026, 9, 1)
    )
    # Final acceptance has not happened: no due date yet, so it is the latest.
    final = milestone("终验款", "698600.00", "final_acceptance")
    breach(contract_a, "late_delivery", days_late=25)  # ¥698,600
    assert deduct_from_milestones(contract_a) == [(final, D("698600.00")), (initial, D("0.00"))]

    # With the leak, 10% + 30% is capped at 30% = ¥2,095,800: the final payment's ¥698,600 and
    # ¥2,095,800 − ¥698,600 = ¥1,397,200 from the initial-acceptance payment.
    breach(contract_a, "secret_leak")
    assert D(2095800) - D(698600) == D(1397200)
    for _ in range(2):  # idempotent: recomputed from scratch
        result = deduct_from_milestones(contract_a)
    assert result == [(final, D("698600.00")), (initial, D("1397200.00"))]
    final.refresh_from_db()
    initial.refresh_from_db()
    paid.refresh_from_db()
    assert (final.deduction, initial.deduction, paid.deduction) == (D("698600.00"), D("1397200.00"), D(0))
    assert final.payable == D(0)

    # ¥100,000 already deducted from the paid milestone was recovered then.
    Milestone.objects.filter(pk=paid.pk).update(deduction=D("100000.00"))
    assert deduct_from_milestones(contract_a)[1] == (initial, D("1297200.00"))


# --- Seeds 002, 003: one-offs and capped client late payment -------------------------------------


def test_seed_002_one_off_and_client_late_payment_capped_at_three_percent(contract_a):
    # 九 1: 大面积故障 … 合同总金额百分之五; 4: 每延迟一日 … 合同总价的0.1% … 最高限额 … 3%.
    terms(contract_a, "711880.00")
    clause(contract_a, "major_outage", "one_off", "5")
    clause(contract_a, "late_payment", "per_day", "0.1", party="client", cap_percent=D(3))
    breach(contract_a, "major_outage")
    breach(contract_a, "major_outage")
    breach(contract_a, "late_payment", days_late=20)
    summary = penalty_summary(contract_a)
    # One-off: 5% × ¥711,880 = ¥35,594 however many outages.
    assert of(summary, "major_outage").amount == D("0.05") * D(711880) == D("35594.00")
    # 20 days × 0.1% × ¥711,880 = ¥14,237.60, under the 3% cap (¥21,356.40).
    assert summary.client_total == 20 * D("0.001") * D(711880) == D("14237.60")

    # A second delay from the 21st day on (days covered once each): 45 days, 4.5%, capped at 3%.
    breach(contract_a, "late_payment", days_late=25, occurred_at=WHEN + dt.timedelta(days=20))
    summary = penalty_summary(contract_a)
    assert summary.client_total == D("0.03") * D(711880) == D("21356.40")
    assert summary.vendor_total == D("35594.00")


def test_seed_003_vendor_breach_is_twenty_percent(contract_a):
    # 七 2: 乙方未能履行合同约定 … 合同总价20%的违约金.
    terms(contract_a, "6015320.00")
    clause(contract_a, "vendor_breach", "one_off", "20")
    breach(contract_a, "vendor_breach")
    assert penalty_summary(contract_a).vendor_total == D("0.20") * D(6015320) == D("1203064.00")


# --- Seed 004: Xinjiang, ¥770,000: 1% each, 20% at the third -------------------------------------


@pytest.mark.parametrize(
    ("mode", "breaches", "expected"),
    [
        ("replaces", 1, D("0.01") * 770000),  # ¥7,700
        ("replaces", 2, 2 * D("0.01") * 770000),  # ¥15,400
        ("replaces", 3, D("0.20") * 770000),  # 发生三次 … 20%: ¥154,000 instead of the three 1%s
        ("replaces", 4, D("0.20") * 770000),
        ("adds", 3, 3 * D("0.01") * 770000 + D("0.20") * 770000),  # ¥23,100 + ¥154,000 = ¥177,100
    ],
)
def test_seed_004_each_breach_one_percent_and_the_third_escalates(contract_a, mode, breaches, expected):
    # 8.2 每发生一次 … 合同总额1%的违约金. 发生三次 … 支付合同总额20%的违约金.
    terms(contract_a, "770000.00")
    clause(
        contract_a,
        "service_breach",
        "per_occurrence",
        "1",
        escalation_at=3,
        escalation_percent=D(20),
        escalation_mode=mode,
    )
    for _ in range(breaches):
        breach(contract_a, "service_breach")
    assert penalty_summary(contract_a).vendor_total == expected.quantize(D("0.01"))


def test_seed_004_staff_replacements_threshold(contract_a):
    # 人员 3: 一年内连续更换2人及以上 … 扣除 … 合同总金额的1%. The staffing service records one
    # breach when the second replacement within a contract year happens.
    terms(contract_a, "770000.00")
    clause(contract_a, "staff_replacement", "count_threshold", "1", threshold_count=2)
    breach(contract_a, "staff_replacement", source_ref="year:2025")
    summary = penalty_summary(contract_a)
    assert summary.vendor_total == D("0.01") * D(770000) == D("7700.00")
    assert of(summary, "staff_replacement").lines == [
        "1 crossing of the threshold (2 events in a contract year) × 1% × ¥770,000.00 = ¥7,700.00"
    ]


def test_a_waived_breach_is_listed_counts_zero_and_needs_a_reason(contract_a, make_user):
    terms(contract_a, "770000.00")
    clause(contract_a, "service_breach", "per_occurrence", "1", escalation_at=3, escalation_percent=D(20))
    *_, third = [breach(contract_a, "service_breach") for _ in range(3)]
    assert penalty_summary(contract_a).vendor_total == D("154000.00")
    manager = make_user()
    for reason in ["", "   "]:
        with pytest.raises(ValidationError) as error:
            waive_breach(third, by=manager, reason=reason)
        assert "reason" in error.value.message_dict
    waive_breach(third, by=manager, reason="甲方确认为不可抗力")
    third.refresh_from_db()
    assert (third.waived, third.waived_by, third.waived_at is not None) == (True, manager, True)
    summary = penalty_summary(contract_a)
    # Two breaches count, no escalation: 2 × 1% = ¥15,400.
    assert summary.vendor_total == D("15400.00")
    assert (of(summary, "service_breach").breaches, of(summary, "service_breach").waived) == (2, 1)
    assert "1 waived breach counts zero" in of(summary, "service_breach").lines
    with pytest.raises(ValidationError):
        waive_breach(third, by=manager, reason="again")


# --- Recording ------------------------------------------------------------------------------------


def test_record_breach_is_idempotent_on_source_ref(contract_a):
    clause(contract_a, "late_service", "per_day", "0.3")
    args = {"occurred_at": WHEN, "source": "inspection", "days_late": 1}
    first, created = record_breach(contract_a, "late_service", source_ref="slot:2026-06-01T08:00", **args)
    again, created_again = record_breach(
        contract_a, "late_service", source_ref="slot:2026-06-01T08:00", **args
    )
    assert (created, created_again, again.pk) == (True, False, first.pk)
    record_breach(contract_a, "late_service", source_ref="slot:2026-06-01T13:00", **args)
    # Without a reference a call is a new breach, but not the same fact twice (issue 13, 5.4:
    # same kind, moment and source is refused; it doubled the bill).
    record_breach(contract_a, "late_service", **args)
    with pytest.raises(ValidationError):
        record_breach(contract_a, "late_service", **args)
    assert Breach.objects.filter(contract=contract_a).count() == 3


def test_record_breach_rereads_the_row_a_concurrent_run_inserted(contract_a, monkeypatch):
    from django.db.models import QuerySet

    first, _ = record_breach(contract_a, "late_report", occurred_at=WHEN, source="report", source_ref="r:1")
    real_get, raced = QuerySet.get, []

    def racing_get(self, *args, **kwargs):
        # Our read misses the row another worker inserts just before our write.
        if self.model is Breach and not raced:
            raced.append(True)
            raise Breach.DoesNotExist
        return real_get(self, *args, **kwargs)

    monkeypatch.setattr(QuerySet, "get", racing_get)
    again, created = record_breach(
        contract_a, "late_report", occurred_at=WHEN, source="report", source_ref="r:1"
    )
    assert (raced, again.pk, created) == ([True], first.pk, False)
    assert Breach.objects.count() == 1


def test_record_breach_asks_for_the_figures_its_clause_needs(contract_a):
    clause(contract_a, "late_service", "per_day", "0.3")
    clause(contract_a, "late_payment", "per_day", "0.01", party="client", base="overdue_amount")
    with pytest.raises(ValidationError) as error:
        record_breach(contract_a, "late_service", occurred_at=WHEN, source="inspection")
    assert "days_late" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        record_breach(contract_a, "late_payment", occurred_at=WHEN, source="manual", days_late=3)
    assert "overdue_amount" in error.value.message_dict
    assert not Breach.objects.exists()


def test_a_breach_without_a_clause_is_recorded_unpriced(contract_a):
    terms(contract_a, "708000.00")
    recorded = breach(contract_a, "late_report")
    assert recorded.clause is None
    summary = penalty_summary(contract_a)
    assert summary.vendor_total == D(0)
    assert [(u.kind, u.breaches) for u in summary.unpriced] == [("late_report", 1)]
    # Issue 13: the line a person reads names the kind by its label, not its code.
    assert f"breach of kind “{obligations.label('late_report')}” has no clause" in summary.lines[-1]


def test_summary_takes_the_same_queries_for_50_breaches_or_500(contract_a):
    terms(contract_a, "770000.00", cap=D(30))
    clause(contract_a, "late_service", "per_day", "0.3")
    clause(contract_a, "late_payment", "per_day", "0.01", party="client", base="overdue_amount")
    clause(contract_a, "service_breach", "per_occurrence", "1", escalation_at=3, escalation_percent=D(20))
    clauses = list(PenaltyClause.objects.filter(contract=contract_a))
    counts = []
    for n in (50, 500):
        Breach.objects.all().delete()
        Breach.objects.bulk_create(
            Breach(
                contract=contract_a,
                clause=clauses[i % 3],
                kind=clauses[i % 3].kind,
                occurred_at=WHEN,
                days_late=1,
                overdue_amount=D("1000.00"),
                source="manual",
                waived=i % 10 == 0,
                waived_reason="test" if i % 10 == 0 else "",
            )
            for i in range(n)
        )
        with CaptureQueriesContext(connection) as queries:
            penalty_summary(contract_a)
        counts.append(len(queries))
    assert counts == [2, 2]  # the clauses, and one aggregate of the breaches


# --- API ------------------------------------------------------------------------------------------


@pytest.fixture
def client_manager_a(make_user, client_org_a):
    return make_user(Role.CLIENT_MANAGER, client_org_a)


def api_as(user):
    api = APIClient()
    api.force_authenticate(user)
    return api


NEW_BREACH = {
    "contract": "A-2026-OM",
    "kind": "late_service",
    "occurred_at": "2026-06-01T09:00Z",
    "days_late": 3,
}
NEW_CLAUSE = {"contract": "A-2026-OM", "kind": "major_outage", "title": "大面积故障", "shape": "one_off"}


def test_api_outsider_gets_404_for_another_contracts_breaches(contract_a, contract_b, outsider):
    recorded = breach(contract_a, "late_report")
    api = api_as(outsider)
    assert api.get(f"/api/v1/breaches/{recorded.pk}/").status_code == 404
    assert api.post(f"/api/v1/breaches/{recorded.pk}/waive/", {"reason": "x"}).status_code == 404
    assert api.get("/api/v1/breaches/").json()["count"] == 0
    assert api.get("/api/v1/contracts/A-2026-OM/penalties/").status_code == 404


def test_api_client_staff_cannot_create_a_breach(contract_a, client_staff_a):
    clause(contract_a, "late_service", "per_day", "0.3")
    response = api_as(client_staff_a).post("/api/v1/breaches/", NEW_BREACH, format="json")
    assert response.status_code == 403
    assert not Breach.objects.exists()


def test_api_refused_creations_write_nothing(contract_a, contract_b, client_manager_a):
    clause(contract_a, "late_service", "per_day", "0.3")
    clause(contract_b, "late_service", "per_day", "0.3")
    api = api_as(client_manager_a)
    body = {key: value for key, value in NEW_BREACH.items() if key != "days_late"}
    response = api.post("/api/v1/breaches/", body, format="json")
    assert (response.status_code, list(response.json())) == (400, ["days_late"])
    response = api.post("/api/v1/breaches/", {**NEW_BREACH, "contract": "B-2026-OM"}, format="json")
    assert response.status_code == 400
    assert "contract" in response.json()
    clause_data = {**NEW_CLAUSE, "contract": "B-2026-OM", "rate_percent": "5"}
    assert api.post("/api/v1/penalty-clauses/", clause_data, format="json").status_code == 400
    assert not Breach.objects.exists()
    assert PenaltyClause.objects.count() == 2


@pytest.mark.parametrize("rate", ["150", "-1"])
def test_api_percent_outside_0_100_names_the_field(contract_a, client_manager_a, rate):
    data = {**NEW_CLAUSE, "rate_percent": rate}
    response = api_as(client_manager_a).post("/api/v1/penalty-clauses/", data, format="json")
    assert response.status_code == 400
    assert "rate_percent" in response.json()
    assert not PenaltyClause.objects.exists()


def test_api_manager_records_waives_and_reads_the_summary(contract_a, client_manager_a, vendor_engineer_a):
    terms(contract_a, "708000.00")
    clause(contract_a, "late_service", "per_day", "0.3")
    api = api_as(client_manager_a)
    body = {**NEW_BREACH, "source_ref": "week:2026-22"}
    response = api.post("/api/v1/breaches/", body, format="json")
    assert response.status_code == 201
    created = response.json()
    assert (created["source"], created["recorded_by"]) == ("manual", client_manager_a.username)
    assert api.post("/api/v1/breaches/", body, format="json").json()["id"] == created["id"]  # idempotent

    summary = api.get("/api/v1/contracts/A-2026-OM/penalties/").json()
    assert summary["vendor_total"] == "6372.00"
    # The API answers in Chinese unless the caller chose English: the lines come translated.
    assert summary["clauses"][0]["lines"] == ["3 天 × 0.3% × ¥708,000.00 = ¥6,372.00"]
    assert api.get("/api/v1/breaches/", {"contract": "A-2026-OM", "waived": "false"}).json()["count"] == 1

    url = f"/api/v1/breaches/{created['id']}/waive/"
    assert api_as(vendor_engineer_a).post(url, {"reason": "x"}).status_code == 403
    response = api.post(url, {})
    assert response.status_code == 400
    assert "reason" in response.json()
    assert api.post(url, {"reason": "周报已补交"}).json()["waived"] is True
    assert api.get("/api/v1/contracts/A-2026-OM/penalties/").json()["vendor_total"] == "0.00"


def test_api_new_clause_adopts_the_unpriced_breaches_of_its_kind(contract_a, client_manager_a):
    terms(contract_a, "711880.00")
    breach(contract_a, "major_outage")
    data = {**NEW_CLAUSE, "rate_percent": "5"}
    assert api_as(client_manager_a).post("/api/v1/penalty-clauses/", data, format="json").status_code == 201
    assert penalty_summary(contract_a).vendor_total == D("35594.00")


def test_api_clause_kind_is_unique_fixed_once_created_and_kept_while_it_has_breaches(
    contract_a, client_manager_a
):
    api = api_as(client_manager_a)
    data = {**NEW_CLAUSE, "kind": "late_service", "shape": "per_day", "rate_percent": "0.3"}
    created = api.post("/api/v1/penalty-clauses/", data, format="json").json()
    assert api.post("/api/v1/penalty-clauses/", data, format="json").status_code == 400
    url = f"/api/v1/penalty-clauses/{created['id']}/"
    response = api.patch(url, {"kind": "other", "rate_percent": "0.5"}, format="json")
    assert response.status_code == 200
    assert (response.json()["kind"], response.json()["rate_percent"]) == ("late_service", "0.5000")
    response = api.patch(url, {"shape": "count_threshold"}, format="json")
    assert response.status_code == 400
    assert "threshold_count" in response.json()
    breach(contract_a, "late_service", days_late=1)
    assert api.delete(url).status_code == 409
    assert PenaltyClause.objects.filter(pk=created["id"]).exists()


def test_admin_lists_and_waives_with_a_reason_and_who(contract_a, admin_client, admin_user):
    clause(contract_a, "late_service", "per_day", "0.3")
    recorded = breach(contract_a, "late_service", days_late=2)
    url = f"/admin/contracts/breach/{recorded.pk}/change/"
    for page in [
        "/admin/contracts/penaltyclause/",
        "/admin/contracts/penaltyclause/add/",
        "/admin/contracts/breach/",
        url,
    ]:
        assert admin_client.get(page).status_code == 200, page
    form = {
        "contract": contract_a.pk,
        "kind": "late_service",
        "clause": recorded.clause_id,
        "occurred_at_0": "2026-06-01",
        "occurred_at_1": "09:00:00",
        "days_late": "2",
        "source": "manual",
        "waived": "on",
        "waived_reason": "",
    }
    response = admin_client.post(url, form)
    assert response.status_code == 200
    assert "waived_reason" in response.context["adminform"].form.errors
    assert admin_client.post(url, {**form, "waived_reason": "甲方同意免除"}).status_code == 302
    recorded.refresh_from_db()
    assert (recorded.waived, recorded.waived_by) == (True, admin_user)
