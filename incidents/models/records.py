from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from contracts.models import Contract
from contracts.scoping import RestrictedQuerySet
from incidents.models.incident import Incident

__all__ = ["ServiceRecord"]


class ServiceRecord(models.Model):
    """Seed 002's service record sheet (运维服务售后记录单): every task ends with one, filled in by
    the engineer and confirmed by the client (tasks without their record cost 3% of the total)."""

    contract = models.ForeignKey(
        Contract, on_delete=models.PROTECT, related_name="service_records", verbose_name=_("contract")
    )
    incident = models.ForeignKey(
        Incident,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="service_records",
        verbose_name=_("incident"),
    )
    started_at = models.DateTimeField(_("started at"))
    ended_at = models.DateTimeField(_("ended at"))
    place = models.CharField(_("place"), max_length=200)
    requester = models.CharField(_("requested by (unit, person)"), max_length=200)
    task = models.TextField(_("task"))
    work_done = models.TextField(_("work done"))
    parts_used = models.TextField(_("parts and materials used"), blank=True)
    result = models.TextField(_("result"))
    engineer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("engineer")
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("confirmed by"),
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    client_feedback = models.TextField(_("client's feedback"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    scope_path = "contract"
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["contract", "-started_at", "-id"]
        verbose_name = _("service record sheet")
        verbose_name_plural = _("service record sheets")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ended_at__gte=models.F("started_at")),
                name="service_record_ends_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(confirmed_at__isnull=True) | models.Q(confirmed_by__isnull=False),
                name="service_record_confirmation_has_confirmer",
            ),
        ]
        indexes = [
            # The list and the monthly report: a contract's sheets by date.
            models.Index(fields=["contract", "started_at"], name="service_record_contract_idx"),
        ]

    def __str__(self):
        return f"{self.contract.code} {self.started_at:%Y-%m-%d} {self.task[:30]}"

    @property
    def number(self) -> str:
        return f"{self.contract.code}-SR-{self.pk or 0:05d}"
