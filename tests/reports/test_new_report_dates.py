"""Found by tests/fuzz/test_form_fuzz.py: asking for a report of the period holding 9999-12-31
was a 500 (the period's end passes the calendar). The day is refused as a field error."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_a_day_past_2099_is_a_field_error(client, client_manager_a, term_a):
    client.force_login(client_manager_a)
    body = {"contract": term_a.code, "kind": "monthly", "day": "9999-12-31"}
    response = client.post(reverse("reports:create"), body)
    assert response.status_code in (200, 400)
    assert "day" in response.context["form"].errors
