"""Staff replacements (seed 003 consent, seed 004 threshold breach) and duty-roster gaps."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from contracts import services
from contracts.models import Breach, Contract, DutyShift, StaffAssignment
from contracts.penalties import penalty_summary

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeds():
    call_command("load_seed_contracts", verbosity=0)
    return {c.code: c for c in Contract.objects.all()}


def engineer(contract, person, starts_on, role="engineer"):
    post = contract.staff_posts.first()
    return StaffAssignment.objects.create(post=post, person=person, role=role, starts_on=starts_on)


def test_seed_004_second_replacement_within_a_contract_year_costs_one_percent(seeds):
    contract = seeds["XJ-2024-PAY"]  # ¥770,000, contract year from 2024-12-16
    a, b = (
        engineer(contract, "工程师甲", dt.date(2024, 12, 16)),
        engineer(contract, "工程师乙", dt.date(2024, 12, 16)),
    )

    services.replace_staff(a, person="工程师丙", on=dt.date(2025, 3, 1), reason="离职")
    assert not Breach.objects.filter(contract=contract).exists()  # one replacement is allowed

    services.replace_staff(b, person="工程师丁", on=dt.date(2025, 6, 1), reason="离职")
    breach = Breach.objects.get(contract=contract)
    assert (breach.kind, breach.source) == ("staff_replacement", "staffing")
    # "一年内连续更换2人及以上者 … 扣除合同总金额的1%": 1% × ¥770,000 = ¥7,700.
    summary = penalty_summary(contract)
    assert summary.vendor_total == Decimal("7700.00")


def test_seed_004_further_replacements_in_the_same_year_do_not_charge_again(seeds):
    contract = seeds["XJ-2024-PAY"]
    current = engineer(contract, "工程师甲", dt.date(2024, 12, 16))
    for n, month in enumerate([2, 4, 6], start=1):
        current = services.replace_staff(
            current, person=f"接替者{n}", on=dt.date(2025, month, 1), reason="离职"
        )
    assert Breach.objects.filter(contract=contract).count() == 1


def test_replacements_are_counted_per_contract_year(seeds):
    contract = seeds["XJ-2024-PAY"]
    current = engineer(contract, "工程师甲", dt.date(2024, 12, 16))
    # One in the first contract year (to 2025-12-15), one in the second: no breach.
    current = services.replace_staff(current, person="乙", on=dt.date(2025, 12, 1), reason="离职")
    services.replace_staff(current, person="丙", on=dt.date(2025, 12, 20), reason="离职")
    assert not Breach.objects.filter(contract=contract).exists()


def test_seed_003_project_manager_changes_only_with_consent(seeds):
    contract = seeds["BJ-2026-RP"]
    manager = engineer(contract, "项目经理甲", dt.date(2026, 5, 29), role="project_manager")
    with pytest.raises(ValidationError) as error:
        services.replace_staff(manager, person="项目经理乙", on=dt.date(2026, 8, 1), reason="调岗")
    assert "client_consent" in error.value.message_dict
    manager.refresh_from_db()
    assert manager.ends_on is None
    assert StaffAssignment.objects.filter(post__contract=contract).count() == 1  # nothing written

    successor = services.replace_staff(
        manager,
        person="项目经理乙",
        on=dt.date(2026, 8, 1),
        reason="调岗",
        client_consent=True,
        consent_note="甲方函",
    )
    manager.refresh_from_db()
    assert manager.ends_on == dt.date(2026, 7, 31)
    assert successor.replaces == manager


def test_seed_004_roster_gaps_on_non_working_days(seeds):
    contract = seeds["XJ-2024-PAY"]
    # National Day 2025: 10-01 to 10-08 off; Saturday 10-11 is a working day (调休).
    gaps = services.roster_gaps(contract, dt.date(2025, 9, 29), dt.date(2025, 10, 12))
    assert gaps == [dt.date(2025, 10, d) for d in range(1, 9)] + [dt.date(2025, 10, 12)]
    for day in range(1, 9):
        DutyShift.objects.create(
            contract=contract, date=dt.date(2025, 10, day), person="值班员", on_site=True
        )
    DutyShift.objects.create(contract=contract, date=dt.date(2025, 10, 12), person="值班员", on_site=False)
    # Reachable by phone is not on site.
    assert services.roster_gaps(contract, dt.date(2025, 9, 29), dt.date(2025, 10, 12)) == [
        dt.date(2025, 10, 12)
    ]


def test_roster_gaps_only_within_the_term(seeds):
    # XJ-2024-PAY ends 2025-12-15: the weekend after it is nobody's concern.
    gaps = services.roster_gaps(seeds["XJ-2024-PAY"], dt.date(2025, 12, 10), dt.date(2025, 12, 21))
    assert gaps == [dt.date(2025, 12, 13), dt.date(2025, 12, 14)]


def test_contracts_without_the_on_site_rule_have_no_gaps(seeds):
    assert services.roster_gaps(seeds["BJ-2026-RP"], dt.date(2026, 10, 1), dt.date(2026, 10, 8)) == []
