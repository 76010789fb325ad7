"""Every report kind is one module (reports.kinds) that says all about it, and is complete."""

import datetime as dt

import pytest
from django.template.loader import get_template
from django.utils import translation

from contracts.models import Milestone
from reports import kinds, periods
from reports.building import build_data
from reports.models import Report, ReportKind, ReportRequirement
from reports.rendering import SECTION, chinese_number, report_html

KINDS = kinds.all()


def test_the_model_choices_are_the_registry():
    registered = [(kind.code, kind.label) for kind in KINDS]
    assert ReportKind.choices == registered
    assert [(m.name, m.value) for m in ReportKind] == [(kind.name, kind.code) for kind in KINDS]
    for model in (Report, ReportRequirement):
        field = model._meta.get_field("kind")
        assert field.choices == registered
        assert max(len(kind.code) for kind in KINDS) <= field.max_length


def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="unknown report kind"):
        kinds.get("fortnightly")


@pytest.mark.parametrize("kind", KINDS, ids=lambda kind: kind.code)
def test_each_kind_is_complete(kind, contract_a):
    # Its period: holds the day, in order; its name, where it has one, is Chinese, never a code.
    day = dt.date(2026, 8, 12)
    start, end = kind.period(contract_a, day)
    assert start <= day <= end
    label = kind.period_label(start, end, True)
    assert label is None or (str(start.year) in label and kind.code not in label)
    assert callable(kind.build)

    # Its sections: each template exists; every narrative part is printed once, in its order.
    assert kind.sections
    for name, title in kind.sections:
        if name != "narrative":
            get_template(SECTION.format(name))
            assert title and not title.isascii()
    printed = [arg for name, arg in kind.sections if name == "narrative"]
    assert printed == [key for key, _heading in kind.narrative]

    # Its words are translated: the Chinese differs from the English msgid.
    for msgid in [kind.label, *(heading for _key, heading in kind.narrative)]:
        with translation.override("en"):
            english = str(msgid)
        with translation.override("zh-hans"):
            chinese = str(msgid)
        assert chinese != english and not chinese.isascii(), english

    # Its due rule, where the contract is silent.
    assert kind.due.unit in Milestone.OffsetUnit.values
    assert 0 <= kind.due.offset <= 366


@pytest.mark.parametrize("kind", KINDS, ids=lambda kind: kind.code)
def test_each_kind_builds_and_prints_its_sections(kind, contract_a):
    # Whatever the language asking, the page prints the kind's Chinese words from the .po.
    start, end = periods.period_of(contract_a, kind.code, dt.date(2026, 8, 12))
    data = build_data(contract_a, kind.code, start, end)
    assert data["kind"] == kind.code and data["period"]["label"]
    with translation.override("en"):
        html = report_html(data, {key: f"正文{key}" for key, _heading in kind.narrative})
    with translation.override("zh-hans"):
        assert f"{contract_a.title} {kind.label}" in html
        headings = {key: str(heading) for key, heading in kind.narrative}
    for number, (name, arg) in enumerate(kind.sections, start=1):
        title = headings[arg] if name == "narrative" else arg
        assert f"{chinese_number(number)}、{title}" in html
    for key in headings:
        assert f"正文{key}" in html
