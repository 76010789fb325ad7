"""Issue 14, low: a build queued while Redis was down is sent again within minutes, not at the
hourly tick (up to ~75 minutes later)."""

import datetime as dt

import pytest
from django.conf import settings
from django.utils import timezone

from reports import beat
from reports.models import BuildState

pytestmark = pytest.mark.django_db


def test_a_build_whose_message_was_lost_is_sent_again_within_minutes(built_report):
    queued_at = timezone.now()
    report = built_report(build_state=BuildState.QUEUED, build_requested_at=queued_at)
    # Two minutes on, a worker may simply be busy: left alone.
    beat.resend_stalled(queued_at + dt.timedelta(minutes=2))
    report.refresh_from_db()
    assert report.build_requested_at == queued_at
    # Four minutes on, still queued: the message never reached a worker. Sent again (the row is
    # stamped with the time it was resent).
    later = queued_at + dt.timedelta(minutes=4)
    assert beat.resend_stalled(later)["builds"] == 1
    report.refresh_from_db()
    assert (report.build_state, report.build_requested_at) == (BuildState.QUEUED, later)


def test_a_running_build_keeps_its_fifteen_minutes(built_report):
    started = timezone.now()
    report = built_report(build_state=BuildState.RUNNING, build_requested_at=started)
    assert beat.resend_stalled(started + dt.timedelta(minutes=10))["builds"] == 0
    report.refresh_from_db()
    assert report.build_state == BuildState.RUNNING


def test_the_sweep_runs_every_few_minutes():
    sweeps = [
        entry["schedule"]
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
        if entry["task"] == "reports.tasks.resend_stalled"
    ]
    assert sweeps and max(sweeps) <= 300
