"""In one process, what test_worker_killed shows with real processes: a result a worker saved
before it died, never acted on, is acted on by the chunk's next delivery, which the sweeper sends;
it is not probed again, and it opens its incident once."""

import datetime as dt

import pytest
from django.utils import timezone

from incidents.models import Incident
from inspections import monitoring, tasks
from inspections.models import AutomatedCheck, CheckResult, InspectionRun, InspectionSlot
from tests.faults.conftest import due_now, http_checks


@pytest.fixture
def sent(monkeypatch):
    """The run_chunk messages sent, as (run_id, check_ids), instead of a broker."""
    messages = []
    monkeypatch.setattr(tasks.run_chunk, "apply_async", lambda args, **options: messages.append(tuple(args)))
    return messages


def test_a_result_saved_by_a_dead_worker_is_acted_on_by_the_resent_chunk(
    contract_a, gate, sent, django_capture_on_commit_callbacks
):
    # Both targets answer 200 now: a check probed again would pass.
    checks = http_checks(contract_a, {"saved": gate.url("/health"), "fresh": gate.url("/health")})
    due_now(contract_a)
    with django_capture_on_commit_callbacks(execute=True):
        assert monitoring.tick()["dispatched"] == 1
    run = InspectionRun.objects.get()
    assert sent == [(run.pk, [checks["saved"].pk, checks["fresh"].pk])]
    # The dead worker's one trace: the failure it saw and saved, nothing it did about it.
    CheckResult.objects.create(
        run=run,
        automated_check=checks["saved"],
        contract=contract_a,
        status="failed",
        message="HTTP status %(status)s",
        params={"status": 503},
        started_at=timezone.now(),
        duration_ms=3.0,
    )
    assert monitoring.finish_run(run.pk) is False

    sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        swept = monitoring.tick(run.started_at + monitoring.STALLED_AFTER + dt.timedelta(minutes=1))
    assert swept["chunks_resent"] == 1
    # The check without a result and the one whose result was never acted on.
    assert sent == [(run.pk, [checks["saved"].pk, checks["fresh"].pk])]
    for message in sent * 2:  # delivered twice, as after a redelivery
        monitoring.run_chunk(*message)

    saved = AutomatedCheck.objects.get(pk=checks["saved"].pk)
    fresh = AutomatedCheck.objects.get(pk=checks["fresh"].pk)
    assert saved.last_status == "failed"  # the stored result, not a new probe
    assert CheckResult.objects.filter(run=run).count() == 2
    assert Incident.objects.get() == saved.incident
    assert (fresh.last_status, fresh.incident) == ("ok", None)
    run.refresh_from_db()
    assert (run.finished_at is not None, run.checks_failed) == (True, 1)
    assert InspectionSlot.objects.get(pk=run.slot_id).status == "done"
