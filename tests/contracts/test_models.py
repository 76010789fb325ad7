import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from contracts.models import Contract, Membership, Role

pytestmark = pytest.mark.django_db


def test_client_role_cannot_sit_in_a_vendor(make_user, vendor_org_a):
    membership = Membership(user=make_user(), organization=vendor_org_a, role=Role.CLIENT_MANAGER)
    with pytest.raises(ValidationError) as error:
        membership.full_clean()
    assert "role" in error.value.message_dict


def test_auditor_may_sit_in_either_kind(make_user, client_org_a, vendor_org_a):
    for organization in (client_org_a, vendor_org_a):
        Membership(user=make_user(), organization=organization, role=Role.AUDITOR).full_clean()


def test_one_membership_per_user_and_organisation(make_user, client_org_a):
    user = make_user(Role.CLIENT_STAFF, client_org_a)
    with pytest.raises(IntegrityError):
        Membership.objects.create(user=user, organization=client_org_a, role=Role.CLIENT_MANAGER)


def test_a_contract_has_two_different_parties(client_org_a):
    with pytest.raises(IntegrityError):
        Contract.objects.create(code="X-1", title="x", client=client_org_a, vendor=client_org_a)
