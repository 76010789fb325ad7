"""Issue 14, finding 9: a number too big for what is computed from it is a field error, and a
write that fails leaves nothing half-written."""

import datetime as dt

import pytest
from rest_framework.test import APIClient

from contracts import services
from contracts.models import Milestone, Role, SLATerm

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(make_user, client_org_a):
    api = APIClient()
    api.force_authenticate(make_user(Role.CLIENT_MANAGER, client_org_a))
    return api


@pytest.fixture
def milestone(contract_a):
    contract_a.signed_on = dt.date(2026, 5, 28)
    contract_a.save()
    milestone = Milestone.objects.create(
        contract=contract_a, name="首付款", amount=1000, trigger="signing", offset=30, position=0
    )
    services.refresh_due_dates(contract_a)
    milestone.refresh_from_db()
    return milestone


@pytest.mark.parametrize("offset", [2147483648, 2147483647, 3661, 10**30])
def test_an_offset_past_ten_years_is_a_field_error_and_nothing_is_saved(api, milestone, offset):
    response = api.patch(f"/api/v1/milestones/{milestone.pk}/", {"offset": offset}, format="json")
    assert response.status_code == 400, response.content
    assert "offset" in response.json()
    milestone.refresh_from_db()
    assert milestone.offset == 30 and milestone.due_on == dt.date(2026, 6, 27)
    # The contract stays editable.
    response = api.patch(f"/api/v1/milestones/{milestone.pk}/", {"offset": 3660}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["due_on"] == str(dt.date(2026, 5, 28) + dt.timedelta(days=3660))


def test_a_due_date_that_cannot_be_computed_rolls_the_milestone_back(api, milestone, contract_a):
    # A trigger date near the end of the calendar: 3,660 days after 9999-01-01 is no date. The
    # offset is valid on its own; the save and the due date derived from it go together.
    response = api.patch(
        f"/api/v1/milestones/{milestone.pk}/",
        {"trigger": "final_acceptance", "trigger_date": "9999-01-01", "offset": 3660},
        format="json",
    )
    assert response.status_code == 400, response.content
    milestone.refresh_from_db()
    assert (milestone.trigger, milestone.offset) == ("signing", 30)


def test_an_sla_target_is_bounded(api, contract_a):
    body = {"contract": contract_a.code, "clock": "resolution", "target": 2147483647, "unit": "days"}
    response = api.post("/api/v1/sla-terms/", body, format="json")
    assert response.status_code == 400 and "target" in response.json()
    assert not SLATerm.objects.exists()
