"""The administrator's forms: a year's holiday notice, the loan prime rates, notification channels."""

import datetime as dt
import re

from django import forms
from django.utils.translation import gettext_lazy as _

from contracts.models import Contract, LoanPrimeRate
from contracts.schedule import NoticeRow, notice_errors
from om_portal.models import NotificationChannel
from om_portal.validators import no_bidi_controls

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
# Dates as people type lists of them: commas, Chinese commas and enumeration marks, spaces.
DATE_SEPARATORS = re.compile(r"[\s,，、;；]+")


class DateListField(forms.CharField):
    """Several dates in one box: "2027-01-31, 2027-02-20" (or 、 between them)."""

    def to_python(self, value):
        text = super().to_python(value)
        days = []
        for part in filter(None, DATE_SEPARATORS.split(text)):
            try:
                days.append(dt.date.fromisoformat(part))
            except ValueError:
                raise forms.ValidationError(
                    _("“%(value)s” is not a date: write YYYY-MM-DD."), params={"value": part[:20]}
                ) from None
        return days

    def has_changed(self, initial, data):
        try:
            return list(initial or []) != self.to_python(data)
        except forms.ValidationError:
            return True

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return "、".join(day.isoformat() for day in value)
        return value


class HolidayRowForm(forms.Form):
    """One row of the notice; a row left (or made) entirely empty is no row, so that emptying a
    row that was entered removes that holiday."""

    name = forms.CharField(label=_("Holiday"), max_length=100, required=False, validators=[no_bidi_controls])
    first = forms.DateField(label=_("First day off"), widget=DATE, required=False)
    last = forms.DateField(label=_("Last day off"), widget=DATE, required=False)
    makeup = DateListField(
        label=_("Make-up working days"),
        required=False,
        max_length=200,
        help_text=_("Weekend days worked instead (调休上班), e.g. 2027-01-31、2027-02-20."),
    )

    def clean(self):
        data = super().clean()
        self.blank = not any(data.get(name) for name in ("name", "first", "last", "makeup"))
        if not self.blank and not (data.get("name") or "").strip():
            self.add_error("name", _("Name the holiday."))
        return data

    def is_row(self) -> bool:
        return bool(getattr(self, "cleaned_data", None)) and not getattr(self, "blank", True)

    def row(self) -> NoticeRow:
        data = self.cleaned_data
        return NoticeRow(
            name=data["name"].strip(), first=data.get("first"), last=data.get("last"), makeup=data["makeup"]
        )


class BaseNoticeFormSet(forms.BaseFormSet):
    """The notice's rows; an untouched blank row is no row. The rules across rows (overlaps,
    dates outside the year) are the service's, shown on the row they concern."""

    def __init__(self, *args, year, **kwargs):
        super().__init__(*args, **kwargs)
        self.year = year

    def rows(self) -> list[NoticeRow]:
        return [form.row() for form in self.forms if form.is_row()]

    def clean(self):
        if any(self.errors):
            return
        filled = [form for form in self.forms if form.is_row()]
        errors = notice_errors(self.year, [form.row() for form in filled])
        for index, form in enumerate(filled):
            for name, messages in errors.get(index, {}).items():
                for message in messages:
                    form.add_error(name, message)


def notice_formset(extra: int):
    """The notice's formset with ``extra`` blank rows (a class per call: the count is per page)."""
    return forms.formset_factory(
        HolidayRowForm, formset=BaseNoticeFormSet, extra=extra, max_num=40, validate_max=True, absolute_max=40
    )


class DeadlineForm(forms.Form):
    """The year page's check: which day is n working days after a day, on this calendar."""

    start = forms.DateField(label=_("From"), widget=DATE)
    days = forms.IntegerField(label=_("Working days"), min_value=0, max_value=60, initial=5)


class NoticeSourceForm(forms.Form):
    source = forms.CharField(
        label=_("Notice"),
        max_length=300,
        required=False,
        validators=[no_bidi_controls],
        help_text=_("The notice this schedule comes from, e.g. 国办发明电〔2026〕X号."),
    )


class LoanPrimeRateForm(forms.ModelForm):
    class Meta:
        model = LoanPrimeRate
        fields = ["effective_on", "one_year_percent", "source"]
        widgets = {"effective_on": DATE}


class ChannelForm(forms.ModelForm):
    """A channel; the webhook URL and the signing secret are never shown back (they carry the
    robot's token): left empty on an edit, they stay as they were."""

    class Meta:
        model = NotificationChannel
        fields = ["name", "kind", "target", "secret", "scope", "active"]
        widgets = {
            "target": forms.TextInput(attrs={"autocomplete": "off"}),
            "secret": forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].validators.append(no_bidi_controls)
        self.editing = self.instance.pk is not None
        if self.editing:
            self.kept_target = self.instance.target
            self.kept_secret = self.instance.secret
            if self.instance.kind != NotificationChannel.Kind.EMAIL:
                self.initial["target"] = ""
                self.fields["target"].required = False
                self.fields["target"].help_text = _(
                    "Leave empty to keep the current URL (it carries the robot's token and is not shown)."
                )
            self.fields["secret"].help_text = _("Leave empty to keep the current secret, if any.")

    def clean_target(self):
        target = (self.cleaned_data.get("target") or "").strip()
        if not target and self.editing:
            return self.kept_target
        return target

    def clean_secret(self):
        secret = (self.cleaned_data.get("secret") or "").strip()
        if not secret and self.editing and self.cleaned_data.get("kind") == NotificationChannel.Kind.DINGTALK:
            return self.kept_secret
        return secret

    def clean_scope(self):
        scope = (self.cleaned_data.get("scope") or "").strip()
        known = scope == NotificationChannel.EVERY_CONTRACT or Contract.objects.filter(code=scope).exists()
        if scope and not known:
            raise forms.ValidationError(_("No contract has the code %(code)s.") % {"code": scope})
        return scope
