"""Issue 16: the shapes of penalty clause are one registry (contracts.shapes), one module each."""

import datetime as dt
import importlib
import inspect
import re
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from rest_framework.test import APIClient

from contracts import obligations, shapes
from contracts.admin.penalties import PenaltyClauseForm as AdminClauseForm
from contracts.api.penalties import ClauseFilterSet, PenaltyClauseSerializer
from contracts.forms import PenaltyClauseForm
from contracts.models import Breach, PenaltyClause
from contracts.penalties import check_breach_figures, check_clause, penalty_summary, record_breach
from contracts.shapes.base import OPTIONS

pytestmark = pytest.mark.django_db
WHEN = timezone.make_aware(dt.datetime(2026, 6, 1, 10))
SNAKE = re.compile(r"\b[a-z]+_[a-z_]+\b")
# The codes scripts send and filter on today: API values, unchanged.
IN_USE = ["per_day", "per_occurrence", "one_off", "count_threshold"]


def values(choices) -> list[str]:
    return [value for value, _label in choices if value]


@pytest.mark.parametrize("shape", list(shapes.SHAPES.values()), ids=lambda s: s.code)
def test_every_registered_shape_is_complete(shape):
    # One module per shape, named by its code, saying in its docstring what it prices.
    module = importlib.import_module(f"contracts.shapes.{shape.code}")
    assert module.SHAPE is shape
    assert module.__doc__ and len(module.__doc__.strip()) > 40
    field = PenaltyClause._meta.get_field("shape")
    assert re.fullmatch(r"[a-z][a-z_]*", shape.code) and len(shape.code) <= field.max_length
    # A label in both languages, never the code.
    with translation.override("en"):
        english = str(shape.label)
    with translation.override("zh-hans"):
        chinese = str(shape.label)
    assert english and chinese and english != chinese
    assert not SNAKE.search(english) and not SNAKE.search(chinese)
    assert list(inspect.signature(shape.price).parameters) == ["item", "rate_percent", "total", "day_amount"]
    assert callable(shape.check) and set(shape.takes) <= set(OPTIONS)
    # A shape no kind of breach may use could never price anything.
    assert any(shape.code in kind.shapes for kind in obligations.KINDS.values())


def test_the_choices_everywhere_are_the_registry():
    registered = list(shapes.SHAPES)
    assert registered[: len(IN_USE)] == IN_USE  # never renamed nor dropped, and first in the lists
    field = PenaltyClause._meta.get_field("shape")
    assert list(field.choices) == shapes.choices()
    assert PenaltyClause.Shape.values == registered
    assert [PenaltyClause.Shape(code).label for code in registered] == [
        s.label for s in shapes.SHAPES.values()
    ]
    assert values(PenaltyClauseForm.base_fields["shape"].choices) == registered
    assert values(AdminClauseForm.base_fields["shape"].choices) == registered
    assert list(PenaltyClauseSerializer().fields["shape"].choices) == registered
    assert values(ClauseFilterSet.base_filters["shape"].extra["choices"]) == registered
    for kind in obligations.KINDS.values():
        assert set(kind.shapes) <= set(shapes.SHAPES), kind.code


def test_the_api_schema_offers_the_registry(admin_user):
    api = APIClient()
    api.force_authenticate(admin_user)
    schema = api.get("/api/schema/", {"format": "json"}).json()
    enums = [c["enum"] for c in schema["components"]["schemas"].values() if "per_day" in c.get("enum", [])]
    assert enums and all(set(enum) - {"", None} == set(shapes.SHAPES) for enum in enums)


def _kind_for(code: str) -> str:
    return next(k.code for k in obligations.KINDS.values() if code in k.shapes and k.code != "late_payment")


@pytest.mark.parametrize("code", IN_USE)
def test_every_shape_prices_a_breach_and_explains_it(contract_a, code):
    contract_a.total = D("100000.00")
    contract_a.save()
    kind = _kind_for(code)
    clause = PenaltyClause(
        contract=contract_a, kind=kind, title="条款", shape=code, rate_percent=D(2), threshold_count=1
    )
    check_clause(clause)
    clause.save()
    days = 3 if shapes.counts_days(code) else None
    record_breach(contract_a, kind, occurred_at=WHEN, source=Breach.Source.MANUAL, days_late=days)
    for language in ("en", "zh-hans"):
        with translation.override(language):
            item = penalty_summary(contract_a).clauses[0]
        assert item.breaches == 1 and item.amount > 0, item.lines
        assert item.lines and not any(SNAKE.search(line) for line in item.lines), item.lines


def test_a_shape_counting_days_needs_them_and_the_others_do_not(contract_a):
    for code in IN_USE:
        clause = PenaltyClause(contract=contract_a, kind=_kind_for(code), shape=code, rate_percent=1)
        if shapes.counts_days(code):
            with pytest.raises(ValidationError) as raised:
                check_breach_figures(clause)
            assert "days_late" in raised.value.message_dict
        else:
            check_breach_figures(clause)
    assert [code for code in IN_USE if shapes.counts_days(code)] == ["per_day"]


def test_an_option_the_shape_does_not_take_is_refused_naming_those_that_do(contract_a):
    def errors(kind="late_service", **fields):
        clause = PenaltyClause(contract=contract_a, kind=kind, rate_percent=1, **fields)
        with pytest.raises(ValidationError) as raised, translation.override("en"):
            check_clause(clause)
        return raised.value.message_dict

    # What each shape in use takes today (a new option taken is new behaviour, tested with it).
    takes = {code: shapes.get(code).takes for code in IN_USE}
    assert takes == {
        "per_day": {"overdue_base", "lpr_rate"},
        "per_occurrence": {"escalation"},
        "one_off": set(),
        "count_threshold": set(),
    }
    assert errors(shape="one_off", base="overdue_amount")["base"] == [
        "Only a clause of shape “Per day of delay” can be a share of the overdue amount."
    ]
    assert "base" in errors(shape="per_occurrence", base="overdue_amount")
    assert (
        "“Per day of delay”" in errors(shape="per_occurrence", rate_source="lpr_one_year")["rate_source"][0]
    )
    found = errors(shape="per_day", escalation_at=3)
    assert "“Per occurrence”" in found["escalation_at"][0] and "escalation_percent" in found
    assert "threshold_count" in errors(shape="count_threshold", kind="staff_replacement")
    # Taken by their shapes: no error.
    check_clause(
        PenaltyClause(
            contract=contract_a, kind="late_service", shape="per_day", rate_percent=1, base="overdue_amount"
        )
    )
    check_clause(
        PenaltyClause(
            contract=contract_a,
            kind="late_service",
            shape="per_occurrence",
            rate_percent=1,
            escalation_at=3,
            escalation_percent=20,
        )
    )
