"""Reporting and working incidents in the portal and the API: roles, bad input, the timeline."""

import pytest
from rest_framework.test import APIClient

from contracts.models import Asset
from incidents import services
from incidents.models import Incident, IncidentEvent
from tests import factories
from tests.incidents.conftest import at

pytestmark = pytest.mark.django_db


def api_as(user):
    api = APIClient()
    api.force_authenticate(user)
    return api


@pytest.fixture
def incident(contract_a, engineer_a, term):
    term("response", 1, "hours")
    term("resolution", 48, "hours")
    return factories.reported_incident(contract_a, engineer_a, reported_at=at(2026, 6, 1, 9, 0))


def test_illegal_transitions_are_refused_and_change_nothing(incident, engineer_a, client_manager_a):
    api = api_as(engineer_a)
    url = f"/api/v1/incidents/{incident.pk}/transition/"
    fix = {"cause": "c", "method": "m", "result": "r"}
    # Resolve before acknowledging.
    response = api.post(url, {"action": "resolve", **fix}, format="json")
    assert response.status_code == 400
    assert api.post(url, {"action": "acknowledge"}, format="json").status_code == 200
    assert api.post(url, {"action": "acknowledge"}, format="json").status_code == 400  # twice
    # Resolving needs seed 000's cause, method and result.
    response = api.post(url, {"action": "resolve", "cause": "c"}, format="json")
    assert response.status_code == 400
    assert {"method", "result"} <= set(response.json())
    # Closing is the client's: the vendor's engineer may not.
    assert api.post(url, {"action": "resolve", **fix}, format="json").status_code == 200
    assert api.post(url, {"action": "close"}, format="json").status_code == 403
    assert api_as(client_manager_a).post(url, {"action": "close"}, format="json").status_code == 200
    incident.refresh_from_db()
    assert incident.status == Incident.Status.CLOSED
    kinds = list(incident.events.values_list("kind", flat=True))
    assert [k for k in kinds if k != "breach"] == ["created", "acknowledged", "resolved", "closed"]
    # Reported 2026-06-01 09:00, acknowledged and resolved today: both clocks ended after their
    # deadlines (10:00 the same day, 06-03 09:00), each a breach recorded when it was entered.
    assert kinds.count("breach") == 2


def test_bad_reports_are_400_or_404_and_write_nothing(
    contract_a, contract_b, engineer_a, outsider, make_user
):
    from contracts.models import Role

    api = api_as(engineer_a)
    base = {"contract": "A-2026-OM", "title": "t", "source": "phone"}
    assert (
        api.post("/api/v1/incidents/", {**base, "severity": "catastrophic"}, format="json").status_code == 400
    )
    assert api.post("/api/v1/incidents/", {**base, "contract": "B-2026-OM"}, format="json").status_code == 400
    other_asset = Asset.objects.create(contract=contract_b, kind="server", name="乙方服务器")
    response = api.post("/api/v1/incidents/", {**base, "asset": other_asset.pk}, format="json")
    assert response.status_code == 400 and "asset" in response.json()
    stranger = make_user(Role.VENDOR_ENGINEER, contract_b.vendor, username="stranger")
    response = api.post(
        "/api/v1/incidents/", {**base, "handler_usernames": [stranger.username]}, format="json"
    )
    assert response.status_code == 400 and "handler_usernames" in response.json()
    assert not Incident.objects.exists()
    assert api.post("/api/v1/incidents/", base, format="json").status_code == 201


def test_outsider_gets_404_and_an_auditor_cannot_report(incident, outsider, make_user, client_org_a):
    from contracts.models import Role

    assert api_as(outsider).get(f"/api/v1/incidents/{incident.pk}/").status_code == 404
    assert (
        api_as(outsider)
        .post(f"/api/v1/incidents/{incident.pk}/transition/", {"action": "acknowledge"})
        .status_code
        == 404
    )
    auditor = make_user(Role.AUDITOR, client_org_a)
    response = api_as(auditor).post(
        "/api/v1/incidents/", {"contract": "A-2026-OM", "title": "t", "source": "phone"}
    )
    assert response.status_code == 403
    assert Incident.objects.count() == 1


def test_api_clocks_and_timeline(incident, engineer_a):
    api = api_as(engineer_a)
    clocks = {c["name"]: c for c in api.get(f"/api/v1/incidents/{incident.pk}/clocks/").json()}
    assert clocks["response"]["due_at"].startswith("2026-06-01T10:00")
    assert clocks["arrival"]["state"] == "none"
    assert api.get(f"/api/v1/incidents/{incident.pk}/timeline/").json()[0]["kind"] == "created"


def test_list_filters_and_constant_queries(contract_a, engineer_a, term, django_assert_max_num_queries):
    term("response", 1, "hours")
    for n in range(3):
        services.report_incident(
            contract_a, by=engineer_a, title=f"故障 {n}", source="phone", reported_at=at(2026, 6, 1, 9, n)
        )
    api = api_as(engineer_a)
    assert (
        len(api.get("/api/v1/incidents/", {"open": "true", "contract": "A-2026-OM"}).json()["results"]) == 3
    )
    # Keyset pages: newest first, each page follows the cursor of the one before.
    first = api.get("/api/v1/incidents/", {"page_size": 2}).json()
    assert [row["title"] for row in first["results"]] == ["故障 2", "故障 1"]
    second = api.get(first["next"]).json()
    assert [row["title"] for row in second["results"]] == ["故障 0"]

    def count_queries():
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            assert api.get("/api/v1/incidents/").status_code == 200
        return len(captured)

    few = count_queries()
    for n in range(10):
        services.report_incident(contract_a, by=engineer_a, title=f"更多 {n}", source="phone")
    assert count_queries() == few


def test_portal_list_detail_and_one_tap_actions(client, incident, engineer_a, outsider):
    client.force_login(engineer_a)
    assert "网闸同步失败" in client.get("/incidents/").content.decode()
    page = client.get(f"/incidents/{incident.pk}/")
    assert page.status_code == 200
    assert [name for name, _label, _reason in page.context["actions"]] == ["acknowledge"]
    assert client.post(f"/incidents/{incident.pk}/acknowledge/").status_code == 302
    incident.refresh_from_db()
    assert incident.status == Incident.Status.ACKNOWLEDGED
    # An illegal one-tap action is a message, not an error page, and changes nothing.
    client.post(f"/incidents/{incident.pk}/close/")
    incident.refresh_from_db()
    assert incident.status == Incident.Status.ACKNOWLEDGED
    client.force_login(outsider)
    assert client.get(f"/incidents/{incident.pk}/").status_code == 404
    assert client.post(f"/incidents/{incident.pk}/acknowledge/").status_code == 404


def test_portal_report_form(client, contract_a, engineer_a, term):
    term("response", 30, "minutes")
    client.force_login(engineer_a)
    response = client.post(
        "/incidents/add/",
        {
            "contract": "A-2026-OM",
            "title": "打印机卡纸",
            "severity": "general",
            "kind": "hardware",
            "source": "phone",
        },
    )
    assert response.status_code == 302
    incident = Incident.objects.get()
    assert incident.response_due is not None
    assert incident.events.filter(kind=IncidentEvent.Kind.CREATED).exists()


def test_service_record_sheet_filled_by_the_engineer_confirmed_by_the_client(
    client, incident, engineer_a, client_manager_a
):
    from incidents.models import ServiceRecord

    client.force_login(engineer_a)
    form = {
        "contract": "A-2026-OM",
        "incident": incident.pk,
        "started_at": "2026-06-01T09:30",
        "ended_at": "2026-06-01T10:30",
        "place": "机房",
        "requester": "甲市公安局 科信",
        "task": "网闸同步失败",
        "work_done": "重启同步服务",
        "result": "恢复",
    }
    assert (
        client.post(
            "/incidents/records/add/?contract=A-2026-OM", {**form, "ended_at": "2026-06-01T08:00"}
        ).status_code
        == 200
    )
    assert not ServiceRecord.objects.exists()
    assert client.post("/incidents/records/add/?contract=A-2026-OM", form).status_code == 302
    sheet = ServiceRecord.objects.get()
    assert client.post(f"/incidents/records/{sheet.pk}/confirm/").status_code == 403  # the client confirms
    client.force_login(client_manager_a)
    client.post(f"/incidents/records/{sheet.pk}/confirm/", {"feedback": "满意"})
    sheet.refresh_from_db()
    assert sheet.confirmed_by == client_manager_a and sheet.client_feedback == "满意"
    printable = client.get(f"/incidents/records/{sheet.pk}/")
    assert printable.status_code == 200
    assert "重启同步服务" in printable.content.decode()


def test_demo_incidents_for_make_run(settings):
    import datetime as dt

    from django.core.management import call_command

    settings.DEBUG = True
    call_command("seed_demo", verbosity=0)
    call_command("seed_demo_incidents")
    call_command("seed_demo_incidents")  # a second run adds nothing
    open_one, done = Incident.objects.order_by("status")
    assert Incident.objects.count() == 2
    # Seed 003: on site within 2 hours of the report.
    assert open_one.arrival_due - open_one.reported_at == dt.timedelta(hours=2)
    assert done.status == Incident.Status.RESOLVED


def test_timeline_stores_codes_and_shows_labels(incident, engineer_a):
    from django.utils import translation

    services.transition(incident, "acknowledge", by=engineer_a, at=at(2026, 6, 1, 9, 5))
    event = incident.events.get(kind=IncidentEvent.Kind.ACKNOWLEDGED)
    assert (event.from_value, event.to_value) == ("new", "acknowledged")
    with translation.override("en"):
        assert (event.from_display, event.to_display) == ("New", "Acknowledged")


def test_a_portal_moment_before_1970_is_a_form_error_as_on_the_api(client, contract_a, client_staff_a):
    """Year 186 parses, and would be stored with Shanghai's local mean time (+08:05:43) that no
    client reads back; the API refuses it (tests/fuzz), and so does the form."""
    from django.utils import translation

    client.force_login(client_staff_a)
    with translation.override("en"):
        client.cookies["django_language"] = "en"
        response = client.post(
            "/incidents/add/?contract=A-2026-OM",
            {
                "contract": "A-2026-OM",
                "title": "宕机",
                "severity": "general",
                "kind": "software",
                "source": "phone",
                "reported_at": "0186-06-09T10:00",
            },
        )
    assert response.status_code in (200, 400)
    assert "between 1970 and 2099" in response.content.decode()
