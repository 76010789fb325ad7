"""One's own password (/account/password/), and the password someone else chose: a new account's
owner must replace it before doing anything else, on the portal and the API alike."""

import pytest
from django.contrib.auth import get_user_model

from contracts import accounts
from contracts.models import Role
from om_portal.models import AuditEntry, PasswordChangeRequired
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

INITIAL = "Kq7-long-enough"
OWN = "Mine-2026-chosen"


@pytest.fixture
def new_account(make_user, client_org_a):
    security_admin = make_user(Role.SECURITY_ADMIN, client_org_a, username="sec")
    return accounts.create_account(
        security_admin,
        username="li.si",
        full_name="李四",
        email="",
        password=INITIAL,
        organization=client_org_a,
        role=Role.CLIENT_STAFF,
    )


def log_in(client, username, password):
    return client.post("/login/", {"username": username, "password": password})


def test_a_new_account_chooses_its_own_password_before_anything_else(client, new_account):
    assert log_in(client, "li.si", INITIAL).status_code == 302
    assert client.get("/")["Location"] == "/account/password/"
    assert client.get("/contracts/")["Location"] == "/account/password/"
    assert client.get("/api/v1/contracts/").status_code == 403
    assert client.get("/account/password/").status_code == 200

    response = client.post(
        "/account/password/", {"old_password": INITIAL, "new_password1": OWN, "new_password2": OWN}
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200  # the same session goes on
    assert not PasswordChangeRequired.objects.filter(user=new_account).exists()
    new_account.refresh_from_db()
    assert new_account.check_password(OWN)
    assert AuditEntry.objects.filter(action="password_change", username="li.si").count() == 1


def test_the_api_gives_no_token_for_a_password_someone_else_chose(client, new_account):
    response = client.post("/api/v1/auth/token/", {"username": "li.si", "password": INITIAL})
    assert response.status_code == 400
    assert "password" in response.json()
    PasswordChangeRequired.objects.filter(user=new_account).delete()
    assert client.post("/api/v1/auth/token/", {"username": "li.si", "password": INITIAL}).status_code == 200


def test_a_wrong_current_password_or_a_weak_new_one_changes_nothing(client, client_staff_a):
    client.force_login(client_staff_a)
    for body in (
        {"old_password": "wrong", "new_password1": OWN, "new_password2": OWN},
        {"old_password": PASSWORD, "new_password1": "password", "new_password2": "password"},
        {"old_password": PASSWORD, "new_password1": OWN, "new_password2": OWN + "x"},
    ):
        assert client.post("/account/password/", body).status_code == 400
    assert get_user_model().objects.get(pk=client_staff_a.pk).check_password(PASSWORD)


def test_an_account_made_by_no_one_else_is_not_held(client, client_staff_a):
    assert log_in(client, client_staff_a.username, PASSWORD).status_code == 302
    assert client.get("/").status_code == 200
