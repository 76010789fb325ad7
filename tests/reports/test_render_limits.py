"""Issue 17: a render killed for memory or time ends as "failed, with why" after a bounded number
of tries, visible to the person who asked, instead of being redelivered for ever."""

import datetime as dt

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.utils import timezone, translation

from reports import beat, building, services
from reports.models import BuildState, Report, ReportVersion
from tests.reports.test_sealing import signed_off  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db


def test_each_worker_that_takes_the_build_counts_and_a_new_request_starts_again(built_report, monkeypatch):
    report = built_report(build_state=BuildState.QUEUED, build_requested_at=timezone.now())
    monkeypatch.setattr(building, "build_data", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("boom")))
    services.run_build(report.pk)
    report.refresh_from_db()
    assert (report.build_state, report.build_attempts) == (BuildState.FAILED, 1)
    assert services.request_build(report)
    report.refresh_from_db()
    assert (report.build_state, report.build_attempts) == (BuildState.QUEUED, 0)


def test_a_build_killed_every_time_is_given_up_with_why(built_report):
    started = timezone.now()
    last = services.BUILD_MAX_ATTEMPTS
    report = built_report(build_state=BuildState.RUNNING, build_requested_at=started, build_attempts=last - 1)
    # Killed once more than allowed? Not yet: resent, as a lost worker's build always was.
    later = started + dt.timedelta(minutes=16)
    assert beat.resend_stalled(later)["builds"] == 1
    Report.objects.filter(pk=report.pk).update(build_state=BuildState.RUNNING, build_attempts=last)
    # The last allowed worker died too: failed, with why (in the portal's language, whoever's
    # request ran the sweep), and not sent again.
    with translation.override("en"):
        assert beat.resend_stalled(later + dt.timedelta(minutes=16))["builds"] == 0
    report.refresh_from_db()
    assert report.build_state == BuildState.FAILED
    assert f"渲染进程已中断 {last} 次" in report.build_error


def test_a_render_past_its_time_says_so_in_words(built_report, monkeypatch, settings):
    settings.RENDER_TIME_LIMIT_SECONDS = 600
    report = built_report(build_state=BuildState.QUEUED, build_requested_at=timezone.now())

    def slow(*args, **kwargs):
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(building, "build_data", slow)
    with translation.override("en"):
        assert services.run_build(report.pk) is False
    report.refresh_from_db()
    assert report.build_state == BuildState.FAILED
    assert "超过了允许的 600 秒" in report.build_error


def test_a_render_out_of_memory_says_so(built_report, monkeypatch):
    report = built_report(build_state=BuildState.QUEUED, build_requested_at=timezone.now())
    monkeypatch.setattr(building, "build_data", lambda *a, **k: (_ for _ in ()).throw(MemoryError()))
    services.run_build(report.pk)
    report.refresh_from_db()
    assert report.build_state == BuildState.FAILED and "内存" in report.build_error


# --- Seals ---------------------------------------------------------------------------------------


def test_a_seal_whose_worker_dies_each_time_is_given_up_then_retried_on_request(signed_off, monkeypatch):  # noqa: F811
    sent = []
    monkeypatch.setattr(services, "enqueue", lambda task, pk: sent.append((task, pk)))
    later = timezone.now() + dt.timedelta(minutes=10)
    for attempt in range(1, services.SEAL_MAX_ATTEMPTS + 1):
        assert beat.resend_stalled(later)["seals"] == 1
        # The worker takes it and dies mid-render: the claim counted, nothing recorded.
        assert services.claim_seal(ReportVersion, signed_off.pk)
        signed_off.refresh_from_db()
        assert signed_off.seal_attempts == attempt
    # No worker may take it any more, and the sweep stops sending it, saying why.
    assert not services.claim_seal(ReportVersion, signed_off.pk)
    sent.clear()
    with translation.override("en"):
        assert beat.resend_stalled(later)["seals"] == 0
    assert sent == []
    signed_off.refresh_from_db()
    assert signed_off.sealed_at is None and "签章生成此 PDF 时渲染进程已中断" in signed_off.seal_error
    # Once the cause is fixed: manage.py retry_seals gives it its tries back and sends it.
    assert services.retry_seals() == 1
    assert sent == [("seal_version", signed_off.pk)]
    signed_off.refresh_from_db()
    assert (signed_off.seal_attempts, signed_off.seal_error) == (0, "")
    assert services.seal_version(signed_off.pk) is True
