"""The trust store: every certificate the portal has signed PDFs with, so that a PDF signed before
a certificate renewal still verifies. A certificate is recorded the first time it signs (or added
by an operator with ``manage.py signing_certificates --add``); its private key is never stored."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class SigningCertificate(models.Model):
    class Source(models.TextChoices):
        SIGNED = "signed", _("Recorded when it first signed")
        ADDED = "added", _("Added by an operator")

    fingerprint = models.CharField(_("SHA-256 fingerprint"), max_length=64, unique=True)
    pem = models.TextField(_("certificate (PEM)"))
    subject = models.CharField(_("subject"), max_length=500)
    serial = models.CharField(_("serial number"), max_length=80)
    not_before = models.DateTimeField(_("valid from"))
    not_after = models.DateTimeField(_("valid until"))
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        ordering = ["not_before", "pk"]
        verbose_name = _("signing certificate")
        verbose_name_plural = _("signing certificates")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(fingerprint__regex=r"^[0-9a-f]{64}$"),
                name="signingcertificate_fingerprint_hex",
            ),
        ]

    def __str__(self):
        return f"{self.subject} ({self.serial})"
