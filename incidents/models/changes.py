"""Change requests (seed 004): business changes and data modifications, approved by the client's
system administrator (系统专管员) and then its head of IT (科技信息化工作负责人) before the vendor
may carry them out.

Each decision lives in columns of the request itself rather than in a separate table, so that the
database can check the whole approval chain with CHECK constraints: whatever writes the row (the
services, the admin, a script), an executed change without both approvals cannot exist.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from contracts.models import Contract
from contracts.scoping import RestrictedQuerySet
from incidents.models.incident import Incident
from om_portal.validators import no_bidi_controls

__all__ = ["ChangeKind", "ChangeRequest", "ChangeStatus", "ChangeStep"]


def _user(related_name, verbose_name, **options):
    # PROTECT: an approval is evidence; a person who decided a change is deactivated, not deleted.
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name=related_name,
        verbose_name=verbose_name,
        **options,
    )


class ChangeKind(models.TextChoices):
    BUSINESS = "business", _("Business change")
    DATA = "data", _("Data modification")


class ChangeStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Waiting for the system administrator")
    FIRST_APPROVED = "first_approved", _("Waiting for the head of IT")
    APPROVED = "approved", _("Approved")
    EXECUTED = "executed", _("Executed")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Cancelled")


class ChangeStep(models.TextChoices):
    FIRST = "first", _("System administrator")
    SECOND = "second", _("Head of IT")


class ChangeRequest(models.Model):
    # At module level so that Meta's constraints can name them; here for ChangeRequest.Status.
    Kind = ChangeKind
    Status = ChangeStatus
    Step = ChangeStep

    contract = models.ForeignKey(
        Contract, on_delete=models.PROTECT, related_name="change_requests", verbose_name=_("contract")
    )
    incident = models.ForeignKey(
        Incident,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="change_requests",
        verbose_name=_("incident"),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.BUSINESS)
    title = models.CharField(
        pgettext_lazy("change request", "title"), max_length=200, validators=[no_bidi_controls]
    )
    description = models.TextField(_("what will change"))
    reason = models.TextField(_("reason"))
    # Optional on a draft; submitting asks for both (see incidents.changes.submit).
    impact = models.TextField(_("impact and risk"), blank=True)
    rollback_plan = models.TextField(_("rollback plan"), blank=True)
    status = models.CharField(_("status"), max_length=14, choices=Status.choices, default=Status.DRAFT)

    requested_by = _user("change_requests", _("requested by"))
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)

    first_approved_by = _user("+", _("approved by (system administrator)"), null=True, blank=True)
    first_approved_at = models.DateTimeField(_("approved at (system administrator)"), null=True, blank=True)
    first_comment = models.TextField(_("comment (system administrator)"), blank=True)
    second_approved_by = _user("+", _("approved by (head of IT)"), null=True, blank=True)
    second_approved_at = models.DateTimeField(_("approved at (head of IT)"), null=True, blank=True)
    second_comment = models.TextField(_("comment (head of IT)"), blank=True)

    rejected_step = models.CharField(_("rejected at step"), max_length=6, choices=Step.choices, blank=True)
    rejected_by = _user("+", _("rejected by"), null=True, blank=True)
    rejected_at = models.DateTimeField(_("rejected at"), null=True, blank=True)
    rejection_reason = models.TextField(_("reason for the rejection"), blank=True)

    executed_by = _user("+", _("executed by"), null=True, blank=True)
    executed_at = models.DateTimeField(_("executed at"), null=True, blank=True)
    execution_note = models.TextField(_("what was done"), blank=True)

    cancelled_by = _user("+", _("cancelled by"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)

    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    scope_path = "contract"
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("change request")
        verbose_name_plural = _("change requests")
        indexes = [
            # The change list: a contract's requests newest first, often narrowed by status
            # ("waiting for me" is status + contract).
            models.Index(fields=["contract", "status", "-requested_at"], name="change_contract_status_idx"),
            models.Index(fields=["contract", "-requested_at"], name="change_contract_requested_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=ChangeStatus.values), name="change_status_valid"),
            models.CheckConstraint(condition=Q(kind__in=ChangeKind.values), name="change_kind_valid"),
            models.CheckConstraint(
                # A draft may be cancelled before it was ever submitted.
                condition=Q(status__in=[ChangeStatus.DRAFT, ChangeStatus.CANCELLED])
                | Q(submitted_at__isnull=False),
                name="change_submitted_has_date",
            ),
            models.CheckConstraint(
                condition=~Q(status=ChangeStatus.FIRST_APPROVED)
                | Q(first_approved_by__isnull=False, first_approved_at__isnull=False),
                name="change_first_approved_has_approver",
            ),
            models.CheckConstraint(
                condition=~Q(status=ChangeStatus.APPROVED)
                | Q(
                    first_approved_by__isnull=False,
                    first_approved_at__isnull=False,
                    second_approved_by__isnull=False,
                    second_approved_at__isnull=False,
                ),
                name="change_approved_has_both_approvals",
            ),
            models.CheckConstraint(
                condition=~Q(status=ChangeStatus.EXECUTED)
                | Q(
                    first_approved_by__isnull=False,
                    first_approved_at__isnull=False,
                    second_approved_by__isnull=False,
                    second_approved_at__isnull=False,
                    executed_by__isnull=False,
                    executed_at__isnull=False,
                )
                & ~Q(execution_note=""),
                name="change_executed_needs_both_approvals",
            ),
            models.CheckConstraint(
                condition=Q(second_approved_at__isnull=True)
                | Q(first_approved_at__isnull=False, second_approved_at__gte=F("first_approved_at")),
                name="change_second_approval_after_first",
            ),
            models.CheckConstraint(
                condition=Q(first_approved_by__isnull=True)
                | Q(second_approved_by__isnull=True)
                | ~Q(second_approved_by=F("first_approved_by")),
                name="change_approvers_differ",
            ),
            models.CheckConstraint(
                condition=(Q(first_approved_by__isnull=True) | ~Q(first_approved_by=F("requested_by")))
                & (Q(second_approved_by__isnull=True) | ~Q(second_approved_by=F("requested_by"))),
                name="change_requester_does_not_approve",
            ),
            models.CheckConstraint(
                condition=~Q(status=ChangeStatus.REJECTED)
                | Q(rejected_by__isnull=False, rejected_at__isnull=False)
                & ~Q(rejected_step="")
                & ~Q(rejection_reason=""),
                name="change_rejected_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(status=ChangeStatus.CANCELLED)
                | Q(cancelled_by__isnull=False, cancelled_at__isnull=False),
                name="change_cancelled_has_who_and_when",
            ),
        ]

    def __str__(self):
        return f"{self.number} {self.title}"

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("incidents:change-detail", kwargs={"pk": self.pk})

    @property
    def number(self) -> str:
        return f"{self.contract.code}-CR{self.pk or 0:04d}"

    @property
    def pending_step(self) -> str:
        """The approval step this request waits for, or "" when it waits for none."""
        return {self.Status.SUBMITTED: self.Step.FIRST, self.Status.FIRST_APPROVED: self.Step.SECOND}.get(
            self.status, ""
        )

    def clean(self):
        from django.core.exceptions import ValidationError

        if self.incident_id and self.contract_id and self.incident.contract_id != self.contract_id:
            raise ValidationError({"incident": _("The incident belongs to another contract.")})
