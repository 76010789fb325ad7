"""The vendor answers a complaint against it; the client reads the answer (issue 18, item 5)."""

import pytest
from rest_framework.test import APIClient

from contracts.models import Role
from incidents import knowledge as services
from incidents.models import Complaint
from om_portal.models import AuditEntry


def api_as(user):
    api = APIClient()
    api.force_authenticate(user)
    return api


@pytest.fixture
def complaint(contract_a, client_staff_a):
    return services.file_complaint(contract_a, client_staff_a, "驻场工程师响应慢", "周一报障两小时无人响应")


def test_the_vendor_answers_on_the_page_and_the_client_reads_it(
    client, complaint, vendor_engineer_a, client_staff_a
):
    client.force_login(vendor_engineer_a)
    page = client.get(complaint.get_absolute_url()).content.decode()
    assert f'action="/incidents/complaints/{complaint.pk}/answer/"' in page
    response = client.post(
        f"/incidents/complaints/{complaint.pk}/answer/", {"answer": "已增派一名驻场工程师"}
    )
    assert response.status_code == 302
    complaint.refresh_from_db()
    assert (complaint.answer, complaint.answered_by) == ("已增派一名驻场工程师", vendor_engineer_a)
    line = AuditEntry.objects.filter(action="update", object_type="incidents.complaint").get()
    assert line.detail["changes"]["answer"] == ["", "已增派一名驻场工程师"]
    client.force_login(client_staff_a)
    page = client.get(complaint.get_absolute_url()).content.decode()
    assert "已增派一名驻场工程师" in page and "/answer/" not in page


def test_the_complainant_side_and_auditors_cannot_answer(
    client, complaint, client_staff_a, client_manager_a, make_user, client_org_a
):
    auditor = make_user(Role.AUDITOR, client_org_a)
    administrator = make_user(Role.ADMINISTRATOR, client_org_a)
    for user in (client_staff_a, client_manager_a, auditor, administrator):
        client.force_login(user)
        assert "/answer/" not in client.get(complaint.get_absolute_url()).content.decode()
        assert (
            client.post(f"/incidents/complaints/{complaint.pk}/answer/", {"answer": "x"}).status_code == 403
        )
        assert (
            api_as(user)
            .post(f"/api/v1/complaints/{complaint.pk}/answer/", {"answer": "x"}, format="json")
            .status_code
            == 403
        )
    complaint.refresh_from_db()
    assert complaint.answer == "" and complaint.answered_at is None


def test_another_vendor_gets_404(client, complaint, make_user, vendor_org_b):
    client.force_login(make_user(Role.VENDOR_ENGINEER, vendor_org_b))
    assert client.post(f"/incidents/complaints/{complaint.pk}/answer/", {"answer": "x"}).status_code == 404


def test_api_answer_once_with_text_while_open(complaint, vendor_manager_a, client_manager_a):
    api = api_as(vendor_manager_a)
    url = f"/api/v1/complaints/{complaint.pk}/answer/"
    for body in ({}, {"answer": ""}, {"answer": "   "}):
        response = api.post(url, body, format="json")
        assert response.status_code == 400 and "answer" in response.json(), body
    response = api.post(url, {"answer": "已整改"}, format="json")
    assert response.status_code == 200
    assert response.json()["answer"] == "已整改" and response.json()["answered_at"]
    assert api.post(url, {"answer": "再答一次"}, format="json").status_code == 400
    seen = api_as(client_manager_a).get(f"/api/v1/complaints/{complaint.pk}/").json()
    assert seen["answer"] == "已整改"
    complaint.refresh_from_db()
    assert complaint.answer == "已整改"


def test_no_answer_after_the_decision(complaint, vendor_manager_a, client_manager_a):
    services.decide_complaint(complaint, client_manager_a, Complaint.Status.UPHELD, "属实")
    response = api_as(vendor_manager_a).post(
        f"/api/v1/complaints/{complaint.pk}/answer/", {"answer": "迟到的解释"}, format="json"
    )
    assert response.status_code == 400
