"""Out of scope is 404 on the portal and the API; nothing leaks into lists."""

import pytest
from rest_framework.test import APIClient

from om_portal.auth import tokens
from om_portal.auth.models import ApiToken

pytestmark = pytest.mark.django_db


def test_portal_contract_of_another_organisation_is_404(client, contract_a, contract_b, client_staff_a):
    client.force_login(client_staff_a)
    assert client.get("/contracts/A-2026-OM/").status_code == 200
    assert client.get("/contracts/B-2026-OM/").status_code == 404


def test_portal_list_and_home_show_only_own_contracts(client, contract_a, contract_b, outsider):
    client.force_login(outsider)
    for url in ["/contracts/", "/"]:
        body = client.get(url).content.decode()
        assert "B-2026-OM" in body
        assert "A-2026-OM" not in body


def test_portal_needs_login(client, contract_a):
    response = client.get("/contracts/A-2026-OM/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_api_contract_of_another_organisation_is_404(contract_a, contract_b, vendor_engineer_a):
    api = APIClient()
    api.force_authenticate(vendor_engineer_a)
    assert api.get("/api/v1/contracts/A-2026-OM/").status_code == 200
    assert api.get("/api/v1/contracts/B-2026-OM/").status_code == 404
    listed = api.get("/api/v1/contracts/").json()
    assert listed["count"] == 1
    assert [row["code"] for row in listed["results"]] == ["A-2026-OM"]


def test_api_token_authentication_is_scoped_too(contract_a, contract_b, outsider):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {tokens.issue(outsider)[0]}")
    assert api.get("/api/v1/contracts/B-2026-OM/").status_code == 200
    assert api.get("/api/v1/contracts/A-2026-OM/").status_code == 404


def test_api_obtains_a_token_with_username_and_password(outsider):
    from tests.conftest import PASSWORD

    response = APIClient().post("/api/v1/auth/token/", {"username": outsider.username, "password": PASSWORD})
    assert response.status_code == 200
    # Only the key's hash is kept (issue 14).
    assert ApiToken.objects.get(user=outsider).digest == tokens.digest(response.json()["token"])


def test_api_needs_authentication(contract_a):
    assert APIClient().get("/api/v1/contracts/").status_code in (401, 403)


def test_api_filters_and_paginates(contract_a, contract_b, administrator):
    api = APIClient()
    api.force_authenticate(administrator)
    response = api.get("/api/v1/contracts/", {"code": "B-2026-OM"})
    assert [row["code"] for row in response.json()["results"]] == ["B-2026-OM"]
    page = api.get("/api/v1/contracts/", {"page_size": 1}).json()
    assert page["count"] == 2
    assert len(page["results"]) == 1
    assert page["next"]


def test_administrator_reaches_every_contract(client, contract_a, contract_b, administrator):
    client.force_login(administrator)
    assert client.get("/contracts/B-2026-OM/").status_code == 200


@pytest.mark.parametrize("url", ["/contracts/", "/", "/api/v1/contracts/"])
def test_lists_take_the_same_queries_for_two_contracts_or_twenty(url, client, administrator, make_user):
    """No query per row: the count with twenty contracts equals the count with two."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from contracts.models import Contract, Organization

    client.force_login(administrator)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    def add_contracts(n):
        start = Contract.objects.count()
        for i in range(start, start + n):
            bureau = Organization.objects.create(name=f"bureau {i}", kind="client")
            vendor = Organization.objects.create(name=f"vendor {i}", kind="vendor")
            Contract.objects.create(code=f"N-{i}", title="t", client=bureau, vendor=vendor, status="active")

    add_contracts(2)
    two = queries()
    add_contracts(18)
    assert queries() == two
