"""InspectionsConfig.accept_intake: the schedules contract intake proposed, made through the
schedule form (its rules included) inside the caller's transaction."""

import datetime as dt

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import transaction

from contracts.intake import extract
from inspections.models import InspectionSchedule

pytestmark = pytest.mark.django_db


def accept(contract, proposals):
    return apps.get_app_config("inspections").accept_intake(contract, proposals)


def proposal(value, field="inspection_schedule"):
    return {
        "group": "inspections",
        "field": field,
        "value": value,
        "start": 0,
        "end": 4,
        "confidence": 0.8,
        "rule": "frequency-inspection",
    }


def test_extracted_schedules_become_the_contracts_schedules(contract_a):
    text = "乙方每日对系统进行巡检；每月进行一次全面检查；每月的工作计划应在当月第3个工作日之前报送。"
    proposals = [
        {**p.__dict__, "value": p.value} for p in extract(text).proposals if p.field == "inspection_schedule"
    ]
    made = accept(contract_a, proposals)
    assert [pair[1] for pair in made] == proposals
    by_kind = {s.kind: s for s in InspectionSchedule.objects.filter(contract=contract_a)}
    assert set(by_kind) == {"daily", "monthly_day", "monthly_working_day"}
    assert by_kind["daily"].times_of_day == ["09:00"] and by_kind["daily"].grace == dt.timedelta(hours=2)
    assert by_kind["monthly_day"].day_of_month == 1 and by_kind["monthly_day"].grace is None
    assert by_kind["monthly_working_day"].nth_working_day == 3
    assert "每日" in by_kind["daily"].what


def test_numbers_as_text_and_several_times_a_day(contract_a):
    value = {
        "name": "重点时段巡检",
        "kind": "several_daily",
        "times_of_day": ["19:00", "08:00", "13:00"],
        "what": "每日8、13、19时巡检",
        "grace_hours": "0.5",
    }
    weekly = {"name": "每周巡检", "kind": "weekly", "weekday": "2", "what": "每周巡检"}
    (several, _p), (week, _q) = accept(contract_a, [proposal(value), proposal(weekly)])
    several.refresh_from_db()
    assert several.times_of_day == ["08:00", "13:00", "19:00"]
    assert several.grace == dt.timedelta(minutes=30)
    assert week.weekday == 2


def test_other_fields_are_left_to_their_apps(contract_a):
    assert accept(contract_a, [proposal({"kind": "weekly"}, field="report_duty")]) == []
    assert not InspectionSchedule.objects.filter(contract=contract_a).exists()


@pytest.mark.parametrize(
    "value, field",
    [
        ({"name": "巡检", "kind": "hourly", "what": "x"}, "kind"),
        (
            {"name": "巡检", "kind": "monthly_working_day", "nth_working_day": 40, "what": "x"},
            "nth_working_day",
        ),
        ({"name": "巡检", "kind": "daily", "times_of_day": ["25:00"], "what": "x"}, "times_of_day"),
        ({"name": "巡检", "kind": "daily"}, "what"),
    ],
)
def test_the_forms_rules_refuse_a_bad_proposal(contract_a, value, field):
    with pytest.raises(ValidationError) as refused:
        accept(contract_a, [proposal(value)])
    assert field in refused.value.message_dict


def test_a_refused_proposal_rolls_back_the_callers_transaction(contract_a):
    good = {"name": "每日巡检", "kind": "daily", "what": "每日巡检"}
    twice = {"name": "每日巡检", "kind": "monthly_day", "what": "同名"}
    with pytest.raises(ValidationError), transaction.atomic():
        accept(contract_a, [proposal(good), proposal(twice)])
    assert not InspectionSchedule.objects.filter(contract=contract_a).exists()


def test_a_value_that_is_not_an_object_is_refused(contract_a):
    with pytest.raises(ValidationError):
        accept(contract_a, [proposal("daily")])


def test_more_schedules_than_any_contract_asks_for_are_refused(contract_a):
    many = [proposal({"name": f"巡检{n}", "kind": "daily", "what": "巡检"}) for n in range(51)]
    with pytest.raises(ValidationError):
        accept(contract_a, many)
    assert not InspectionSchedule.objects.filter(contract=contract_a).exists()


def test_the_kinds_intake_proposes_are_the_models_kinds():
    # contracts cannot import this app: its extractor spells the kinds out, and must keep up.
    from contracts.intake import routines

    assert set(routines.SCHEDULE_NAMES) <= set(InspectionSchedule.Kind.values)
