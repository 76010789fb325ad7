"""The forms of the pages that manage a contract's inspections.

Each form edits one model of ``inspections.models`` for one contract, which is given, never
chosen. The models' own ``clean()`` stays the judge of what is valid; the forms turn what people
type (times as "08:00, 13:00", hours as "2", one typed box per option of an automated check)
into the stored shapes and put the models' errors next to the box they are about.
"""

import datetime as dt
import ipaddress
import json
import re
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from contracts.models import Contract
from contracts.scoping import MANAGE_INSPECTIONS, is_administrator
from inspections import targets
from inspections.models import (
    AllowedNetwork,
    AutomatedCheck,
    ChecklistItem,
    ChecklistTemplate,
    HeightenedPeriod,
    InspectionSchedule,
    ItemResult,
)
from inspections.models.checks import OPTIONS
from inspections.probes import kinds as probe_kinds
from inspections.probes.kinds import Option

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TEXTAREA = forms.Textarea(attrs={"rows": 3})

# People type times with ASCII or full-width punctuation, and "8:00" for "08:00".
_TIME_SEPARATORS = re.compile(r"[\s,，、;；]+")
_LOOSE_TIME = re.compile(r"(\d{1,2})[:：](\d{2})")


class TimesOfDayField(forms.CharField):
    """ "08:00, 13:00 19:00" ⇄ ["08:00", "13:00", "19:00"]. Anything that is not a time is passed
    on as typed, so that the model's validator names it in its message."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)  # the models say per kind how many are needed
        kwargs.setdefault("widget", forms.TextInput(attrs={"placeholder": "08:00, 13:00, 19:00"}))
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return ", ".join(str(item) for item in value)
        return value

    def to_python(self, value):
        text = super().to_python(value)
        times = []
        for token in filter(None, _TIME_SEPARATORS.split(text)):
            match = _LOOSE_TIME.fullmatch(token)
            times.append(f"{int(match[1]):02d}:{match[2]}" if match else token)
        return times

    def has_changed(self, initial, data):
        return self.prepare_value(initial or []) != self.prepare_value(self.to_python(data))


class HoursField(forms.DecimalField):
    """A duration typed in hours ("2", "0.5"), stored as a timedelta."""

    def __init__(self, **kwargs):
        super().__init__(
            max_digits=6, decimal_places=2, min_value=Decimal("0.01"), max_value=Decimal("2400"), **kwargs
        )

    def prepare_value(self, value):
        if isinstance(value, dt.timedelta):
            hours = Decimal(value.total_seconds()) / 3600
            return f"{hours.quantize(Decimal('0.01')).normalize():f}"
        return value

    def clean(self, value):
        hours = super().clean(value)
        return None if hours is None else dt.timedelta(seconds=int(hours * 3600))

    def has_changed(self, initial, data):
        return str(self.prepare_value(initial) or "") != str(data or "")


def show_model_defaults(form, fields=("times_of_day", "grace")):
    """A model form made without an instance shows its model's defaults only in the boxes it
    generated itself: the ones declared here are filled in from a fresh instance."""
    if form.instance.pk is None:
        for name in fields:
            form.initial.setdefault(name, getattr(form.instance, name))


class ContractPartForm(forms.ModelForm):
    """A model form for a contract's own object: the contract is set before validation, so that
    the model's clean() can use it, and names unique per contract are checked as form errors."""

    unique_per_contract: dict[str, str] = {}

    def __init__(self, *args, contract: Contract, **kwargs):
        super().__init__(*args, **kwargs)
        self.contract = contract
        self.instance.contract = contract

    def clean(self):
        data = super().clean()
        model = type(self.instance)
        for field, message in self.unique_per_contract.items():
            value = data.get(field)
            if not value:
                continue
            taken = model.objects.filter(contract=self.contract, **{field: value})
            if self.instance.pk:
                taken = taken.exclude(pk=self.instance.pk)
            if taken.exists():
                self.add_error(field, message)
        return data


# --- Schedules ----------------------------------------------------------------------------------

Kind = InspectionSchedule.Kind
# The fields that only some kinds of schedule use; for any other kind they are cleared, so that
# switching a weekly schedule to daily does not trip over its old weekday.
KIND_FIELDS = {
    "weekday": {Kind.WEEKLY},
    "day_of_month": set(InspectionSchedule.DAY_OF_MONTH_KINDS),
    "nth_working_day": {Kind.MONTHLY_WORKING_DAY},
}


class ScheduleForm(ContractPartForm):
    unique_per_contract = {"name": _("Another schedule of this contract has this name.")}

    times_of_day = TimesOfDayField(
        label=_("Times of day"),
        help_text=_(
            "Beijing time, separated by commas or spaces, e.g. “08:00, 13:00”; "
            "several only for “several times a day”."
        ),
    )
    grace = HoursField(
        label=_("Hours to do it"),
        required=False,
        help_text=_("Blank: until the next slot. Not used by “N-th working day” schedules."),
    )
    checklist_kind = forms.ChoiceField(label=_("Checklist"), required=False)

    class Meta:
        model = InspectionSchedule
        fields = [
            "name",
            "kind",
            "mode",
            "times_of_day",
            "weekday",
            "day_of_month",
            "nth_working_day",
            "grace",
            "checklist_kind",
            "what",
            "active",
        ]
        widgets = {"what": TEXTAREA}
        help_texts = {
            "weekday": _("Weekly schedules only."),
            "day_of_month": _(
                "Monthly, quarterly and half-yearly schedules only; a day the month lacks means its last day."
            ),
            # Seed 001 asks for its monthly round by the 5th working day: the example a person needs.
            "nth_working_day": _(
                "“By the N-th working day” schedules only: 5 means by the 5th working day of the month."
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        show_model_defaults(self)
        checklists = ChecklistTemplate.objects.filter(contract=self.contract, active=True)
        choices = [("", _("— none: say what is inspected —"))]
        choices += [(t.key, f"{t.name} ({t.key})") for t in checklists]
        current = self.instance.checklist_kind
        if current and current not in {key for key, _label in choices}:
            choices.append((current, _("%(key)s (no active checklist)") % {"key": current}))
        self.fields["checklist_kind"].choices = choices

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        for field, kinds in KIND_FIELDS.items():
            if kind and kind not in kinds:
                data[field] = None
        return data


# --- Heightened periods ---------------------------------------------------------------------------


class PeriodForm(forms.ModelForm):
    """A heightened period, listing only contracts the user may manage the inspections of."""

    times_of_day = TimesOfDayField(
        label=_("Times of day"),
        help_text=_("Beijing time, e.g. “08:00, 13:00, 19:00”."),  # seed 000's heightened rounds
    )
    grace = HoursField(label=_("Hours to do each round"))

    class Meta:
        model = HeightenedPeriod
        fields = ["name", "starts_on", "ends_on", "contracts", "times_of_day", "grace", "note"]
        widgets = {
            "starts_on": DATE,
            "ends_on": DATE,
            "contracts": forms.CheckboxSelectMultiple,
            "note": TEXTAREA,
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        show_model_defaults(self)
        # A contract the user may not manage is not a valid choice: posting its id is a form error.
        self.fields["contracts"].queryset = Contract.objects.restrict(user, MANAGE_INSPECTIONS).order_by(
            "code"
        )
        self.fields["contracts"].label_from_instance = lambda c: f"{c.code} · {c.title}"


# --- Checklists ---------------------------------------------------------------------------------


class ChecklistForm(ContractPartForm):
    unique_per_contract = {"key": _("Another checklist of this contract has this key.")}

    class Meta:
        model = ChecklistTemplate
        fields = ["key", "name", "description", "active"]
        widgets = {"description": TEXTAREA}


class ChecklistItemForm(forms.ModelForm):
    class Meta:
        model = ChecklistItem
        fields = ChecklistItem.EDITABLE_FIELDS
        widgets = {"guidance": forms.Textarea(attrs={"rows": 2})}
        help_texts = {"min_value": _("Numbers only."), "max_value": _("Numbers only.")}


class BaseItemFormSet(forms.BaseInlineFormSet):
    """The items of one checklist: an item answered in a past round cannot be removed (the round
    keeps it), and the assets offered are the contract's."""

    def __init__(self, *args, contract: Contract, **kwargs):
        self.contract = contract
        super().__init__(*args, **kwargs)

    def add_fields(self, form, index):
        super().add_fields(form, index)
        form.fields["asset"].queryset = self.contract.assets.order_by("kind", "name")

    def clean(self):
        super().clean()
        removed = [f.instance.pk for f in self.deleted_forms if f.instance.pk]
        answered = set(
            ItemResult.objects.filter(item__in=removed).values_list("item_id", flat=True).distinct()
        )
        # An error on a deleted form would not count (Django skips them): it goes above the items.
        problems = [
            _(
                "“%(item)s” was answered in past rounds and stays with them: it cannot be removed. "
                "Deactivate this checklist and make a new one to drop it."
            )
            % {"item": form.instance.label}
            for form in self.deleted_forms
            if form.instance.pk in answered
        ]
        if problems:
            raise ValidationError(problems)

    def save_in_order(self):
        """Save the items, then number them 1, 2, 3… in the order of the positions given."""
        self.save()
        items = sorted(self.instance.items.all(), key=lambda item: (item.position, item.pk))
        for number, item in enumerate(items, start=1):
            item.position = number
        ChecklistItem.objects.bulk_update(items, ["position"])


ItemFormSet = forms.inlineformset_factory(
    ChecklistTemplate,
    ChecklistItem,
    form=ChecklistItemForm,
    formset=BaseItemFormSet,
    extra=3,
    can_delete=True,
)


def item_formset(template: ChecklistTemplate, contract: Contract, data=None) -> BaseItemFormSet:
    """The items' formset; its blank rows come numbered after the last item."""
    last = max((item.position for item in template.items.all()), default=0) if template.pk else 0
    initial = [{"position": last + n} for n in range(1, ItemFormSet.extra + 1)]
    return ItemFormSet(data, instance=template, contract=contract, prefix="items", initial=initial)


# --- Automated checks ---------------------------------------------------------------------------


class NetworkForm(ContractPartForm):
    """A network the contract's checks may reach (the client side's, inspections.targets)."""

    class Meta:
        model = AllowedNetwork
        fields = ["network", "note"]

    def clean(self):
        data = super().clean()
        # The model's clean() writes the network as stored: 10.2.0.1/16 is 10.2.0.0/16.
        try:
            network = str(ipaddress.ip_network((data.get("network") or "").strip(), strict=False))
        except ValueError:
            return data
        if AllowedNetwork.objects.filter(contract=self.contract, network=network).exists():
            self.add_error("network", _("This network is allowed already."))
        return data


CheckKind = AutomatedCheck.Kind


def _json_scalar(text: str):
    """The value a JSON path must hold: JSON when it reads as a JSON scalar (200, true, null,
    "200"), else the text as typed (UP)."""
    try:
        value = json.loads(text)
    except ValueError:
        return text
    return value if isinstance(value, str | int | float | bool | type(None)) else text


def _json_scalar_text(value) -> str:
    if isinstance(value, str) and _json_scalar(value) == value:
        return value
    return json.dumps(value, ensure_ascii=False)


def _option_field(option: Option) -> forms.Field:
    """The form's box for one option of a kind (inspections.probes.kinds): its label and help
    are the kind's msgids, translated when shown."""
    common = {"label": _(option.label), "required": False}
    if option.help:
        common["help_text"] = _(option.help)
    bounds = [MinValueValidator(option.minimum)] if option.minimum is not None else []
    bounds += [MaxValueValidator(option.maximum)] if option.maximum is not None else []
    if option.field == "int":
        return forms.IntegerField(min_value=option.minimum, max_value=option.maximum, **common)
    if option.field == "float":
        return forms.FloatField(validators=bounds, **common)
    if option.field == "bool":
        return forms.BooleanField(**common)
    if option.field == "choice":
        blank = [("", _(option.blank_choice))] if option.blank_choice else [("", "—")]
        return forms.ChoiceField(
            choices=blank + [(value, _(label)) for value, label in option.choices], **common
        )
    if option.field == "secret":
        widget = forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"})
        return forms.CharField(max_length=option.max_length, strip=False, widget=widget, **common)
    return forms.CharField(max_length=option.max_length, **common)  # text, json_scalar


# One box per option of every kind, declared on a base so that the form lists them after its own.
_OptionFields = type(
    "_OptionFields",
    (forms.Form,),
    {name: _option_field(option) for name, option in probe_kinds.all_options().items()},
)


class CheckForm(ContractPartForm, _OptionFields):
    """An automated check: the options dict of its kind is assembled from one typed box per
    option (only the boxes of the chosen kind count); the password is write-only."""

    unique_per_contract = {"name": _("Another check of this contract has this name.")}

    new_password = forms.CharField(
        label=_("Password"),
        required=False,
        max_length=200,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )
    clear_password = forms.BooleanField(label=_("Forget the stored password"), required=False)

    class Meta:
        model = AutomatedCheck
        fields = [
            "name",
            "asset",
            "kind",
            "target",
            "port",
            "timeout",
            "severity",
            "confirm_failures",
            "confirm_recoveries",
            "active",
            "admin_allowed",
        ]
        # "target" alone is an SLA target (时限) in the portal's catalogue.
        labels = {"target": pgettext_lazy("automated check", "Target")}
        help_texts = {"timeout": _("Seconds, up to 60. Blank: the run's timeout.")}

    PASSWORD_FIELDS = ("new_password", "clear_password")
    SECRET_FIELDS = tuple(name for name, option in probe_kinds.all_options().items() if option.secret)
    OPTION_NAMES = sorted({name for names in OPTIONS.values() for name in names})

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Only an administrator lets a check reach internal addresses (inspections.targets).
        self.by_administrator = user is not None and is_administrator(user)
        if not self.by_administrator:
            del self.fields["admin_allowed"]
        self.fields["asset"].queryset = self.contract.assets.order_by("kind", "name")
        self.fields["port"].validators += [MinValueValidator(1), MaxValueValidator(65535)]
        self.fields["timeout"].validators += [MinValueValidator(0.001), MaxValueValidator(60)]
        for name in ("confirm_failures", "confirm_recoveries"):
            self.fields[name].validators += [MinValueValidator(1), MaxValueValidator(10)]
            self.fields[name].widget.attrs.update(min=1, max=10)
        options = self.instance.options if isinstance(self.instance.options, dict) else {}
        for name, value in options.items():
            if name in self.fields:
                self.initial.setdefault(name, _json_scalar_text(value) if name == "json_value" else value)
        if self.instance.password:
            self.fields["new_password"].help_text = _("A password is stored. Blank: keep it.")
            spec = probe_kinds.get(self.instance.kind)
            for name in spec.read_secrets(self.instance.password) if spec is not None else ():
                self.fields[name].help_text = _("Stored. Blank: keep it.")
        else:
            del self.fields["clear_password"]

    def main_fields(self):
        return [self[name] for name in self.Meta.fields if name in self.fields]

    def option_groups(self):
        """The option boxes grouped by the kinds of check they apply to, titled by those kinds:
        [(title, kinds, [bound fields])]. Derived from OPTIONS, so a new kind finds its place."""
        groups: dict[tuple, list] = {}
        for name in self.fields:
            if name == "new_password":
                kinds = tuple(code for code, spec in probe_kinds.KINDS.items() if spec.password)
            elif name == "clear_password":
                kinds = tuple(
                    code for code, spec in probe_kinds.KINDS.items() if spec.password or spec.secret_names
                )
            else:
                kinds = tuple(kind for kind, names in OPTIONS.items() if name in names)
            if kinds:
                groups.setdefault(kinds, []).append(self[name])
        labels = dict(CheckKind.choices)
        return [
            (" · ".join(str(labels[k]) for k in kinds), kinds, fields) for kinds, fields in groups.items()
        ]

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind not in OPTIONS:
            return data
        spec = probe_kinds.get(kind)
        options = {}
        for option in spec.options:
            value = data.get(option.name)
            # 0 is a threshold ("no network errors"); an unticked box and an empty one are not.
            if value is None or value == "" or value is False:
                continue
            options[option.name] = _json_scalar(value) if option.field == "json_scalar" else value
        for name in spec.required:
            if not options.get(name):
                self.add_error(name, _("A database check needs it."))
        # The secret boxes: typed ones replace the stored ones (the model moves them out of the
        # options into the password column); blank ones keep them.
        self.instance.options = options
        # The administrator's allowance was given to the target as it was: another's edit of
        # where the check points drops it.
        retargeting = {*targets.TARGET_FIELDS, *self.OPTION_NAMES, *self.PASSWORD_FIELDS, *self.SECRET_FIELDS}
        if self.instance.admin_allowed and not self.by_administrator and retargeting & set(self.changed_data):
            self.instance.admin_allowed = False
        # Only a database check logs in, only a kind with secrets keeps them; another keeps none.
        if not (spec.password or spec.secret_names) or data.get("clear_password"):
            self.instance.password = ""
        elif self.instance.pk and kind != self.instance.kind:
            self.instance.password = ""  # another kind's password or secrets mean nothing here
        if spec.password and data.get("new_password"):
            self.instance.password = data["new_password"]
        return data

    def add_error(self, field, error):
        # The model reports any bad option under "options", which is no box of this form: put
        # the message on the box of the option it names, or above the form.
        if (
            isinstance(error, ValidationError)
            and hasattr(error, "error_dict")
            and "options" in error.error_dict
        ):
            rest = {key: value for key, value in error.error_dict.items() if key != "options"}
            for problem in error.error_dict["options"]:
                super().add_error(self._option_field(" ".join(problem.messages)), problem)
            if not rest:
                return
            error = ValidationError(rest)
        super().add_error(field, error)

    def _option_field(self, message: str) -> str | None:
        for name in sorted(self.OPTION_NAMES, key=len, reverse=True):
            if name in message and name in self.fields:
                return name
        return None
