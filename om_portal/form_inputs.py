"""What every Django form of the portal refuses, as the API does (api.py, validators.py).

- Numbers in ASCII digits only. Django's IntegerField, DecimalField and FloatField read their
  text with int(), Decimal() and float(), which accept any script's digits: "１２３" typed with a
  Chinese input method's full-width mode was stored as 123 (issue 14). A refusal that says so is
  safer than a guess for an amount or a count.
- No bidirectional controls in a single-line text field (validators.no_bidi_controls): the models'
  names and titles refuse them already; a person's name on a work log line or a duty shift, a
  place on a service record sheet, is as single-line and ends in the same PDFs and exports.
  Multi-line text keeps them: what it feeds is neutralised where it is rendered (reports/pdf.py,
  spreadsheets.py).
- Dates and times in the one format a browser's date, time and datetime-local inputs read (HTML's
  own: 2026-12-07, 09:30, 2026-12-07T09:30). A widget left to the language's format filled a date
  input with 2026/12/07, which the browser drops: the field showed empty (issue 18).

Installed once on Django's own classes (OmPortalConfig.ready), so every form of the project, a
form written tomorrow, the admin's and django-filter's fields all follow it;
tests/fuzz/test_form_inputs.py walks every form class to keep it so.
"""

import functools

from django import forms
from django.core.exceptions import ValidationError
from django.forms.widgets import DateTimeBaseInput
from django.utils.translation import gettext_lazy as _

from om_portal.validators import no_bidi_controls

NOT_ASCII = _("Write the number in ASCII digits (0–9), not full-width or other digits.")


def _ascii_only(to_python):
    @functools.wraps(to_python)
    def wrapped(self, value):
        if isinstance(value, str) and not value.isascii():
            raise ValidationError(NOT_ASCII, code="invalid")
        return to_python(self, value)

    wrapped.form_inputs = True
    return wrapped


def _single_line_without_bidi(to_python):
    @functools.wraps(to_python)
    def wrapped(self, value):
        value = to_python(self, value)
        if isinstance(self.widget, forms.TextInput):  # not a Textarea, a hidden or a password input
            no_bidi_controls(value)
        return value

    wrapped.form_inputs = True
    return wrapped


# What each HTML input type reads, whatever the language.
HTML_FORMATS = {"date": "%Y-%m-%d", "time": "%H:%M", "datetime-local": "%Y-%m-%dT%H:%M"}


def _in_html_format(format_value):
    @functools.wraps(format_value)
    def wrapped(self, value):
        html_format = HTML_FORMATS.get(self.attrs.get("type", self.input_type))
        if html_format and hasattr(value, "strftime"):
            return value.strftime(html_format)
        return format_value(self, value)

    wrapped.form_inputs = True
    return wrapped


def install():
    # Each of the three defines its own to_python (DecimalField's and FloatField's skip
    # IntegerField's), so each is wrapped; subclasses inherit the wrapped one.
    for cls in (forms.IntegerField, forms.DecimalField, forms.FloatField):
        if not getattr(cls.to_python, "form_inputs", False):
            cls.to_python = _ascii_only(cls.to_python)
    if not getattr(DateTimeBaseInput.format_value, "form_inputs", False):
        DateTimeBaseInput.format_value = _in_html_format(DateTimeBaseInput.format_value)
    if not getattr(forms.CharField.to_python, "form_inputs", False):
        forms.CharField.to_python = _single_line_without_bidi(forms.CharField.to_python)
