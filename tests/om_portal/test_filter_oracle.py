"""Issue 14, low: a filter naming an object (?incident=, ?asset=, ?run=, ?slot=) answered 200 for
another organisation's id and 400 for a missing one, telling an outsider which ids exist. Its
choices are now what the user may see, so both answer alike."""

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from incidents.models import Incident

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(vendor_engineer_a):
    api = APIClient()
    api.force_authenticate(vendor_engineer_a)
    return api


def _incident(contract):
    return Incident.objects.create(contract=contract, title="x", source="phone", reported_at=timezone.now())


@pytest.mark.parametrize(
    "path, name, make",
    [
        ("/api/v1/service-records/", "incident", _incident),
        ("/api/v1/change-requests/", "incident", _incident),
    ],
)
def test_another_organisations_id_is_refused_like_a_missing_one(
    api, contract_a, contract_b, path, name, make
):
    missing = api.get(path, {name: 999_999_999})
    foreign = api.get(path, {name: make(contract_b).pk})
    assert missing.status_code == 400, missing.content
    assert (foreign.status_code, foreign.json().keys()) == (400, missing.json().keys())


def test_ones_own_objects_still_filter(api, contract_a):
    mine = _incident(contract_a)
    assert api.get("/api/v1/service-records/", {"incident": mine.pk}).status_code == 200
