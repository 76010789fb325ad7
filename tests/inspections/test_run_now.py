"""Issue 18, item 6: "run now" on an automated check. Who manages the contract's checks asks; an
approved check is probed on the probes queue against a real loopback target, once per 30 seconds
at most; the result shows on the check's page, and a failure opens the check's incident by the
rounds' own path: never a second one.

Celery messages are captured when the request commits, and delivered by calling the task's body
as a worker would (the queue itself: tests/integration)."""

import datetime as dt

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from contracts.models import Asset, Role
from incidents.models import Incident, IncidentEvent
from inspections import monitoring, ondemand, tasks
from inspections import targets as check_targets
from inspections.models import AutomatedCheck, CheckResult, InspectionSchedule, InspectionSlot
from om_portal import queues
from om_portal.models import AuditEntry
from tests.inspections import targets

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def quick_confirmation(settings):
    settings.MONITORING_CONFIRM_DELAY_SECONDS = 0


@pytest.fixture
def sent(monkeypatch):
    """The run_check_now messages sent, as (check_id, requested_at)."""
    messages = []
    monkeypatch.setattr(
        tasks.run_check_now, "apply_async", lambda args=None, **options: messages.append(args)
    )
    return messages


@pytest.fixture
def web():
    server = targets.Web()
    yield server
    server.close()


@pytest.fixture
def app(contract_a):
    return Asset.objects.create(contract=contract_a, kind=Asset.Kind.APPLICATION, name="居住证信息系统")


def add_check(contract, asset, target, name="健康检查", **fields):
    # A loopback target: allowed by an administrator, approved by the client (issue 14).
    check = AutomatedCheck.objects.create(
        contract=contract,
        asset=asset,
        name=name,
        kind="http",
        target=target,
        admin_allowed=True,
        **fields,
    )
    check_targets.approve(check, None)
    return check


@pytest.fixture
def check(contract_a, app, web):
    return add_check(contract_a, app, web.url("/health"))


def page_url(check) -> str:
    return reverse("inspections:automated-check", kwargs={"code": check.contract.code, "pk": check.pk})


def run_url(check) -> str:
    return reverse("inspections:automated-check-run", kwargs={"code": check.contract.code, "pk": check.pk})


def deliver(sent):
    """Run the captured messages as a probes worker would, then forget them."""
    for args in sent:
        tasks.run_check_now(*args)
    sent.clear()


def ask(client, check, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(run_url(check))


def test_the_task_goes_to_the_probes_queue():
    routes = queues.routes(queues.names(settings.CELERY_TASK_DEFAULT_QUEUE))
    assert routes["inspections.tasks.run_check_now"] == routes["inspections.tasks.run_chunk"]


def test_a_manager_runs_a_check_and_reads_its_result_on_its_page(
    client, vendor_manager_a, check, sent, django_capture_on_commit_callbacks
):
    client.force_login(vendor_manager_a)
    page = client.get(page_url(check)).content.decode()
    assert "立即执行" in page and run_url(check) in page

    response = ask(client, check, django_capture_on_commit_callbacks)
    assert response.status_code == 302 and response["Location"] == page_url(check)
    assert len(sent) == 1 and sent[0][0] == check.pk
    check.refresh_from_db()
    assert check.run_requested_at is not None
    line = AuditEntry.objects.get(action="run_now")
    assert (line.user_id, line.object_id, line.contract_code) == (
        vendor_manager_a.pk,
        str(check.pk),
        check.contract.code,
    )
    assert "结果返回后显示在此处" in client.get(page_url(check)).content.decode()

    deliver(sent)
    result = CheckResult.objects.get(automated_check=check)
    assert (result.run, result.status, result.contract_id) == (None, "ok", check.contract_id)
    assert result.values["http_status"] == 200
    check.refresh_from_db()
    assert (check.last_status, check.last_checked_at) == ("ok", result.started_at)
    page = client.get(page_url(check))
    assert page.context["results"] == [result] and not page.context["pending"]
    assert "结果返回后显示在此处" not in page.content.decode()


@pytest.mark.parametrize("role", [Role.VENDOR_ENGINEER, Role.CLIENT_STAFF])
def test_a_role_that_does_not_manage_checks_gets_a_403(
    client, make_user, vendor_org_a, client_org_a, role, check, sent, django_capture_on_commit_callbacks
):
    user = make_user(role, vendor_org_a if role == Role.VENDOR_ENGINEER else client_org_a)
    client.force_login(user)
    assert client.get(page_url(check)).status_code == 200  # they see the check, without the button
    assert run_url(check) not in client.get(page_url(check)).content.decode()
    assert ask(client, check, django_capture_on_commit_callbacks).status_code == 403
    check.refresh_from_db()
    assert sent == [] and check.run_requested_at is None


def test_another_organisation_gets_a_404(client, outsider, check, sent, django_capture_on_commit_callbacks):
    client.force_login(outsider)
    assert client.get(page_url(check)).status_code == 404
    assert ask(client, check, django_capture_on_commit_callbacks).status_code == 404
    assert sent == []


def test_a_check_awaiting_approval_does_not_run(
    client, vendor_manager_a, contract_a, app, web, sent, django_capture_on_commit_callbacks
):
    pending = AutomatedCheck.objects.create(
        contract=contract_a,
        asset=app,
        name="待审批",
        kind="http",
        target=web.url("/health"),
        admin_allowed=True,
    )
    client.force_login(vendor_manager_a)
    assert run_url(pending) not in client.get(page_url(pending)).content.decode()
    response = ask(client, pending, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    assert "该检查不能执行" in client.get(page_url(pending)).content.decode()
    assert sent == [] and not CheckResult.objects.exists()


def test_once_per_30_seconds_per_check(
    client, vendor_manager_a, check, contract_a, app, web, sent, django_capture_on_commit_callbacks
):
    other = add_check(contract_a, app, web.url("/other"), "另一检查")
    client.force_login(vendor_manager_a)
    ask(client, check, django_capture_on_commit_callbacks)
    ask(client, check, django_capture_on_commit_callbacks)
    assert "秒后再试" in client.get(page_url(check)).content.decode()
    ask(client, other, django_capture_on_commit_callbacks)  # another check is not held back
    assert [args[0] for args in sent] == [check.pk, other.pk]
    assert AuditEntry.objects.filter(action="run_now").count() == 2  # the refused ask is not one
    # 31 seconds later the check may run again.
    AutomatedCheck.objects.filter(pk=check.pk).update(
        run_requested_at=timezone.now() - ondemand.RUN_NOW_INTERVAL - dt.timedelta(seconds=1)
    )
    ask(client, check, django_capture_on_commit_callbacks)
    assert [args[0] for args in sent] == [check.pk, other.pk, check.pk]


def test_a_failure_opens_one_incident_however_runs_and_run_nows_meet(
    client,
    django_assert_max_num_queries,
    contract_a,
    app,
    web,
    vendor_manager_a,
    sent,
    django_capture_on_commit_callbacks,
):
    check = add_check(contract_a, app, web.url("/error"))
    with django_capture_on_commit_callbacks(execute=True):
        ondemand.request_run(check, vendor_manager_a)
    deliver(sent)
    check.refresh_from_db()
    assert check.last_status == "failed" and check.incident is not None
    (incident,) = Incident.objects.filter(contract=contract_a)
    assert incident.source == "monitoring" and incident.title.startswith("健康检查")

    # A round's chunk finds it failing too: the same incident, nothing new.
    schedule = InspectionSchedule(
        contract=contract_a, name="自动巡检", mode="automated", times_of_day=["08:00"], what="接口"
    )
    schedule.full_clean()
    schedule.save()
    due = timezone.now() - dt.timedelta(minutes=1)
    slot = InspectionSlot.objects.create(
        contract=contract_a, schedule=schedule, due_at=due, deadline=due + dt.timedelta(hours=2)
    )
    run = monitoring.dispatch(slot)
    monitoring.run_chunk(run.pk, [check.pk])
    # And a second run now, 30 seconds on.
    AutomatedCheck.objects.filter(pk=check.pk).update(
        run_requested_at=timezone.now() - dt.timedelta(minutes=1)
    )
    check.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        ondemand.request_run(check, vendor_manager_a)
    deliver(sent)
    assert Incident.objects.filter(contract=contract_a).count() == 1
    assert CheckResult.objects.filter(automated_check=check).count() == 3
    # The check's page lists both kinds of result, in a fixed number of queries.
    client.force_login(vendor_manager_a)
    with django_assert_max_num_queries(12):
        page = client.get(page_url(check))
    assert len(page.context["results"]) == 3
    assert page.content.decode().count('<td class="small">立即执行</td>') == 2

    # Fixed: a run now records the recovery on that incident's timeline.
    web.answer("/error", 200)
    AutomatedCheck.objects.filter(pk=check.pk).update(
        run_requested_at=timezone.now() - dt.timedelta(minutes=1)
    )
    check.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        ondemand.request_run(check, vendor_manager_a)
    deliver(sent)
    check.refresh_from_db()
    assert check.last_status == "ok" and check.failing_since is None
    assert incident.events.filter(kind=IncidentEvent.Kind.RECOVERED).count() == 1


def test_a_redelivered_request_probes_nothing_twice(
    check, vendor_manager_a, sent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ondemand.request_run(check, vendor_manager_a)
    (args,) = sent
    tasks.run_check_now(*args)
    tasks.run_check_now(*args)
    assert CheckResult.objects.filter(automated_check=check).count() == 1


def test_a_check_edited_after_the_request_is_held_back(
    check, vendor_manager_a, sent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ondemand.request_run(check, vendor_manager_a)
    AutomatedCheck.objects.filter(pk=check.pk).update(approval="pending")
    deliver(sent)
    result = CheckResult.objects.get(automated_check=check)
    assert result.status == "error" and "awaits the client's approval" in result.message
    check.refresh_from_db()
    assert check.last_status == ""  # the state is the probes' to move, and none ran


# --- The API ------------------------------------------------------------------------------------


def api_as(user):
    api = APIClient()
    api.force_authenticate(user)
    api.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return api


def test_the_api_runs_a_check_now(vendor_manager_a, check, sent, django_capture_on_commit_callbacks):
    api = api_as(vendor_manager_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"/api/v1/checks/{check.pk}/run/")
    assert response.status_code == 202, response.content
    assert response.json()["check"] == check.pk and response.json()["requested_at"]
    deliver(sent)
    (result,) = api.get("/api/v1/check-results/", {"check": check.pk}).json()["results"]
    assert (result["run"], result["status"]) == (None, "ok")
    assert api.get(f"/api/v1/checks/{check.pk}/").json()["last_status"] == "ok"

    with django_capture_on_commit_callbacks(execute=True):
        again = api.post(f"/api/v1/checks/{check.pk}/run/")
    assert again.status_code == 429 and 1 <= int(again["Retry-After"]) <= 30
    assert sent == []


def test_the_api_refuses_what_the_page_refuses(
    make_user, vendor_org_a, outsider, check, contract_a, app, web, sent, django_capture_on_commit_callbacks
):
    engineer = make_user(Role.VENDOR_ENGINEER, vendor_org_a)
    assert api_as(engineer).post(f"/api/v1/checks/{check.pk}/run/").status_code == 403
    assert api_as(outsider).post(f"/api/v1/checks/{check.pk}/run/").status_code == 404
    inactive = add_check(contract_a, app, web.url("/x"), "停用的检查")
    AutomatedCheck.objects.filter(pk=inactive.pk).update(active=False)
    manager = make_user(Role.VENDOR_MANAGER, vendor_org_a)
    refused = api_as(manager).post(f"/api/v1/checks/{inactive.pk}/run/")
    assert refused.status_code == 409 and "cannot run" in refused.json()["detail"]
    assert sent == []
