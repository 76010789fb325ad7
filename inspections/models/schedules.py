"""When inspections are due: schedules per contract, heightened-security periods, and the slots
they generate (computed and materialised by ``inspections.schedules``).

Times are Beijing wall-clock times ("HH:MM", Asia/Shanghai); slots are stored as aware datetimes.
"""

import datetime as dt
import re

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _

from contracts.models import Contract
from contracts.scoping import VIEW, RestrictedQuerySet
from om_portal.validators import no_bidi_controls

__all__ = ["HeightenedPeriod", "InspectionMode", "InspectionSchedule", "InspectionSlot", "parse_time"]

_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
DEFAULT_GRACE = dt.timedelta(hours=2)
# The fewest working days in a month so far is 16 (February 2026): up to the 15th, the N-th
# working day never spills into the next month.
MAX_NTH_WORKING_DAY = 15


def parse_time(value: str) -> dt.time:
    match = _HHMM.match(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError(value)
    return dt.time(int(match[1]), int(match[2]))


def validate_times_of_day(value):
    """A list of distinct "HH:MM" strings, 00:00 to 23:59."""
    if not isinstance(value, list):
        raise ValidationError(_("Give the times of day as a list of “HH:MM”."), code="invalid")
    bad = [str(item) for item in value if not (isinstance(item, str) and _HHMM.match(item))]
    if bad:
        raise ValidationError(
            _("Not a time of day (HH:MM, 00:00–23:59): %(times)s."),
            code="invalid",
            params={"times": ", ".join(bad)},
        )
    if len(set(value)) != len(value):
        raise ValidationError(_("A time of day is listed twice."), code="duplicate")


def _valid_times(value) -> list[str] | None:
    """The times sorted, or None when the field validator rejects them."""
    try:
        validate_times_of_day(value)
    except ValidationError:
        return None
    return sorted(value)


def default_schedule_times():
    return ["09:00"]


def default_heightened_times():
    # Seed 000: three inspections a day at 08:00, 13:00 and 19:00 in heightened periods.
    return ["08:00", "13:00", "19:00"]


class InspectionMode(models.TextChoices):
    MANUAL = "manual", _("Manual (an engineer with a tablet)")
    AUTOMATED = "automated", _("Automated (checks run by machines)")


class InspectionSchedule(models.Model):
    """A recurring inspection of one contract, and how long each slot stays open.

    A slot is due at its time and counts as done until its deadline: due + ``grace``; a blank
    grace keeps it open until the schedule's next slot. A "N-th working day" schedule is the
    exception: its slot opens at the month's first working day and closes at the contract's
    end of business on the N-th (seed 001: the monthly plan before the 5th working day).
    """

    class Kind(models.TextChoices):
        DAILY = "daily", _("Daily")
        SEVERAL_DAILY = "several_daily", _("Several times a day")
        WEEKLY = "weekly", _("Weekly")
        MONTHLY_DAY = "monthly_day", _("Monthly, on a day of the month")
        MONTHLY_WORKING_DAY = "monthly_working_day", _("Monthly, by the N-th working day")
        QUARTERLY = "quarterly", _("Quarterly")
        HALF_YEARLY = "half_yearly", _("Half-yearly")

    class Weekday(models.IntegerChoices):
        # Python's date.weekday() numbering.
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    # The kinds a heightened period replaces on the days it covers (manual schedules only).
    DAILY_KINDS = (Kind.DAILY, Kind.SEVERAL_DAILY)
    # The kinds placed on a day of the month (clamped: day 31 in February is its last day).
    DAY_OF_MONTH_KINDS = (Kind.MONTHLY_DAY, Kind.QUARTERLY, Kind.HALF_YEARLY)

    contract = models.ForeignKey(
        Contract, on_delete=models.CASCADE, related_name="inspection_schedules", verbose_name=_("contract")
    )
    name = models.CharField(_("name"), max_length=200, validators=[no_bidi_controls])
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.DAILY)
    times_of_day = models.JSONField(
        _("times of day"),
        default=default_schedule_times,
        blank=True,  # clean() says per kind how many are needed, more clearly than "required"
        validators=[validate_times_of_day],
        help_text=_("Beijing time, “HH:MM”; several only for “several times a day”."),
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices, null=True, blank=True)
    # Quarterly and half-yearly slots fall on this day of the period's first month.
    day_of_month = models.PositiveSmallIntegerField(
        _("day of the month"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(31)],
        help_text=_("A day the month lacks means its last day (31 → 28 or 29 February)."),
    )
    nth_working_day = models.PositiveSmallIntegerField(
        _("N-th working day"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_NTH_WORKING_DAY)],
    )
    grace = models.DurationField(
        _("time to do it"),
        null=True,
        blank=True,
        default=DEFAULT_GRACE,
        help_text=_("Blank: until the next slot. Not used by “N-th working day” schedules."),
    )
    mode = models.CharField(
        _("mode"), max_length=10, choices=InspectionMode.choices, default=InspectionMode.MANUAL
    )
    # The checklist templates are matched by this key (seed 000: the function list; seed 003:
    # machine-room rounds); ``what`` says it in words when there is no checklist.
    checklist_kind = models.SlugField(_("checklist"), max_length=50, blank=True)
    what = models.TextField(_("what is inspected"), blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    scope_path = "contract"
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["contract", "kind", "name"]
        verbose_name = _("inspection schedule")
        verbose_name_plural = _("inspection schedules")
        constraints = [
            models.UniqueConstraint(fields=["contract", "name"], name="inspection_schedule_unique_name"),
            models.CheckConstraint(
                condition=~models.Q(kind="weekly") | models.Q(weekday__isnull=False, weekday__lte=6),
                name="inspection_schedule_weekly_has_weekday",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind__in=["monthly_day", "quarterly", "half_yearly"])
                | models.Q(day_of_month__gte=1, day_of_month__lte=31),
                name="inspection_schedule_has_day_of_month",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="monthly_working_day")
                | models.Q(nth_working_day__gte=1, nth_working_day__lte=MAX_NTH_WORKING_DAY),
                name="inspection_schedule_has_nth_working_day",
            ),
            models.CheckConstraint(
                condition=models.Q(grace__isnull=True) | models.Q(grace__gt=dt.timedelta(0)),
                name="inspection_schedule_grace_positive",
            ),
        ]

    def __str__(self):
        return f"{self.contract.code} · {self.name}"

    @property
    def times(self) -> list[dt.time]:
        return sorted(parse_time(t) for t in self.times_of_day)

    def clean(self):
        errors = {}
        # Malformed lists are the field validator's to report; the rules below need good ones.
        times = _valid_times(self.times_of_day)
        if times is not None:
            if self.kind == self.Kind.SEVERAL_DAILY and len(times) < 2:
                errors["times_of_day"] = _("“Several times a day” needs at least two times of day.")
            elif self.kind != self.Kind.SEVERAL_DAILY and len(times) != 1:
                errors["times_of_day"] = _("Give exactly one time of day (several: “several times a day”).")
            else:
                # Stored in order so that lists, forms and the API show them as the day runs.
                self.times_of_day = times
        needs = {
            "weekday": self.kind == self.Kind.WEEKLY,
            "day_of_month": self.kind in self.DAY_OF_MONTH_KINDS,
            "nth_working_day": self.kind == self.Kind.MONTHLY_WORKING_DAY,
        }
        for field, needed in needs.items():
            value = getattr(self, field)
            if needed and value is None:
                errors[field] = _("A schedule of this kind needs it.")
            elif not needed and value is not None:
                errors[field] = _("Only applies to another kind of schedule; leave it blank.")
        if (
            self.kind == self.Kind.MONTHLY_WORKING_DAY
            and "times_of_day" not in errors
            and times
            and self.contract_id
            and parse_time(times[0]) >= self.contract.business_day_ends
        ):
            errors["times_of_day"] = _(
                "Pick a time before the end of business (%(ends)s), when the window closes."
            ) % {"ends": self.contract.business_day_ends.strftime("%H:%M")}
        if self.grace is not None and self.grace <= dt.timedelta(0):
            errors["grace"] = _("Give a positive duration, or leave it blank for “until the next slot”.")
        elif self.grace is not None and self.kind in self.DAILY_KINDS and self.grace > dt.timedelta(days=1):
            errors["grace"] = _("A daily slot cannot stay open for more than a day.")
        if not self.checklist_kind and not (self.what or "").strip():
            errors["what"] = _("Say what is inspected, or choose a checklist.")
        if errors:
            raise ValidationError(errors)


class PeriodQuerySet(RestrictedQuerySet):
    def restrict(self, user, action: str = VIEW):
        # Scoped through a many-to-many: a period of two of the user's contracts joins twice.
        return super().restrict(user, action).distinct()


class HeightenedPeriod(models.Model):
    """A heightened-security period (重保期): holidays and major events with more inspections.

    Whole Beijing calendar days, both ends included: a period is declared by dates ("National
    Day, 30 September to 7 October"), and it replaces the daily schedules day by day. On each
    day it covers, a listed contract's manual daily and several-times-a-day schedules run at this
    period's times instead of their own (automated, weekly and monthly ones are untouched); a
    contract without a manual daily schedule still gets the period's rounds.
    """

    name = models.CharField(_("name"), max_length=200, validators=[no_bidi_controls])
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"))
    contracts = models.ManyToManyField(
        Contract, related_name="heightened_periods", verbose_name=_("contracts")
    )
    times_of_day = models.JSONField(
        _("times of day"),
        default=default_heightened_times,
        blank=True,
        validators=[validate_times_of_day],
        help_text=_("Beijing time, “HH:MM”."),
    )
    grace = models.DurationField(_("time to do each round"), default=DEFAULT_GRACE)
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    scope_path = "contracts"
    objects = PeriodQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_on", "name"]
        verbose_name = _("heightened-security period")
        verbose_name_plural = _("heightened-security periods")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="heightened_period_ends_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(grace__gt=dt.timedelta(0)), name="heightened_period_grace_positive"
            ),
        ]
        indexes = [
            # Materialising asks for the periods overlapping its window: ends_on >= first day.
            models.Index(fields=["ends_on", "starts_on"], name="heightened_period_dates_idx"),
        ]

    def __str__(self):
        return f"{self.name} ({self.starts_on:%Y-%m-%d} – {self.ends_on:%Y-%m-%d})"

    @property
    def times(self) -> list[dt.time]:
        return sorted(parse_time(t) for t in self.times_of_day)

    def covers(self, day: dt.date) -> bool:
        return self.starts_on <= day <= self.ends_on

    def clean(self):
        errors = {}
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            errors["ends_on"] = _("The period cannot end before it starts.")
        times = _valid_times(self.times_of_day)
        if times == []:
            errors["times_of_day"] = _("Give at least one time of day.")
        elif times is not None:
            self.times_of_day = times
        if self.grace is not None and self.grace <= dt.timedelta(0):
            errors["grace"] = _("Give a positive duration.")
        if errors:
            raise ValidationError(errors)


class InspectionSlot(models.Model):
    """One inspection due at a moment: the unit engineers tick off and machines run.

    A slot comes from a schedule (during a heightened period, a daily schedule's slot at the
    period's times also names the period), or from a period alone for a contract without a
    daily schedule. Done by its deadline it is done; past it while pending, ``mark_missed``
    claims it once (pending → missed) and records one breach.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DONE = "done", _("Done")
        MISSED = "missed", _("Missed")

    contract = models.ForeignKey(
        Contract, on_delete=models.CASCADE, related_name="inspection_slots", verbose_name=_("contract")
    )
    # PROTECT: slots are the record of what was inspected; retire a schedule by deactivating it.
    schedule = models.ForeignKey(
        InspectionSchedule,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="slots",
        verbose_name=_("schedule"),
    )
    heightened_period = models.ForeignKey(
        HeightenedPeriod,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="slots",
        verbose_name=_("heightened-security period"),
    )
    due_at = models.DateTimeField(_("due at"))
    deadline = models.DateTimeField(_("deadline"))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.PENDING)
    # A missed slot done late has both: the status says if the contract was kept, done_at when.
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    missed_at = models.DateTimeField(_("marked missed at"), null=True, blank=True, editable=False)
    # Set once by the beat's conditional UPDATE when it starts the slot's automated run.
    dispatched_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    scope_path = "contract"
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["due_at", "contract", "id"]
        verbose_name = _("inspection slot")
        verbose_name_plural = _("inspection slots")
        constraints = [
            # Materialising twice inserts nothing: ON CONFLICT DO NOTHING on these.
            models.UniqueConstraint(
                fields=["schedule", "due_at"],
                condition=models.Q(schedule__isnull=False),
                name="inspection_slot_unique_schedule_due",
            ),
            models.UniqueConstraint(
                fields=["heightened_period", "contract", "due_at"],
                condition=models.Q(schedule__isnull=True),
                name="inspection_slot_unique_period_due",
            ),
            models.CheckConstraint(
                condition=models.Q(schedule__isnull=False) | models.Q(heightened_period__isnull=False),
                name="inspection_slot_has_origin",
            ),
            models.CheckConstraint(
                condition=models.Q(deadline__gt=models.F("due_at")), name="inspection_slot_deadline_after_due"
            ),
            models.CheckConstraint(
                condition=~models.Q(status="done") | models.Q(done_at__isnull=False),
                name="inspection_slot_done_has_time",
            ),
        ]
        indexes = [
            # overdue_slots / mark_missed every minute: WHERE status = 'pending' AND deadline < now.
            # Partial: only pending slots are in it, a day's worth among years of history.
            models.Index(
                fields=["deadline"], condition=models.Q(status="pending"), name="insp_slot_overdue_idx"
            ),
            # The beat's due slots: WHERE status = 'pending' AND due_at <= now (same reasoning).
            models.Index(fields=["due_at"], condition=models.Q(status="pending"), name="insp_slot_due_idx"),
            # A contract's slots by day: the tablet's "today", the ledger by period, materialising.
            models.Index(fields=["contract", "due_at"], name="insp_slot_contract_due_idx"),
        ]

    def __str__(self):
        return f"{self.contract.code} · {self.origin_name} · {localtime(self.due_at):%Y-%m-%d %H:%M}"

    @property
    def mode(self) -> str:
        # A heightened period's own rounds (no schedule) are walked by engineers.
        return self.schedule.mode if self.schedule_id else InspectionMode.MANUAL

    @property
    def origin_name(self) -> str:
        return self.schedule.name if self.schedule_id else self.heightened_period.name
