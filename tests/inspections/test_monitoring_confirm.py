"""A change of a check's state is probed once more before it counts (issue 17): a blip that the
second probe contradicts opens no incident and records no recovery; a real change still does.

The targets are the real loopback server of test_monitoring; its ``answer_once`` makes the blip.
"""

import datetime as dt

import pytest
from django.utils import timezone

from inspections.models import CheckResult
from tests.inspections.test_monitoring import (  # noqa: F401 (fixtures)
    Event,
    add_check,
    app,
    events,
    incidents_of,
    runner,
    sent,
    web,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_pause(settings):
    settings.MONITORING_CONFIRM_DELAY_SECONDS = 0


def test_a_failure_the_second_probe_contradicts_opens_no_incident(contract_a, app, web, runner):  # noqa: F811
    check = add_check(contract_a, app, "门户", target=web.url("/portal"))
    web.answer_once("/portal", 503)
    run = runner()
    check.refresh_from_db()
    assert (check.last_status, check.failing_since, check.incident) == ("ok", None, None)
    assert not incidents_of(check).exists()
    assert CheckResult.objects.get(run=run).values["http_status"] == 200  # the confirmed outcome


def test_without_confirmation_the_same_blip_opens_an_incident(contract_a, app, web, runner, settings):  # noqa: F811
    settings.MONITORING_CONFIRM_CHANGES = False
    check = add_check(contract_a, app, "门户", target=web.url("/portal"))
    web.answer_once("/portal", 503)
    runner()
    assert incidents_of(check).count() == 1


def test_a_failure_the_second_probe_confirms_opens_its_incident(contract_a, app, web, runner):  # noqa: F811
    check = add_check(contract_a, app, "门户", target=web.url("/portal"))
    web.answer("/portal", 503)
    runner()
    check.refresh_from_db()
    (incident,) = incidents_of(check)
    assert (check.last_status, check.incident) == ("failed", incident)


def test_a_recovery_the_second_probe_contradicts_is_not_recorded(contract_a, app, web, runner):  # noqa: F811
    check = add_check(contract_a, app, "门户", target=web.url("/portal"))
    web.answer("/portal", 503)
    runner()
    web.answer_once("/portal", 200)  # one good answer, then 503 again
    runner()
    check.refresh_from_db()
    (incident,) = incidents_of(check)
    assert check.last_status == "failed" and events(incident, Event.RECOVERED) == []
    web.answer("/portal", 200)
    runner()
    assert len(events(incident, Event.RECOVERED)) == 1


def test_a_confirmed_failure_counts_from_when_it_was_first_seen(contract_a, app, web, runner, settings):  # noqa: F811
    settings.MONITORING_CONFIRM_DELAY_SECONDS = 1.5
    check = add_check(contract_a, app, "门户", target=web.url("/portal"))
    web.answer("/portal", 503)
    before = timezone.now()
    runner()
    check.refresh_from_db()
    (incident,) = incidents_of(check)
    # The first probe ran at once; the second only after the pause. The clocks start at the first.
    assert check.failing_since - before < dt.timedelta(seconds=1.5)
    assert incident.reported_at == check.failing_since


def test_a_checks_second_probe_starts_a_pause_after_its_first_started(settings):
    """Confirmed as soon as it is due (issue 17): a refusal is probed again after the pause; a
    timeout longer than the pause is probed again at once, its next probe's wait already spent."""
    from inspections.models import AutomatedCheck
    from inspections.monitoring_chunk import _Confirmation
    from inspections.probes.results import Problem, Result, Status

    settings.MONITORING_CONFIRM_DELAY_SECONDS = 1.0
    now = timezone.now()

    def failed(status, seconds):
        problem = Problem("Connection refused") if status is Status.FAILED else Problem("No answer")
        started = now - dt.timedelta(seconds=seconds)
        return Result(None, False, status, problem.message, {}, {}, started, now, (problem,))

    confirmation = _Confirmation([AutomatedCheck(last_status="ok"), AutomatedCheck(last_status="ok")])
    wait, bound = confirmation.again(0, failed(Status.FAILED, 0.0))
    assert 0.9 < wait <= 1.0 and bound is None
    wait, _bound = confirmation.again(1, failed(Status.TIMEOUT, 2.0))
    assert wait == 0.0
    # The second probes agree: both changes stand, dated from their first probes.
    assert confirmation.again(0, failed(Status.FAILED, 0.0)) is None
    assert confirmation.outcomes[0].status == "failed" and confirmation.outcomes[0].started == now


def test_a_timeout_the_prober_stalled_through_is_probed_again_a_few_times_at_most(settings):
    """A timeout whose window the prober's loop spent a quarter or more stalled (a busy CPU) says
    little about the target: it is probed again without counting, at most MAX_UNSURE times; the
    next one counts whatever the stalls. A timeout without stalls counts at once."""
    from inspections.models import AutomatedCheck
    from inspections.monitoring_chunk import MAX_UNSURE, _Confirmation
    from inspections.probes.results import Problem, Result, Status

    settings.MONITORING_CONFIRM_DELAY_SECONDS = 1.0

    class Watch:  # the seconds of any window the loop was stalled
        stalled = 0.0

        def during(self, start, end):
            return self.stalled

    def timeout():
        now, problem = timezone.now(), Problem("No answer")
        started = now - dt.timedelta(seconds=2)
        return Result(None, False, Status.TIMEOUT, problem.message, {}, {}, started, now, (problem,))

    confirmation = _Confirmation([AutomatedCheck(last_status="ok"), AutomatedCheck(last_status="ok")])
    confirmation.watch = Watch()
    # Check 0: its second probe stalled through, again and again.
    assert confirmation.again(0, timeout()) is not None  # the change, to confirm
    first = confirmation.outcomes[0]
    confirmation.watch.stalled = 0.5  # a quarter of the 2 s window
    for _ in range(MAX_UNSURE):
        assert confirmation.again(0, timeout()) is not None  # not counted: probed again
    assert confirmation.again(0, timeout()) is None  # counted: the failure stands
    assert confirmation.outcomes[0].status == "timeout" and confirmation.outcomes[0].started == first.started
    # Check 1: stalls below a quarter of the window do not make it unsure.
    confirmation.watch.stalled = 0.0
    assert confirmation.again(1, timeout()) is not None
    confirmation.watch.stalled = 0.49
    assert confirmation.again(1, timeout()) is None


def test_a_check_whose_failure_would_be_a_change_asks_for_its_confirming_probe_early(settings):
    """``_Confirmation.early``: a passing or new check's first probe still unanswered after the
    pause gets its confirming probe beside it; a failing check (a failure is no change), a check
    confirmed by one probe, or one already being confirmed does not."""
    from inspections.models import AutomatedCheck
    from inspections.monitoring_chunk import _Confirmation
    from inspections.probes.results import Problem, Result, Status

    settings.MONITORING_CONFIRM_DELAY_SECONDS = 1.0
    checks = [
        AutomatedCheck(last_status="ok"),
        AutomatedCheck(last_status=""),
        AutomatedCheck(last_status="failed"),
        AutomatedCheck(last_status="ok", confirm_failures=1),
    ]
    confirmation = _Confirmation(checks)
    assert [confirmation.early(index) for index in range(4)] == [1.0, 1.0, None, None]
    now, problem = timezone.now(), Problem("No answer")
    timed_out = Result(None, False, Status.TIMEOUT, problem.message, {}, {}, now, now, (problem,))
    assert confirmation.again(0, timed_out) is not None  # its change is being confirmed now
    assert confirmation.early(0) is None
    settings.MONITORING_CONFIRM_CHANGES = False
    assert _Confirmation(checks).early(1) is None
