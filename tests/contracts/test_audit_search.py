"""The auditor's search of the audit trail: who may read which lines, filters, the CSV."""

import pytest
from django.urls import reverse

from contracts.models import Role
from om_portal import audit
from om_portal.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def auditor_a(make_user, client_org_a):
    return make_user(Role.AUDITOR, client_org_a)


@pytest.fixture
def lines(contract_a, contract_b, client_manager_a, make_user, client_org_b):
    manager_b = make_user(Role.CLIENT_MANAGER, client_org_b)
    return {
        "a": audit.record("update", user=client_manager_a, obj=contract_a),
        "b": audit.record("update", user=manager_b, obj=contract_b),
        "a_member_login": audit.record("login", user=client_manager_a),
        "b_member_login": audit.record("login", user=manager_b),
    }


def _ids(response):
    return {line.pk for line in response.context["page"].object_list}


def test_an_auditor_reads_their_organisations_lines_only(client, auditor_a, lines):
    client.force_login(auditor_a)
    response = client.get(reverse("audit"))
    assert response.status_code == 200
    seen = _ids(response)
    assert {lines["a"].pk, lines["a_member_login"].pk} <= seen
    assert not {lines["b"].pk, lines["b_member_login"].pk} & seen


@pytest.mark.parametrize("role", ["administrator", "client_manager", "vendor_manager"])
def test_others_may_not_read_the_trail(client, make_user, client_org_a, vendor_org_a, role, lines):
    # Each in an organisation of its kind (a vendor's role in a bureau is refused since issue 14).
    client.force_login(make_user(role, vendor_org_a if role.startswith("vendor") else client_org_a))
    assert client.get(reverse("audit")).status_code == 403


def test_filters_and_a_bad_period(client, auditor_a, lines, client_manager_a):
    client.force_login(auditor_a)
    response = client.get(reverse("audit"), {"action": "login", "username": client_manager_a.username})
    assert _ids(response) == {lines["a_member_login"].pk}
    response = client.get(reverse("audit"), {"start": "2026-06-10", "end": "2026-06-01"})
    assert response.status_code == 400


def test_the_csv_download_is_itself_on_record(client, auditor_a, lines):
    client.force_login(auditor_a)
    response = client.get(reverse("audit"), {"contract": "A-2026-OM", "format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    body = response.content.decode("utf-8-sig")
    assert "A-2026-OM" in body and "B-2026-OM" not in body
    export = AuditEntry.objects.get(action="export")
    # Contract A's lines: its creation by the fixture, and the update recorded above.
    assert (export.username, export.detail["what"], export.detail["lines"]) == (
        auditor_a.username,
        "audit_trail",
        2,
    )


def test_every_action_the_code_records_has_a_label():
    # The trail's page and CSV show labels, never a code such as "withdraw" or "not_found": every
    # action string the code passes to the trail, read from the source, has its label.
    import re
    from pathlib import Path

    from contracts.views.audit import ACTIONS
    from om_portal import audit

    root = Path(__file__).resolve().parents[2]
    recorded = {audit.HEAD_MISSING, "access_denied", "not_found", "create", "update", "delete"}
    for app in ("om_portal", "identity", "contracts", "incidents", "inspections", "reports"):
        for path in (root / app).rglob("*.py"):
            recorded |= set(re.findall(r'audit\.record(?:_bulk)?\(\s*"([a-z_]+)"', path.read_text()))
    assert len(recorded) >= 12  # the scan finds them
    assert recorded - set(ACTIONS) == set()
