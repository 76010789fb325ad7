"""The portal's forms fuzzed as the API is (test_api_fuzz.py), issue 14 finding 9: every create and
edit page the access matrix posts (tests/access/portal_cases.py), as the role that may write it,
with each field in turn set to a boundary value. No answer may be a server error, and a form that
refuses (anything but a redirect) must have written nothing.

The values are ones that broke the API or the forms before: an integer past the 32-bit column
(2147483648), full-width digits, a date whose offsets leave the calendar, NUL bytes,
bidirectional controls. Each field gets the values that fit its kind (a number field the numeric
ones, any field the text ones), which keeps the test within a couple of minutes.
"""

from django.db import transaction
from django.urls import reverse

from tests.access.conftest import world  # noqa: F401  (the module's world)
from tests.access.matrix import ROLES, changed, client_for, snapshot
from tests.access.portal_cases import PORTAL_CASES

NUMBERS = ["2147483648", "１２３"]
TEXTS = ["a\x00b", "\u202eexe.pdf\u202c"]
DATES = ["9999-12-31"]


def _writer(case):
    return next((role for role in ROLES if role in case.allowed and role != "administrator"), None)


CASES = [case for case in PORTAL_CASES if case.method == "post" and case.data and _writer(case)]


def _values(value) -> list[str]:
    text = str(value)
    if text.lstrip("-").replace(".", "", 1).isdigit():
        return NUMBERS + TEXTS[:1]
    if len(text) == 10 and text[4] == "-" and text[7] == "-":
        return DATES + TEXTS[:1]
    return TEXTS


def _form_errors(response) -> bool:
    context = response.context or {}
    return any(getattr(context.get(name), "errors", None) for name in ("form", "formset"))


def test_no_portal_form_answers_500_or_writes_half(world, db):  # noqa: F811
    problems, sent = [], 0
    for case in CASES:
        role = _writer(case)
        url = reverse(case.route, kwargs=case.kwargs(world.a) if case.kwargs else None)
        body = case.data(world, world.a)
        for key, value in body.items():
            if hasattr(value, "read") or isinstance(value, list | tuple):
                continue  # files and multiple choices: the upload tests cover them
            for bad in _values(value):
                sent += 1
                with transaction.atomic():
                    client = client_for(world, role)
                    before = snapshot()
                    response = client.post(url, {**body, key: bad})
                    status = response.status_code
                    # A refusal (a 4xx, or the form again with its errors) writes nothing; a 500 may
                    # leave the transaction unusable, so no snapshot after one.
                    refused = 400 <= status < 500 or (status == 200 and _form_errors(response))
                    diff = changed(before, snapshot()) if refused else []
                    if status >= 500 or diff:
                        problems.append(f"{case.route} {key}={bad[:20]!r} as {role}: {status}, wrote {diff}")
                    transaction.set_rollback(True)
    assert sent > 100, sent
    assert not problems, "\n".join(problems)
