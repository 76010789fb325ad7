from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from contracts.models.contract import Contract
from contracts.scoping import RestrictedQuerySet


class Severity(models.TextChoices):
    """Seed 001 defines the three by their impact."""

    EMERGENCY = "emergency", _("Emergency (紧急)")
    SEVERE = "severe", _("Severe (严重)")
    GENERAL = "general", _("General (一般)")


class Coverage(models.TextChoices):
    """When an SLA clock runs: around the clock, or in the contract's business hours."""

    ALWAYS = "7x24", _("7×24")
    WORKING_DAYS = "5x8", _("Business hours on working days (5×8)")
    EVERY_DAY = "7x8", _("Business hours every day (7×8)")


class TargetUnit(models.TextChoices):
    MINUTES = "minutes", _("minutes")
    HOURS = "hours", _("hours")
    CALENDAR_DAYS = "calendar_days", _("calendar days")
    WORKING_DAYS = "working_days", _("working days")
    # Seed 000: "一般问题乙方需在当日内予以答复": by 24:00 Beijing time of the day asked (a
    # question asked after the business day, or on a non-working day, is due by 24:00 of the
    # next working day). The target is 1 (one day).
    SAME_DAY = "same_day", _("the same day")


class SLATerm(models.Model):
    """One clock's target for one severity and/or kind of request.

    Blank severity or condition means "any": the most specific term that matches an incident wins
    (the incidents app picks it). Examples from the seeds: 001 emergency → arrival 2 hours 7×24;
    000 any → resolution 5 working days; 004 another unit involved → arrival 4 hours.
    """

    class Clock(models.TextChoices):
        RESPONSE = "response", _("Response")
        ARRIVAL = "arrival", _("Arrival on site")
        RESOLUTION = "resolution", _("Resolution")

    class Condition(models.TextChoices):
        ANY = "", _("Any request")
        FAULT = "fault", _("Fault")
        MAJOR_FAULT = "major_fault", _("Major fault")
        SOFTWARE_FAULT = "software_fault", _("Software fault")
        WARRANTY_REPAIR = "warranty_repair", _("Warranty repair or replacement")
        PHONE_UNRESOLVED = "phone_unresolved", _("Not solved by phone")
        CONSULTATION = "consultation", _("General question")
        OTHER_UNIT = "other_unit", _("Another unit involved")
        FINANCE_DEPARTMENT = "finance_department", _("Finance department involved")

    contract = models.ForeignKey(
        Contract, on_delete=models.CASCADE, related_name="sla_terms", verbose_name=_("contract")
    )
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices, blank=True)
    condition = models.CharField(_("condition"), max_length=20, choices=Condition.choices, blank=True)
    clock = models.CharField(_("clock"), max_length=10, choices=Clock.choices)
    # At most 100,000 minutes, hours or days: beyond it a deadline passes the year 9999 (a 500).
    target = models.PositiveIntegerField(
        _("target"), validators=[MinValueValidator(1), MaxValueValidator(100_000)]
    )
    unit = models.CharField(_("unit"), max_length=15, choices=TargetUnit.choices)
    coverage = models.CharField(
        _("coverage"), max_length=4, choices=Coverage.choices, default=Coverage.ALWAYS
    )
    # The clause a missed target is recorded against (issue: the incidents checker).
    penalty_clause = models.ForeignKey(
        "contracts.PenaltyClause",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="sla_terms",
        verbose_name=_("penalty clause"),
    )
    note = models.CharField(_("note"), max_length=300, blank=True)

    scope_path = "contract"
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["contract", "clock", "severity", "condition"]
        verbose_name = _("SLA term")
        verbose_name_plural = _("SLA terms")
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "severity", "condition", "clock"], name="sla_term_unique_per_case"
            ),
            models.CheckConstraint(condition=models.Q(target__gte=1), name="sla_term_target_positive"),
        ]

    def __str__(self):
        case = " · ".join(
            str(part) for part in (self.get_severity_display(), self.get_condition_display()) if part
        )
        target = f"{self.target} {self.get_unit_display()}"
        return f"{case or _('Any request')}: {self.get_clock_display()} ≤ {target}"

    def clean(self):
        # "当日内予以答复" (seed 000) is a rule, not an amount: its target can only be one day.
        if self.unit == TargetUnit.SAME_DAY and self.target != 1:
            raise ValidationError({"target": _("A same-day reply has the target 1 (the day itself).")})
