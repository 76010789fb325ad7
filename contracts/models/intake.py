from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _

from contracts.models.contract import Contract
from identity.models import Organization


def _upload_path(instance, filename):
    # The stored name is the file's hash: the uploader's name never reaches the storage's paths.
    suffix = instance.filename.rsplit(".", 1)[-1].lower() if "." in instance.filename else "bin"
    return f"intake/{instance.sha256[:2]}/{instance.sha256}.{suffix}"


class ContractUpload(models.Model):
    """A contract's text uploaded to be read (contracts.intake): the original file, what was
    read from it, and what the extractor proposes. Nothing of it is a contract until a person
    accepts the proposals (``contracts.intake.accept``), which sets ``contract``."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        READING = "reading", _("Reading")
        READY = "ready", _("Ready for review")
        ACCEPTED = "accepted", _("Accepted")
        FAILED = "failed", _("Failed")

    class Kind(models.TextChoices):
        TXT = "txt", _("Text file")
        DOCX = "docx", _("Word document")
        PDF = "pdf", _("PDF (text layer)")
        OCR = "ocr", _("PDF (scanned, OCR)")

    # The bureau the contract is entered for: who may review it (contract_clients).
    client = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        related_name="contract_uploads",
        limit_choices_to={"kind": Organization.Kind.CLIENT},
        verbose_name=_("client"),
    )
    file = models.FileField(_("original file"), upload_to=_upload_path, max_length=200)
    filename = models.CharField(_("file name"), max_length=200)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    kind = models.CharField(_("read as"), max_length=4, choices=Kind.choices, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.QUEUED)
    reason = models.CharField(_("why it failed"), max_length=500, blank=True)
    page = models.PositiveIntegerField(_("page read"), default=0)
    pages = models.PositiveIntegerField(_("pages"), default=0)
    text = models.TextField(_("text"), blank=True)
    # contracts.intake.codec: proposals and conflicts with their Decimals and dates tagged.
    proposals = models.JSONField(_("proposals"), default=list, blank=True)
    conflicts = models.JSONField(_("conflicts"), default=list, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    created = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    read_started_at = models.DateTimeField(_("reading started at"), null=True, blank=True)
    contract = models.ForeignKey(
        Contract,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="uploads",
        verbose_name=_("contract"),
    )

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = _("contract upload")
        verbose_name_plural = _("contract uploads")
        indexes = [models.Index(fields=["client", "-created"], name="contract_upload_client_idx")]

    def __str__(self):
        return self.filename

    @property
    def percent(self) -> int:
        """How far reading has come, for the progress bar."""
        if self.status in (self.Status.READY, self.Status.ACCEPTED, self.Status.FAILED):
            return 100
        if self.status == self.Status.READING:
            return 10 + int(85 * self.page / self.pages) if self.pages else 10
        return 0


class TermSource(models.Model):
    """Where an accepted term came from: the upload and the span of its text. ``obj`` is the
    object created (a service item, an SLA term, an upper app's schedule), or none for a field
    of the contract itself (``field``)."""

    contract = models.ForeignKey(
        Contract, on_delete=models.CASCADE, related_name="term_sources", verbose_name=_("contract")
    )
    upload = models.ForeignKey(
        ContractUpload, on_delete=models.CASCADE, related_name="sources", verbose_name=_("upload")
    )
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, null=True, blank=True)
    object_id = models.PositiveBigIntegerField(null=True, blank=True)
    obj = GenericForeignKey("content_type", "object_id")
    field = models.CharField(_("field"), max_length=50)
    start = models.PositiveIntegerField(_("start"))
    end = models.PositiveIntegerField(_("end"))
    # "第六条第2款": the article and item the span sits in (contracts.intake.labels).
    label = models.CharField(_("clause"), max_length=60, blank=True)

    scope_path = "contract"

    class Meta:
        ordering = ["contract", "start"]
        verbose_name = _("term source")
        verbose_name_plural = _("term sources")
        indexes = [
            models.Index(fields=["contract", "content_type", "object_id"], name="term_source_object_idx")
        ]

    def __str__(self):
        return self.label or f"{self.start}–{self.end}"
