"""The tablet's forms: a round of a checklist, and the quick update of a ledger entry.

The round's form only carries what was entered back to the page; the rules (required items,
numbers, photos) are ``inspections.rounds.submit_round``'s, whose errors come back here keyed by
the field they belong to.
"""

from dataclasses import dataclass, field

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from contracts.models import Asset
from inspections.models import ChecklistItem
from inspections.rounds import ITEM_NOTE_MAX, NOTE_MAX, REMARK_MAX, item_key, normal_range, parse_id

Kind = ChecklistItem.Kind
PHOTO_TYPES = "image/jpeg,image/png,image/webp"
CHECK_CHOICES = [("normal", _("Normal")), ("abnormal", _("Abnormal"))]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files under one name; ``validate_photo`` judges them, not this field."""

    widget = MultipleFileInput

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(one, initial) for one in data]
        return [single(data, initial)] if data else []


def photo_input() -> MultipleFileInput:
    return MultipleFileInput(attrs={"accept": PHOTO_TYPES, "capture": "environment"})


@dataclass
class ItemRow:
    """One checklist item on the page, with what was entered and its errors."""

    item: ChecklistItem
    name: str
    value: object = None
    note: str = ""
    incident: str = ""
    errors: list = field(default_factory=list)

    @property
    def normal_range(self) -> str:
        return normal_range(self.item)

    @property
    def incident_id(self) -> int | None:
        # Only a number makes a link: the hidden input comes back as the browser sent it.
        return parse_id(self.incident)


class RoundForm(forms.Form):
    note = forms.CharField(label=_("Notes"), required=False, max_length=NOTE_MAX, widget=forms.Textarea)
    photos = MultipleFileField(label=_("Photos of the round"), required=False, widget=photo_input())
    # Set by the tablet's script (static/js/offline.js); a plain form post sends neither.
    client_id = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)
    device_at = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)

    def __init__(self, *args, items=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.items = list(items)
        for item in self.items:
            name = item_key(item)
            if item.kind == Kind.CHECK:
                self.fields[name] = forms.ChoiceField(choices=CHECK_CHOICES, required=False)
            elif item.kind == Kind.NUMBER:
                # Text, not a number field: submit_round parses it and says why "abc" is not one.
                self.fields[name] = forms.CharField(required=False, max_length=50)
            elif item.kind == Kind.TEXT:
                self.fields[name] = forms.CharField(required=False, widget=forms.Textarea)
            else:
                self.fields[name] = MultipleFileField(required=False, widget=photo_input())
            self.fields[f"{name}-note"] = forms.CharField(required=False, max_length=ITEM_NOTE_MAX)
            self.fields[f"{name}-incident"] = forms.CharField(
                required=False, max_length=20, widget=forms.HiddenInput
            )
            self.fields[f"{name}-entered_at"] = forms.CharField(
                required=False, max_length=40, widget=forms.HiddenInput
            )
            self.fields[f"{name}-open_incident"] = forms.BooleanField(
                required=False, widget=forms.HiddenInput
            )

    def answers(self) -> dict:
        data = self.cleaned_data
        answers = {}
        for item in self.items:
            name = item_key(item)
            answers[item.pk] = {
                "value": None if item.kind == Kind.PHOTO else data.get(name),
                "note": data.get(f"{name}-note", ""),
                "incident": data.get(f"{name}-incident", ""),
                "entered_at": data.get(f"{name}-entered_at", ""),
                "open_incident": bool(data.get(f"{name}-open_incident")),
            }
        return answers

    def photos_by_item(self) -> dict:
        photos = {None: self.cleaned_data.get("photos") or []}
        for item in self.items:
            if item.kind == Kind.PHOTO:
                photos[item.pk] = self.cleaned_data.get(item_key(item)) or []
        return photos

    def apply_errors(self, error: ValidationError) -> None:
        """Put a service's errors next to the fields they name; the rest above the form."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for key, messages in error.message_dict.items():
            self.add_error(key if key in self.fields else None, messages)
        # add_error drops a field from cleaned_data; the page still shows what was entered.

    def sections(self) -> list[tuple[str, list[ItemRow]]]:
        """The items grouped by section, in checklist order, each with what was entered."""
        groups: dict[str, list[ItemRow]] = {}
        for item in self.items:
            name = item_key(item)
            bound = self.data if self.is_bound else {}
            row = ItemRow(
                item=item,
                name=name,
                value=bound.get(name, "") if item.kind != Kind.PHOTO else None,
                note=bound.get(f"{name}-note", ""),
                incident=bound.get(f"{name}-incident", ""),
                errors=[
                    *self.errors.get(name, []),
                    *self.errors.get(f"{name}-note", []),
                    *self.errors.get(f"{name}-incident", []),
                    *self.errors.get(f"{name}-entered_at", []),
                ],
            )
            groups.setdefault(item.section, []).append(row)
        return list(groups.items())


class AssetUpdateForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Asset.Status.choices)
    remark = forms.CharField(label=_("Remark"), required=False, max_length=REMARK_MAX)
