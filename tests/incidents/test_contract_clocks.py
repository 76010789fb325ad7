"""Issue 13: the clocks as the contracts say, whatever order the facts arrive in.

Each test quotes the clause it checks and works the figures out by hand.
"""

import datetime as dt

import pytest
from rest_framework.test import APIClient

from contracts.models import Breach, PenaltyClause, Severity
from contracts.penalties import penalty_summary
from incidents import checker, services
from incidents.models import Incident, IncidentEvent
from om_portal.models import AuditEntry
from tests.incidents.conftest import at

pytestmark = pytest.mark.django_db


def api_as(user):
    api = APIClient()
    api.force_authenticate(user)
    return api


def report(contract, by, when, **fields):
    return services.report_incident(
        contract, by=by, title="缴费平台异常", source="platform", reported_at=when, **fields
    )


@pytest.fixture
def seed_004(contract_a, term):
    """Seed 004: each breach 1% of the ¥770,000 total (8.2 每发生一次…1%)."""
    contract_a.total = 770000
    contract_a.save()
    return PenaltyClause.objects.create(
        contract=contract_a, kind="service_breach", title="违约", shape="per_occurrence", rate_percent=1
    )


# --- 5.1: a clock that ended late is a breach when the late end is entered ---------------------


def test_a_response_entered_after_its_deadline_is_a_breach_at_once(contract_a, engineer_a, seed_004, term):
    # Seed 002: "重大故障…30 分钟内响应". Reported 09:00, due 09:30; the response is entered
    # at 09:45: 15 minutes late. Nothing waits for the beat: the breach is in the ledger now.
    term("response", 30, "minutes", penalty_clause=seed_004)
    incident = report(contract_a, engineer_a, at(2025, 3, 3, 9, 0))
    url = f"/api/v1/incidents/{incident.pk}/transition/"
    response = api_as(engineer_a).post(
        url, {"action": "acknowledge", "at": "2025-03-03T09:45:00+08:00"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["response_breached_at"] is not None
    breach = Breach.objects.get()
    assert (breach.kind, breach.occurred_at, breach.source_ref) == (
        "service_breach",
        at(2025, 3, 3, 9, 30),
        f"incident:{incident.pk}:response",
    )
    # The event is dated when the late response happened, so the timeline keeps its order.
    assert incident.events.filter(kind=IncidentEvent.Kind.BREACH, at=at(2025, 3, 3, 9, 45)).count() == 1
    # The beat, passing later, records nothing twice (the same claim column, the same ref).
    checker.check_deadlines(now=at(2025, 3, 3, 10, 0))
    assert Breach.objects.count() == 1
    # 1% × ¥770,000 = ¥7,700.
    assert penalty_summary(contract_a).vendor_total == 7700


def test_a_response_in_time_records_nothing(contract_a, engineer_a, seed_004, term):
    term("response", 30, "minutes", penalty_clause=seed_004)
    incident = report(contract_a, engineer_a, at(2025, 3, 3, 9, 0))
    services.transition(incident, "acknowledge", by=engineer_a, at=at(2025, 3, 3, 9, 29))
    assert not Breach.objects.exists()


# --- 5.2: an edit of the timeline that shows the clock met withdraws the breach ------------------


def test_a_response_entered_late_but_in_time_withdraws_the_beats_breach(
    contract_a, engineer_a, client_manager_a, seed_004, term
):
    # Response within 1 hour: reported 09:00, due 10:00. The beat at 10:01 sees no response and
    # records the breach; the engineer then writes down the call he answered at 09:50.
    term("response", 1, "hours", penalty_clause=seed_004)
    incident = report(contract_a, engineer_a, at(2025, 3, 3, 9, 0))
    assert checker.check_deadlines(now=at(2025, 3, 3, 10, 1))["breaches"] == 1
    assert penalty_summary(contract_a).vendor_total == 7700  # 1% × ¥770,000

    services.transition(incident, "acknowledge", by=engineer_a, at=at(2025, 3, 3, 9, 50))
    breach = Breach.objects.get()
    assert breach.withdrawn_at is not None and breach.withdrawn_by == engineer_a
    assert breach.withdrawn_reason
    # Kept in the ledger, counting zero: ¥0.
    assert penalty_summary(contract_a).vendor_total == 0
    incident.refresh_from_db()
    assert incident.response_breached_at is None
    assert incident.events.filter(kind=IncidentEvent.Kind.WITHDRAWN, to_value="response").exists()
    assert AuditEntry.objects.filter(action="withdraw", object_id=str(breach.pk)).exists()
    # The breaches API shows it withdrawn, with who and why.
    row = api_as(client_manager_a).get(f"/api/v1/breaches/{breach.pk}/")
    assert row.json()["withdrawn"] is True
    assert row.json()["withdrawn_by"] == engineer_a.username


def test_the_ledger_and_the_incident_page_show_a_withdrawn_breach(
    client, contract_a, engineer_a, client_manager_a, seed_004, term
):
    term("response", 1, "hours", penalty_clause=seed_004)
    incident = report(contract_a, engineer_a, at(2025, 3, 3, 9, 0))
    checker.check_deadlines(now=at(2025, 3, 3, 10, 1))
    services.transition(incident, "acknowledge", by=engineer_a, at=at(2025, 3, 3, 9, 50))
    breach = Breach.objects.get()
    rows = api_as(client_manager_a).get("/api/v1/breaches/", {"contract": contract_a.code}).json()
    rows = rows.get("results", rows)
    assert [(r["id"], r["withdrawn"]) for r in rows] == [(breach.pk, True)]
    assert api_as(client_manager_a).get("/api/v1/breaches/", {"withdrawn": "false"}).json()["count"] == 0
    client.force_login(client_manager_a)
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert breach.withdrawn_reason in page


# --- 7.1: the next deadline is the deadline ------------------------------------------------------


def test_next_deadline_is_the_deadline_and_the_warning_its_own_field(
    client, contract_a, engineer_a, client_manager_a, term
):
    # A 2-hour target, warned at 80%: reported 09:00, due 11:00, warned at 09:00 + 96 min = 10:36.
    # At 10:28 the list used to count down to 10:36 (8 minutes) while the page said 32.
    term("response", 2, "hours")
    incident = report(contract_a, engineer_a, at(2025, 3, 3, 9, 0))
    incident.refresh_from_db()
    assert incident.next_deadline == at(2025, 3, 3, 11, 0)
    assert incident.next_warning_at == at(2025, 3, 3, 10, 36)
    body = api_as(client_manager_a).get(f"/api/v1/incidents/{incident.pk}/").json()
    assert body["next_deadline"].startswith("2025-03-03T11:00:00")
    assert body["next_warning"].startswith("2025-03-03T10:36:00")
    # The filter is on the deadline: due by 10:50, none; by 11:00, this one.
    listing = api_as(client_manager_a).get(
        "/api/v1/incidents/", {"next_deadline_before": "2025-03-03T10:50:00+08:00"}
    )
    assert listing.json()["results"] == []
    listing = api_as(client_manager_a).get(
        "/api/v1/incidents/", {"next_deadline_before": "2025-03-03T11:00:00+08:00"}
    )
    assert [row["id"] for row in listing.json()["results"]] == [incident.pk]
    client.force_login(client_manager_a)
    assert "03-03 11:00" in client.get("/incidents/").content.decode()
    # The beat still warns at 10:36 (its own column), then the deadline stays.
    assert checker.check_deadlines(now=at(2025, 3, 3, 10, 37))["warnings"] == 1
    incident.refresh_from_db()
    assert incident.next_warning_at is None
    assert incident.next_deadline == at(2025, 3, 3, 11, 0) == incident.next_check_at


# --- 9: outside the contract's term --------------------------------------------------------------


def test_an_incident_reported_after_the_term_gets_no_deadline_breach_or_bill(
    client, contract_a, engineer_a, client_manager_a, seed_004, term
):
    # Seed 004: one year from 2024-12-16, so the term's last day is 2025-12-15. A fault reported
    # on 2025-12-16 is recorded, but the contract obliges nothing that day: no clock, no 1% bill.
    contract_a.starts_on, contract_a.ends_on = dt.date(2024, 12, 16), dt.date(2025, 12, 15)
    contract_a.save()
    term("resolution", 48, "hours", penalty_clause=seed_004)
    after = report(contract_a, engineer_a, at(2025, 12, 16, 10, 0))
    last_day = report(contract_a, engineer_a, at(2025, 12, 15, 23, 0))
    after.refresh_from_db()
    last_day.refresh_from_db()
    assert after.outside_term and not last_day.outside_term
    assert (after.resolution_due, after.next_deadline) == (None, None)
    assert last_day.resolution_due == at(2025, 12, 17, 23, 0)  # 48 hours on
    checker.check_deadlines(now=at(2025, 12, 20, 0, 0))
    assert list(Breach.objects.values_list("source_ref", flat=True)) == [f"incident:{last_day.pk}:resolution"]
    assert penalty_summary(contract_a).vendor_total == 7700  # the one in the term: 1% × ¥770,000
    assert api_as(client_manager_a).get(f"/api/v1/incidents/{after.pk}/").json()["outside_term"] is True
    client.force_login(client_manager_a)
    assert client.get(f"/incidents/{after.pk}/").status_code == 200


# --- 9: reclassifying: the right role, a reason, the timeline, the clocks ------------------------


@pytest.fixture
def severities(term, seed_004):
    # Seed 001's after-sales plan: 紧急 respond within 1 hour; a general fault here within 4.
    term("response", 1, "hours", severity=Severity.EMERGENCY, penalty_clause=seed_004)
    term("response", 4, "hours", severity=Severity.GENERAL, penalty_clause=seed_004)


def test_reclassifying_to_a_lower_severity_withdraws_the_breach_it_shows_met(
    contract_a, engineer_a, client_staff_a, severities
):
    # Reported 09:00 as 紧急: due 10:00; the beat records the breach at 10:01; answered 11:00.
    # The bureau finds it was a 一般 fault: due 13:00 under the new term, met at 11:00.
    incident = report(contract_a, engineer_a, at(2025, 3, 3, 9, 0), severity=Severity.EMERGENCY)
    checker.check_deadlines(now=at(2025, 3, 3, 10, 1))
    services.transition(incident, "acknowledge", by=engineer_a, at=at(2025, 3, 3, 11, 0))
    assert Breach.objects.get().withdrawn_at is None
    url = f"/api/v1/incidents/{incident.pk}/reclassify/"
    # The vendor may not; the reason is required.
    assert (
        api_as(engineer_a).post(url, {"severity": "general", "reason": "x"}, format="json").status_code == 403
    )
    assert api_as(client_staff_a).post(url, {"severity": "general"}, format="json").status_code == 400
    response = api_as(client_staff_a).post(
        url, {"severity": "general", "reason": "只影响一个窗口"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["response_due"].startswith("2025-03-03T13:00:00")
    breach = Breach.objects.get()
    assert breach.withdrawn_at is not None and "只影响一个窗口" in breach.withdrawn_reason
    assert penalty_summary(contract_a).vendor_total == 0
    change = incident.events.get(kind=IncidentEvent.Kind.SEVERITY)
    assert (change.from_value, change.to_value, change.note, change.actor) == (
        "emergency",
        "general",
        "只影响一个窗口",
        client_staff_a,
    )


def test_reclassifying_to_a_higher_severity_records_the_breach_it_shows(
    contract_a, engineer_a, client_manager_a, severities
):
    # Reported 09:00 as 一般 (due 13:00), answered 11:00: met. Raised to 紧急 (due 10:00): the
    # answer at 11:00 is an hour late, a breach recorded at once; then lowered again: withdrawn.
    incident = report(contract_a, engineer_a, at(2025, 3, 3, 9, 0))
    services.transition(incident, "acknowledge", by=engineer_a, at=at(2025, 3, 3, 11, 0))
    assert not Breach.objects.exists()
    services.reclassify(incident, by=client_manager_a, severity=Severity.EMERGENCY, note="全区缴费中断")
    breach = Breach.objects.get()
    assert (breach.occurred_at, breach.withdrawn_at) == (at(2025, 3, 3, 10, 0), None)
    services.reclassify(incident, by=client_manager_a, severity=Severity.GENERAL, note="误报范围")
    breach.refresh_from_db()
    assert breach.withdrawn_at is not None
    # Raised once more: the same ledger entry is back in force, not a second one.
    services.reclassify(incident, by=client_manager_a, severity=Severity.EMERGENCY, note="复核")
    breach.refresh_from_db()
    assert Breach.objects.count() == 1 and breach.withdrawn_at is None


def test_patch_changes_the_kind_with_a_reason_and_nothing_else(
    contract_a, engineer_a, client_manager_a, term
):
    term("response", 4, "hours")
    incident = report(contract_a, engineer_a, at(2025, 3, 3, 9, 0))
    url = f"/api/v1/incidents/{incident.pk}/"
    api = api_as(client_manager_a)
    assert api.patch(url, {"title": "改名", "reason": "x"}, format="json").status_code == 400
    assert api.patch(url, {"kind": "network"}, format="json").status_code == 400
    response = api.patch(url, {"kind": "network", "reason": "实为专网链路中断"}, format="json")
    assert response.status_code == 200, response.content
    incident.refresh_from_db()
    assert (incident.kind, incident.title) == ("network", "缴费平台异常")
    event = incident.events.get(kind=IncidentEvent.Kind.KIND)
    assert (event.from_value, event.to_value) == ("software", "network")


def test_the_portal_form_reclassifies(client, contract_a, engineer_a, client_staff_a, severities):
    incident = report(contract_a, engineer_a, at(2025, 3, 3, 9, 0), severity=Severity.EMERGENCY)
    client.force_login(client_staff_a)
    assert "reclassify" in client.get(f"/incidents/{incident.pk}/").content.decode()
    client.post(
        f"/incidents/{incident.pk}/reclassify/",
        {"severity": "general", "kind": "software", "condition": "", "reason": "只影响一个窗口"},
    )
    incident.refresh_from_db()
    assert incident.severity == Severity.GENERAL
    assert incident.response_due == at(2025, 3, 3, 13, 0)  # 09:00 + 4 hours
    # Nothing changes without a reason.
    client.post(f"/incidents/{incident.pk}/reclassify/", {"severity": "emergency", "kind": "software"})
    incident.refresh_from_db()
    assert incident.severity == Severity.GENERAL
    assert Incident.objects.count() == 1
