"""What happened at a slot: the run, an engineer's answers to the checklist, and their photos.

A slot has at most one run. An automated run is made when the beat dispatches the slot and ends
when every check has a result; a manual run is made whole when the engineer submits the round.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from contracts.models import Contract
from contracts.scoping import RestrictedQuerySet
from inspections.models.checklists import ChecklistItem, ChecklistTemplate
from inspections.models.schedules import InspectionMode, InspectionSlot

__all__ = ["InspectionPhoto", "InspectionRun", "ItemResult"]


class InspectionRun(models.Model):
    slot = models.OneToOneField(
        InspectionSlot, on_delete=models.PROTECT, related_name="run", verbose_name=_("inspection")
    )
    contract = models.ForeignKey(
        Contract, on_delete=models.CASCADE, related_name="inspection_runs", verbose_name=_("contract")
    )
    mode = models.CharField(_("mode"), max_length=10, choices=InspectionMode.choices)
    template = models.ForeignKey(
        ChecklistTemplate,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="runs",
        verbose_name=_("checklist"),
    )
    performed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="inspection_runs",
        verbose_name=_("performed by"),
    )
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    note = models.TextField(_("notes"), blank=True)
    # Automated: how many checks the run holds and how many did not pass (set when it finishes).
    checks_total = models.PositiveIntegerField(_("checks"), default=0)
    checks_failed = models.PositiveIntegerField(_("checks not passed"), default=0)
    # Manual: how many answers were abnormal.
    items_abnormal = models.PositiveIntegerField(_("abnormal items"), default=0)
    # A round sent from a tablet carries an id made on the device: the same id sent again (a
    # retry after a lost answer, a second tab) is the same round, never a second one.
    client_id = models.UUIDField(_("device round id"), null=True, blank=True, editable=False)
    # The moment the device says the round was submitted: the vendor's claim. The round counts
    # by finished_at (when it reached the server) unless the client side accepts this moment.
    device_submitted_at = models.DateTimeField(_("submitted on the device at"), null=True, blank=True)
    device_time_accepted_at = models.DateTimeField(_("device time accepted at"), null=True, blank=True)
    device_time_accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("device time accepted by"),
    )

    scope_path = "contract"
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("inspection run")
        verbose_name_plural = _("inspection runs")
        constraints = [
            models.UniqueConstraint(
                fields=["client_id"],
                condition=models.Q(client_id__isnull=False),
                name="inspection_run_client_id_once",
            ),
        ]
        indexes = [
            # The ledger: a contract's runs by period.
            models.Index(fields=["contract", "started_at"], name="inspection_run_contract_idx"),
            # Unfinished automated runs, for the sweeper that finishes a run whose last chunk
            # was lost: a handful among years of history.
            models.Index(
                fields=["started_at"],
                condition=models.Q(finished_at__isnull=True),
                name="inspection_run_open_idx",
            ),
        ]

    def __str__(self):
        return str(self.slot)

    @property
    def abnormal_count(self) -> int:
        return self.checks_failed if self.mode == InspectionMode.AUTOMATED else self.items_abnormal


class ItemResult(models.Model):
    """An engineer's answer to one checklist item in one run."""

    run = models.ForeignKey(
        InspectionRun, on_delete=models.CASCADE, related_name="answers", verbose_name=_("run")
    )
    # PROTECT: a past round keeps the item it answered; retire items by editing the template.
    item = models.ForeignKey(
        ChecklistItem, on_delete=models.PROTECT, related_name="+", verbose_name=_("item")
    )
    passed = models.BooleanField(_("normal"), null=True, blank=True)
    number = models.DecimalField(_("value"), max_digits=12, decimal_places=3, null=True, blank=True)
    text = models.TextField(pgettext_lazy("checklist", "text"), blank=True)
    note = models.TextField(_("note"), blank=True)
    abnormal = models.BooleanField(_("abnormal"), default=False)
    # When the device says the answer was entered (the round's own run says when it arrived).
    entered_at = models.DateTimeField(_("entered on the device at"), null=True, blank=True)
    incident = models.ForeignKey(
        "incidents.Incident",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("incident"),
    )

    scope_path = "run__contract"
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["run", "item__position", "item_id"]
        verbose_name = _("checklist answer")
        verbose_name_plural = _("checklist answers")
        constraints = [
            models.UniqueConstraint(fields=["run", "item"], name="item_result_once_per_run"),
        ]

    def __str__(self):
        return f"{self.item} · {self.run}"


def _photo_path(photo, filename):
    # The stored name is ours: the uploaded name is kept only as data (original_name).
    return f"inspections/{photo.run.contract_id}/{photo.run_id}/{photo.token}.{photo.extension}"


class InspectionPhoto(models.Model):
    run = models.ForeignKey(
        InspectionRun, on_delete=models.CASCADE, related_name="photos", verbose_name=_("run")
    )
    answer = models.ForeignKey(
        ItemResult,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="photos",
        verbose_name=pgettext_lazy("checklist", "answer"),
    )
    file = models.FileField(_("photo"), upload_to=_photo_path, max_length=200)
    token = models.CharField(max_length=32, editable=False)
    extension = models.CharField(max_length=5, editable=False)
    content_type = models.CharField(max_length=20, editable=False)
    size = models.PositiveIntegerField(_("size (bytes)"), editable=False)
    width = models.PositiveIntegerField(editable=False)
    height = models.PositiveIntegerField(editable=False)
    original_name = models.CharField(_("file name"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    scope_path = "run__contract"
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["run", "id"]
        verbose_name = _("inspection photo")
        verbose_name_plural = _("inspection photos")

    def __str__(self):
        return self.original_name or self.file.name
