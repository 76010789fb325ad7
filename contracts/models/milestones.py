from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from contracts.models.contract import DAYS, MONEY, PERCENT, Contract
from contracts.scoping import RestrictedQuerySet
from om_portal.validators import no_bidi_controls, plausible_date


class Milestone(models.Model):
    """A payment due when something happens, after an offset in calendar or working days.

    Seed 001: ¥2,670,060 within 30 working days of taking effect; seed 002: the whole sum within
    the 90 days before the term ends (trigger "before term end", offset 90).
    """

    class Trigger(models.TextChoices):
        SIGNING = "signing", _("Signing")
        EFFECTIVE = "effective", _("Taking effect")
        INITIAL_ACCEPTANCE = "initial_acceptance", _("Initial acceptance")
        FINAL_ACCEPTANCE = "final_acceptance", _("Final acceptance")
        TERM_END = "term_end", _("End of the term")
        BEFORE_TERM_END = "before_term_end", _("Before the end of the term")

    class OffsetUnit(models.TextChoices):
        CALENDAR_DAYS = "calendar_days", _("calendar days")
        WORKING_DAYS = "working_days", _("working days")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DUE = "due", _("Due")
        INVOICED = "invoiced", _("Invoiced")
        PAID = "paid", _("Paid")

    contract = models.ForeignKey(
        Contract, on_delete=models.CASCADE, related_name="milestones", verbose_name=_("contract")
    )
    name = models.CharField(_("name"), max_length=200, validators=[no_bidi_controls])
    amount = models.DecimalField(
        _("amount (yuan)"), **MONEY, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    percent = models.DecimalField(_("share of the total (%)"), null=True, blank=True, **PERCENT)
    trigger = models.CharField(_("trigger"), max_length=20, choices=Trigger.choices)
    # When the trigger happened, for triggers that are events (acceptance); signing, taking
    # effect and the term's end come from the contract.
    trigger_date = models.DateField(_("trigger date"), null=True, blank=True, validators=[plausible_date])
    offset = models.PositiveIntegerField(_("offset"), default=0, validators=DAYS)
    offset_unit = models.CharField(
        _("offset unit"), max_length=13, choices=OffsetUnit.choices, default=OffsetUnit.CALENDAR_DAYS
    )
    due_on = models.DateField(_("due on"), null=True, blank=True, editable=False)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.PENDING)
    paid_on = models.DateField(_("paid on"), null=True, blank=True, validators=[plausible_date])
    # Penalties deducted from this payment (seed 001 allows deducting them from unpaid amounts).
    deduction = models.DecimalField(
        _("penalty deducted"), **MONEY, default=Decimal(0), validators=[MinValueValidator(0)]
    )
    position = models.PositiveIntegerField(_("position"), default=0)

    scope_path = "contract"
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["contract", "position", "id"]
        verbose_name = _("payment milestone")
        verbose_name_plural = _("payment milestones")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__isnull=False) | models.Q(percent__isnull=False),
                name="milestone_has_amount_or_percent",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="paid") | models.Q(paid_on__isnull=False),
                name="milestone_paid_has_date",
            ),
        ]
        indexes = [
            # The dashboard's upcoming payments: unpaid milestones by due date.
            models.Index(fields=["status", "due_on"], name="milestone_status_due_idx"),
        ]

    def __str__(self):
        return f"{self.contract.code} · {self.name}"

    @property
    def value(self) -> Decimal:
        """The amount in yuan, from the percentage of the total where no amount is given."""
        if self.amount is not None:
            return self.amount
        return (self.contract.total * self.percent / 100).quantize(Decimal("0.01"))

    @property
    def payable(self) -> Decimal:
        """What the client still pays: a deduction never takes it below zero (the rest of a
        penalty stays with the bond or a claim)."""
        return max(Decimal("0.00"), self.value - self.deduction)

    def clean(self):
        from django.core.exceptions import ValidationError

        has_value = self.amount is not None or self.percent is not None
        if self.deduction and has_value and self.contract_id and self.deduction > self.value:
            raise ValidationError(
                {
                    "deduction": _("A deduction cannot exceed the payment (%(value)s).")
                    % {"value": f"¥{self.value:,.2f}"}
                }
            )
