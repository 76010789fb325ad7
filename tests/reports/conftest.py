import datetime as dt
from decimal import Decimal

import pytest

from reports.models import BuildState, Report, ReportKind


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """PDFs and archives of each test in its own directory."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def as_user(client):
    """as_user(user) → the test client logged in as ``user``, with the English UI."""

    def login(user):
        client.force_login(user)
        client.cookies["django_language"] = "en"
        return client

    return login


@pytest.fixture
def term_a(contract_a):
    """Contract A with seed 000's figures: a year's term and ¥708,000."""
    contract_a.starts_on, contract_a.ends_on = dt.date(2026, 5, 29), dt.date(2027, 5, 28)
    contract_a.total = Decimal("708000.00")
    contract_a.save()
    return contract_a


@pytest.fixture
def built_report(term_a):
    """A weekly report of contract A whose figures are built (a minimal snapshot)."""

    def make(start=dt.date(2026, 6, 1), end=dt.date(2026, 6, 7), **fields):
        return Report.objects.create(
            contract=term_a,
            kind=fields.pop("kind", ReportKind.WEEKLY),
            period_start=start,
            period_end=end,
            **{
                "data": {"schema": 1, "kind": "weekly"},
                "build_state": BuildState.DONE,
                "build_progress": 100,
                **fields,
            },
        )

    return make
