from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from contracts import obligations, shapes
from contracts.models.contract import DAYS, MONEY, PERCENT, Contract
from contracts.scoping import RestrictedQuerySet
from om_portal.validators import no_bidi_controls


class PenaltyClause(models.Model):
    """A liquidated-damages clause, in one of the shapes the seeds use (DOMAIN.md): per day of
    delay, per occurrence with an escalation, one-off, a count within a contract year. Each shape
    is a module of ``contracts.shapes``, which says what it prices and which options it takes.
    """

    Shape = shapes.Shape
    Base = shapes.Base
    Escalation = shapes.Escalation
    RateSource = shapes.RateSource

    class Party(models.TextChoices):
        VENDOR = "vendor", _("Vendor pays")
        CLIENT = "client", _("Client pays")

    contract = models.ForeignKey(
        Contract, on_delete=models.CASCADE, related_name="penalty_clauses", verbose_name=_("contract")
    )
    # What other apps name when they record a breach: a code of ``contracts.obligations``.
    kind = models.SlugField(_("kind of breach"), max_length=50, choices=obligations.choices)
    title = models.CharField(_("clause title"), max_length=200, validators=[no_bidi_controls])
    text = models.TextField(_("contract text"), blank=True)
    party = models.CharField(_("liable party"), max_length=6, choices=Party.choices, default=Party.VENDOR)
    # A code of ``contracts.shapes``.
    shape = models.CharField(_("shape"), max_length=16, choices=shapes.choices)
    base = models.CharField(_("base"), max_length=15, choices=Base.choices, default=Base.TOTAL)
    rate_percent = models.DecimalField(_("rate (%)"), **PERCENT)
    cap_percent = models.DecimalField(
        # xgettext:no-python-format
        _("cap (% of the total)"),
        null=True,
        blank=True,
        **PERCENT,
    )
    escalation_at = models.PositiveIntegerField(
        _("escalates at occurrence"), null=True, blank=True, validators=[MinValueValidator(2)]
    )
    escalation_percent = models.DecimalField(_("escalated rate (%)"), null=True, blank=True, **PERCENT)
    escalation_mode = models.CharField(
        _("escalation"), max_length=8, choices=Escalation.choices, default=Escalation.REPLACES
    )
    threshold_count = models.PositiveIntegerField(
        _("threshold count"), null=True, blank=True, validators=[MinValueValidator(1)]
    )
    # Informational: the delay (in days) after which the client may terminate (seed 000: 5).
    termination_after_days = models.PositiveIntegerField(
        _("termination after days"), null=True, blank=True, validators=DAYS
    )
    rate_source = models.CharField(
        _("rate source"), max_length=12, choices=RateSource.choices, default=RateSource.FIXED
    )
    # The number of breaches at which the client may terminate (seed 004 §8.2: three; §8.3 and
    # seed 003 §七.2: one; seed 001 §五: a second trial-run problem).
    termination_at_count = models.PositiveIntegerField(
        _("termination at breach count"), null=True, blank=True, validators=[MinValueValidator(1)]
    )

    scope_path = "contract"
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["contract", "kind"]
        verbose_name = _("penalty clause")
        verbose_name_plural = _("penalty clauses")
        constraints = [
            models.UniqueConstraint(fields=["contract", "kind"], name="penalty_clause_unique_kind"),
            models.CheckConstraint(
                condition=models.Q(rate_percent__gte=0, rate_percent__lte=100),
                name="penalty_clause_rate_0_100",
            ),
            models.CheckConstraint(
                condition=~models.Q(shape="count_threshold") | models.Q(threshold_count__isnull=False),
                name="penalty_clause_threshold_has_count",
            ),
            models.CheckConstraint(
                condition=models.Q(escalation_at__isnull=True) | models.Q(escalation_percent__isnull=False),
                name="penalty_clause_escalation_has_rate",
            ),
        ]

    def __str__(self):
        return f"{self.contract.code} · {self.title}"


class Breach(models.Model):
    """One entry of the contract's breach ledger.

    Recorded through ``contracts.penalties.record_breach`` (incidents, inspections, reports and
    staffing call it); ``(contract, source, source_ref)`` makes a re-run record nothing twice.
    """

    class Source(models.TextChoices):
        INCIDENT = "incident", _("Incident")
        INSPECTION = "inspection", _("Inspection")
        REPORT = "report", _("Report")
        STAFFING = "staffing", _("Staffing")
        MANUAL = "manual", _("Manual")
        CONSULTATION = "consultation", _("Consultation")
        PAYMENT = "payment", _("Payment")
        SCHEDULE = "schedule", _("Build schedule")

    contract = models.ForeignKey(
        Contract, on_delete=models.CASCADE, related_name="breaches", verbose_name=_("contract")
    )
    clause = models.ForeignKey(
        PenaltyClause,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="breaches",
        verbose_name=_("penalty clause"),
    )
    kind = models.SlugField(_("kind of breach"), max_length=50, choices=obligations.choices)
    occurred_at = models.DateTimeField(_("occurred at"))
    days_late = models.PositiveIntegerField(_("days late"), null=True, blank=True, validators=DAYS)
    overdue_amount = models.DecimalField(
        _("overdue amount"), **MONEY, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    source = models.CharField(_("source"), max_length=12, choices=Source.choices)
    # What the breach is about in its source ("incident:42:resolution", "slot:2026-06-01T08:00").
    source_ref = models.CharField(_("source reference"), max_length=200, blank=True)
    note = models.TextField(_("note"), blank=True)
    waived = models.BooleanField(_("waived"), default=False)
    waived_reason = models.TextField(_("reason for waiving"), blank=True)
    waived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("waived by"),
    )
    waived_at = models.DateTimeField(_("waived at"), null=True, blank=True)
    # Withdrawn: the facts were corrected (an edit of an incident's timeline, a new severity)
    # and now show the obligation met. Kept in the ledger as evidence, it counts zero.
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdrawn_reason = models.TextField(_("reason for withdrawing"), blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("withdrawn by"),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    scope_path = "contract"
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["contract", "occurred_at", "id"]
        verbose_name = _("breach")
        verbose_name_plural = _("breaches")
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "source", "source_ref"],
                condition=~models.Q(source_ref=""),
                name="breach_unique_source_ref",
            ),
            models.CheckConstraint(
                condition=models.Q(waived=False) | ~models.Q(waived_reason=""),
                name="breach_waiver_has_reason",
            ),
        ]
        indexes = [
            # The penalty summary aggregates a contract's unwaived breaches per clause.
            models.Index(fields=["contract", "clause"], name="breach_contract_clause_idx"),
            # A period's report prices the breaches that occurred in the period.
            models.Index(fields=["contract", "occurred_at"], name="breach_contract_occurred_idx"),
        ]

    def __str__(self):
        return f"{self.contract.code} · {self.get_kind_display()} · {self.occurred_at:%Y-%m-%d}"
