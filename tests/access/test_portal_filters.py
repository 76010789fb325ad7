"""Issue 14 (Low): a filter of a portal page naming another organisation's object answers as one
naming nothing does (same status, same page), else the page tells a user which of B's ids and
codes exist, an existence oracle. The API's filters choose among what the user sees
(om_portal/api.py restrict_choices); here each portal page that reads an object from its query
(``?contract=``, ``?incident=``, ``?asset=``...) is asked for one of B's and for a missing one.
"""

import re

import pytest
from django.urls import reverse

from tests.access.matrix import client_for

MISSING_PK = "987654321"
MISSING_CODE = "Z-2026-OM"

# (route, role, the query's other fields, the field, B's object's attribute: a code or a pk)
CASES = [
    ("incidents:list", "client_manager", {}, "contract", "code"),
    ("incidents:list", "client_manager", {}, "asset", "asset"),
    ("incidents:worklog", "client_manager", {}, "contract", "code"),
    ("incidents:worklog", "client_manager", {}, "incident", "incident"),
    ("incidents:records", "client_manager", {}, "contract", "code"),
    ("incidents:record-add", "vendor_engineer", {"contract": "A"}, "incident", "incident"),
    ("incidents:changes", "vendor_manager", {}, "contract", "code"),
    ("incidents:change-add", "vendor_manager", {}, "contract", "code"),
    ("incidents:change-add", "vendor_manager", {}, "incident", "incident"),
    ("incidents:knowledge", "vendor_manager", {}, "contract", "code"),
    ("incidents:plans", "vendor_manager", {}, "contract", "code"),
    ("incidents:consultations", "vendor_manager", {}, "contract", "code"),
    ("incidents:consultation-stats", "client_manager", {}, "contract", "code"),
    ("incidents:complaints", "client_manager", {}, "contract", "code"),
    ("incidents:add", "vendor_engineer", {}, "contract", "code"),
    ("inspections:ledger", "client_manager", {}, "contract", "code"),
    ("reports:index", "client_manager", {}, "contract", "code"),
    ("contracts:list", "client_manager", {}, "code", "code"),
]


def _value(world, side, attr):
    return side.code if attr == "code" else str(getattr(side, attr).pk)


def _page(response, value) -> str:
    """The page without what differs between two renderings anyway: the CSRF token, and the
    value asked for where the page echoes it."""
    body = response.content.decode() if response.status_code == 200 else ""
    body = re.sub(r'(name="csrfmiddlewaretoken" value=")[^"]*', r"\1", body)
    body = re.sub(r'(<input[^>]*name="csrfmiddlewaretoken"[^>]*value=")[^"]*', r"\1", body)
    # Only where it is echoed as a value (value="10", ?asset=10&): an incident numbered 10 in the
    # list, or an input's size="4", is the page's own content, whatever id was asked for.
    return re.sub(rf'(value="|[?&;][\w-]+=){re.escape(value)}(?=[&"])', r"\1VALUE", body)


@pytest.mark.parametrize("route, role, others, field, attr", CASES, ids=[f"{c[0]}?{c[3]}" for c in CASES])
def test_another_organisations_object_answers_as_a_missing_one(world, db, route, role, others, field, attr):
    base = {key: world.a.code for key in others}
    url = reverse(route)
    theirs, missing = _value(world, world.b, attr), MISSING_CODE if attr == "code" else MISSING_PK
    client = client_for(world, role)
    answer_b = client.get(url, {**base, field: theirs})
    answer_missing = client_for(world, role).get(url, {**base, field: missing})
    assert answer_b.status_code < 500, answer_b.status_code
    assert answer_b.status_code == answer_missing.status_code
    assert _page(answer_b, theirs) == _page(answer_missing, missing)


# Values no form would send, typed into the address bar: an answer, never a 500.
MALFORMED = [
    ("incidents:record-add", "vendor_engineer", {"contract": "A", "incident": "abc"}),
    ("incidents:list", "client_manager", {"due_within": "99999999999"}),
]


@pytest.mark.parametrize("route, role, query", MALFORMED, ids=[f"{m[0]}?{m[2]}" for m in MALFORMED])
def test_a_malformed_filter_is_no_server_error(world, db, route, role, query):
    query = {key: world.a.code if value == "A" else value for key, value in query.items()}
    response = client_for(world, role).get(reverse(route), query)
    assert response.status_code < 500
