"""The portal's forms, like the API's bodies (test_foreign_keys.py): every field of every form the
matrix posts whose value is one of A's objects (the contract, a clause, a post, an asset, a plan...)
is set to B's object of the same kind. The form must refuse (an error on the page, a 403 or a
404) and nothing may be written, for the first non-administrator role allowed to post it.
"""

from django.db import models, transaction
from django.urls import reverse

from tests.access.matrix import ROLES, changed, client_for, snapshot
from tests.access.portal_cases import PORTAL_CASES

# A form field's name → the world's attribute of the object it names, where the two differ.
ALIASES = {"penalty_clause": "clause", "checklist": "template"}
# Fields where another organisation's object is the point: a bureau contracts any vendor.
FREE = {("contracts:add", "vendor")}


def _swaps(world, case, body: dict) -> dict:
    """The body's fields naming one of A's objects, each with B's object of that kind."""
    found = {}
    for key, value in body.items():
        attr = ALIASES.get(key, key)
        mine, theirs = getattr(world.a, attr, None), getattr(world.b, attr, None)
        if (case.route, key) in FREE:
            continue
        if isinstance(mine, models.Model) and str(value) == str(mine.pk):
            found[key] = str(theirs.pk)
    return found


def _writer(case):
    return next((role for role in ROLES if role in case.allowed and role != "administrator"), None)


CASES = [
    case for case in PORTAL_CASES if case.method == "post" and case.data and case.scoped and _writer(case)
]


def test_no_form_points_into_another_organisation(world, db):
    """One test over every form (most name none of A's objects, and a case each would mostly skip)."""
    problems, tried = [], []
    for case in CASES:
        role = _writer(case)
        url = reverse(case.route, kwargs=case.kwargs(world.a) if case.kwargs else None)
        body = case.data(world, world.a)
        for key, foreign in _swaps(world, case, body).items():
            tried.append(f"{case.id} {key}")
            with transaction.atomic():
                client = client_for(world, role)
                before = snapshot()
                response = client.post(url, {**body, key: foreign})
                diff = changed(before, snapshot())
                if response.status_code >= 500 or response.status_code == 302 or diff:
                    problems.append(
                        f"{case.id} as {role}, {key}=B's: answered {response.status_code}, wrote to {diff}"
                    )
                transaction.set_rollback(True)
    # The forms that name A's objects: the contract's parts (clause, post), the incident and
    # knowledge forms (contract, asset, plan), the inspection forms (asset, checklist)...
    assert len(tried) >= 8, tried
    assert not problems, "\n".join(problems)
