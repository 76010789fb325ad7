from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from contracts.models.contract import Contract
from contracts.scoping import RestrictedQuerySet
from om_portal.validators import no_bidi_controls


class Asset(models.Model):
    """An entry of the asset ledger (台账): what the contract maintains."""

    class Kind(models.TextChoices):
        VM = "vm", _("Virtual machine")
        SERVER = "server", _("Physical server")
        NETWORK = "network", _("Network device")
        SECURITY = "security", _("Security device")
        STORAGE = "storage", _("Storage")
        DATABASE = "database", _("Database")
        MIDDLEWARE = "middleware", _("Middleware")
        INTERFACE = "interface", _("Interface")
        DATA_SOURCE = "data_source", _("Data source")
        TERMINAL = "terminal", _("Terminal")
        APPLICATION = "application", _("Application system")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        IN_SERVICE = "in_service", _("In service")
        MAINTENANCE = "maintenance", _("Under maintenance")
        FAULTY = "faulty", _("Faulty")
        RETIRED = "retired", _("Retired")

    contract = models.ForeignKey(
        Contract, on_delete=models.CASCADE, related_name="assets", verbose_name=_("contract")
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=200, validators=[no_bidi_controls])
    system = models.CharField(_("system"), max_length=200, blank=True)
    security_zone = models.CharField(_("security zone"), max_length=100, blank=True)
    host = models.CharField(_("host"), max_length=255, blank=True)
    port = models.PositiveIntegerField(
        _("port"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(65535)]
    )
    url = models.CharField(_("URL"), max_length=500, blank=True)
    os_version = models.CharField(_("OS / version"), max_length=200, blank=True)
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    # Seed 001: a device replaced under warranty restarts its own warranty.
    warranty_ends_on = models.DateField(_("warranty ends on"), null=True, blank=True)
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.IN_SERVICE)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    scope_path = "contract"
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["contract", "kind", "name"]
        verbose_name = _("asset")
        verbose_name_plural = _("assets")
        constraints = [
            models.UniqueConstraint(fields=["contract", "kind", "name"], name="asset_unique_name_per_kind"),
            models.CheckConstraint(
                condition=models.Q(port__isnull=True) | models.Q(port__gte=1, port__lte=65535),
                name="asset_port_in_range",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.name}"
