"""Fixtures of the inspections tests: contract A's two managers and two of its assets."""

import pytest

from contracts.models import Asset, Role


@pytest.fixture
def vendor_manager_a(make_user, vendor_org_a):
    return make_user(Role.VENDOR_MANAGER, vendor_org_a)


@pytest.fixture
def client_manager_a(make_user, client_org_a):
    return make_user(Role.CLIENT_MANAGER, client_org_a)


@pytest.fixture
def web_asset(contract_a):
    return Asset.objects.create(
        contract=contract_a, kind=Asset.Kind.APPLICATION, name="居住证受理系统", url="https://10.1.2.3/health"
    )


@pytest.fixture
def db_asset(contract_a):
    return Asset.objects.create(contract=contract_a, kind=Asset.Kind.DATABASE, name="人口库", host="10.1.2.4")
