"""Contract.objects.restrict(user): the one way a queryset reaches a user."""

import pytest
from django.contrib.auth.models import AnonymousUser

from contracts.models import Contract, Role


def codes(queryset):
    return sorted(queryset.values_list("code", flat=True))


def test_members_of_either_party_see_their_contract_only(
    contract_a, contract_b, client_staff_a, vendor_engineer_a
):
    assert codes(Contract.objects.restrict(client_staff_a)) == ["A-2026-OM"]
    assert codes(Contract.objects.restrict(vendor_engineer_a)) == ["A-2026-OM"]


def test_outsider_sees_only_their_own_organisations_contract(contract_a, contract_b, outsider):
    assert codes(Contract.objects.restrict(outsider)) == ["B-2026-OM"]


def test_member_of_both_sides_sees_both(contract_a, contract_b, make_user, client_org_a, vendor_org_b):
    """Refused since issue 14 (one side per account), but older data may hold such an account."""
    from tests.legacy import membership_past_every_guard

    user = make_user(Role.CLIENT_STAFF, client_org_a)
    membership_past_every_guard(user=user, organization=vendor_org_b, role=Role.VENDOR_ENGINEER)
    assert codes(Contract.objects.restrict(user)) == ["A-2026-OM", "B-2026-OM"]


def test_administrator_role_and_superuser_see_every_contract(
    contract_a, contract_b, administrator, make_user
):
    superuser = make_user(is_superuser=True)
    assert codes(Contract.objects.restrict(administrator)) == ["A-2026-OM", "B-2026-OM"]
    assert codes(Contract.objects.restrict(superuser)) == ["A-2026-OM", "B-2026-OM"]


def test_user_without_membership_anonymous_and_inactive_see_nothing(contract_a, make_user, client_org_a):
    inactive = make_user(Role.CLIENT_MANAGER, client_org_a, is_active=False)
    assert codes(Contract.objects.restrict(make_user())) == []
    assert codes(Contract.objects.restrict(AnonymousUser())) == []
    assert codes(Contract.objects.restrict(inactive)) == []


def test_unknown_action_is_an_error_not_a_silent_grant(client_staff_a):
    with pytest.raises(ValueError, match="unknown action"):
        Contract.objects.restrict(client_staff_a, "delete-everything")


def test_scoped_list_is_one_query(contract_a, contract_b, client_staff_a, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert len(list(Contract.objects.restrict(client_staff_a).select_related("client", "vendor"))) == 1
