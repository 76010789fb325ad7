"""`load_seed_contracts` loads every duty the five contracts oblige, in production mode too."""

import datetime as dt

import pytest
from django.apps import apps
from django.core.management import call_command

from contracts.models import Contract
from inspections.models import ChecklistTemplate, InspectionSchedule
from inspections.schedules import slots_between
from reports import periods
from reports.models import ReportRequirement

pytestmark = pytest.mark.django_db


@pytest.fixture
def production(settings):
    # The demo commands refuse to run with DEBUG off; this one must not.
    settings.DEBUG = False


def counts() -> dict[str, int]:
    return {model._meta.label: model.objects.count() for model in apps.get_models()}


def test_loading_with_debug_off_gives_every_seed_its_schedules_and_requirements(production):
    call_command("load_seed_contracts", verbosity=0)
    schedules = {
        code: set(InspectionSchedule.objects.filter(contract__code=code).values_list("name", "kind"))
        for code in ["ZH-2023-SPS", "BJ-SSP-UPG", "BJ-2026-RP", "XJ-2024-PAY"]
    }
    # Seed 000: "日常巡检 ... 每周 7 天" and "按周、月、半年频率提供巡检报告".
    assert {kind for _name, kind in schedules["ZH-2023-SPS"]} == {
        "daily",
        "weekly",
        "monthly_day",
        "half_yearly",
    }
    # Seed 001: "每天早上" a status check, monthly performance checks, platform software
    # "每季度至少一次", the monthly plan "每月第5个工作日前".
    assert {kind for _name, kind in schedules["BJ-SSP-UPG"]} == {
        "daily",
        "monthly_day",
        "quarterly",
        "monthly_working_day",
    }
    # Seed 003: "日常巡检"; seed 004: "每日巡检台账".
    assert ("机房日常巡检", "daily") in schedules["BJ-2026-RP"]
    assert ("每日巡检", "daily") in schedules["XJ-2024-PAY"]
    assert ChecklistTemplate.objects.filter(contract__code="BJ-SSP-UPG", key="morning-status").exists()

    requirements = {
        (r.contract.code, r.kind): r for r in ReportRequirement.objects.select_related("contract")
    }
    # Seed 000: 周报, 月报, 季度报告, 半年巡检报告, 年报.
    assert {kind for code, kind in requirements if code == "ZH-2023-SPS"} == {
        "weekly",
        "monthly",
        "quarterly",
        "half_yearly",
        "annual",
    }
    # Seed 004: weekly and monthly reports, late ones priced under its 1%-per-breach clause.
    assert requirements["XJ-2024-PAY", "weekly"].breach_kind == "service_breach"
    # Seed 003: "年度总结在服务结束后 15 日内提交": term ends 2027-05-28, + 15 calendar days.
    annual = requirements["BJ-2026-RP", "annual"]
    assert periods.due_date(annual, dt.date(2027, 5, 28)) == dt.date(2027, 6, 12)
    # and no quarterly report: its 阶段性运维报告 is the weekly one (六.4(2)).
    assert {kind for code, kind in requirements if code == "BJ-2026-RP"} == {"weekly", "annual"}


def test_an_earlier_loads_quarterly_requirement_on_seed_003_goes_unless_edited(production):
    call_command("load_seed_contracts", verbosity=0)
    contract = Contract.objects.get(code="BJ-2026-RP")
    ReportRequirement.objects.create(contract=contract, kind="quarterly", note="阶段报告：验收材料之一")
    call_command("load_seed_contracts", verbosity=0)
    assert not contract.report_requirements.filter(kind="quarterly").exists()
    ReportRequirement.objects.create(contract=contract, kind="quarterly", note="季度汇报（甲方要求）")
    call_command("load_seed_contracts", verbosity=0)
    assert contract.report_requirements.filter(kind="quarterly").exists()


def test_the_loaded_schedules_produce_seed_000s_daily_rounds(production):
    call_command("load_seed_contracts", verbosity=0)
    contract = Contract.objects.get(code="ZH-2023-SPS")
    # "每周 7 天": a week of its term (4–10 March 2024) holds 7 daily rounds.
    week = slots_between(contract, dt.date(2024, 3, 4), dt.date(2024, 3, 11))
    assert sum(1 for slot in week if slot.schedule and slot.schedule.kind == "daily") == 7


def test_loading_twice_changes_no_row_of_any_model_and_writes_no_audit_line(production):
    call_command("load_seed_contracts", verbosity=0)
    before = counts()
    call_command("load_seed_contracts", verbosity=0)
    after = counts()
    assert after == before
    assert before["om_portal.AuditEntry"] == after["om_portal.AuditEntry"]


def test_demo_only_data_stays_out(production):
    from django.contrib.auth import get_user_model

    from inspections.models import AutomatedCheck

    call_command("load_seed_contracts", verbosity=0)
    assert not get_user_model().objects.exists()
    assert not AutomatedCheck.objects.filter(target__startswith="http://127.0.0.1").exists()


def test_seed_003_accepts_once_and_an_earlier_load_is_corrected(production):
    # Seed 003 clause 六.1 offers two ways and picks the first: "一次性验收".
    call_command("load_seed_contracts", verbosity=0)
    assert Contract.objects.get(code="BJ-2026-RP").acceptance_method == "one_time"
    # A portal loaded by the earlier seed holds "periodic" (the way the clause did not choose).
    Contract.objects.filter(code="BJ-2026-RP").update(acceptance_method="periodic")
    call_command("load_seed_contracts", verbosity=0)
    assert Contract.objects.get(code="BJ-2026-RP").acceptance_method == "one_time"


def test_seed_001_leak_gives_termination_and_an_earlier_load_is_corrected(production):
    # Seed 001, 附件4 第8条: "因乙方原因泄密的，甲方有权解除合同，并有权要求乙方承担合同总价30%的违约金".
    from contracts.models import Breach, PenaltyClause
    from contracts.settlement import termination_rights

    call_command("load_seed_contracts", verbosity=0)
    leak = PenaltyClause.objects.get(contract__code="BJ-SSP-UPG", kind="secret_leak")
    assert leak.termination_at_count == 1
    # A portal loaded by the earlier seed holds no termination right on it.
    PenaltyClause.objects.filter(pk=leak.pk).update(termination_at_count=None)
    call_command("load_seed_contracts", verbosity=0)
    leak.refresh_from_db()
    assert leak.termination_at_count == 1
    # One leak: the right is reached, with the 30% penalty.
    assert termination_rights(leak.contract) == []
    Breach.objects.create(
        contract=leak.contract,
        kind="secret_leak",
        clause=leak,
        occurred_at=dt.datetime(2026, 3, 2, tzinfo=dt.UTC),
        source="manual",
    )
    assert [right.clause for right in termination_rights(leak.contract)] == [leak]
