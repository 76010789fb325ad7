from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from contracts.models import Contract, Severity
from contracts.scoping import RestrictedQuerySet

__all__ = ["EscalationPolicy", "EscalationStep", "EscalationTarget"]

# Thirty days: a step later than that is no escalation, and a deadline far out stays a date.
MAX_STEP_MINUTES = 30 * 24 * 60
MAX_STEPS = 10


class EscalationTarget(models.TextChoices):
    """Whom a step tells, besides the contract's channels (group robots)."""

    ON_DUTY = "on_duty", _("The vendor's people on duty")
    VENDOR_MANAGER = "vendor_manager", _("Vendor manager")
    CLIENT_MANAGER = "client_manager", _("Client manager")


class EscalationPolicy(models.Model):
    """Per contract and severity: whom to tell, and when, while an incident is not acknowledged
    (受理). Its steps count from the report, in the clock mode of the incident's response term."""

    contract = models.ForeignKey(
        Contract, on_delete=models.CASCADE, related_name="escalation_policies", verbose_name=_("contract")
    )
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    active = models.BooleanField(_("active"), default=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    scope_path = "contract"
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["contract", "severity"]
        verbose_name = _("escalation policy")
        verbose_name_plural = _("escalation policies")
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "severity"], name="escalation_policy_unique_severity"
            ),
        ]

    def __str__(self):
        return f"{self.contract.code} · {self.get_severity_display()}"


class EscalationStep(models.Model):
    """Tell ``notify`` when the incident is still not acknowledged ``after_minutes`` after its
    report. Steps fire in the order of their minutes; an incident keeps how many fired."""

    policy = models.ForeignKey(
        EscalationPolicy, on_delete=models.CASCADE, related_name="steps", verbose_name=_("escalation policy")
    )
    after_minutes = models.PositiveIntegerField(
        _("minutes after the report"),
        validators=[MinValueValidator(1), MaxValueValidator(MAX_STEP_MINUTES)],
        help_text=_("Counted like the response clock: around the clock (7×24) or in business hours."),
    )
    notify = models.CharField(_("notify"), max_length=16, choices=EscalationTarget.choices)

    scope_path = "policy__contract"
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["policy", "after_minutes"]
        verbose_name = _("escalation step")
        verbose_name_plural = _("escalation steps")
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "after_minutes"], name="escalation_step_unique_minutes"
            ),
            models.CheckConstraint(
                condition=models.Q(after_minutes__gte=1), name="escalation_step_minutes_positive"
            ),
        ]

    def __str__(self):
        return f"{self.after_minutes} → {self.get_notify_display()}"
