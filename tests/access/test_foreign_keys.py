"""No object of A's contract may point into B's, nor move there: every writable relation of every
API resource's serializer, found by introspection (so a new field is covered without a case), is
set to B's object of that model, in a PATCH of A's object and in a POST of a new one. The answer
must refuse (400/403/404), or, where the field is read-only after creation, leave it as it was;
either way nothing is written.

Each request is made by the resource's first writer that is not the administrator: the portal's
administrators work across organisations by design (matrix.py).
"""

import json

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import resolve, reverse
from rest_framework import relations
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from contracts.api.base import ContractCodeField
from contracts.models import Contract
from tests.access.api_cases import API_CASES
from tests.access.bodies import representation
from tests.access.matrix import ROLES, Case, changed, client_for, snapshot


def _serializer_fields(case: Case, world, url):
    """The fields of the serializer ``case``'s view uses for its action, as the root sees them."""
    match = resolve(url)
    view = match.func.cls(**match.func.initkwargs)
    view.action = match.func.actions[case.method]
    request = APIRequestFactory().generic(case.method.upper(), url)
    view.request, view.args, view.kwargs, view.format_kwarg = Request(request), (), match.kwargs, None
    view.request.user = world.root
    return view.get_serializer(**({"instance": view.get_object()} if match.kwargs else {})).fields


def _related_model(field):
    if isinstance(field, ContractCodeField):
        return Contract
    target = field.child_relation if isinstance(field, relations.ManyRelatedField) else field
    if isinstance(target, ContractCodeField):
        return Contract
    queryset = getattr(target, "queryset", None)
    return queryset.model if queryset is not None else None


def _value_of(field, obj):
    """``obj`` as the field takes it in a body."""
    target = field.child_relation if isinstance(field, relations.ManyRelatedField) else field
    if isinstance(target, ContractCodeField):
        value = obj.code
    elif isinstance(target, relations.SlugRelatedField):
        value = getattr(obj, target.slug_field)
    else:
        value = obj.pk
    return [value] if isinstance(field, relations.ManyRelatedField) else value


def _b_object(world, field, model):
    """B's object of ``model`` that ``field`` would accept (B's vendor for a vendor field, not its
    bureau), or None when the world has none."""
    if model is get_user_model():
        return model.objects.get(username="bravo7-vendor_engineer")
    target = field.child_relation if isinstance(field, relations.ManyRelatedField) else field
    queryset = getattr(target, "queryset", None)
    candidates = [value for value in vars(world.b).values() if type(value) is model]
    for candidate in candidates:
        if queryset is None or queryset.filter(pk=candidate.pk).exists():
            return candidate
    return candidates[0] if candidates else None


# Fields where another organisation's object is the point: a bureau contracts any vendor.
FREE = {("api:contract-list", "vendor")}


def _writes():
    """Every API case that creates (POST on a list) or changes (PATCH on a detail) with a body."""
    return [
        pytest.param(case, id=case.id)
        for case in API_CASES
        if case.data
        and case.refusal != "405"
        and (
            (case.method == "post" and case.route.endswith("-list"))
            or (case.method == "patch" and case.route.endswith("-detail"))
        )
    ]


def _writer(case):
    # A member of A's organisations where one may write; an administrator (who sees every
    # organisation) only where nobody else may, as for the LPR's portal-wide rates.
    members = [role for role in ROLES if role in case.allowed and role != "administrator"]
    return members[0] if members else "administrator"


@pytest.mark.parametrize("case", _writes())
def test_no_relation_points_into_another_organisation(case, world, db):
    url = reverse(case.route, kwargs=case.kwargs(world.a) if case.kwargs else None)
    detail = case.route.replace("-list", "-detail")
    fields = _serializer_fields(case, world, url)
    relations_ = {
        name: field
        for name, field in fields.items()
        if not field.read_only and _related_model(field) is not None
    }
    if case.method == "patch":
        shown = representation(world, detail, **case.kwargs(world.a))
    role = _writer(case)
    problems = []
    for name, field in relations_.items():
        if (case.route, name) in FREE:
            continue
        foreign = _b_object(world, field, _related_model(field))
        if foreign is None:
            problems.append(f"{name}: the world has no B object of {_related_model(field).__name__}")
            continue
        body = case.data(world, world.a) | {name: _value_of(field, foreign)}
        with transaction.atomic():
            client = client_for(world, role)
            before = snapshot()
            response = getattr(client, case.method)(url, json.dumps(body), content_type="application/json")
            diff = changed(before, snapshot())
            status = response.status_code
            if status in (400, 403, 404):
                if diff:
                    problems.append(f"{name}=B: answered {status} yet wrote to {diff}")
            elif case.method == "patch" and status == 200:
                # A field fixed at creation: accepted and ignored, so it must still say A's.
                after = representation(world, detail, **case.kwargs(world.a))
                if after[name] != shown[name]:
                    problems.append(f"{name}=B: answered 200 and moved it to {after[name]!r}")
            else:
                problems.append(f"{name}=B: refusal expected, answered {status}: {response.content[:200]!r}")
            transaction.set_rollback(True)
    assert not problems, f"{case.id} as {role}:\n" + "\n".join(problems)
