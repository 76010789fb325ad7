"""Fixtures of the inspections tests: two of contract A's assets."""

import pytest

from contracts.models import Asset


@pytest.fixture
def web_asset(contract_a):
    return Asset.objects.create(
        contract=contract_a, kind=Asset.Kind.APPLICATION, name="居住证受理系统", url="https://10.1.2.3/health"
    )


@pytest.fixture
def db_asset(contract_a):
    return Asset.objects.create(contract=contract_a, kind=Asset.Kind.DATABASE, name="人口库", host="10.1.2.4")
