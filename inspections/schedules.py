"""Inspection slots: when each contract's inspections are due, their rows, and missed ones.

- ``slots_between`` computes the slots of one contract in a window from its schedules and
  heightened periods (``compute_slots`` is the same without queries, for callers that prefetch);
- ``materialise_slots`` makes the rows of a window match that computation: it inserts the
  missing ones (``ON CONFLICT DO NOTHING`` on the slots' unique constraints, so two runs at once
  insert each slot once) and drops future pending ones that no longer follow from the schedules
  (a heightened period entered after tomorrow's daily slots were made, a schedule deactivated);
- ``overdue_slots`` / ``mark_missed`` find the pending slots past their deadline with one query
  on a partial index, claim each with a conditional UPDATE and record one breach for it;
- ``complete_slot`` is the one way a slot becomes done (on time) or done late (still missed).

Everything is in Beijing time (Asia/Shanghai, no daylight saving since 1991): schedule times are
Beijing wall-clock times, a date given as a window bound is Beijing midnight.

Breaches of a missed slot go under the contract's clause for inspections: kind
``late_inspection`` if the contract has such a clause, else ``late_service`` if it has that (seed
000's "每周巡检等维护、服务工作" clause, 0.3% of the total per day late), else ``late_inspection``
unpriced, which a clause entered later adopts. Seed 004's catch-all ``service_breach`` (1% each,
20% at three) is deliberately not picked by itself: whether every missed round is one of its
breaches is the client's call, made by entering a ``late_inspection`` clause.
"""

import calendar as gregorian
import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import DateTimeField, F, Prefetch, Q, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from contracts import worktime
from contracts.models import Breach, Contract, PenaltyClause
from contracts.notify import notify_event
from contracts.penalties import record_breach
from contracts.worktime import CHINA_TZ, ONE_DAY, to_china
from inspections.models import HeightenedPeriod, InspectionMode, InspectionSchedule, InspectionSlot
from inspections.models.schedules import DEFAULT_GRACE

Kind = InspectionSchedule.Kind
Status = InspectionSlot.Status
BATCH = 1000
# In order of preference; see the module's docstring.
MISSED_BREACH_KINDS = ("late_inspection", "late_service")
_PERIOD_MONTHS = {Kind.MONTHLY_DAY: 1, Kind.QUARTERLY: 3, Kind.HALF_YEARLY: 6}


@dataclass(frozen=True)
class SlotTime:
    """A slot as computed: what ``InspectionSlot`` rows are made from."""

    contract_id: int
    schedule: InspectionSchedule | None
    period: HeightenedPeriod | None
    due_at: dt.datetime
    deadline: dt.datetime

    @property
    def row(self) -> tuple:
        """The columns a stored slot must match to still follow from the schedules."""
        schedule_id = self.schedule.pk if self.schedule else None
        period_id = self.period.pk if self.period else None
        return (schedule_id, period_id, self.contract_id, self.due_at, self.deadline)

    @property
    def identity(self) -> tuple:
        return _identity(*self.row[:4])


def _identity(schedule_id, period_id, contract_id, due_at) -> tuple:
    """What the slots' unique constraints say makes two slots the same slot."""
    if schedule_id is not None:
        return ("schedule", schedule_id, due_at)
    return ("period", period_id, contract_id, due_at)


# --- Computing ----------------------------------------------------------------------------------


def _moment(value) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return to_china(value)
    return dt.datetime.combine(value, dt.time.min, tzinfo=CHINA_TZ)


def _at(day: dt.date, time: dt.time) -> dt.datetime:
    return dt.datetime.combine(day, time, tzinfo=CHINA_TZ)


def _day_in_month(year: int, month: int, day: int) -> dt.date:
    """``day`` of the month, or its last day if it has fewer (31 → 28/29 February, 30 April)."""
    return dt.date(year, month, min(day, gregorian.monthrange(year, month)[1]))


def _add_months(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + month - 1 + months
    return index // 12, index % 12 + 1


def _falls_on(schedule: InspectionSchedule, day: dt.date, first_working_day) -> bool:
    kind = schedule.kind
    if kind == Kind.WEEKLY:
        return day.weekday() == schedule.weekday
    if kind == Kind.MONTHLY_WORKING_DAY:
        return day == first_working_day(day.year, day.month)
    if kind in _PERIOD_MONTHS:
        # Quarters and halves start in January; their slot is on a day of their first month.
        if (day.month - 1) % _PERIOD_MONTHS[kind]:
            return False
        return day == _day_in_month(day.year, day.month, schedule.day_of_month)
    return False


def _next_due(schedule: InspectionSchedule, due: dt.datetime) -> dt.datetime:
    """The schedule's next slot after ``due``: the deadline of a slot with a blank grace."""
    day, time = due.date(), due.time()
    kind = schedule.kind
    if kind == Kind.SEVERAL_DAILY:
        later = [t for t in schedule.times if t > time]
        return _at(day, later[0]) if later else _at(day + ONE_DAY, schedule.times[0])
    if kind == Kind.DAILY:
        return _at(day + ONE_DAY, time)
    if kind == Kind.WEEKLY:
        return _at(day + 7 * ONE_DAY, time)
    year, month = _add_months(day.year, day.month, _PERIOD_MONTHS[kind])
    return _at(_day_in_month(year, month, schedule.day_of_month), time)


def _deadline(schedule: InspectionSchedule, due: dt.datetime) -> dt.datetime:
    if schedule.grace is not None:
        return due + schedule.grace
    return _next_due(schedule, due)


def _period_on(periods: list[HeightenedPeriod], day: dt.date) -> HeightenedPeriod | None:
    """The period in force on ``day``; of overlapping ones, the one that started last (an event
    inside a holiday), then the one entered last."""
    on = [p for p in periods if p.covers(day)]
    return max(on, key=lambda p: (p.starts_on, p.pk or 0)) if on else None


def compute_slots(
    contract: Contract,
    schedules: list[InspectionSchedule],
    periods: list[HeightenedPeriod],
    start,
    end,
    calendar: worktime.Calendar | None = None,
) -> list[SlotTime]:
    """The slots due in ``[start, end)`` from these (active) schedules and periods, in order.

    Only days within the contract's term count. On a day a heightened period covers, each manual
    daily or several-times-a-day schedule is due at the period's times instead of its own, with
    the period's grace; a contract without one gets the period's rounds on their own. Automated
    schedules keep their own times.
    """
    start, end = _moment(start), _moment(end)
    first_day, last_day = start.date(), end.date()
    if contract.starts_on:
        first_day = max(first_day, contract.starts_on)
    if contract.ends_on:
        last_day = min(last_day, contract.ends_on)
    if end <= start or last_day < first_day:
        return []
    if calendar is None:
        calendar = worktime.Calendar(range(first_day.year, last_day.year + 1))
    month_starts: dict[tuple[int, int], dt.date] = {}

    def first_working_day(year: int, month: int) -> dt.date:
        if (year, month) not in month_starts:
            month_starts[year, month] = worktime.add_working_days(dt.date(year, month, 1), 0, calendar)
        return month_starts[year, month]

    # A heightened period replaces the rounds engineers walk, not the machines' checks: an
    # automated daily schedule keeps its own times on the period's days.
    daily = [
        s
        for s in schedules
        if s.kind in InspectionSchedule.DAILY_KINDS and s.mode != InspectionMode.AUTOMATED
    ]
    others = [s for s in schedules if s not in daily]
    slots = []
    day = first_day
    while day <= last_day:
        period = _period_on(periods, day)
        if period is not None:
            for schedule in daily or [None]:
                for time in period.times:
                    due = _at(day, time)
                    slots.append(SlotTime(contract.pk, schedule, period, due, due + period.grace))
        else:
            for schedule in daily:
                for time in schedule.times:
                    due = _at(day, time)
                    slots.append(SlotTime(contract.pk, schedule, None, due, _deadline(schedule, due)))
        for schedule in others:
            if schedule.kind in InspectionSchedule.DAILY_KINDS:
                for time in schedule.times:
                    due = _at(day, time)
                    slots.append(SlotTime(contract.pk, schedule, None, due, _deadline(schedule, due)))
                continue
            if not _falls_on(schedule, day, first_working_day):
                continue
            due = _at(day, schedule.times[0])
            if schedule.kind == Kind.MONTHLY_WORKING_DAY:
                nth = worktime.add_working_days(day, schedule.nth_working_day - 1, calendar)
                # Open from the month's first working day to the end of business on the N-th;
                # a time after closing (which clean() refuses) still gets a window.
                deadline = max(_at(nth, contract.business_day_ends), due + DEFAULT_GRACE)
            else:
                deadline = _deadline(schedule, due)
            slots.append(SlotTime(contract.pk, schedule, None, due, deadline))
        day += ONE_DAY
    slots = [s for s in slots if start <= s.due_at < end]
    slots.sort(key=lambda s: (s.due_at, s.schedule.pk if s.schedule else 0))
    return slots


def slots_between(
    contract: Contract, start, end, calendar: worktime.Calendar | None = None
) -> list[SlotTime]:
    """The slots of ``contract`` due in ``[start, end)`` (datetimes, or dates as Beijing midnight)."""
    start, end = _moment(start), _moment(end)
    schedules = list(contract.inspection_schedules.filter(active=True))
    periods = list(contract.heightened_periods.filter(starts_on__lte=end.date(), ends_on__gte=start.date()))
    return compute_slots(contract, schedules, periods, start, end, calendar)


# --- Materialising ------------------------------------------------------------------------------


def materialise_slots(start, end, *, now=None) -> dict:
    """Make the slot rows due in ``[start, end)`` match the active contracts' schedules.

    Missing slots are inserted; pending slots still in the future that no longer follow from the
    schedules (or follow with another period or deadline) are dropped first and, if still
    wanted, inserted afresh. Slots due by ``now`` are history and stay as they are, and no slot
    is made whose deadline has passed. Returns ``{"created": n, "removed": m}``; a second run
    over the same window does nothing.
    """
    start, end = _moment(start), _moment(end)
    now = now or timezone.now()
    contracts = Contract.objects.filter(status=Contract.Status.ACTIVE).prefetch_related(
        Prefetch(
            "inspection_schedules", InspectionSchedule.objects.filter(active=True), to_attr="active_schedules"
        ),
        Prefetch(
            "heightened_periods",
            HeightenedPeriod.objects.filter(starts_on__lte=end.date(), ends_on__gte=start.date()),
            to_attr="window_periods",
        ),
    )
    calendar = worktime.Calendar(range(start.year, end.year + 1))
    expected = {}
    for contract in contracts:
        slots = compute_slots(
            contract, contract.active_schedules, contract.window_periods, start, end, calendar
        )
        expected.update((slot.identity, slot) for slot in slots)

    with transaction.atomic():
        existing, stale = set(), []
        # The active contracts' slots (by contract and due_at) and anyone's pending ones (the
        # partial index): an ended contract's future slots are to be dropped too.
        rows = InspectionSlot.objects.filter(
            Q(contract__in=contracts) | Q(status=Status.PENDING), due_at__gte=start, due_at__lt=end
        ).values_list(
            "pk", "schedule_id", "heightened_period_id", "contract_id", "due_at", "deadline", "status"
        )
        for pk, *columns, status in rows:
            row = tuple(columns)
            identity = _identity(*row[:4])
            wanted = expected.get(identity)
            if (wanted is None or wanted.row != row) and status == Status.PENDING and row[3] > now:
                stale.append(pk)
            else:
                existing.add(identity)
        removed = 0
        if stale:
            # Still pending re-checked: a slot submitted meanwhile is kept.
            removed, _by_model = InspectionSlot.objects.filter(pk__in=stale, status=Status.PENDING).delete()
        wanted = [
            slot
            for identity, slot in expected.items()
            # A slot whose deadline has passed is not made: it would be missed on arrival,
            # a breach of a schedule or period entered after the fact.
            if identity not in existing and slot.deadline > now
        ]
        covered = _covered_by_done_rounds(wanted)
        missing = [
            InspectionSlot(
                contract_id=slot.contract_id,
                schedule=slot.schedule,
                heightened_period=slot.period,
                due_at=slot.due_at,
                deadline=slot.deadline,
            )
            for slot in wanted
            if slot.identity not in covered
        ]
        # A concurrent run may insert the same slots first: theirs stand, ours are skipped.
        InspectionSlot.objects.bulk_create(missing, batch_size=500, ignore_conflicts=True)
    return {"created": len(missing), "removed": removed}


def _covered_by_done_rounds(slots: list[SlotTime]) -> set[tuple]:
    """The heightened period's rounds that a round of the same schedule already done that day
    covers: a period entered after the day's round was walked adds no round whose time to do
    it holds that walk (each done round covers one, the earliest). One query."""
    rounds = [s for s in slots if s.period is not None and s.schedule is not None]
    if not rounds:
        return set()
    done = InspectionSlot.objects.filter(
        schedule_id__in={s.schedule.pk for s in rounds},
        heightened_period__isnull=True,
        done_at__isnull=False,
        due_at__gte=min(s.due_at for s in rounds) - ONE_DAY,
        due_at__lt=max(s.deadline for s in rounds) + ONE_DAY,
    ).values_list("schedule_id", "due_at", "done_at")
    covered = set()
    for schedule_id, due_at, done_at in done:
        day = to_china(due_at).date()
        for slot in sorted(rounds, key=lambda s: s.due_at):
            if (
                slot.schedule.pk == schedule_id
                and slot.due_at.date() == day
                and slot.due_at <= done_at <= slot.deadline
                and slot.identity not in covered
            ):
                covered.add(slot.identity)
                break
    return covered


# --- Due, overdue, done, missed -----------------------------------------------------------------


def due_slots(now=None):
    """Pending slots open at ``now`` (due, deadline not passed): the partial index on due_at."""
    now = now or timezone.now()
    return InspectionSlot.objects.filter(status=Status.PENDING, due_at__lte=now, deadline__gte=now)


def overdue_slots(now=None):
    """Pending slots past their deadline: one query on the partial index on deadline."""
    now = now or timezone.now()
    return InspectionSlot.objects.filter(status=Status.PENDING, deadline__lt=now).order_by("deadline", "pk")


def missed_breach_kinds(contract_ids) -> dict[int, str]:
    """Per contract, the breach kind of a missed slot (module docstring): one query."""
    contract_ids = set(contract_ids)
    found = set(
        PenaltyClause.objects.filter(contract_id__in=contract_ids, kind__in=MISSED_BREACH_KINDS).values_list(
            "contract_id", "kind"
        )
    )
    return {
        contract_id: next(
            (k for k in MISSED_BREACH_KINDS if (contract_id, k) in found), MISSED_BREACH_KINDS[0]
        )
        for contract_id in contract_ids
    }


def _minute(moment: dt.datetime) -> str:
    return timezone.localtime(moment, CHINA_TZ).strftime("%Y-%m-%d %H:%M")


def _record_missed(slot: InspectionSlot, kind: str, late_done_at=None) -> Breach:
    fmt = {"what": slot.origin_name, "due": _minute(slot.due_at), "deadline": _minute(slot.deadline)}
    if late_done_at is None:
        note = _("Inspection “%(what)s” due %(due)s was not done by %(deadline)s.") % fmt
    else:
        fmt["done"] = _minute(late_done_at)
        note = _("Inspection “%(what)s” due %(due)s was done late, at %(done)s.") % fmt
    # One day late per slot: a per-day clause (seed 000) prices each missed round as a day.
    breach, _created = record_breach(
        slot.contract,
        kind,
        occurred_at=slot.deadline,
        source=Breach.Source.INSPECTION,
        source_ref=f"slot:{slot.pk}",
        days_late=1,
        note=note,
    )
    return breach


def mark_missed(now=None) -> int:
    """Mark the overdue pending slots missed, each with one breach; returns how many this run did.

    Each slot is claimed by ``UPDATE … SET status = 'missed' WHERE id = … AND status =
    'pending'`` in the same transaction as its breach: a row count of 0 means another run (or a
    late submission) got there first, and a crash leaves the slot pending for the next run. The
    breach's ``slot:<pk>`` reference makes it idempotent even so.
    """
    now = now or timezone.now()
    claimed = 0
    while True:
        batch = list(overdue_slots(now).select_related("contract", "schedule", "heightened_period")[:BATCH])
        kinds = missed_breach_kinds({slot.contract_id for slot in batch})
        claimed_now = 0
        for slot in batch:
            with transaction.atomic():
                won = InspectionSlot.objects.filter(
                    pk=slot.pk, status=Status.PENDING, deadline__lt=now
                ).update(status=Status.MISSED, missed_at=now)
                if won != 1:
                    continue
                _record_missed(slot, kinds[slot.contract_id])
                notify_event(
                    "inspection.missed",
                    slot.contract,
                    params={
                        "schedule": slot.origin_name,
                        "due": _minute(slot.due_at),
                        "deadline": _minute(slot.deadline),
                    },
                    link=reverse("inspections:contract", kwargs={"code": slot.contract.code}),
                    dedupe_key=f"inspection.missed:{slot.pk}",
                    at=now,
                )
            claimed_now += 1
        claimed += claimed_now
        # A full batch may have more behind it; one that claimed nothing ends the run.
        if len(batch) < BATCH or claimed_now == 0:
            return claimed


def complete_slot(slot: InspectionSlot, at=None) -> InspectionSlot:
    """Submit the inspection of ``slot``: done by its deadline, else missed with a breach.

    Refused (ValidationError on "slot") when the slot was already submitted.
    """
    at = at or timezone.now()
    with transaction.atomic():
        rows = InspectionSlot.objects.filter(pk=slot.pk, done_at__isnull=True)
        if at <= slot.deadline:
            won = rows.filter(status=Status.PENDING).update(status=Status.DONE, done_at=at)
        else:
            # Done late is still missed: the status says whether the contract was kept, done_at
            # when the work happened.
            won = rows.filter(status__in=[Status.PENDING, Status.MISSED]).update(
                status=Status.MISSED,
                done_at=at,
                missed_at=Coalesce(F("missed_at"), Value(at, output_field=DateTimeField())),
            )
        if won != 1:
            raise ValidationError({"slot": _("This inspection has already been submitted.")})
        if at > slot.deadline:
            _record_missed(slot, missed_breach_kinds([slot.contract_id])[slot.contract_id], late_done_at=at)
    slot.refresh_from_db()
    return slot
