from django import forms
from django.utils.translation import gettext_lazy as _

from contracts.models import (
    Asset,
    Contract,
    DutyShift,
    Milestone,
    Organization,
    PenaltyClause,
    ServiceItem,
    SLATerm,
    StaffAssignment,
    StaffPost,
)
from contracts.scoping import contract_clients
from om_portal.validators import plausible_moment

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class ContractForm(forms.ModelForm):
    class Meta:
        model = Contract
        fields = [
            "title",
            "status",
            "signed_on",
            "starts_on",
            "ends_on",
            "total",
            "acceptance_method",
            "penalty_cap_percent",
            "sla_warning_percent",
            "business_day_starts",
            "business_day_ends",
            "onsite_on_non_working_days",
            "key_staff_change_needs_consent",
            "notes",
        ]
        widgets = {
            "signed_on": DATE,
            "starts_on": DATE,
            "ends_on": DATE,
            "business_day_starts": TIME,
            "business_day_ends": TIME,
        }

    def clean(self):
        data = super().clean()
        starts, ends = data.get("business_day_starts"), data.get("business_day_ends")
        if starts and ends and ends <= starts:
            self.add_error("business_day_ends", _("The business day must end after it starts."))
        return data


class NewContractForm(ContractForm):
    """A new contract: its code and parties, then the same terms as ContractForm."""

    RESERVED_CODES = {"add", "intake"}  # the portal's own paths under /contracts/

    class Meta(ContractForm.Meta):
        fields = ["code", "client", "vendor", *ContractForm.Meta.fields]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = contract_clients(user)
        self.fields["vendor"].queryset = Organization.objects.filter(kind=Organization.Kind.VENDOR)

    def clean_code(self):
        code = self.cleaned_data["code"]
        if code.lower() in self.RESERVED_CODES:
            raise forms.ValidationError(_("This code is reserved; choose another."))
        return code


class ContractChildForm(forms.ModelForm):
    """A form for a contract's part: the contract is given, never chosen, and is set before
    validation so that constraints naming it (unique per contract) are checked as form errors."""

    def __init__(self, *args, contract, **kwargs):
        super().__init__(*args, **kwargs)
        self.contract = contract
        if hasattr(self.instance, "contract_id"):
            self.instance.contract = contract
        for name in ("penalty_clause", "post"):
            if name in self.fields:
                related = {"penalty_clause": contract.penalty_clauses, "post": contract.staff_posts}[name]
                self.fields[name].queryset = related.all()


class ServiceItemForm(ContractChildForm):
    class Meta:
        model = ServiceItem
        fields = ["category", "name", "description", "quantity", "unit", "unit_price", "amount", "position"]


class SLATermForm(ContractChildForm):
    class Meta:
        model = SLATerm
        fields = ["clock", "severity", "condition", "target", "unit", "coverage", "penalty_clause", "note"]


class MilestoneForm(ContractChildForm):
    class Meta:
        model = Milestone
        fields = [
            "name",
            "amount",
            "percent",
            "trigger",
            "trigger_date",
            "offset",
            "offset_unit",
            "status",
            "paid_on",
            "position",
        ]
        widgets = {"trigger_date": DATE, "paid_on": DATE}

    def clean(self):
        data = super().clean()
        if data.get("amount") is None and data.get("percent") is None:
            self.add_error("amount", _("Give an amount or a share of the total."))
        if data.get("status") == Milestone.Status.PAID and not data.get("paid_on"):
            self.add_error("paid_on", _("A paid milestone needs the date it was paid."))
        return data


class StaffPostForm(ContractChildForm):
    class Meta:
        model = StaffPost
        fields = ["name", "shift", "headcount", "place"]


class StaffAssignmentForm(ContractChildForm):
    class Meta:
        model = StaffAssignment
        fields = ["post", "person", "role", "starts_on", "ends_on"]
        widgets = {"starts_on": DATE, "ends_on": DATE}

    def clean(self):
        cleaned = super().clean()
        from contracts.services import check_key_staff_change

        try:
            check_key_staff_change(
                self.contract,
                role=cleaned.get("role", ""),
                person=cleaned.get("person", ""),
                instance=self.instance,
            )
        except forms.ValidationError as error:
            # The form has no consent field: the message says to record a replacement.
            raise forms.ValidationError(error.message_dict["client_consent"]) from error
        return cleaned


class AssetForm(ContractChildForm):
    class Meta:
        model = Asset
        fields = [
            "kind",
            "name",
            "system",
            "security_zone",
            "host",
            "port",
            "url",
            "os_version",
            "quantity",
            "status",
            "warranty_ends_on",
            "attributes",
        ]
        widgets = {"warranty_ends_on": DATE, "attributes": forms.Textarea(attrs={"rows": 3})}


class ReplacementForm(forms.Form):
    person = forms.CharField(label=_("New person"), max_length=100)
    on = forms.DateField(label=_("From"), widget=DATE)
    reason = forms.CharField(label=_("Reason"), max_length=300)
    client_consent = forms.BooleanField(label=_("The client consented"), required=False)
    consent_note = forms.CharField(label=_("Consent (by whom, document)"), max_length=300, required=False)


class DutyShiftForm(ContractChildForm):
    class Meta:
        model = DutyShift
        fields = ["date", "person", "post", "starts_at", "ends_at", "on_site", "occasion", "phone", "note"]
        widgets = {"date": DATE, "starts_at": TIME, "ends_at": TIME}


class PenaltyClauseForm(ContractChildForm):
    class Meta:
        model = PenaltyClause
        fields = [
            "kind",
            "title",
            "text",
            "party",
            "shape",
            "base",
            "rate_percent",
            "cap_percent",
            "escalation_at",
            "escalation_percent",
            "escalation_mode",
            "threshold_count",
            "termination_after_days",
            "termination_at_count",
            "rate_source",
        ]

    def clean(self):
        from django.core.exceptions import ValidationError

        from contracts.penalties import check_clause

        data = super().clean()
        probe = PenaltyClause(
            contract=self.contract, **{k: v for k, v in data.items() if k in self.Meta.fields}
        )
        try:
            check_clause(probe)
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                self.add_error(field if field in self.fields else None, messages)
        return data


class BreachForm(forms.Form):
    """A breach entered by hand (source "manual") against one of the contract's clauses."""

    clause = forms.ModelChoiceField(label=_("Clause"), queryset=PenaltyClause.objects.none())
    occurred_at = forms.DateTimeField(
        label=_("Occurred at"),
        validators=[plausible_moment],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    days_late = forms.IntegerField(label=_("Days late"), min_value=0, required=False)
    overdue_amount = forms.DecimalField(
        label=_("Overdue amount"), min_value=0, decimal_places=2, required=False
    )
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args, contract, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["clause"].queryset = contract.penalty_clauses.all()


class WaiveForm(forms.Form):
    reason = forms.CharField(label=_("Reason for waiving"), widget=forms.Textarea(attrs={"rows": 3}))
