import datetime as dt
import zoneinfo

import pytest

from contracts.models import Role, SLATerm

CN = zoneinfo.ZoneInfo("Asia/Shanghai")


def at(*args) -> dt.datetime:
    """A Beijing time."""
    return dt.datetime(*args, tzinfo=CN)


@pytest.fixture
def engineer_a(make_user, vendor_org_a):
    return make_user(Role.VENDOR_ENGINEER, vendor_org_a)


@pytest.fixture
def term(contract_a):
    """term(clock, target, unit, **kw) adds an SLA term to contract A."""

    def add(clock, target, unit, **fields):
        return SLATerm.objects.create(contract=contract_a, clock=clock, target=target, unit=unit, **fields)

    return add
