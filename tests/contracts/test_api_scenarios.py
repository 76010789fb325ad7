"""The five contracts as a client script sees them: token login with the second factor, then
``/api/v1/`` only. Each expected figure is worked out by hand from the contract's text, quoted
beside it; nothing here reads the engine's own functions for an answer.

The beat's work (late payments) is the one step a script cannot call: it runs the beat's task.
"""

import datetime as dt
from decimal import Decimal as D

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from contracts import settlement
from contracts.models import Contract, Organization, Role
from contracts.services import load_seed_contracts
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeds(db):
    load_seed_contracts()


def login(make_user, role, organization) -> APIClient:
    """A user of ``role`` with an authenticator, logged in through the token endpoint."""
    user = make_user(role, organization)
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    code = f"{totp(device.bin_key, device.step, device.t0, device.digits):06d}"
    api = APIClient()
    answer = api.post(
        "/api/v1/auth/token/", {"username": user.username, "password": PASSWORD, "otp": code}, format="json"
    )
    assert answer.status_code == 200, answer.content
    api.credentials(HTTP_AUTHORIZATION=f"Token {answer.json()['token']}")
    return api


def client_manager_of(make_user, code) -> APIClient:
    return login(make_user, Role.CLIENT_MANAGER, Contract.objects.get(code=code).client)


def breach(api, code, kind, when, **fields):
    answer = api.post(
        "/api/v1/breaches/",
        {"contract": code, "kind": kind, "occurred_at": when, **fields},
        format="json",
    )
    assert answer.status_code == 201, answer.content
    return answer.json()


def penalties(api, code) -> dict:
    answer = api.get(f"/api/v1/contracts/{code}/penalties/")
    assert answer.status_code == 200, answer.content
    return answer.json()


def test_seed_000_totals_and_the_first_payments_due_date(seeds, make_user):
    api = client_manager_of(make_user, "ZH-2023-SPS")
    contract = api.get("/api/v1/contracts/ZH-2023-SPS/").json()
    # "合同总价 ¥708,000": 72,000 at signing + 636,000 after acceptance.
    assert D(contract["total"]) == D("708000.00")
    milestones = api.get("/api/v1/milestones/?contract=ZH-2023-SPS").json()["results"]
    assert sorted(D(m["value"]) for m in milestones) == [D("72000.00"), D("636000.00")]
    # "签订合同后 10 个工作日内" from Thu 2023-11-09: Nov 10, 13–17, 20–23 → the 10th is 11-23.
    first = next(m for m in milestones if D(m["value"]) == D("72000.00"))
    assert first["due_on"] == "2023-11-23"


def test_seed_000_three_rounds_missed_on_one_day_are_one_day(seeds, make_user):
    # "每逾期一日按合同总额的千分之三支付违约金": the heightened period's rounds of 08:00, 13:00 and
    # 19:00 all missed on 2024-06-01 are one day late: 1 × 0.3% × ¥708,000 = ¥2,124.00.
    api = client_manager_of(make_user, "ZH-2023-SPS")
    for hour in ("08", "13", "19"):
        breach(api, "ZH-2023-SPS", "late_service", f"2024-06-01T{hour}:30:00+08:00", days_late=1)
    bill = penalties(api, "ZH-2023-SPS")
    assert D(bill["vendor_total"]) == D("2124.00")
    # The same round entered twice is refused, and the bill does not double.
    answer = api.post(
        "/api/v1/breaches/",
        {"contract": "ZH-2023-SPS", "kind": "late_service", "occurred_at": "2024-06-01T08:30:00+08:00"}
        | {"days_late": 1},
        format="json",
    )
    assert answer.status_code == 400
    assert D(penalties(api, "ZH-2023-SPS")["vendor_total"]) == D("2124.00")


def test_seed_000_five_working_days_across_national_day_2024(seeds, make_user):
    # "无法立即解决的问题 5 个工作日内解决". Reported Mon 2024-09-30 10:00. National Day 2024: Oct
    # 1–7 off, Sat Oct 12 a make-up working day (调休). Working days after the report: Oct 8, 9, 10,
    # 11 and 12; "within" the 5th working day is by its close (17:30, the contract's business day):
    # due Sat 2024-10-12 17:30.
    api = login(make_user, Role.CLIENT_STAFF, Contract.objects.get(code="ZH-2023-SPS").client)
    answer = api.post(
        "/api/v1/incidents/",
        {
            "contract": "ZH-2023-SPS",
            "title": "人口数据同步中断",
            "severity": "general",
            "kind": "software",
            "source": "phone",
            "reported_at": "2024-09-30T10:00:00+08:00",
        },
        format="json",
    )
    assert answer.status_code == 201, answer.content
    incident = answer.json()
    assert dt.datetime.fromisoformat(incident["resolution_due"]) == dt.datetime.fromisoformat(
        "2024-10-12T17:30:00+08:00"
    )


def test_seed_004_other_unit_is_four_hours_to_resolve_and_nothing_outside_the_term(seeds, make_user):
    api = login(make_user, Role.CLIENT_STAFF, Contract.objects.get(code="XJ-2024-PAY").client)

    def report(when, **fields):
        answer = api.post(
            "/api/v1/incidents/",
            {
                "contract": "XJ-2024-PAY",
                "title": "退费接口异常",
                "source": "phone",
                "reported_at": when,
                **fields,
            },
            format="json",
        )
        assert answer.status_code == 201, answer.content
        return answer.json()

    # "需协调其它单位的问题4小时内解决": reported 2025-03-03 10:00 → resolved by 14:00.
    incident = report("2025-03-03T10:00:00+08:00", condition="other_unit")
    assert dt.datetime.fromisoformat(incident["resolution_due"]) == dt.datetime.fromisoformat(
        "2025-03-03T14:00:00+08:00"
    )
    # "需财政厅配合完成的，1日内解决": reported 2025-03-03 10:00 → resolved by 03-04 10:00.
    incident = report("2025-03-03T10:00:00+08:00", condition="finance_department")
    assert dt.datetime.fromisoformat(incident["resolution_due"]) == dt.datetime.fromisoformat(
        "2025-03-04T10:00:00+08:00"
    )
    # The term is one year from 2024-12-16, to 2025-12-15: a fault of 12-16 has no deadline.
    late = report("2025-12-16T10:00:00+08:00")
    assert late["outside_term"] is True
    assert (late["response_due"], late["arrival_due"], late["resolution_due"], late["next_deadline"]) == (
        None,
        None,
        None,
        None,
    )


def test_seed_004_three_breaches_cost_twenty_percent_and_open_termination(seeds, make_user):
    # 8.2 "每发生一次，需向甲方支付合同总额1%的违约金。发生三次…乙方除支付合同总额20%的违约金外，
    # 甲方有权解除合同": two breaches 2 × 1% × ¥770,000 = ¥15,400; at the third the 20% replaces
    # them (DOMAIN.md's reading): 20% × ¥770,000 = ¥154,000, and the bureau may terminate.
    api = client_manager_of(make_user, "XJ-2024-PAY")
    breach(api, "XJ-2024-PAY", "service_breach", "2025-02-03T10:00:00+08:00")
    breach(api, "XJ-2024-PAY", "service_breach", "2025-04-07T10:00:00+08:00")
    bill = penalties(api, "XJ-2024-PAY")
    assert D(bill["vendor_total"]) == D("15400.00")
    assert bill["termination_rights"] == []
    breach(api, "XJ-2024-PAY", "service_breach", "2025-06-09T10:00:00+08:00")
    bill = penalties(api, "XJ-2024-PAY")
    assert D(bill["vendor_total"]) == D("154000.00")
    assert len(bill["termination_rights"]) == 1


def test_seed_003_late_first_payment_at_the_lpr(seeds, make_user):
    # 七.1 "每逾期1日…按照合同生效当日的1年期LPR…支付未付款项的逾期违约金…最高限额为合同总价的10%".
    # The term starts 2026-05-29; the LPR in force that day was published 2026-05-20 (3.0%). The
    # first 50% (¥3,007,660) is due 15 days after, 06-13; unpaid on 07-13 it is 30 days late:
    # 30 × ¥3,007,660 × 3.0% ÷ 365 = ¥7,416.15, under the cap of 10% × ¥6,015,320.
    bureau = Organization.objects.get(name="北京市公安局人口管理和基层工作总队")
    administrator = login(make_user, Role.ADMINISTRATOR, bureau)
    for day, rate in (("2026-04-20", "3.100"), ("2026-05-20", "3.000"), ("2026-06-22", "2.900")):
        answer = administrator.post(
            "/api/v1/lpr-rates/", {"effective_on": day, "one_year_percent": rate}, format="json"
        )
        assert answer.status_code == 201, answer.content
    settlement.settle(dt.date(2026, 7, 13))  # what the hourly beat task does on that day
    api = client_manager_of(make_user, "BJ-2026-RP")
    bill = penalties(api, "BJ-2026-RP")
    assert D(bill["client_total"]) == D("7416.15")
