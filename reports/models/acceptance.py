"""The acceptance package (验收材料) of a term or a quarter, and its 合同履行验收报告 form.

Seed 003 accepts once or quarterly on the period's reports, the inspection records, the annual
summary and the attendance records; seed 000 at the end of the term on every weekly, monthly and
quarterly report plus the acceptance report. The vendor manager signs the form and submits the
package; the client manager signs it off, which freezes the figures and has a worker render one
PDF with bookmarks (signed like a report) and a ZIP of the originals.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from contracts.models import Contract
from contracts.scoping import RestrictedQuerySet


class AcceptancePackage(models.Model):
    class Scope(models.TextChoices):
        TERM = "term", _("The whole term")
        QUARTER = "quarter", _("A quarter")
        CUSTOM = "custom", _("Another period")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        RETURNED = "returned", _("Returned")
        SIGNED_OFF = "signed_off", _("Signed off")

    class Conclusion(models.TextChoices):
        PASSED = "passed", _("Passed")
        PASSED_WITH_REMARKS = "passed_with_remarks", _("Passed with remarks")
        FAILED = "failed", _("Not passed")

    contract = models.ForeignKey(
        Contract, on_delete=models.CASCADE, related_name="acceptance_packages", verbose_name=_("contract")
    )
    scope = models.CharField(_("scope"), max_length=8, choices=Scope.choices, default=Scope.TERM)
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period until"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    # The form's text: the vendor's account of the service, the client's opinion and conclusion.
    vendor_statement = models.TextField(_("vendor's account of the service"), blank=True)
    client_opinion = models.TextField(_("client's opinion"), blank=True)
    conclusion = models.CharField(_("conclusion"), max_length=20, choices=Conclusion.choices, blank=True)
    # The figures at sign-off (reports.acceptance), so later changes do not touch the package.
    data = models.JSONField(_("figures"), null=True, blank=True, editable=False)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("signed for the vendor by"),
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("signed off for the client by"),
    )
    signed_off_at = models.DateTimeField(_("signed off at"), null=True, blank=True)
    review_comment = models.TextField(_("review comments"), blank=True)
    pdf = models.FileField(_("signed PDF"), upload_to="acceptance/", blank=True, editable=False)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True, editable=False)
    archive = models.FileField(_("originals (ZIP)"), upload_to="acceptance/", blank=True, editable=False)
    sealed_at = models.DateTimeField(_("sealed at"), null=True, blank=True, editable=False)
    seal_error = models.TextField(_("sealing error"), blank=True, editable=False)
    # Workers that took the seal; past reports.services.SEAL_MAX_ATTEMPTS it is no longer resent.
    seal_attempts = models.PositiveSmallIntegerField(default=0, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    scope_path = "contract"
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["contract", "-period_start"]
        verbose_name = _("acceptance package")
        verbose_name_plural = _("acceptance packages")
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "period_start", "period_end"], name="acceptance_unique_period"
            ),
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")), name="acceptance_period_ordered"
            ),
            models.UniqueConstraint(
                fields=["sha256"], condition=~models.Q(sha256=""), name="acceptance_unique_sha256"
            ),
            models.CheckConstraint(
                condition=~models.Q(status="signed_off") | models.Q(signed_off_at__isnull=False),
                name="acceptance_signed_off_has_time",
            ),
        ]

    def __str__(self):
        return f"{self.contract.code} · {self.period_start}–{self.period_end}"

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("reports:acceptance", kwargs={"pk": self.pk})
