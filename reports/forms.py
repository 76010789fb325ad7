from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from om_portal.validators import plausible_date
from reports import kinds, periods
from reports.models import ReportKind
from reports.services import NARRATIVE_MAX_CHARS


class NewReportForm(forms.Form):
    """A report on demand: the kind and any day of the period; the period follows from them."""

    contract = forms.ChoiceField(label=gettext_lazy("Contract"))
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=ReportKind.choices)
    day = forms.DateField(
        label=gettext_lazy("A day in the period"),
        widget=forms.DateInput(attrs={"type": "date"}),
        # 9999-12-31's period ends past the calendar: a 500 (found by tests/fuzz/test_form_fuzz.py).
        validators=[plausible_date],
    )

    def __init__(self, *args, contracts, **kwargs):
        super().__init__(*args, **kwargs)
        self.contracts = {c.code: c for c in contracts}
        self.fields["contract"].choices = [(c.code, f"{c.code} {c.title}") for c in contracts]
        self.fields["day"].initial = timezone.localdate()

    def clean(self):
        data = super().clean()
        contract = self.contracts.get(data.get("contract"))
        if contract and data.get("kind") and data.get("day"):
            period = periods.period_of(contract, data["kind"], data["day"])
            if period is None:
                self.add_error("day", _("This day is outside the contract's term."))
            else:
                data["contract"], (data["period_start"], data["period_end"]) = contract, period
        return data


class NarrativeForm(forms.Form):
    """The vendor's sections of one kind of report, as plain text."""

    def __init__(self, *args, kind, **kwargs):
        super().__init__(*args, **kwargs)
        for key, heading in kinds.get(kind).narrative:
            self.fields[key] = forms.CharField(
                label=heading,
                required=False,
                max_length=NARRATIVE_MAX_CHARS,
                widget=forms.Textarea(attrs={"rows": 5}),
                strip=True,
            )


class CommentForm(forms.Form):
    comment = forms.CharField(
        label=gettext_lazy("Comments"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
