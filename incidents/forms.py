from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from contracts.models import Asset, Severity, SLATerm
from incidents.models import IncidentKind, IncidentSource, ServiceRecord, WorkLogEntry
from incidents.services import vendor_people
from om_portal.validators import plausible_moment

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class IncidentForm(forms.Form):
    """A new incident of one contract (its clocks start at ``reported_at``)."""

    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices, initial=Severity.GENERAL)
    kind = forms.ChoiceField(label=_("Kind"), choices=IncidentKind.choices, initial=IncidentKind.SOFTWARE)
    condition = forms.ChoiceField(label=_("SLA condition"), choices=SLATerm.Condition.choices, required=False)
    source = forms.ChoiceField(
        label=_("Source"), choices=IncidentSource.choices, initial=IncidentSource.PHONE
    )
    reported_at = forms.DateTimeField(
        label=_("Reported at"),
        widget=DATETIME,
        required=False,
        help_text=_("Leave empty for now."),
        validators=[plausible_moment],
    )
    reporter_name = forms.CharField(label=_("Reporter"), max_length=100, required=False)
    reporter_unit = forms.CharField(label=_("Reporter's unit"), max_length=200, required=False)
    asset = forms.ModelChoiceField(label=_("Asset"), queryset=Asset.objects.none(), required=False)
    needs_onsite = forms.BooleanField(label=_("Someone must go on site"), required=False)
    handlers = forms.ModelMultipleChoiceField(
        label=_("Handlers"),
        queryset=get_user_model().objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, contract, **kwargs):
        super().__init__(*args, **kwargs)
        self.contract = contract
        self.fields["asset"].queryset = contract.assets.all()
        # The vendor's engineers of this contract, as the vendor manager's assignment offers.
        self.fields["handlers"].queryset = vendor_people(contract)
        self.fields["handlers"].label_from_instance = lambda user: user.get_full_name() or user.username


class ReclassifyForm(forms.Form):
    """The client's correction of the incident's severity, kind or SLA condition."""

    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices)
    kind = forms.ChoiceField(label=_("Kind"), choices=IncidentKind.choices)
    condition = forms.ChoiceField(label=_("SLA condition"), choices=SLATerm.Condition.choices, required=False)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class AssignForm(forms.Form):
    """The vendor manager's choice of the engineers who handle an incident."""

    handlers = forms.ModelMultipleChoiceField(
        label=_("Handlers"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The vendor's engineers on this contract; none to leave the incident unassigned."),
    )
    note = forms.CharField(label=_("Note"), max_length=2000, required=False)

    def __init__(self, *args, contract, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["handlers"].queryset = vendor_people(contract)
        self.fields["handlers"].label_from_instance = lambda user: user.get_full_name() or user.username


class ResolveForm(forms.Form):
    cause = forms.CharField(label=_("Cause"), widget=forms.Textarea(attrs={"rows": 2}))
    impact = forms.CharField(label=_("Impact"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    method = forms.CharField(label=_("Method"), widget=forms.Textarea(attrs={"rows": 2}))
    result = forms.CharField(label=_("Result"), widget=forms.Textarea(attrs={"rows": 2}))


class WorkLogForm(forms.ModelForm):
    class Meta:
        model = WorkLogEntry
        fields = ["category", "date", "initiator", "handler", "handling", "feedback", "incident"]
        widgets = {"date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def __init__(self, *args, contract, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.contract = contract
        self.fields["incident"].queryset = contract.incidents.all()


class ServiceRecordForm(forms.ModelForm):
    class Meta:
        model = ServiceRecord
        fields = [
            "incident",
            "started_at",
            "ended_at",
            "place",
            "requester",
            "task",
            "work_done",
            "parts_used",
            "result",
        ]
        widgets = {"started_at": DATETIME, "ended_at": DATETIME}

    def __init__(self, *args, contract, engineer, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.contract = contract
        self.instance.engineer = engineer
        self.fields["incident"].queryset = contract.incidents.all()
        for name in ("started_at", "ended_at"):
            self.fields[name].validators.append(plausible_moment)

    def clean(self):
        data = super().clean()
        if data.get("started_at") and data.get("ended_at") and data["ended_at"] < data["started_at"]:
            self.add_error("ended_at", _("The task cannot end before it starts."))
        return data
