"""Numbers in ASCII digits in every Django form, as the API's number fields take them (api.py).

Django's IntegerField, DecimalField and FloatField read their text with int(), Decimal() and
float(), which accept any script's digits: "１２３" typed with a Chinese input method's full-width
mode was stored as 123 (issue 14). A refusal that says so is safer than a guess for an amount or a
count. Installed once on Django's own classes (OmPortalConfig.ready), so every form of the
project, a form written tomorrow, the admin's and django-filter's number fields all take ASCII
text only; tests/fuzz/test_form_numbers.py walks every form class to keep it so.
"""

import functools

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

NOT_ASCII = _("Write the number in ASCII digits (0–9), not full-width or other digits.")


def _ascii_only(to_python):
    @functools.wraps(to_python)
    def wrapped(self, value):
        if isinstance(value, str) and not value.isascii():
            raise ValidationError(NOT_ASCII, code="invalid")
        return to_python(self, value)

    wrapped.ascii_only = True
    return wrapped


def install():
    # Each of the three defines its own to_python (DecimalField's and FloatField's skip
    # IntegerField's), so each is wrapped; subclasses inherit the wrapped one.
    for cls in (forms.IntegerField, forms.DecimalField, forms.FloatField):
        if not getattr(cls.to_python, "ascii_only", False):
            cls.to_python = _ascii_only(cls.to_python)
