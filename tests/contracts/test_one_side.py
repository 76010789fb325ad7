"""One person on both sides (issue 14, High 3): an account holds the client's roles or the
vendor's, never both, so that nobody submits a report as the vendor and signs it off as the
bureau. Refused by the model (hence the accounts page and the admin) and, on PostgreSQL, by a
trigger that holds whoever writes the row."""

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from contracts import accounts
from contracts.models import Membership, Organization, Role

pytestmark = pytest.mark.django_db

ONE_SIDE = "one side"
postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")


@pytest.fixture(autouse=True)
def english(settings):
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def security_admin(make_user, client_org_a):
    return make_user(Role.SECURITY_ADMIN, client_org_a, username="sec")


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (Role.VENDOR_MANAGER, Role.CLIENT_MANAGER),
        (Role.CLIENT_MANAGER, Role.VENDOR_MANAGER),
        (Role.VENDOR_ENGINEER, Role.CLIENT_STAFF),
        (Role.CLIENT_STAFF, Role.VENDOR_ENGINEER),
    ],
)
def test_a_vendor_role_and_a_client_role_are_refused_together(
    make_user, client_org_a, vendor_org_b, first, second
):
    """Even in organisations of different contracts: the account itself belongs to one side."""
    org = {Role.CLIENT_STAFF: client_org_a, Role.CLIENT_MANAGER: client_org_a}
    org |= {Role.VENDOR_ENGINEER: vendor_org_b, Role.VENDOR_MANAGER: vendor_org_b}
    user = make_user(first, org[first])
    with pytest.raises(ValidationError, match=ONE_SIDE):
        Membership(user=user, organization=org[second], role=second).full_clean()


def test_the_same_side_in_two_organisations_is_allowed(make_user, vendor_org_a, vendor_org_b):
    user = make_user(Role.VENDOR_ENGINEER, vendor_org_a)
    Membership(user=user, organization=vendor_org_b, role=Role.VENDOR_MANAGER).full_clean()


def test_the_security_admin_cannot_give_both_sides(security_admin, make_user, vendor_org_a, client_org_a):
    user = make_user(Role.VENDOR_MANAGER, vendor_org_a)
    with pytest.raises(accounts.AccountRefused, match=ONE_SIDE):
        accounts.add_role(security_admin, user, client_org_a, Role.CLIENT_MANAGER)
    assert list(user.memberships.values_list("role", flat=True)) == [Role.VENDOR_MANAGER]


def test_the_accounts_page_refuses_both_sides(client, security_admin, make_user, vendor_org_a, client_org_a):
    user = make_user(Role.VENDOR_MANAGER, vendor_org_a)
    client.force_login(security_admin)
    client.cookies["django_language"] = "en"
    response = client.post(
        f"/users/{user.pk}/roles/", {"organization": client_org_a.pk, "role": Role.CLIENT_MANAGER}
    )
    assert response.status_code == 400
    assert ONE_SIDE in response.content.decode()
    assert user.memberships.count() == 1


def test_the_admin_refuses_both_sides(client, make_user, vendor_org_a, client_org_a):
    root = get_user_model().objects.create_superuser("root", password="Root-pass-2026!")
    user = make_user(Role.VENDOR_MANAGER, vendor_org_a)
    client.force_login(root)
    client.cookies["django_language"] = "en"
    response = client.post(
        "/admin/contracts/membership/add/",
        {"user": user.pk, "organization": client_org_a.pk, "role": Role.CLIENT_MANAGER},
    )
    assert response.status_code == 200
    assert ONE_SIDE in response.content.decode()
    assert user.memberships.count() == 1


@postgres_only
def test_the_database_refuses_both_sides_whoever_writes(make_user, vendor_org_a, client_org_a):
    user = make_user(Role.VENDOR_MANAGER, vendor_org_a)
    with pytest.raises(IntegrityError, match="membership_one_side"), transaction.atomic():
        Membership.objects.create(user=user, organization=client_org_a, role=Role.CLIENT_MANAGER)
    # A service role in an organisation of the other kind (the scoping would let a client
    # manager's membership in the vendor's organisation sign off that vendor's reports).
    with pytest.raises(IntegrityError, match="membership_one_side"), transaction.atomic():
        Membership.objects.filter(user=user).update(role=Role.CLIENT_MANAGER)
    # Nor can the organisation change its kind under its members.
    with pytest.raises(IntegrityError, match="membership_one_side"), transaction.atomic():
        Organization.objects.filter(pk=vendor_org_a.pk).update(kind=Organization.Kind.CLIENT)
    assert list(user.memberships.values_list("role", flat=True)) == [Role.VENDOR_MANAGER]


@postgres_only
def test_the_duty_roles_and_one_side_pass_the_trigger(make_user, vendor_org_a, vendor_org_b, client_org_a):
    user = make_user(Role.VENDOR_ENGINEER, vendor_org_a)
    Membership.objects.create(user=user, organization=vendor_org_b, role=Role.VENDOR_MANAGER)
    make_user(Role.AUDITOR, vendor_org_a)
    make_user(Role.AUDITOR, client_org_a)
    assert Membership.objects.filter(user=user).count() == 2
