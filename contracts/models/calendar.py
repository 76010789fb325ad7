from django.db import models
from django.utils.translation import gettext_lazy as _

from om_portal.validators import no_bidi_controls


class CalendarDay(models.Model):
    """An override of China's official calendar for one date, entered by an administrator.

    The State Council publishes each year's holidays and swapped working weekends (调休) late
    in the year before; until the ``holidays`` package knows a year, its days are entered here.
    """

    date = models.DateField(_("date"), unique=True)
    is_working_day = models.BooleanField(_("working day"))
    name = models.CharField(_("name"), max_length=100, blank=True, validators=[no_bidi_controls])

    class Meta:
        ordering = ["date"]
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")

    def __str__(self):
        return f"{self.date} {'working day' if self.is_working_day else 'holiday'} {self.name}".strip()


class CalendarYear(models.Model):
    """A year whose official schedule has been entered in full as CalendarDay overrides."""

    year = models.PositiveIntegerField(_("year"), unique=True)
    source = models.CharField(_("source (notice)"), max_length=300, blank=True)

    class Meta:
        ordering = ["year"]
        verbose_name = _("calendar year")
        verbose_name_plural = _("calendar years")

    def __str__(self):
        return str(self.year)
