"""Issue 14 (Low): "Names accept bidirectional-control characters; １２３ is accepted as a number".
Every number field of every form class of the project refuses full-width and other non-ASCII
digits with the API's message, and every single-line text field refuses bidirectional controls,
a form written tomorrow included: the test imports every module of the project's apps and walks
the form classes it finds, so a form that escaped the rule (a field of its own making) fails here.
Multi-line text keeps them, and a PDF or an export shows it without them.
"""

import datetime as dt
import importlib
import pkgutil
import re
import shutil
import subprocess
from decimal import Decimal

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.utils import translation

APPS = ["om_portal", "identity", "contracts", "incidents", "inspections", "reports", "signing"]
NUMBERS = (forms.IntegerField, forms.DecimalField, forms.FloatField)


def _project_forms() -> list[type[forms.BaseForm]]:
    for app in APPS:
        package = importlib.import_module(app)
        for module in pkgutil.walk_packages(package.__path__, f"{app}."):
            if ".migrations" not in module.name and ".management" not in module.name:
                importlib.import_module(module.name)
    found, todo = set(), [forms.BaseForm]
    while todo:
        for sub in todo.pop().__subclasses__():
            todo.append(sub)
            if sub.__module__.split(".")[0] in APPS:
                found.add(sub)
    return sorted(found, key=lambda cls: f"{cls.__module__}.{cls.__qualname__}")


def test_every_number_field_of_every_form_refuses_full_width_digits():
    checked = []
    for form_class in _project_forms():
        for name, field in form_class.base_fields.items():
            if not isinstance(field, NUMBERS):
                continue
            checked.append(f"{form_class.__qualname__}.{name}")
            with pytest.raises(ValidationError) as refused:
                field.clean("１２３")
            with translation.override("en"):
                assert "ASCII digits" in " ".join(refused.value.messages), (form_class, name)
    # The milestone's offset, the SLA term's targets, the clause's amounts, the check's limits...
    assert len(checked) >= 20, checked


@pytest.mark.parametrize("text", ["１２３", "١٢٣", "12３"])
def test_a_form_says_why_in_chinese(text):
    class Amount(forms.Form):
        count = forms.IntegerField()
        amount = forms.DecimalField(max_digits=8, decimal_places=2)
        ratio = forms.FloatField()

    with translation.override("zh-hans"):
        form = Amount({"count": text, "amount": text, "ratio": text})
        assert not form.is_valid()
        assert set(form.errors) == {"count", "amount", "ratio"}
        assert form.errors["count"] == ["请用半角数字（0–9）填写，不要使用全角或其他数字。"]


def test_ascii_numbers_still_read():
    class Amount(forms.Form):
        count = forms.IntegerField()
        amount = forms.DecimalField(max_digits=8, decimal_places=2)
        ratio = forms.FloatField()

    form = Amount({"count": " 123 ", "amount": "12.50", "ratio": "0.5"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data == {"count": 123, "amount": Decimal("12.50"), "ratio": 0.5}


def test_every_single_line_text_field_of_every_form_refuses_bidi_controls():
    checked = []
    for form_class in _project_forms():
        for name, field in form_class.base_fields.items():
            if type(field) is not forms.CharField or not isinstance(field.widget, forms.TextInput):
                continue
            checked.append(f"{form_class.__qualname__}.{name}")
            with pytest.raises(ValidationError) as refused:
                field.clean("invoice\u202efdp.exe")
            with translation.override("en"):
                assert "direction" in " ".join(refused.value.messages), (form_class, name)
    # The work log's initiator and handler, the service record's place and requester, a duty
    # shift's person, an asset's host and location...
    assert len(checked) >= 20, checked


def test_multi_line_text_keeps_them():
    class Note(forms.Form):
        note = forms.CharField(widget=forms.Textarea)

    form = Note({"note": "第一行\u202e\n第二行"})
    assert form.is_valid(), form.errors


def test_exports_show_text_without_them():
    from om_portal import spreadsheets

    assert spreadsheets.defuse("invoice\u202efdp.exe\u202c") == "invoicefdp.exe"
    assert spreadsheets.defuse("\u2066=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert spreadsheets.xlsx_value("a\u200fb\u2069") == "ab"


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="pdftotext (poppler-utils) is not installed")
def test_a_pdf_reads_in_the_order_typed(tmp_path):
    """WeasyPrint honours U+202E: "invoice<RLO>fdp.exe" came out of the PDF as "invoiceexe.pdf"."""
    from reports.pdf import write_pdf

    path = tmp_path / "bidi.pdf"
    path.write_bytes(write_pdf("<p>invoice\u202efdp.exe\u202c 故障描述</p>"))
    text = subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, text=True).stdout
    assert "invoicefdp.exe 故障描述" in text


# Issue 18: the report form's day came pre-filled as 2026/12/07, which an <input type="date">
# refuses (it shows the field empty). A browser's date, time and datetime-local inputs read one
# format whatever the language; every such widget of every form gives it in Chinese and English.
HTML_VALUES = {
    "date": (dt.date(2026, 12, 7), "2026-12-07"),
    "time": (dt.time(9, 5), "09:05"),
    "datetime-local": (dt.datetime(2026, 12, 7, 9, 5), "2026-12-07T09:05"),
}


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_date_and_time_input_is_filled_in_the_browsers_format(language):
    checked = []
    for form_class in _project_forms():
        for name, field in form_class.base_fields.items():
            kind = getattr(field.widget, "input_type", None)
            if kind not in HTML_VALUES:
                continue
            value, expected = HTML_VALUES[kind]
            with translation.override(language):
                assert field.widget.format_value(value) == expected, (form_class, name, kind)
            checked.append(f"{form_class.__qualname__}.{name}")
    assert len(checked) >= 10, checked


def test_the_new_report_forms_day_is_filled_as_a_date_input_reads_it():
    from reports.forms import NewReportForm

    with translation.override("zh-hans"):
        html = str(NewReportForm(contracts=[])["day"])
    assert 'type="date"' in html
    assert re.search(r'value="\d{4}-\d{2}-\d{2}"', html), html
