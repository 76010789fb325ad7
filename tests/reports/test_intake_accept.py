"""ReportsConfig.accept_intake: the report duties contract intake proposed, validated as the
model's rules say and saved inside the caller's transaction."""

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import transaction

from contracts.intake import extract
from reports import kinds
from reports.models import ReportRequirement

pytestmark = pytest.mark.django_db


def accept(contract, proposals):
    return apps.get_app_config("reports").accept_intake(contract, proposals)


def proposal(value, field="report_duty"):
    return {
        "group": "reports",
        "field": field,
        "value": value,
        "start": 0,
        "end": 2,
        "confidence": 0.8,
        "rule": "report-name",
    }


def test_extracted_duties_become_requirements_due_as_the_text_or_their_kind_says(contract_a):
    text = "乙方每周提交运维周报；服务期满后 10 个工作日内提交年度总结报告。"
    proposals = [proposal(p.value) for p in extract(text).proposals if p.field == "report_duty"]
    made = accept(contract_a, proposals)
    assert [pair[1] for pair in made] == proposals
    rows = {r.kind: r for r in ReportRequirement.objects.filter(contract=contract_a)}
    weekly = kinds.get("weekly").due
    assert (rows["weekly"].due_offset, rows["weekly"].due_unit) == (weekly.offset, weekly.unit)
    assert (rows["annual"].due_offset, rows["annual"].due_unit) == (10, "working_days")
    assert rows["annual"].breach_kind == "" and "年度总结" in rows["annual"].note


def test_numbers_arrive_as_text(contract_a):
    ((row, _p),) = accept(
        contract_a, [proposal({"kind": "monthly", "offset": "7", "offset_unit": "calendar_days"})]
    )
    row.refresh_from_db()
    assert (row.due_offset, row.due_unit) == (7, "calendar_days")


def test_other_fields_are_left_to_their_apps(contract_a):
    assert accept(contract_a, [proposal({"kind": "daily"}, field="inspection_schedule")]) == []


@pytest.mark.parametrize(
    "value, field",
    [
        ({"kind": "hourly"}, "kind"),
        ({"kind": "weekly", "offset": 400, "offset_unit": "calendar_days"}, "due_offset"),
        ({"kind": "weekly", "offset": "2.5", "offset_unit": "calendar_days"}, "due_offset"),
        ({"kind": "weekly", "offset": 2, "offset_unit": "fortnights"}, "due_unit"),
        ({"kind": "weekly", "breach_kind": "no-such-clause"}, "breach_kind"),
    ],
)
def test_the_models_rules_refuse_a_bad_proposal(contract_a, value, field):
    with pytest.raises(ValidationError) as refused:
        accept(contract_a, [proposal(value)])
    assert field in refused.value.message_dict
    assert not ReportRequirement.objects.filter(contract=contract_a).exists()


def test_a_second_duty_of_one_kind_is_refused_and_rolls_back_with_the_caller(contract_a):
    with pytest.raises(ValidationError), transaction.atomic():
        accept(contract_a, [proposal({"kind": "weekly"}), proposal({"kind": "weekly", "offset": 3})])
    assert not ReportRequirement.objects.filter(contract=contract_a).exists()


def test_the_kinds_intake_proposes_are_the_report_kinds():
    from contracts.intake import routines

    assert set(routines.REPORT_KINDS) <= {kind.code for kind in kinds.all()}
