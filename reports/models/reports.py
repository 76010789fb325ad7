"""Periodic reports: what a contract requires, each period's report and its signed-off versions.

A ``Report`` is the working copy of one period's deliverable: its figures (``data``, a snapshot
built from the database), the vendor's narrative, and the workflow draft → submitted → signed off
(or returned). Signing off freezes the snapshot into a ``ReportVersion``, whose PDF is rendered,
digitally signed and hashed in a worker; nothing changes it afterwards. A re-issue reopens the
report as the next version and leaves the signed one as it was.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from contracts import obligations
from contracts.models import Contract, Milestone
from contracts.scoping import RestrictedQuerySet
from reports import kinds

# weekly, monthly, quarterly, half_yearly, annual: each kind's code, label, period, figures and
# sections are in its module under reports.kinds; the choices follow the registry.
ReportKind = models.TextChoices(
    "ReportKind",
    [(kind.name, (kind.code, kind.label)) for kind in kinds.all()],
    module=__name__,
    qualname="ReportKind",
)


class BuildState(models.TextChoices):
    IDLE = "idle", _("Not built")
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Building")
    DONE = "done", _("Built")
    FAILED = "failed", _("Failed")


class ReportRequirement(models.Model):
    """A periodic report the contract requires, and when it is due after its period closes.

    Seed 000 asks for weekly, monthly, quarterly, half-yearly inspection and annual reports;
    seed 003 for weekly ones and the annual summary within 15 days of the term's end. A report
    still unsubmitted after its due date is flagged, and recorded as a breach of ``breach_kind``
    where the contract prices lateness (seed 000: 0.3% of the total per day).
    """

    contract = models.ForeignKey(
        Contract, on_delete=models.CASCADE, related_name="report_requirements", verbose_name=_("contract")
    )
    kind = models.CharField(_("kind"), max_length=12, choices=ReportKind.choices)
    due_offset = models.PositiveIntegerField(
        _("due after the period (days)"), default=0, validators=[MaxValueValidator(366)]
    )
    due_unit = models.CharField(
        _("counted in"),
        max_length=13,
        choices=Milestone.OffsetUnit.choices,
        default=Milestone.OffsetUnit.WORKING_DAYS,
    )
    breach_kind = models.SlugField(
        _("a late report is a breach of kind"),
        max_length=50,
        blank=True,
        choices=obligations.choices,
        help_text=_("Leave empty when the contract does not price a late report."),
    )
    active = models.BooleanField(_("active"), default=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    scope_path = "contract"
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["contract", "kind"]
        verbose_name = _("report requirement")
        verbose_name_plural = _("report requirements")
        constraints = [
            models.UniqueConstraint(fields=["contract", "kind"], name="report_requirement_unique_kind"),
        ]

    def __str__(self):
        return f"{self.contract.code} · {self.get_kind_display()}"


class Report(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        RETURNED = "returned", _("Returned")
        SIGNED_OFF = "signed_off", _("Signed off")

    contract = models.ForeignKey(
        Contract, on_delete=models.CASCADE, related_name="reports", verbose_name=_("contract")
    )
    kind = models.CharField(_("kind"), max_length=12, choices=ReportKind.choices)
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period until"))
    due_on = models.DateField(_("submission due"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    # The version being worked on; those signed off before it are ReportVersion rows.
    version = models.PositiveIntegerField(_("version"), default=1)
    # The vendor's own words, by section ("plan", "suggestions"...): printed as text, never HTML.
    narrative = models.JSONField(_("narrative"), default=dict, blank=True)
    # The figures, as built from the database by reports.building (a JSON-safe snapshot).
    data = models.JSONField(_("figures"), null=True, blank=True, editable=False)
    built_at = models.DateTimeField(_("built at"), null=True, blank=True, editable=False)
    build_state = models.CharField(
        _("build"), max_length=8, choices=BuildState.choices, default=BuildState.IDLE, editable=False
    )
    build_progress = models.PositiveSmallIntegerField(_("build progress (%)"), default=0, editable=False)
    build_requested_at = models.DateTimeField(null=True, blank=True, editable=False)
    build_error = models.TextField(_("build error"), blank=True, editable=False)
    # Workers that took the build since it was requested: a render killed each time (out of
    # memory, past its time) is given up after BUILD_MAX_ATTEMPTS, not redelivered for ever.
    build_attempts = models.PositiveSmallIntegerField(default=0, editable=False)
    draft_pdf = models.FileField(_("draft PDF"), upload_to="reports/drafts/", blank=True, editable=False)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("submitted by"),
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    # The first submission of the period, for lateness: a return and resubmission keep it.
    first_submitted_at = models.DateTimeField(_("first submitted at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    review_comment = models.TextField(_("review comments"), blank=True)
    # Set once by the overdue check's conditional UPDATE.
    late_flagged_at = models.DateTimeField(_("flagged late at"), null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    scope_path = "contract"
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["-period_start", "kind", "contract"]
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "kind", "period_start"], name="report_unique_contract_kind_period"
            ),
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")), name="report_period_ordered"
            ),
            models.CheckConstraint(condition=models.Q(build_progress__lte=100), name="report_progress_max"),
        ]
        indexes = [
            # The overdue check, daily: unsubmitted reports past their due date, not yet flagged.
            # Partial: a handful among years of signed-off reports.
            models.Index(
                fields=["due_on"],
                condition=models.Q(first_submitted_at__isnull=True, late_flagged_at__isnull=True),
                name="report_overdue_idx",
            ),
            # The report list and the dashboard: a contract's reports by status.
            models.Index(fields=["contract", "status"], name="report_contract_status_idx"),
        ]

    def __str__(self):
        return f"{self.contract.code} · {self.get_kind_display()} · {self.period_start}–{self.period_end}"

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("reports:detail", kwargs={"pk": self.pk})


class ReportVersion(models.Model):
    """A signed-off version of a report, frozen: its figures, narrative and signed PDF."""

    report = models.ForeignKey(
        Report, on_delete=models.PROTECT, related_name="versions", verbose_name=_("report")
    )
    number = models.PositiveIntegerField(_("version"))
    data = models.JSONField(_("figures"))
    narrative = models.JSONField(_("narrative"), default=dict)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("submitted by")
    )
    submitted_at = models.DateTimeField(_("submitted at"))
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("signed off by")
    )
    signed_off_at = models.DateTimeField(_("signed off at"))
    # Set by the worker that renders and signs the PDF; empty until then.
    pdf = models.FileField(_("signed PDF"), upload_to="reports/signed/", blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    sealed_at = models.DateTimeField(_("sealed at"), null=True, blank=True)
    seal_error = models.TextField(_("sealing error"), blank=True)
    # Workers that took the seal; past reports.services.SEAL_MAX_ATTEMPTS it is no longer resent.
    seal_attempts = models.PositiveSmallIntegerField(default=0, editable=False)
    # When the vendor reopened the report after this version, and why: the version itself (its
    # figures, its signed PDF) never changes; these say what came after it.
    reissued_at = models.DateTimeField(_("re-issued at"), null=True, blank=True, editable=False)
    reissued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("re-issued by"),
    )
    reissue_reason = models.TextField(_("reason for the re-issue"), blank=True, editable=False)

    scope_path = "report__contract"
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["report", "number"]
        verbose_name = _("report version")
        verbose_name_plural = _("report versions")
        constraints = [
            models.UniqueConstraint(fields=["report", "number"], name="report_version_unique_number"),
            # The verification page looks a file up by its hash.
            models.UniqueConstraint(
                fields=["sha256"], condition=~models.Q(sha256=""), name="report_version_unique_sha256"
            ),
            models.CheckConstraint(
                condition=models.Q(sealed_at__isnull=True) | ~models.Q(sha256=""),
                name="report_version_sealed_has_hash",
            ),
        ]
        indexes = [
            # The sealing sweeper: versions signed off but not yet sealed.
            models.Index(
                fields=["signed_off_at"],
                condition=models.Q(sealed_at__isnull=True),
                name="report_version_unsealed_idx",
            ),
        ]

    def __str__(self):
        return f"{self.report} · v{self.number}"
