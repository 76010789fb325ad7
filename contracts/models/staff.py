from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from contracts.models.contract import Contract
from contracts.scoping import RestrictedQuerySet
from om_portal.validators import no_bidi_controls


class StaffPost(models.Model):
    """A resident post the vendor keeps filled (seed 003: 5×8, 7×8 ×2, 7×24; seed 004: 3 + 1)."""

    class Shift(models.TextChoices):
        FIVE_BY_EIGHT = "5x8", _("5×8")
        SEVEN_BY_EIGHT = "7x8", _("7×8")
        SEVEN_BY_TWENTY_FOUR = "7x24", _("7×24")

    contract = models.ForeignKey(
        Contract, on_delete=models.CASCADE, related_name="staff_posts", verbose_name=_("contract")
    )
    name = models.CharField(_("name"), max_length=200, validators=[no_bidi_controls])
    shift = models.CharField(_("shift pattern"), max_length=4, choices=Shift.choices)
    headcount = models.PositiveIntegerField(_("headcount"), default=1, validators=[MinValueValidator(1)])
    place = models.CharField(_("place"), max_length=200, blank=True)

    scope_path = "contract"
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["contract", "name"]
        verbose_name = _("staff post")
        verbose_name_plural = _("staff posts")
        constraints = [
            models.UniqueConstraint(fields=["contract", "name"], name="staff_post_unique_name"),
            models.CheckConstraint(
                condition=models.Q(headcount__gte=1), name="staff_post_headcount_positive"
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.get_shift_display()} × {self.headcount})"


class StaffAssignment(models.Model):
    """A person in a post for a period; a replacement ends one assignment and starts the next."""

    class Role(models.TextChoices):
        PROJECT_MANAGER = "project_manager", _("Project manager")
        TECHNICAL_LEAD = "technical_lead", _("Technical lead")
        ENGINEER = "engineer", _("Engineer")

    post = models.ForeignKey(
        StaffPost, on_delete=models.CASCADE, related_name="assignments", verbose_name=_("staff post")
    )
    person = models.CharField(_("person"), max_length=100)
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.ENGINEER)
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"), null=True, blank=True)
    replaces = models.OneToOneField(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="replaced_by",
        verbose_name=_("replaces"),
    )
    reason = models.CharField(_("reason for the replacement"), max_length=300, blank=True)
    client_consent = models.BooleanField(_("client consented"), default=False)
    consent_note = models.CharField(_("consent (by whom, document)"), max_length=300, blank=True)

    scope_path = "post__contract"
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["post", "starts_on"]
        verbose_name = _("staff assignment")
        verbose_name_plural = _("staff assignments")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True) | models.Q(ends_on__gte=models.F("starts_on")),
                name="staff_assignment_ends_after_start",
            ),
        ]

    def __str__(self):
        return f"{self.person} · {self.get_role_display()}"


class DutyShift(models.Model):
    """A line of a duty roster (值班表): who is on duty when, and whether on site."""

    class Occasion(models.TextChoices):
        ROUTINE = "routine", _("Routine")
        WEEKEND = "weekend", _("Weekend")
        HOLIDAY = "holiday", _("Holiday")
        HEIGHTENED = "heightened", _("Heightened-security period")

    contract = models.ForeignKey(
        Contract, on_delete=models.CASCADE, related_name="duty_shifts", verbose_name=_("contract")
    )
    date = models.DateField(_("date"))
    person = models.CharField(_("person"), max_length=100)
    post = models.ForeignKey(
        StaffPost,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("staff post"),
    )
    starts_at = models.TimeField(_("from"), null=True, blank=True)
    ends_at = models.TimeField(_("until"), null=True, blank=True)
    on_site = models.BooleanField(_("on site"), default=True)
    occasion = models.CharField(
        _("occasion"), max_length=10, choices=Occasion.choices, default=Occasion.ROUTINE
    )
    phone = models.CharField(_("duty phone"), max_length=30, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    scope_path = "contract"
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["contract", "date", "starts_at"]
        verbose_name = _("duty shift")
        verbose_name_plural = _("duty shifts")
        indexes = [
            # Roster gaps and "who is on duty now" look a contract's shifts up by date.
            models.Index(fields=["contract", "date"], name="duty_shift_contract_date_idx"),
        ]

    def __str__(self):
        return f"{self.date} {self.person}"
