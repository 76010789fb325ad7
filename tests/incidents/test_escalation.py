"""Issue 18, item 4: an emergency nobody acknowledges (受理) is escalated by the beat — to the
vendor's manager at N minutes, to the client's manager at N + M — each step on the timeline and
sent (a real WeCom robot on loopback, Django's mail outbox), acknowledging stops the next step,
and two sweeps at once send each step once."""

import threading

import pytest
from django.db import connection
from django.utils import timezone, translation

from contracts.models import Contract, Role, Severity
from contracts.services import load_seeds
from incidents import escalation, services, tasks
from incidents.models import EscalationPolicy, EscalationStep, Incident, IncidentEvent
from om_portal import digest
from om_portal.celery import app as celery_app
from om_portal.models import InboxItem, Notice, NotificationChannel
from tests.incidents.conftest import at
from tests.om_portal.test_notifications import OK, Receiver

pytestmark = pytest.mark.django_db

REPORTED = at(2025, 3, 3, 10, 0)  # a Monday
ESCALATED = IncidentEvent.Kind.ESCALATED


@pytest.fixture(autouse=True)
def eager(settings):
    settings.NOTIFICATION_RETRY_BASE_SECONDS = 0.01
    settings.NOTIFICATION_TIMEOUT_SECONDS = 2
    conf = celery_app.conf
    previous = conf.task_always_eager, conf.task_eager_propagates
    conf.task_always_eager, conf.task_eager_propagates = True, False
    yield
    conf.task_always_eager, conf.task_eager_propagates = previous


@pytest.fixture
def robot():
    receiver = Receiver([OK])
    NotificationChannel.objects.create(
        name="运维群机器人", kind="wecom", target=f"{receiver.url}/cgi-bin/webhook/send?key=k", scope="*"
    )
    yield receiver
    receiver.close()


@pytest.fixture
def people(make_user, client_org_a, vendor_org_a):
    return {
        "vendor_manager": make_user(
            Role.VENDOR_MANAGER, vendor_org_a, email="vm@vendor.example", first_name="项目经理"
        ),
        "client_manager": make_user(
            Role.CLIENT_MANAGER, client_org_a, email="cm@bureau.example", first_name="负责人"
        ),
        "engineer": make_user(Role.VENDOR_ENGINEER, vendor_org_a, email="eng@vendor.example"),
    }


@pytest.fixture
def policy(contract_a, term):
    """Seed 002's shape: respond within 30 minutes, 7×24; the vendor's manager at 30, the client's
    manager 30 more minutes later."""
    term("response", 30, "minutes")
    policy = EscalationPolicy.objects.create(contract=contract_a, severity=Severity.EMERGENCY)
    EscalationStep.objects.create(policy=policy, after_minutes=30, notify="vendor_manager")
    EscalationStep.objects.create(policy=policy, after_minutes=60, notify="client_manager")
    return policy


def report(contract, by, when=REPORTED, severity=Severity.EMERGENCY):
    return services.report_incident(
        contract, by=by, title="印章备案系统无法登录", source="phone", severity=severity, reported_at=when
    )


def beat(captured, minutes):
    """The beat's task at REPORTED + ``minutes``, its deliveries sent once it committed."""
    with captured(execute=True):
        return tasks.escalate(now=REPORTED + minutes * ONE_MINUTE)


ONE_MINUTE = REPORTED - at(2025, 3, 3, 9, 59)


def inboxes(incident):
    """Whose inbox each escalation step of ``incident`` reached, in order."""
    items = InboxItem.objects.filter(kind="incident.escalated", notice__link=incident.get_absolute_url())
    return list(items.order_by("pk").values_list("user__email", flat=True))


def escalation_mails(mailoutbox, incident):
    return [m.to for m in mailoutbox if "仍未受理" in m.body and incident.number in m.body]


def escalations(incident):
    return list(incident.events.filter(kind=ESCALATED).values_list("to_value", flat=True))


def test_an_unacknowledged_emergency_goes_to_the_vendor_manager_then_the_client_manager(
    contract_a, policy, people, robot, mailoutbox, django_capture_on_commit_callbacks
):
    incident = report(contract_a, people["engineer"])
    assert incident.next_escalation_at == at(2025, 3, 3, 10, 30)

    assert beat(django_capture_on_commit_callbacks, 29) == {"escalated": 0}
    assert mailoutbox == [] and robot.requests == []

    assert beat(django_capture_on_commit_callbacks, 30) == {"escalated": 1}
    assert escalations(incident) == ["vendor_manager"]
    # The step is an event of the catalogue: in the named person's inbox, mailed to them, posted
    # to the contract's group robot (with the incident's own "new emergency" notice, waiting).
    assert inboxes(incident) == ["vm@vendor.example"]
    assert escalation_mails(mailoutbox, incident) == [["vm@vendor.example"]]
    assert "/incidents/" in mailoutbox[-1].body
    assert any(incident.number in r["json"]["markdown"]["content"] for r in robot.requests)
    assert any("仍未受理" in r["json"]["markdown"]["content"] for r in robot.requests)
    incident.refresh_from_db()
    assert (incident.escalation_level, incident.next_escalation_at) == (1, at(2025, 3, 3, 11, 0))

    # A minute later the beat runs again: the step is not recorded twice.
    sent = len(mailoutbox), len(robot.requests)
    assert beat(django_capture_on_commit_callbacks, 31) == {"escalated": 0}
    assert (len(mailoutbox), len(robot.requests)) == sent
    assert Notice.objects.filter(kind="incident.escalated").count() == 1

    assert beat(django_capture_on_commit_callbacks, 60) == {"escalated": 1}
    assert escalations(incident) == ["vendor_manager", "client_manager"]
    assert inboxes(incident) == ["vm@vendor.example", "cm@bureau.example"]
    # Sent within the same minute of real time as step 1, it waits for the next flush: at most
    # one message a minute per contract (om_portal.digest).
    with django_capture_on_commit_callbacks(execute=True):
        digest.flush_all(now=timezone.now() + 2 * ONE_MINUTE)
    assert escalation_mails(mailoutbox, incident) == [["vm@vendor.example"], ["cm@bureau.example"]]
    assert len(robot.requests) == sent[1] + 1
    incident.refresh_from_db()
    assert (incident.escalation_level, incident.next_escalation_at) == (2, None)
    assert beat(django_capture_on_commit_callbacks, 600) == {"escalated": 0}

    # The timeline says it, in Chinese, without codes.
    events = incident.events.filter(kind=ESCALATED).order_by("at")
    with translation.override("zh-hans"):
        assert [e.to_display for e in events] == ["乙方项目经理", "甲方负责人"]
        assert events[0].get_kind_display() == "已升级"
    assert "项目经理" in events[0].note and "负责人" in events[1].note


def test_acknowledging_stops_the_next_step(
    contract_a, policy, people, mailoutbox, django_capture_on_commit_callbacks
):
    incident = report(contract_a, people["engineer"])
    beat(django_capture_on_commit_callbacks, 30)
    services.transition(incident, "acknowledge", by=people["engineer"], at=at(2025, 3, 3, 10, 40))
    incident.refresh_from_db()
    assert incident.next_escalation_at is None
    assert beat(django_capture_on_commit_callbacks, 61) == {"escalated": 0}
    assert escalations(incident) == ["vendor_manager"]
    assert escalation_mails(mailoutbox, incident) == [["vm@vendor.example"]]


def test_acknowledged_in_time_escalates_nobody(
    contract_a, policy, people, mailoutbox, django_capture_on_commit_callbacks
):
    incident = report(contract_a, people["engineer"])
    services.transition(incident, "acknowledge", by=people["engineer"], at=at(2025, 3, 3, 10, 10))
    assert beat(django_capture_on_commit_callbacks, 120) == {"escalated": 0}
    assert escalations(incident) == [] and mailoutbox == []


def test_other_severities_and_inactive_policies_escalate_nobody(
    contract_a, policy, people, django_capture_on_commit_callbacks
):
    general = report(contract_a, people["engineer"], severity=Severity.GENERAL)
    assert general.next_escalation_at is None
    policy.active = False
    policy.save()
    emergency = report(contract_a, people["engineer"])
    assert emergency.next_escalation_at is None
    assert beat(django_capture_on_commit_callbacks, 120) == {"escalated": 0}


def test_a_late_beat_fires_every_step_owed_in_order(
    contract_a, policy, people, django_capture_on_commit_callbacks
):
    incident = report(contract_a, people["engineer"])
    assert beat(django_capture_on_commit_callbacks, 90) == {"escalated": 2}
    assert escalations(incident) == ["vendor_manager", "client_manager"]


def test_reclassified_to_emergency_and_saved_policies_reschedule(
    contract_a, policy, people, make_user, client_org_a
):
    incident = report(contract_a, people["engineer"], severity=Severity.GENERAL)
    services.reclassify(incident, by=people["client_manager"], severity=Severity.EMERGENCY, note="影响全市")
    incident.refresh_from_db()
    assert incident.next_escalation_at == at(2025, 3, 3, 10, 30)
    # A policy saved anew: the incident's next step follows it at once.
    escalation.save_policy(policy, [(45, "on_duty"), (90, "client_manager")])
    incident.refresh_from_db()
    assert incident.next_escalation_at == at(2025, 3, 3, 10, 45)
    escalation.delete_policy(policy)
    incident.refresh_from_db()
    assert incident.next_escalation_at is None


def test_steps_count_in_the_response_terms_business_hours(contract_a, term, people):
    """A 5×8 contract: its response clock runs 09:00–17:30 on working days, and so do the steps —
    60 minutes after a report at 17:00 on Friday 2025-03-07 is 09:30 on Monday 03-10."""
    term("response", 2, "hours", coverage="5x8")
    policy = EscalationPolicy.objects.create(contract=contract_a, severity=Severity.EMERGENCY)
    EscalationStep.objects.create(policy=policy, after_minutes=60, notify="vendor_manager")
    incident = report(contract_a, people["engineer"], when=at(2025, 3, 7, 17, 0))
    assert incident.next_escalation_at == at(2025, 3, 10, 9, 30)


def test_the_due_query_uses_the_partial_index(contract_a, policy, people, django_assert_num_queries):
    report(contract_a, people["engineer"])
    with django_assert_num_queries(1):
        assert len(escalation.due_incidents(at(2025, 3, 9))) == 1
    if connection.vendor == "postgresql":
        sql, params = (
            Incident.objects.filter(next_escalation_at__lte=at(2025, 3, 9))
            .order_by("next_escalation_at")
            .values("pk")
            .query.sql_with_params()
        )
        with connection.cursor() as cursor:
            cursor.execute("SET enable_seqscan = off")
            cursor.execute("EXPLAIN " + sql, params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        assert "incident_next_escalation_idx" in plan


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_send_each_step_once(contract_a, policy, people):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need a real PostgreSQL (DATABASE_URL); SQLite serialises them")
    incidents = [report(contract_a, people["engineer"], when=at(2025, 3, 3, 10, n)) for n in range(10)]
    barrier = threading.Barrier(4)
    results = []

    def run():
        barrier.wait()
        try:
            results.append(escalation.sweep(now=at(2025, 3, 3, 12, 0)))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Two steps for each of ten incidents, fired by whichever sweep claimed them first.
    assert sum(r["escalated"] for r in results) == 20
    assert IncidentEvent.objects.filter(kind=ESCALATED).count() == 20
    for incident in incidents:
        assert escalations(incident) == ["vendor_manager", "client_manager"]
    # Per incident: step 1 to the vendor's manager, step 2 to the client's manager — one notice
    # each, in one inbox each, never a second copy of one.
    keys = list(Notice.objects.filter(kind="incident.escalated").values_list("dedupe_key", flat=True))
    assert len(keys) == len(set(keys)) == 20
    assert InboxItem.objects.filter(kind="incident.escalated").count() == 20


def test_seeds_load_the_contracts_own_response_times_once():
    load_seeds()
    policies = {
        p.contract.code: (p.severity, list(p.steps.values_list("after_minutes", "notify")))
        for p in EscalationPolicy.objects.select_related("contract")
    }
    # Seed 002: major faults answered within 30 minutes; seed 001: 紧急 within 1 hour (7×24).
    # The others have no response term for a fault to derive one from.
    assert policies == {
        "XX-2024-SEAL": ("emergency", [(30, "vendor_manager"), (60, "client_manager")]),
        "BJ-SSP-UPG": ("emergency", [(60, "vendor_manager"), (120, "client_manager")]),
    }
    # A second load adds nothing and keeps what the client changed in the portal.
    seal = EscalationPolicy.objects.get(contract__code="XX-2024-SEAL")
    escalation.save_policy(seal, [(20, "vendor_manager")])
    _loaded, created = load_seeds()
    assert created == 0
    assert list(seal.steps.values_list("after_minutes", flat=True)) == [20]
    assert EscalationPolicy.objects.count() == 2


def test_seed_policies_apply_to_the_seed_contracts_incidents(make_user, django_capture_on_commit_callbacks):
    load_seeds()
    contract = Contract.objects.get(code="BJ-SSP-UPG")
    reporter = make_user(Role.CLIENT_STAFF, contract.client)
    incident = report(contract, reporter, when=at(2026, 1, 5, 8, 0))
    assert incident.next_escalation_at == at(2026, 1, 5, 9, 0)
    with django_capture_on_commit_callbacks(execute=True):
        assert escalation.sweep(now=at(2026, 1, 5, 9, 0)) == {"escalated": 1}
    assert escalations(incident) == ["vendor_manager"]


def test_the_incident_page_shows_the_next_step_and_the_steps_fired(
    client, contract_a, policy, people, django_capture_on_commit_callbacks
):
    incident = report(contract_a, people["engineer"])
    client.force_login(people["client_manager"])
    page = client.get(incident.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "下次升级" in page and "2025-03-03 10:30" in page
    beat(django_capture_on_commit_callbacks, 30)
    page = client.get(incident.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "已升级" in page and "乙方项目经理" in page and "2025-03-03 11:00" in page
    assert "vendor_manager" not in page


def test_a_policy_created_later_does_not_send_the_steps_its_old_incidents_already_owe(
    contract_a, term, people, django_capture_on_commit_callbacks
):
    """A contract with old unacknowledged emergencies gets a policy: the steps already due when it
    is created count as passed (no burst at the next beat); a recent incident's steps to come
    still fire."""

    term("response", 30, "minutes")
    now = timezone.now()
    old = report(contract_a, people["engineer"], when=now - 3 * 60 * ONE_MINUTE)
    fresh = report(contract_a, people["engineer"], when=now - 40 * ONE_MINUTE)
    policy = EscalationPolicy(contract=contract_a, severity=Severity.EMERGENCY)
    escalation.save_policy(policy, [(30, "vendor_manager"), (60, "client_manager")])
    old.refresh_from_db()
    fresh.refresh_from_db()
    assert (old.escalation_level, old.next_escalation_at) == (2, None)
    assert (fresh.escalation_level, fresh.next_escalation_at) == (1, fresh.reported_at + 60 * ONE_MINUTE)
    with django_capture_on_commit_callbacks(execute=True):
        assert escalation.sweep(now=now + 30 * ONE_MINUTE) == {"escalated": 1}
    assert escalations(old) == []
    assert escalations(fresh) == ["client_manager"]


def test_a_policy_switched_on_again_starts_from_then(
    contract_a, policy, people, django_capture_on_commit_callbacks
):

    policy.active = False
    escalation.save_policy(policy, [(30, "vendor_manager"), (60, "client_manager")])
    incident = report(contract_a, people["engineer"], when=timezone.now() - 90 * ONE_MINUTE)
    assert incident.next_escalation_at is None
    policy.active = True
    escalation.save_policy(policy, [(30, "vendor_manager"), (60, "client_manager")])
    incident.refresh_from_db()
    assert (incident.escalation_level, incident.next_escalation_at) == (2, None)
    with django_capture_on_commit_callbacks(execute=True):
        assert escalation.sweep(now=timezone.now()) == {"escalated": 0}
