"""Issue 13: the SLA terms the seed contracts load, and seed 000's same-day reply to questions.

Each test quotes the clause it checks and works the figures out by hand.
"""

import pytest
from rest_framework.test import APIClient

from contracts.models import Breach, Contract, Role, SLATerm
from contracts.services import load_seed_contracts
from incidents import knowledge, services
from incidents.clocks import same_day_deadline
from incidents.models import Consultation
from tests.incidents.conftest import at

pytestmark = pytest.mark.django_db

DAY_ENDS = at(2024, 1, 1, 17, 30).timetz()


def terms_of(code):
    return set(
        SLATerm.objects.filter(contract__code=code).values_list(
            "severity", "condition", "clock", "target", "unit", "penalty_clause__kind"
        )
    )


# --- Seed 004: 4 hours and 1 day are resolution targets ------------------------------------------


def test_seed_004_other_unit_and_finance_targets_are_resolution_targets():
    # Seed 004, 三.5: "需协调其它单位的问题4小时内解决，需财政厅配合完成的，1日内解决故障":
    # resolved (解决) within 4 hours and within 1 day, not on site; missed, late performance
    # (8.2 迟延履行…每发生一次，1%), as the 48 hours are.
    load_seed_contracts()
    terms = terms_of("XJ-2024-PAY")
    assert ("", "other_unit", "resolution", 4, "hours", "service_breach") in terms
    assert ("", "finance_department", "resolution", 1, "calendar_days", "service_breach") in terms
    assert not [t for t in terms if t[1] in ("other_unit", "finance_department") and t[2] == "arrival"]


def test_loading_again_corrects_a_contract_loaded_with_the_old_reading():
    load_seed_contracts()
    contract = Contract.objects.get(code="XJ-2024-PAY")
    # As an earlier load wrote them: arrival targets, and no resolution term for the two cases.
    SLATerm.objects.filter(contract=contract, condition__in=["other_unit", "finance_department"]).delete()
    SLATerm.objects.create(contract=contract, condition="other_unit", clock="arrival", target=4, unit="hours")
    SLATerm.objects.create(
        contract=contract, condition="finance_department", clock="arrival", target=1, unit="calendar_days"
    )
    load_seed_contracts()
    corrected = terms_of("XJ-2024-PAY")
    assert ("", "other_unit", "resolution", 4, "hours", "service_breach") in corrected
    assert not [t for t in corrected if t[1] in ("other_unit", "finance_department") and t[2] == "arrival"]
    # A third load changes nothing.
    ids = sorted(SLATerm.objects.values_list("pk", flat=True))
    load_seed_contracts()
    assert sorted(SLATerm.objects.values_list("pk", flat=True)) == ids
    assert terms_of("XJ-2024-PAY") == corrected


def test_seed_004_waiting_on_another_unit_is_due_four_hours_from_the_report(make_user):
    # Reported 2025-03-03 10:00 (a Monday); the fault needs the bank: resolved by 14:00, 4 hours
    # around the clock (核心系统 7×24), where an unaided fault has 48 hours (03-05 10:00).
    load_seed_contracts()
    contract = Contract.objects.get(code="XJ-2024-PAY")
    incident = services.report_incident(
        contract, by=None, title="退费接口异常", source="phone", reported_at=at(2025, 3, 3, 10, 0)
    )
    assert incident.resolution_due == at(2025, 3, 5, 10, 0)
    services.transition(incident, "acknowledge", by=None, at=at(2025, 3, 3, 10, 10))
    services.transition(incident, "wait_other_unit", by=None, at=at(2025, 3, 3, 10, 30), note="等待确认")
    incident.refresh_from_db()
    assert incident.resolution_due == at(2025, 3, 3, 14, 0)
    assert incident.arrival_due is None  # nobody was sent: no arrival clock


# --- Seed 000: general questions answered the same day -------------------------------------------


def test_seed_000_loads_a_same_day_reply_rule_for_general_questions():
    # Seed 000, 三.3(3): "一般问题乙方需在当日内予以答复".
    load_seed_contracts()
    assert ("", "consultation", "response", 1, "same_day", None) in terms_of("ZH-2023-SPS")


@pytest.mark.parametrize(
    ("asked", "due"),
    [
        # Tuesday 10:00, within the business day: by 24:00 the same day.
        (at(2024, 3, 5, 10, 0), at(2024, 3, 6, 0, 0)),
        # Before the day starts: still the same day.
        (at(2024, 3, 5, 7, 30), at(2024, 3, 6, 0, 0)),
        # Tuesday 18:00, after the business day ends at 17:30: by 24:00 of Wednesday.
        (at(2024, 3, 5, 18, 0), at(2024, 3, 7, 0, 0)),
        # Friday 17:45: the next working day is Monday 03-11, so by 24:00 of Monday.
        (at(2024, 3, 8, 17, 45), at(2024, 3, 12, 0, 0)),
        # Saturday 10:00, a non-working day: Monday, by 24:00.
        (at(2024, 3, 9, 10, 0), at(2024, 3, 12, 0, 0)),
        # Saturday 2024-10-12 is a working day (调休 for National Day): the same day.
        (at(2024, 10, 12, 10, 0), at(2024, 10, 13, 0, 0)),
        # 2024-09-30 18:00, after hours before the 7-day holiday: the next working day is 10-08.
        (at(2024, 9, 30, 18, 0), at(2024, 10, 9, 0, 0)),
    ],
)
def test_same_day_deadline(asked, due):
    assert same_day_deadline(asked, DAY_ENDS) == due


@pytest.fixture
def same_day(contract_a):
    # Contract A takes seed 000's rule.
    return SLATerm.objects.create(
        contract=contract_a, condition="consultation", clock="response", target=1, unit="same_day"
    )


def ask(api, contract, engineer, asked, replied=None):
    body = {
        "contract": contract.code,
        "channel": "phone",
        "question": "如何导出本月统计？",
        "asked_at": asked.isoformat(),
        "engineer": engineer.pk,
        "answered": replied is not None,
    }
    if replied is not None:
        body["replied_at"] = replied.isoformat()
    return api.post("/api/v1/consultations/", body, format="json")


def test_a_late_reply_is_a_breach_and_a_corrected_time_withdraws_it(contract_a, engineer_a, same_day):
    api = APIClient()
    api.force_authenticate(engineer_a)
    # Asked Tuesday 2024-03-05 10:00: due by 24:00 that day; answered Wednesday 09:00, late.
    response = ask(api, contract_a, engineer_a, at(2024, 3, 5, 10, 0), at(2024, 3, 6, 9, 0))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["reply_due"].startswith("2024-03-06T00:00:00") and body["late"] is True
    breach = Breach.objects.get()
    assert (breach.kind, breach.source, breach.occurred_at) == (
        "late_consultation",
        "consultation",
        at(2024, 3, 6, 0, 0),
    )
    # The reply was in fact given at 16:00 on Tuesday: the breach is withdrawn, kept.
    pk = body["id"]
    response = api.patch(
        f"/api/v1/consultations/{pk}/", {"replied_at": "2024-03-05T16:00:00+08:00"}, format="json"
    )
    assert response.status_code == 200 and response.json()["late"] is False
    breach.refresh_from_db()
    assert breach.withdrawn_at is not None and breach.withdrawn_by == engineer_a
    # Asked Friday 18:00 (after hours), answered Monday 16:00: due Monday 24:00, in time.
    ask(api, contract_a, engineer_a, at(2024, 3, 8, 18, 0), at(2024, 3, 11, 16, 0))
    assert Breach.objects.count() == 1


def test_an_unanswered_question_is_recorded_once_by_the_beat(contract_a, engineer_a, same_day):
    api = APIClient()
    api.force_authenticate(engineer_a)
    pk = ask(api, contract_a, engineer_a, at(2024, 3, 5, 10, 0)).json()["id"]
    # ask() saved it today, long after its deadline: late at once. The beat finds nothing more.
    assert Consultation.objects.get(pk=pk).reply_breached_at is not None
    assert knowledge.check_consultations(now=at(2024, 3, 6, 0, 1)) == 0
    assert Breach.objects.filter(kind="late_consultation").count() == 1


def test_the_beat_records_a_question_left_unanswered(contract_a, engineer_a, same_day):
    # Asked today at a moment whose deadline has not passed: the beat records it once it has.
    from django.utils import timezone

    now = timezone.now()
    row = Consultation.objects.create(
        contract=contract_a, channel="phone", question="?", asked_at=now, engineer=engineer_a
    )
    row = knowledge.settle_consultation(row, now=now)
    assert row.reply_due > now and row.reply_breached_at is None
    assert knowledge.check_consultations(now=row.reply_due) == 1
    assert knowledge.check_consultations(now=row.reply_due) == 0
    assert Breach.objects.get().occurred_at == row.reply_due


def test_timely_rate_follows_the_same_day_rule(contract_a, engineer_a, same_day):
    api = APIClient()
    api.force_authenticate(engineer_a)
    ask(api, contract_a, engineer_a, at(2024, 3, 5, 10, 0), at(2024, 3, 5, 23, 0))  # in time
    ask(api, contract_a, engineer_a, at(2024, 3, 5, 18, 0), at(2024, 3, 6, 20, 0))  # after hours: in time
    ask(api, contract_a, engineer_a, at(2024, 3, 6, 10, 0), at(2024, 3, 7, 11, 0))  # late
    ask(api, contract_a, engineer_a, at(2024, 3, 7, 10, 0))  # unanswered
    rows = api.get(
        "/api/v1/consultations/rates/",
        {"contract": contract_a.code, "start": "2024-03-01", "end": "2024-03-31"},
    ).json()
    # 4 asked, 3 answered (75.0%); in time by the same-day rule: the first (due 03-06 00:00) and
    # the second (after hours: due 03-07 00:00), 2 of 4 = 50.0%. Within 24 hours instead: only
    # the first (13 h); the second took 26 h, the third 25 h.
    assert [(r["asked"], r["answered"], r["timely"], r["timely_rate"]) for r in rows] == [(4, 3, 2, "50.0")]
    rows = api.get(
        "/api/v1/consultations/rates/",
        {"contract": contract_a.code, "start": "2024-03-01", "end": "2024-03-31", "timely_hours": 24},
    ).json()
    assert [r["timely"] for r in rows] == [1]


def test_a_same_day_rule_has_no_other_target(contract_a, make_user):
    # "当日内予以答复" names the day itself: a same-day term of 3 would read "within 3 same days",
    # which no contract says. The API and the model refuse it by field.
    manager = make_user(Role.CLIENT_MANAGER, contract_a.client)
    api = APIClient()
    api.force_authenticate(manager)
    body = {"contract": contract_a.code, "condition": "consultation", "clock": "response"}
    refused = api.post("/api/v1/sla-terms/", {**body, "target": 3, "unit": "same_day"}, format="json")
    assert refused.status_code == 400 and "target" in refused.json()
    assert not SLATerm.objects.filter(contract=contract_a).exists()
    accepted = api.post("/api/v1/sla-terms/", {**body, "target": 1, "unit": "same_day"}, format="json")
    assert accepted.status_code == 201, accepted.json()
