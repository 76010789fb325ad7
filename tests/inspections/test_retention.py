"""Automated checks' results are kept CHECK_RESULT_RETENTION_DAYS (never below 400), then deleted
in batches by the beat's daily task; signed reports keep their own figures (issue 17)."""

import datetime as dt

import pytest
from django.utils import timezone

from contracts.models import Asset
from inspections import retention, tasks
from inspections.models import CheckResult, InspectionRun
from om_portal.models import AuditEntry
from tests.inspections.test_monitoring import add_check, quiet, slot_of

pytestmark = pytest.mark.django_db


def results(made, checks, at) -> InspectionRun:
    """One automated run of ``made`` (a schedule) at ``at``, with a result for each check."""
    contract = made.contract
    slot = slot_of(made, at)
    run = InspectionRun.objects.create(slot=slot, contract=contract, mode="automated", started_at=at)
    CheckResult.objects.bulk_create(
        CheckResult(
            run=run,
            automated_check=check,
            contract=contract,
            status="ok",
            message="OK",
            started_at=at,
            duration_ms=5.0,
        )
        for check in checks
    )
    return run


@pytest.fixture
def history(contract_a, contract_b):
    now = timezone.now()
    app_a = Asset.objects.create(contract=contract_a, kind=Asset.Kind.APPLICATION, name="居住证信息系统")
    app_b = Asset.objects.create(contract=contract_b, kind=Asset.Kind.APPLICATION, name="缴费系统")
    checks_a = [
        add_check(contract_a, app_a, f"接口{n}", target=f"http://127.0.0.1:{9000 + n}/") for n in range(3)
    ]
    checks_b = [add_check(contract_b, app_b, "门户", target="http://127.0.0.1:9100/")]
    schedule_a, schedule_b = quiet(contract_a), quiet(contract_b)
    old_a = results(schedule_a, checks_a, now - dt.timedelta(days=500))
    old_b = results(schedule_b, checks_b, now - dt.timedelta(days=401))
    kept_a = results(schedule_a, checks_a, now - dt.timedelta(days=399))
    return now, old_a, old_b, kept_a


def test_results_past_the_retention_go_in_batches_and_a_second_run_finds_none(history, monkeypatch, settings):
    now, old_a, old_b, kept_a = history
    settings.CHECK_RESULT_RETENTION_DAYS = 400
    monkeypatch.setattr(retention, "BATCH", 2)  # contract A's three old results take two batches
    assert retention.purge(now) == 4
    assert not CheckResult.objects.filter(run__in=[old_a, old_b]).exists()
    assert CheckResult.objects.filter(run=kept_a).count() == 3
    # The runs themselves stay (their slots are the inspection record); one audit line says what went.
    assert InspectionRun.objects.filter(pk__in=[old_a.pk, old_b.pk]).count() == 2
    line = AuditEntry.objects.filter(action="results_purge").get()
    assert (line.detail["count"], line.detail["model"]) == (4, "inspections.checkresult")
    assert retention.purge(now) == 0
    assert AuditEntry.objects.filter(action="results_purge").count() == 1


def test_the_retention_is_never_below_a_contract_year_and_its_reports(history, settings):
    now, _old_a, _old_b, kept_a = history
    settings.CHECK_RESULT_RETENTION_DAYS = 30  # would delete the 399-day-old results the annual report reads
    assert retention.retention_days() == retention.MIN_RETENTION_DAYS
    retention.purge(now)
    assert CheckResult.objects.filter(run=kept_a).count() == 3


def test_the_beat_runs_it_daily(settings):
    schedule = settings.CELERY_BEAT_SCHEDULE.values()
    entry = [e for e in schedule if e["task"] == "inspections.tasks.purge_results"]
    assert entry and entry[0]["schedule"] <= 86400
    assert tasks.purge_results.name == "inspections.tasks.purge_results"
