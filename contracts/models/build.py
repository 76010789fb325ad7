import datetime as dt

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from contracts.models.contract import Contract
from contracts.scoping import RestrictedQuerySet

# A period of up to ten years, a date within this century: the derived deadlines stay dates.
DAYS = [MaxValueValidator(3650)]


def plausible_date(value):
    if not dt.date(1970, 1, 1) <= value < dt.date(2100, 1, 1):
        raise ValidationError(_("Give a date between 1970 and 2099."), code="implausible")


class BuildTimeline(models.Model):
    """A build contract's schedule (seed 001): the periods the text sets, and the dates the
    client enters as they happen; every deadline and the warranty's end derive from them.

    Seed 001 §五: "自签订合同之日起,在180个日历日内实施完成 … 系统实施完成后30个日历日内完成
    初验 … 经过180个日历日试运行后 … 在30个日历日内完成项目终验"; "试运行期 … 如发生问题,
    自发现问题之日起试运行期将予以延长30个日历日"; §八.2 "维保期3年,从项目通过最终验收合格之日
    起开始计算". A trial-run problem is a breach of kind ``trial_run_problem`` on the ledger (it
    carries its date, and the ledger gives it the audit trail and the termination right).
    """

    contract = models.OneToOneField(
        Contract, on_delete=models.CASCADE, related_name="build_timeline", verbose_name=_("contract")
    )
    build_days = models.PositiveIntegerField(_("build period (calendar days)"), default=180, validators=DAYS)
    initial_acceptance_days = models.PositiveIntegerField(
        _("initial acceptance within (calendar days)"), default=30, validators=DAYS
    )
    trial_run_days = models.PositiveIntegerField(_("trial run (calendar days)"), default=180, validators=DAYS)
    trial_extension_days = models.PositiveIntegerField(
        _("trial run extension per problem (calendar days)"), default=30, validators=DAYS
    )
    final_acceptance_days = models.PositiveIntegerField(
        _("final acceptance within (calendar days)"), default=30, validators=DAYS
    )
    warranty_years = models.PositiveIntegerField(
        _("warranty (years)"), default=3, validators=[MinValueValidator(1), MaxValueValidator(50)]
    )
    build_done_on = models.DateField(
        _("build completed on"), null=True, blank=True, validators=[plausible_date]
    )
    initial_acceptance_on = models.DateField(
        _("initial acceptance on"), null=True, blank=True, validators=[plausible_date]
    )
    final_acceptance_on = models.DateField(
        _("final acceptance on"), null=True, blank=True, validators=[plausible_date]
    )

    scope_path = "contract"
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["contract"]
        verbose_name = _("build timeline")
        verbose_name_plural = _("build timelines")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(initial_acceptance_on__isnull=True)
                | models.Q(build_done_on__isnull=True)
                | models.Q(initial_acceptance_on__gte=models.F("build_done_on")),
                name="build_timeline_initial_after_build",
            ),
            models.CheckConstraint(
                condition=models.Q(final_acceptance_on__isnull=True)
                | models.Q(initial_acceptance_on__isnull=True)
                | models.Q(final_acceptance_on__gte=models.F("initial_acceptance_on")),
                name="build_timeline_final_after_initial",
            ),
        ]

    def __str__(self):
        return f"{self.contract.code} · {self._meta.verbose_name}"

    @property
    def build_due_on(self) -> dt.date | None:
        """The last day of the build period: signing day + 180 (the signing day itself is not
        counted, as periods are in Chinese law; the delay clause charges from the next day)."""
        signed = self.contract.signed_on
        return signed + dt.timedelta(days=self.build_days) if signed else None

    @property
    def initial_acceptance_due_on(self) -> dt.date | None:
        if self.build_done_on is None:
            return None
        return self.build_done_on + dt.timedelta(days=self.initial_acceptance_days)

    def trial_run_ends_on(self, problems: int) -> dt.date | None:
        """The trial run's last day: 180 days after the initial acceptance, 30 more per problem."""
        if self.initial_acceptance_on is None:
            return None
        days = self.trial_run_days + self.trial_extension_days * problems
        return self.initial_acceptance_on + dt.timedelta(days=days)

    def final_acceptance_due_on(self, problems: int) -> dt.date | None:
        trial_end = self.trial_run_ends_on(problems)
        return trial_end + dt.timedelta(days=self.final_acceptance_days) if trial_end else None

    @property
    def warranty_ends_on(self) -> dt.date | None:
        """The warranty's last day: three years from the final acceptance, that day counted."""
        start = self.final_acceptance_on
        if start is None:
            return None
        try:
            anniversary = start.replace(year=start.year + self.warranty_years)
        except ValueError:  # 29 February: the period ends with the month
            anniversary = start.replace(year=start.year + self.warranty_years, day=28) + dt.timedelta(days=1)
        return anniversary - dt.timedelta(days=1)
