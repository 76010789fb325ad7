"""API tokens (issue 14, Medium 8): they expire, die with a new password, a second-factor reset,
a closed account and a change of roles, and only their hash is stored. The endpoint and the
header stay as scripts use them: POST /api/v1/auth/token/ → {"token": ...}, then
``Authorization: Token <key>``."""

import datetime as dt
import hashlib

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from contracts import accounts
from contracts.models import Membership, Role
from om_portal.models import AuditEntry
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db
TOKEN_URL = "/api/v1/auth/token/"


def login(user) -> str:
    response = APIClient().post(TOKEN_URL, {"username": user.username, "password": PASSWORD}, format="json")
    assert response.status_code == 200, response.content
    return response.json()["token"]


def status_with(key: str) -> int:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return api.get("/api/v1/contracts/").status_code


# DRF answers a refused token 403 here (the first authenticator, the session's, names no scheme).
REFUSED = 403


@pytest.fixture
def security_admin(make_user, client_org_a):
    return make_user(Role.SECURITY_ADMIN, client_org_a, username="sec")


def test_a_token_works_with_the_same_header_and_answer_as_before(contract_a, client_staff_a):
    response = APIClient().post(
        TOKEN_URL, {"username": client_staff_a.username, "password": PASSWORD}, format="json"
    )
    body = response.json()
    assert set(body) == {"token", "expires_at"} and len(body["token"]) == 40
    assert status_with(body["token"]) == 200
    assert status_with(body["token"][:-1] + ("0" if body["token"][-1] != "0" else "1")) == REFUSED


def test_only_the_hash_of_a_token_is_stored(contract_a, client_staff_a):
    from om_portal.auth.models import ApiToken

    key = login(client_staff_a)
    token = ApiToken.objects.get(user=client_staff_a)
    assert token.digest == hashlib.sha256(key.encode()).hexdigest()
    # Not in any column of the row, nor in the audit trail's line of its issue.
    assert key not in repr(list(ApiToken.objects.values_list()))
    issued = AuditEntry.objects.get(action="api_token_issued")
    assert issued.username == client_staff_a.username
    assert key not in repr(list(AuditEntry.objects.values_list()))


def test_the_plain_text_token_table_is_gone():
    assert "authtoken_token" not in connection.introspection.table_names()


def test_a_token_lasts_the_configured_lifetime(settings, contract_a, client_staff_a):
    from om_portal.auth.models import ApiToken

    settings.API_TOKEN_LIFETIME_HOURS = 12
    key = login(client_staff_a)
    token = ApiToken.objects.get(user=client_staff_a)
    assert token.expires_at - token.created_at == pytest.approx(
        dt.timedelta(hours=12), abs=dt.timedelta(seconds=5)
    )
    assert status_with(key) == 200
    # A lifetime of none: the token is spent at once.
    settings.API_TOKEN_LIFETIME_HOURS = 0
    assert status_with(login(client_staff_a)) == REFUSED


def test_a_new_password_ends_the_tokens_however_it_is_set(client, contract_a, client_staff_a):
    own = login(client_staff_a)
    client.force_login(client_staff_a)
    new = "Another-pass-2026!"
    response = client.post(
        "/account/password/", {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
    )
    assert response.status_code == 302
    assert status_with(own) == REFUSED
    # Set elsewhere (the admin, a shell): the token was issued under the old password.
    user = get_user_model().objects.get(pk=client_staff_a.pk)
    api = APIClient()
    key = api.post(TOKEN_URL, {"username": user.username, "password": new}, format="json").json()["token"]
    assert status_with(key) == 200
    user.set_password("Third-pass-2026!")
    user.save()
    assert status_with(key) == REFUSED


def test_a_second_factor_reset_ends_the_tokens(security_admin, contract_a, client_staff_a):
    key = login(client_staff_a)
    TOTPDevice.objects.create(user=client_staff_a, name="phone", confirmed=True)
    accounts.reset_second_factor(security_admin, client_staff_a)
    assert status_with(key) == REFUSED


def test_closing_the_account_ends_the_tokens(security_admin, contract_a, client_staff_a):
    key = login(client_staff_a)
    accounts.set_active(security_admin, client_staff_a, False)
    assert status_with(key) == REFUSED
    accounts.set_active(security_admin, client_staff_a, True)
    assert status_with(key) == REFUSED  # not back to life with the account


def test_an_inactive_user_is_refused_however_closed(contract_a, client_staff_a):
    key = login(client_staff_a)
    get_user_model().objects.filter(pk=client_staff_a.pk).update(is_active=False)
    assert status_with(key) == REFUSED


def test_a_change_of_roles_ends_the_tokens(security_admin, contract_a, client_staff_a, client_org_b):
    key = login(client_staff_a)
    accounts.add_role(security_admin, client_staff_a, client_org_b, Role.CLIENT_MANAGER)
    assert status_with(key) == REFUSED
    key = login(client_staff_a)
    accounts.remove_role(
        security_admin, Membership.objects.get(user=client_staff_a, organization=client_org_b)
    )
    assert status_with(key) == REFUSED


def test_a_change_of_roles_in_the_admin_ends_the_tokens(client, contract_a, client_staff_a):
    root = get_user_model().objects.create_superuser("root", password="Root-pass-2026!")
    key = login(client_staff_a)
    membership = Membership.objects.get(user=client_staff_a)
    client.force_login(root)
    response = client.post(
        f"/admin/contracts/membership/{membership.pk}/change/",
        {"user": client_staff_a.pk, "organization": membership.organization_id, "role": Role.CLIENT_MANAGER},
    )
    assert response.status_code == 302
    assert status_with(key) == REFUSED


def test_each_login_issues_a_new_key_and_the_old_one_lasts(contract_a, client_staff_a):
    """Two scripts of one user each hold their own key until it expires."""
    first, second = login(client_staff_a), login(client_staff_a)
    assert first != second
    assert status_with(first) == status_with(second) == 200
