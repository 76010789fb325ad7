"""Accepting what contract intake proposed for this app: the inspection schedules
(``contracts.intake.routines``), each made through the schedule form people use on the contract's
inspections page, so that a proposal passes the same rules as a schedule typed in by hand.

``contracts`` cannot import this app: the intake flow reaches it through
``InspectionsConfig.accept_intake``. Nothing here opens a transaction of its own: the caller
accepts the whole contract in one, and an invalid proposal raises ``ValidationError`` (every
schedule of the contract is then rolled back with the rest).
"""

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from inspections import schedules
from inspections.manage_forms import ScheduleForm
from inspections.models import InspectionMode, InspectionSchedule
from inspections.models.schedules import DEFAULT_GRACE, default_schedule_times

FIELD = "inspection_schedule"
Kind = InspectionSchedule.Kind
# The days a schedule of these kinds needs, where the text did not say: a weekly round at the end
# of the working week (seed 000's weekly report is written on Fridays), the first of the month.
DEFAULT_WEEKDAY = InspectionSchedule.Weekday.FRIDAY
DEFAULT_DAY_OF_MONTH = 1
MATERIALISE_AHEAD = dt.timedelta(days=2)
# More than any contract asks for: each schedule materialises slots every day.
MAX_SCHEDULES = 50


def _number(value) -> str:
    """A number that may arrive as int, float or str ("5", "5.0"), as the form's text."""
    if value is None or value == "":
        return ""
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return str(value)  # the form names it as not a number
    return str(int(number)) if number == number.to_integral_value() else str(number)


def _times(value) -> str:
    if not value:
        return ", ".join(default_schedule_times())
    if isinstance(value, list | tuple):
        return ", ".join(str(item) for item in value)
    return str(value)


def form_data(value: dict) -> dict:
    """The schedule form's fields from a proposal's value (JSON-decoded)."""
    kind = str(value.get("kind") or "")
    data = {
        "name": str(value.get("name") or ""),
        "kind": kind,
        "mode": str(value.get("mode") or InspectionMode.MANUAL),
        "times_of_day": _times(value.get("times_of_day")),
        "weekday": _number(value.get("weekday")),
        "day_of_month": _number(value.get("day_of_month")),
        "nth_working_day": _number(value.get("nth_working_day")),
        "checklist_kind": str(value.get("checklist_kind") or ""),
        "what": str(value.get("what") or ""),
        "active": "on",
    }
    if kind == Kind.WEEKLY and not data["weekday"]:
        data["weekday"] = str(DEFAULT_WEEKDAY.value)
    if kind in InspectionSchedule.DAY_OF_MONTH_KINDS and not data["day_of_month"]:
        data["day_of_month"] = str(DEFAULT_DAY_OF_MONTH)
    if "grace_hours" in value:
        data["grace"] = _number(value["grace_hours"])
    elif kind in InspectionSchedule.DAILY_KINDS:
        data["grace"] = _number(DEFAULT_GRACE.total_seconds() / 3600)
    else:
        data["grace"] = ""  # a monthly round stays open until the next one
    return data


def _materialise():
    now = timezone.now()
    schedules.materialise_slots(now, now + MATERIALISE_AHEAD, now=now)


def accept_intake(contract, proposals) -> list[tuple[InspectionSchedule, dict]]:
    """Creates the contract's schedules from the accepted ``inspection_schedule`` proposals
    (others are left to their apps) and returns (schedule, proposal) pairs."""
    created = []
    mine = [p for p in proposals if p.get("field") == FIELD]
    if len(mine) > MAX_SCHEDULES:
        raise ValidationError(
            _("At most %(n)s inspection schedules can be accepted at once.") % {"n": MAX_SCHEDULES}
        )
    for proposal in mine:
        value = proposal.get("value")
        if not isinstance(value, dict):
            raise ValidationError(_("An accepted proposal has no value that can be read."))
        form = ScheduleForm(form_data(value), contract=contract)
        if not form.is_valid():
            raise ValidationError(form.errors.as_data())
        created.append((form.save(), proposal))
    if created:
        # As the inspections page does after a save: the coming slots, once the contract is in.
        transaction.on_commit(_materialise)
    return created
