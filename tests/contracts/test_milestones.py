"""Payment milestones' due dates, in calendar or working days of China's official calendar."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command

from contracts import services
from contracts.models import Contract, Milestone

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeds():
    call_command("load_seed_contracts", verbosity=0)
    return {c.code: c for c in Contract.objects.all()}


def due(code, name):
    return Milestone.objects.get(contract__code=code, name=name).due_on


def test_seed_000_first_payment_within_10_working_days_of_signing(seeds):
    # Signed Thursday 2023-11-09. Working days after it: Fri 10 (1), Mon 13 – Fri 17 (2–6),
    # Mon 20 – Thu 23 (7–10): due Thursday 2023-11-23.
    assert due("ZH-2023-SPS", "签约款") == dt.date(2023, 11, 23)
    # The balance waits for the final acceptance.
    assert due("ZH-2023-SPS", "尾款（期满验收合格后）") is None


def test_working_days_across_national_day_2024_with_the_swapped_weekends(contract_a):
    # Signed Friday 2024-09-27. Sunday 09-29 is a working day (调休) (1), Mon 09-30 (2); 10-01 to
    # 10-07 are the holiday; Tue 10-08 – Fri 10-11 (3–6); Saturday 10-12 is a working day (7);
    # Mon 10-14 – Wed 10-16 (8–10): due Wednesday 2024-10-16. Counting plain weekdays would
    # have given 2024-10-11.
    contract_a.signed_on = dt.date(2024, 9, 27)
    contract_a.save()
    milestone = Milestone.objects.create(
        contract=contract_a,
        name="签约款",
        amount=Decimal(1000),
        trigger="signing",
        offset=10,
        offset_unit="working_days",
    )
    services.refresh_due_dates(contract_a)
    milestone.refresh_from_db()
    assert milestone.due_on == dt.date(2024, 10, 16)


def test_seed_003_calendar_days_from_taking_effect(seeds):
    # In force 2026-05-29; 50% within 15 days: 2026-06-13.
    assert due("BJ-2026-RP", "首付款") == dt.date(2026, 6, 13)
    first = Milestone.objects.get(contract__code="BJ-2026-RP", name="首付款")
    # 50% of ¥6,015,320 = ¥3,007,660, as the contract writes it.
    assert first.value == Decimal("3007660.00")


def test_seed_002_one_sum_due_by_the_end_of_the_term(seeds):
    # Paid within the 90 days before the term ends on 2025-11-11.
    assert due("XX-2024-SEAL", "合同款（一次性支付）") == dt.date(2025, 11, 11)


def test_seed_001_milestones_wait_for_their_events_then_count_working_days(seeds):
    contract = seeds["BJ-SSP-UPG"]
    assert set(contract.milestones.values_list("due_on", flat=True)) == {None}
    initial = contract.milestones.get(name="初验款")
    initial.trigger_date = dt.date(2026, 9, 25)  # initial acceptance on a Friday before National Day
    initial.save()
    services.refresh_due_dates(contract)
    initial.refresh_from_db()
    # 30 working days after Fri 2026-09-25: Mon 09-28 – Wed 09-30 (1–3); 10-01 to 10-07 off;
    # Thu 10-08, Fri 10-09 (4, 5); Saturday 10-10 is a working day (6); Mon 10-12 – Fri 10-16
    # (7–11); 10-19 – 10-23 (12–16); 10-26 – 10-30 (17–21); 11-02 – 11-06 (22–26); Mon 11-09 –
    # Thu 11-12 (27–30): due 2026-11-12.
    assert initial.due_on == dt.date(2026, 11, 12)


def test_seed_004_milestones(seeds):
    assert due("XJ-2024-PAY", "第一期（30%）") == dt.date(2024, 11, 25)  # on signing
    assert due("XJ-2024-PAY", "第二期（70%）") == dt.date(2025, 12, 15)  # at the end of the term
