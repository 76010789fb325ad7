"""What an engineer ticks off on a round: checklist templates and their items.

A contract has its templates (seed 000: one item per function of its function list; seed 003:
the machine-room round), each under a key that inspection schedules name in ``checklist_kind``.
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from contracts.models import Asset, Contract
from contracts.scoping import RestrictedQuerySet
from om_portal.validators import no_bidi_controls

__all__ = ["ChecklistItem", "ChecklistTemplate"]


class ChecklistTemplate(models.Model):
    contract = models.ForeignKey(
        Contract, on_delete=models.CASCADE, related_name="checklist_templates", verbose_name=_("contract")
    )
    key = models.SlugField(
        _("key"), max_length=50, help_text=_("Schedules pick the checklist by this key, e.g. “machine-room”.")
    )
    name = models.CharField(_("name"), max_length=200, validators=[no_bidi_controls])
    description = models.TextField(_("description"), blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    scope_path = "contract"
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["contract", "name"]
        verbose_name = _("checklist")
        verbose_name_plural = _("checklists")
        constraints = [
            models.UniqueConstraint(fields=["contract", "key"], name="checklist_template_unique_key"),
        ]

    def __str__(self):
        return f"{self.contract.code} · {self.name}"


class ChecklistItem(models.Model):
    """One line of a checklist. Its kind says what the engineer records and when it is abnormal:
    a tick that says "abnormal", a number outside its thresholds; a text is never abnormal by
    itself, and a photo item needs at least one photo when required."""

    class Kind(models.TextChoices):
        CHECK = "check", _("Normal / abnormal")
        NUMBER = "number", _("A number with thresholds")
        TEXT = "text", _("A text")
        PHOTO = "photo", _("A photo")

    template = models.ForeignKey(
        ChecklistTemplate, on_delete=models.CASCADE, related_name="items", verbose_name=_("checklist")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    section = models.CharField(_("section"), max_length=100, blank=True, help_text=_("e.g. “Machine room”"))
    label = models.CharField(_("item"), max_length=300)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.CHECK)
    unit = models.CharField(_("unit"), max_length=20, blank=True, help_text=_("e.g. “°C”, “%”"))
    min_value = models.DecimalField(
        _("lowest normal value"), max_digits=12, decimal_places=3, null=True, blank=True
    )
    max_value = models.DecimalField(
        _("highest normal value"), max_digits=12, decimal_places=3, null=True, blank=True
    )
    required = models.BooleanField(_("required"), default=True)
    # The ledger asset this item inspects: an abnormal item opens its incident against it.
    asset = models.ForeignKey(
        Asset, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("asset")
    )
    guidance = models.TextField(_("how to check"), blank=True)

    # What the portal's item formset and the API let a manager write.
    EDITABLE_FIELDS = ["position", "section", "label", "kind", "unit", "min_value", "max_value", "required",
                       "asset", "guidance"]  # fmt: skip

    scope_path = "template__contract"
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["template", "position", "id"]
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist items")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind="number") | models.Q(min_value__isnull=True, max_value__isnull=True),
                name="checklist_item_thresholds_for_numbers",
            ),
            models.CheckConstraint(
                condition=models.Q(min_value__isnull=True)
                | models.Q(max_value__isnull=True)
                | models.Q(min_value__lte=models.F("max_value")),
                name="checklist_item_min_below_max",
            ),
        ]

    def __str__(self):
        return self.label

    def clean(self):
        errors = {}
        if self.kind != self.Kind.NUMBER:
            for field in ("min_value", "max_value"):
                if getattr(self, field) is not None:
                    errors[field] = _("Thresholds apply to number items only.")
        elif self.min_value is not None and self.max_value is not None and self.min_value > self.max_value:
            errors["max_value"] = _("The highest normal value is below the lowest.")
        if self.asset_id and self.template_id and self.asset.contract_id != self.template.contract_id:
            errors["asset"] = _("The asset belongs to another contract.")
        if errors:
            raise ValidationError(errors)

    def is_abnormal(self, *, passed: bool | None = None, number: Decimal | None = None) -> bool:
        if self.kind == self.Kind.CHECK:
            return passed is False
        if self.kind == self.Kind.NUMBER and number is not None:
            return (self.min_value is not None and number < self.min_value) or (
                self.max_value is not None and number > self.max_value
            )
        return False
