from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class LoanPrimeRate(models.Model):
    """The one-year Loan Prime Rate (贷款市场报价利率) published from a date, entered by an
    administrator: seed 003 charges the bureau's late payments at the rate in force on the day the
    contract took effect, so the rate on a bill is data, never a constant in the code."""

    effective_on = models.DateField(_("in force from"), unique=True)
    one_year_percent = models.DecimalField(
        _("one-year LPR (% a year)"),
        max_digits=6,
        decimal_places=3,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    source = models.CharField(_("source (announcement)"), max_length=300, blank=True)

    class Meta:
        ordering = ["-effective_on"]
        verbose_name = _("loan prime rate")
        verbose_name_plural = _("loan prime rates")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(one_year_percent__gte=0, one_year_percent__lte=100),
                name="loan_prime_rate_0_100",
            ),
        ]

    def __str__(self):
        return f"{self.effective_on} {self.one_year_percent}%"

    @classmethod
    def in_force_on(cls, day):
        """The rate published last on or before ``day``, or None when none was entered."""
        return cls.objects.filter(effective_on__lte=day).order_by("-effective_on").first()
