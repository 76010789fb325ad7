"""The incident's workflow as one table (om_portal.workflow): the buttons it gives, the rights
read once per request, and the conditional UPDATE that lets only one of two racers through."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from contracts import scoping
from contracts.models import Membership, Role
from incidents import services
from incidents.models import Incident

from .conftest import at


@pytest.fixture
def incident(contract_a, engineer_a, term):
    term("response", 1, "hours")
    return services.report_incident(
        contract_a, by=engineer_a, title="网闸同步失败", source="monitoring", reported_at=at(2026, 6, 1, 9, 0)
    )


def _buttons(html: str) -> list[str]:
    return re.findall(r'action="/incidents/\d+/([a-z_]+)/"', html)


def _detail(client, incident):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("incidents:detail", kwargs={"pk": incident.pk}))
    assert response.status_code == 200
    # The reads of the user's memberships themselves (not the scoping subqueries of the lookups).
    memberships = [q["sql"] for q in queries if q["sql"].startswith('SELECT "contracts_membership".')]
    return response.content.decode(), len(queries), memberships


def test_the_page_shows_the_actions_of_the_table_for_the_state_and_the_rights(
    client, incident, engineer_a, client_manager_a
):
    client.force_login(engineer_a)
    html, _count, _m = _detail(client, incident)
    assert _buttons(html) == ["acknowledge", "dispatch", "comment"]
    services.transition(incident, "acknowledge", by=engineer_a, at=at(2026, 6, 1, 9, 10))
    html, _count, _m = _detail(client, incident)
    assert _buttons(html) == [
        "arrive",
        "wait_client",
        "wait_other_unit",
        "wait_finance",
        "dispatch",
        "resolve",
        "comment",
    ]
    # The client's manager may close or reopen, not handle: none of the vendor's buttons.
    client.force_login(client_manager_a)
    html, _count, _m = _detail(client, incident)
    assert set(_buttons(html)) == {"reclassify", "comment"}


def test_rights_are_read_once_per_request_however_many_actions_the_page_asks_about(
    client, incident, engineer_a
):
    client.force_login(engineer_a)
    html, one_action, memberships = _detail(client, incident)
    assert len(_buttons(html)) == 3
    # The engineer's memberships: read once, though the page asks about a dozen rights.
    assert len(memberships) == 1, memberships
    services.transition(incident, "acknowledge", by=engineer_a, at=at(2026, 6, 1, 9, 10))
    html, five_actions, memberships = _detail(client, incident)
    assert len(_buttons(html)) == 7
    assert len(memberships) == 1, memberships
    # More buttons, more rights asked about: not one query more.
    assert five_actions == one_action


def test_can_outside_a_request_reads_the_memberships_as_they_are_now(contract_a, make_user, vendor_org_a):
    # No request, no memo: a worker or a service call sees a membership given a moment ago.
    user = make_user()
    assert not scoping.can(user, scoping.HANDLE_INCIDENT, contract_a)
    Membership.objects.create(user=user, organization=vendor_org_a, role=Role.VENDOR_ENGINEER)
    assert scoping.can(user, scoping.HANDLE_INCIDENT, contract_a)
    assert not scoping.can(user, scoping.CLOSE_INCIDENT, contract_a)
    with pytest.raises(ValueError):
        scoping.can(user, "fly", contract_a)


@pytest.mark.parametrize(
    "role", [Role.VENDOR_ENGINEER, Role.VENDOR_MANAGER, Role.CLIENT_STAFF, Role.CLIENT_MANAGER, Role.AUDITOR]
)
def test_rights_agree_with_the_restricted_queryset(contract_a, contract_b, make_user, vendor_org_a, role):
    from contracts.models import Contract

    organization = vendor_org_a if role.startswith("vendor") else contract_a.client
    user = make_user(role, organization)
    for contract in (contract_a, contract_b):
        expected = {
            action
            for action in scoping._roles_table()
            if Contract.objects.restrict(user, action).filter(pk=contract.pk).exists()
        }
        assert scoping.rights(user, contract) == expected


def test_two_people_racing_cannot_both_move_the_incident(incident, engineer_a):
    stale = Incident.objects.get(pk=incident.pk)
    services.transition(incident, "acknowledge", by=engineer_a, at=at(2026, 6, 1, 9, 10))
    # The second one's copy still says "new": the UPDATE finds no row in that state.
    with pytest.raises(ValidationError):
        services.WORKFLOW.apply(stale, "acknowledge", by=engineer_a)
    assert Incident.objects.get(pk=incident.pk).status == Incident.Status.ACKNOWLEDGED
    assert incident.events.filter(kind="acknowledged").count() == 1


# --- Assigning engineers (the vendor manager) -----------------------------------------------------


def test_the_vendor_manager_assigns_engineers_on_the_page(
    client, incident, engineer_a, vendor_manager_a, client_manager_a, make_user, vendor_org_a
):
    from om_portal.models import AuditEntry

    other = make_user(Role.VENDOR_ENGINEER, vendor_org_a, first_name="李工")
    url = reverse("incidents:action", kwargs={"pk": incident.pk, "action": "assign"})
    # Only the vendor's manager sees the form, and only they may post it.
    for user in (engineer_a, client_manager_a):
        client.force_login(user)
        html, _count, _m = _detail(client, incident)
        assert "assign" not in _buttons(html)
        assert client.post(url, {"handlers": [other.pk]}).status_code == 403
    client.force_login(vendor_manager_a)
    html, _count, _m = _detail(client, incident)
    assert "assign" in _buttons(html)
    assert "李工" in html
    response = client.post(url, {"handlers": [other.pk, engineer_a.pk], "note": "夜班"}, follow=True)
    assert response.status_code == 200
    assert set(incident.handlers.all()) == {other, engineer_a}
    event = incident.events.get(kind="assigned")
    assert (event.actor, event.from_value, event.note) == (vendor_manager_a, "", "夜班")
    assert "李工" in event.to_value and engineer_a.username in event.to_value
    line = AuditEntry.objects.get(action="assign")
    assert (line.username, line.object_type) == (vendor_manager_a.username, "incidents.incident")
    assert line.detail == {"previous_handlers": [], "handlers": sorted([other.username, engineer_a.username])}
    # The client's staff are not the vendor's engineers.
    client.post(url, {"handlers": [client_manager_a.pk]})
    assert set(incident.handlers.all()) == {other, engineer_a}


def test_assigning_through_the_api(incident, engineer_a, vendor_manager_a, client_manager_a, outsider):
    from rest_framework.test import APIClient

    def api_as(user):
        api = APIClient()
        api.force_authenticate(user)
        return api

    url = f"/api/v1/incidents/{incident.pk}/assign/"
    body = {"handler_usernames": [engineer_a.username]}
    assert api_as(engineer_a).post(url, body, format="json").status_code == 403
    assert api_as(client_manager_a).post(url, body, format="json").status_code == 403
    assert api_as(outsider).post(url, body, format="json").status_code == 404
    manager = api_as(vendor_manager_a)
    response = manager.post(url, {"handler_usernames": [client_manager_a.username]}, format="json")
    assert response.status_code == 400
    assert "handler_usernames" in response.json()
    assert manager.post(url, {"handler_usernames": "x" * 10_000}, format="json").status_code == 400
    response = manager.post(url, body, format="json")
    assert response.status_code == 200
    assert response.json()["handlers"] == [engineer_a.username]
    # The same again changes nothing: a clear 400, no second line on the timeline.
    assert manager.post(url, body, format="json").status_code == 400
    assert incident.events.filter(kind="assigned").count() == 1
    # A resolved incident is not assigned any more.
    services.transition(incident, "acknowledge", by=engineer_a, at=at(2026, 6, 1, 9, 10))
    services.transition(
        incident, "resolve", by=engineer_a, at=at(2026, 6, 1, 9, 20), cause="c", method="m", result="r"
    )
    assert manager.post(url, {"handler_usernames": []}, format="json").status_code == 400
    assert list(incident.handlers.all()) == [engineer_a]
