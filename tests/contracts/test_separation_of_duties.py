"""Separation of duties (三权分立, GB/T 22239 level 3): the administrator operates the portal, the
security administrator grants access to it, the auditor reads the trail of both. Each can do their
own part only, none can give themselves another, and nobody can erase the trail."""

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django_otp.plugins.otp_totp.models import TOTPDevice

from contracts import accounts
from contracts.models import Membership, Role, ServiceItem
from om_portal import audit
from om_portal.models import AuditEntry

pytestmark = pytest.mark.django_db

NEW_ACCOUNT = {
    "username": "li.si",
    "full_name": "李四",
    "email": "",
    "password": "Kq7-long-enough",
    "role": Role.CLIENT_STAFF,
}


@pytest.fixture(autouse=True)
def english(settings):
    """These tests read the English refusals, in pages and in the code outside them."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def security_admin(make_user, client_org_a):
    return make_user(Role.SECURITY_ADMIN, client_org_a, username="sec")


@pytest.fixture
def auditor(make_user, client_org_a):
    return make_user(Role.AUDITOR, client_org_a, username="aud")


@pytest.fixture
def duty_holders(administrator, security_admin, auditor):
    return {"administrator": administrator, "security_admin": security_admin, "auditor": auditor}


def can_change_contract_data(client, contract):
    response = client.post(
        f"/contracts/{contract.code}/items/add/",
        {
            "category": "软件",
            "name": "新服务",
            "quantity": "1",
            "unit_price": "100",
            "amount": "100",
            "position": "0",
        },
    )
    return response.status_code == 302 and ServiceItem.objects.filter(name="新服务").exists()


def can_see_contract(client, contract):
    return client.get(f"/contracts/{contract.code}/").status_code == 200


def can_create_account(client, organization):
    response = client.post("/users/add/", {**NEW_ACCOUNT, "organization": organization.pk})
    return response.status_code == 302 and get_user_model().objects.filter(username="li.si").exists()


def can_read_audit_trail(client):
    return client.get("/audit/").status_code == 200


# What each duty may do, worked out from GB/T 22239's three administrators: the system's operates,
# the security's grants, the audit's reads. Each row must hold exactly its own column.
EXPECTED = {
    "administrator": {"contract data": True, "see contracts": True, "accounts": False, "audit trail": False},
    "security_admin": {
        "contract data": False,
        "see contracts": False,
        "accounts": True,
        "audit trail": False,
    },
    "auditor": {"contract data": False, "see contracts": True, "accounts": False, "audit trail": True},
}


@pytest.mark.parametrize("duty", EXPECTED)
def test_each_duty_holds_its_own_part_only(client, duty, duty_holders, contract_a, client_org_a):
    client.force_login(duty_holders[duty])
    found = {}
    with transaction.atomic():
        found["contract data"] = can_change_contract_data(client, contract_a)
        transaction.set_rollback(True)
    found["see contracts"] = can_see_contract(client, contract_a)
    with transaction.atomic():
        found["accounts"] = can_create_account(client, client_org_a)
        transaction.set_rollback(True)
    found["audit trail"] = can_read_audit_trail(client)
    assert found == EXPECTED[duty]


def test_the_security_admins_pages_are_403_for_everyone_else(client, duty_holders, client_staff_a):
    for user in (duty_holders["administrator"], duty_holders["auditor"], client_staff_a):
        client.force_login(user)
        assert client.get("/users/").status_code == 403
        assert client.get(f"/users/{client_staff_a.pk}/").status_code == 403


@pytest.mark.parametrize("other", [Role.ADMINISTRATOR, Role.AUDITOR, Role.CLIENT_MANAGER])
def test_a_security_admin_cannot_also_hold_another_role(security_admin, make_user, client_org_b, other):
    """Not even in another organisation: the roles would add up to grant-and-act or grant-and-read."""
    with pytest.raises(ValidationError, match="Separation of duties"):
        Membership(user=security_admin, organization=client_org_b, role=other).full_clean()


def test_an_ordinary_user_may_hold_roles_in_two_organisations(make_user, client_org_a, client_org_b):
    user = make_user(Role.CLIENT_STAFF, client_org_a)
    Membership(user=user, organization=client_org_b, role=Role.CLIENT_MANAGER).full_clean()


def test_nobody_changes_their_own_access(security_admin, client_org_b):
    with pytest.raises(accounts.AccountRefused, match="own account"):
        accounts.add_role(security_admin, security_admin, client_org_b, Role.ADMINISTRATOR)
    own = security_admin.memberships.get()
    with pytest.raises(accounts.AccountRefused, match="own account"):
        accounts.remove_role(security_admin, own)
    with pytest.raises(accounts.AccountRefused, match="own account"):
        accounts.set_active(security_admin, security_admin, False)


def test_a_second_security_admin_cannot_make_the_first_an_administrator(
    security_admin, make_user, client_org_a, client_org_b
):
    other = make_user(Role.SECURITY_ADMIN, client_org_a, username="sec2")
    with pytest.raises(accounts.AccountRefused, match="Separation of duties"):
        accounts.add_role(other, security_admin, client_org_b, Role.ADMINISTRATOR)


def test_the_security_admin_manages_an_account_and_the_auditor_reads_every_step(
    client, security_admin, auditor, client_org_a, vendor_org_a
):
    client.force_login(security_admin)
    response = client.post("/users/add/", {**NEW_ACCOUNT, "organization": client_org_a.pk})
    assert response.status_code == 302
    user = get_user_model().objects.get(username="li.si")
    assert user.check_password(NEW_ACCOUNT["password"])
    assert user.memberships.get().role == Role.CLIENT_STAFF
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    for action in ("deactivate", "activate", "reset-second-factor", "unlock"):
        assert client.post(f"/users/{user.pk}/{action}/").status_code == 302
    assert not TOTPDevice.objects.filter(user=user).exists()
    membership = user.memberships.get()
    assert client.post(f"/users/{user.pk}/roles/{membership.pk}/remove/").status_code == 302
    assert not user.memberships.exists()

    lines = AuditEntry.objects.filter(username="sec")
    actions = list(lines.order_by("pk").values_list("action", flat=True))
    assert actions.count("create") >= 2  # the user and the membership
    assert {"second_factor_reset", "unlock", "delete"} <= set(actions)
    client.force_login(auditor)
    trail = client.get("/audit/", {"username": "sec"})
    assert trail.status_code == 200
    assert "second_factor_reset" in trail.content.decode()


def test_a_weak_initial_password_is_a_form_error(client, security_admin, client_org_a):
    client.force_login(security_admin)
    response = client.post(
        "/users/add/", {**NEW_ACCOUNT, "password": "password", "organization": client_org_a.pk}
    )
    assert response.status_code == 400
    assert not get_user_model().objects.filter(username="li.si").exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the audit trigger is PostgreSQL's")
def test_nobody_erases_the_trail_not_even_the_administrator(duty_holders):
    """No page or route deletes audit lines, and the database itself refuses a young line's
    deletion or any change, whoever asks (the trigger of om_portal's migration 0003)."""
    audit.record("probe", user=duty_holders["administrator"])
    for statement in (AuditEntry.objects.all().delete, lambda: AuditEntry.objects.update(action="x")):
        with pytest.raises(DatabaseError), transaction.atomic():
            statement()
