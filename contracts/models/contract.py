import datetime as dt
from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contracts.scoping import RestrictedQuerySet
from identity.models import Organization
from om_portal.validators import no_bidi_controls

MONEY = {"max_digits": 14, "decimal_places": 2}
PERCENT = {
    "max_digits": 7,
    "decimal_places": 4,
    "validators": [MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
}
# A count of days someone enters (an offset, a delay): ten years, longer than any term. Unbounded,
# 2,147,483,647 days fit the column but not a date, and the due date computed from it was a 500
# after the value was saved (issue 14).
MAX_DAYS = 3660
DAYS = [MaxValueValidator(MAX_DAYS)]


CODE_FIXED = _("Once a contract is active its code is fixed: the audit trail and documents refer to it.")


def code_is_fixed(contract) -> bool:
    """Whether ``contract`` (unsaved changes in hand) changes the code of a contract that is
    active, ended or terminated as stored: only a draft's code may still change."""
    if contract.pk is None:
        return False
    stored = type(contract).objects.filter(pk=contract.pk).values_list("code", "status").first()
    return stored is not None and stored[1] != Contract.Status.DRAFT and stored[0] != contract.code


class Contract(models.Model):
    """An O&M contract between a client bureau and a vendor; its code is its public key."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ACTIVE = "active", _("Active")
        ENDED = "ended", _("Ended")
        TERMINATED = "terminated", _("Terminated")

    class Acceptance(models.TextChoices):
        ONE_TIME = "one_time", _("One-time, at the end of the term")
        PERIODIC = "periodic", _("Periodic (e.g. quarterly)")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    title = models.CharField(_("title"), max_length=300, validators=[no_bidi_controls])
    client = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        related_name="client_contracts",
        limit_choices_to={"kind": Organization.Kind.CLIENT},
        verbose_name=_("client"),
    )
    vendor = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        related_name="vendor_contracts",
        limit_choices_to={"kind": Organization.Kind.VENDOR},
        verbose_name=_("vendor"),
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.DRAFT)
    signed_on = models.DateField(_("signed on"), null=True, blank=True)
    starts_on = models.DateField(_("starts on"), null=True, blank=True)
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    total = models.DecimalField(
        _("total (yuan)"), **MONEY, default=Decimal(0), validators=[MinValueValidator(0)]
    )
    acceptance_method = models.CharField(
        _("acceptance"), max_length=10, choices=Acceptance.choices, default=Acceptance.ONE_TIME
    )
    # All penalties together never exceed this share of the total (seed 001: 30%).
    penalty_cap_percent = models.DecimalField(_("cap on all penalties (%)"), null=True, blank=True, **PERCENT)
    # The SLA checker warns when this share of a target's time has passed (default 80%).
    sla_warning_percent = models.PositiveIntegerField(
        # xgettext:no-python-format
        _("warn at (% of an SLA target)"),
        default=80,
        validators=[MinValueValidator(1), MaxValueValidator(99)],
    )
    # The business hours that SLA terms under 5×8 / 7×8 coverage count in.
    business_day_starts = models.TimeField(_("business day starts"), default=dt.time(9, 0))
    business_day_ends = models.TimeField(_("business day ends"), default=dt.time(17, 30))
    # Seed 004: weekends, holidays and key dates need at least one engineer on site.
    onsite_on_non_working_days = models.BooleanField(_("on site on non-working days"), default=False)
    # Seed 003: the project manager and technical lead change only with the client's consent.
    key_staff_change_needs_consent = models.BooleanField(_("key staff changes need consent"), default=False)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    # The parties of a contract are the path by which scoping reaches it.
    scope_path = ""
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = [models.F("starts_on").desc(nulls_last=True), "code"]
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(client=models.F("vendor")), name="contract_parties_differ"
            ),
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True)
                | models.Q(starts_on__isnull=True)
                | models.Q(ends_on__gte=models.F("starts_on")),
                name="contract_ends_after_start",
            ),
            models.CheckConstraint(condition=models.Q(total__gte=0), name="contract_total_not_negative"),
            models.CheckConstraint(
                condition=models.Q(business_day_ends__gt=models.F("business_day_starts")),
                name="contract_business_day_ends_after_start",
            ),
        ]
        indexes = [
            # The contract list's "ending soon" filter and the calendar check over active terms.
            models.Index(fields=["status", "ends_on"], name="contract_status_ends_idx"),
        ]

    def __str__(self):
        return f"{self.code} {self.title}"

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("contracts:detail", kwargs={"code": self.code})

    def clean(self):
        from django.core.exceptions import ValidationError

        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": _("The term cannot end before it starts.")})
        if code_is_fixed(self):
            raise ValidationError({"code": CODE_FIXED})

    def term_progress(self, today: dt.date | None = None) -> float | None:
        """How much of the term has passed, from 0.0 to 1.0; None without both dates."""
        if not (self.starts_on and self.ends_on):
            return None
        today = today or timezone.localdate()
        days = (self.ends_on - self.starts_on).days + 1
        passed = (today - self.starts_on).days + 1
        return min(1.0, max(0.0, passed / days))


class ServiceItem(models.Model):
    """A priced line of the contract's price list, grouped by category."""

    contract = models.ForeignKey(
        Contract, on_delete=models.CASCADE, related_name="service_items", verbose_name=_("contract")
    )
    category = models.CharField(_("category"), max_length=100)
    name = models.CharField(_("name"), max_length=200, validators=[no_bidi_controls])
    description = models.TextField(_("description"), blank=True)
    quantity = models.DecimalField(
        _("quantity"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    unit_price = models.DecimalField(
        _("unit price"), **MONEY, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    # Blank: part of the scope, not priced on its own (seeds 002–004 give one sum for all).
    amount = models.DecimalField(
        _("amount (yuan)"), **MONEY, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    position = models.PositiveIntegerField(_("position"), default=0)

    scope_path = "contract"
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["contract", "position", "id"]
        verbose_name = _("service item")
        verbose_name_plural = _("service items")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__isnull=True) | models.Q(amount__gte=0),
                name="service_item_amount_not_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(quantity__isnull=True)
                | models.Q(unit_price__isnull=True)
                | models.Q(amount=models.F("quantity") * models.F("unit_price")),
                name="service_item_amount_is_quantity_times_price",
            ),
        ]

    def __str__(self):
        return f"{self.category} · {self.name}"

    @staticmethod
    def price_errors(quantity, unit_price, amount) -> dict:
        """The quantity × unit price rule, by field; shared by forms, the API and clean()."""
        if (quantity is None) != (unit_price is None):
            return {"unit_price": _("Give both quantity and unit price, or neither.")}
        if quantity is not None and amount != quantity * unit_price:
            return {
                "amount": _("Amount must be quantity × unit price (%(value)s).")
                % {"value": quantity * unit_price}
            }
        return {}

    def clean(self):
        from django.core.exceptions import ValidationError

        errors = self.price_errors(self.quantity, self.unit_price, self.amount)
        if errors:
            raise ValidationError(errors)
