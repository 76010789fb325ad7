"""Each role does its job (issue 18, item 5): an incident's handlers are the vendor's engineers of
its contract; pausing a clock and reopening say why, on the timeline and the audit trail."""

import pytest
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from contracts.models import Role
from incidents import services
from incidents.forms import IncidentForm
from incidents.models import Incident, IncidentEvent
from om_portal.models import AuditEntry

from .conftest import at


def api_as(user):
    api = APIClient()
    api.force_authenticate(user)
    return api


@pytest.fixture
def people(make_user, client_org_a, vendor_org_a, vendor_org_b):
    """Everyone a careless list would offer: the parties' members of every role."""
    return {
        "engineer": make_user(Role.VENDOR_ENGINEER, vendor_org_a, username="engineer"),
        "manager": make_user(Role.VENDOR_MANAGER, vendor_org_a, username="vendor_manager"),
        "client_staff": make_user(Role.CLIENT_STAFF, client_org_a, username="client_staff"),
        "auditor": make_user(Role.AUDITOR, client_org_a, username="auditor"),
        "security": make_user(Role.SECURITY_ADMIN, client_org_a, username="security"),
        "admin": make_user(Role.ADMINISTRATOR, client_org_a, username="admin"),
        "other_vendor": make_user(Role.VENDOR_ENGINEER, vendor_org_b, username="other_vendor"),
        "gone": make_user(Role.VENDOR_ENGINEER, vendor_org_a, username="gone", is_active=False),
    }


def test_the_form_offers_only_the_vendors_engineers_of_the_contract(contract_a, people):
    offered = set(
        IncidentForm(contract=contract_a).fields["handlers"].queryset.values_list("username", flat=True)
    )
    assert offered == {"engineer", "vendor_manager"}


def test_the_page_offers_only_them(client, contract_a, people):
    client.force_login(people["client_staff"])
    page = client.get("/incidents/add/?contract=A-2026-OM").content.decode()
    assert f'value="{people["engineer"].pk}"' in page
    for name in ("auditor", "security", "admin", "other_vendor", "client_staff"):
        assert f'value="{people[name].pk}"' not in page, name


@pytest.mark.parametrize("name", ["auditor", "security", "admin", "client_staff", "other_vendor", "gone"])
def test_anyone_else_as_handler_is_a_field_error(client, contract_a, people, name):
    client.force_login(people["client_staff"])
    form = {"contract": "A-2026-OM", "title": "打印机卡纸", "severity": "general", "kind": "hardware"}
    form.update({"source": "phone", "handlers": [people[name].pk]})
    response = client.post("/incidents/add/", form)
    assert response.status_code == 200 and "handlers" in response.context["form"].errors
    response = api_as(people["client_staff"]).post(
        "/api/v1/incidents/",
        {"contract": "A-2026-OM", "title": "t", "source": "phone", "handler_usernames": [name]},
        format="json",
    )
    assert response.status_code == 400
    assert name in response.json()["handler_usernames"][0]
    with pytest.raises(ValidationError) as refused:
        services.report_incident(
            contract_a, by=people["client_staff"], title="t", source="phone", handlers=[people[name]]
        )
    assert "handlers" in refused.value.message_dict
    assert not Incident.objects.exists()


def test_the_vendors_engineer_is_accepted(contract_a, people):
    response = api_as(people["client_staff"]).post(
        "/api/v1/incidents/",
        {"contract": "A-2026-OM", "title": "t", "source": "phone", "handler_usernames": ["engineer"]},
        format="json",
    )
    assert response.status_code == 201 and response.json()["handlers"] == ["engineer"]


# --- Reasons --------------------------------------------------------------------------------------


@pytest.fixture
def acknowledged(contract_a, people, term):
    term("resolution", 4, "hours")
    incident = services.report_incident(
        contract_a,
        by=people["client_staff"],
        title="网闸同步失败",
        source="phone",
        reported_at=at(2026, 6, 1, 9),
    )
    return services.transition(incident, "acknowledge", by=people["engineer"], at=at(2026, 6, 1, 9, 5))


@pytest.mark.parametrize("action", ["wait_client", "wait_other_unit", "wait_finance"])
@pytest.mark.parametrize("note", [None, "", "   "])
def test_a_pause_without_a_reason_is_a_400_on_note(acknowledged, people, action, note):
    body = {"action": action} if note is None else {"action": action, "note": note}
    response = api_as(people["engineer"]).post(
        f"/api/v1/incidents/{acknowledged.pk}/transition/", body, format="json"
    )
    assert response.status_code == 400 and "note" in response.json()
    acknowledged.refresh_from_db()
    assert acknowledged.status == Incident.Status.ACKNOWLEDGED
    assert not acknowledged.events.filter(kind=IncidentEvent.Kind.WAITING).exists()


def test_a_pause_with_its_reason_is_on_the_timeline_the_audit_and_the_page(client, acknowledged, people):
    reason = "等待甲方提供现场机房门禁授权"
    response = api_as(people["engineer"]).post(
        f"/api/v1/incidents/{acknowledged.pk}/transition/",
        {"action": "wait_client", "note": reason},
        format="json",
    )
    assert response.status_code == 200 and response.json()["status"] == "waiting_client"
    event = acknowledged.events.get(kind=IncidentEvent.Kind.WAITING)
    assert event.note == reason
    line = AuditEntry.objects.filter(action="update", object_id=str(acknowledged.pk)).first()
    assert line.detail["reason"] == reason and line.detail["changes"]["status"][1] == "waiting_client"
    client.force_login(people["client_staff"])
    assert reason in client.get(f"/incidents/{acknowledged.pk}/").content.decode()


def test_the_page_asks_for_the_reason_and_refuses_without(client, acknowledged, people):
    client.force_login(people["engineer"])
    page = client.get(f"/incidents/{acknowledged.pk}/").content.decode()
    assert 'id="reason-wait_client" name="note"' in page
    response = client.post(f"/incidents/{acknowledged.pk}/wait_client/", {"note": ""}, follow=True)
    assert any("reason" in str(message) or "原因" in str(message) for message in response.context["messages"])
    acknowledged.refresh_from_db()
    assert acknowledged.status == Incident.Status.ACKNOWLEDGED
    client.post(f"/incidents/{acknowledged.pk}/wait_client/", {"note": "等甲方确认"})
    acknowledged.refresh_from_db()
    assert acknowledged.status == Incident.Status.WAITING_CLIENT


def test_reopening_needs_a_reason(acknowledged, people, make_user, client_org_a):
    manager = make_user(Role.CLIENT_MANAGER, client_org_a)
    resolved = services.transition(
        acknowledged,
        "resolve",
        by=people["engineer"],
        at=at(2026, 6, 1, 10),
        cause="证书过期",
        method="更新证书",
        result="恢复",
    )
    api = api_as(manager)
    response = api.post(f"/api/v1/incidents/{resolved.pk}/transition/", {"action": "reopen"}, format="json")
    assert response.status_code == 400 and "note" in response.json()
    response = api.post(
        f"/api/v1/incidents/{resolved.pk}/transition/",
        {"action": "reopen", "note": "用户仍无法登录"},
        format="json",
    )
    assert response.status_code == 200 and response.json()["status"] == "acknowledged"
    assert resolved.events.get(kind=IncidentEvent.Kind.REOPENED).note == "用户仍无法登录"


def test_other_moves_need_no_reason(acknowledged, people):
    response = api_as(people["engineer"]).post(
        f"/api/v1/incidents/{acknowledged.pk}/transition/", {"action": "arrive"}, format="json"
    )
    assert response.status_code == 200
