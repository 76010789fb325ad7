"""The three SLA clocks of an incident, rebuilt from its timeline.

Nothing here reads a stored counter: given the contract's SLA terms and the incident's events,
``compute`` says when each clock started, which term it runs under, when it is (or was) due,
when the checker warns, whether it is paused, and when it was met. The incident's stored
columns are this result, written by ``incidents.services.refresh_clocks``; a penalty dispute can
always be settled by recomputing from the events.

Rules, from the seeds:

* Response is met by the first acknowledgement (or arrival, or resolution, whichever is first).
* Arrival runs only when someone must go on site (the incident says so, or a "dispatched" event);
  it is met by the first arrival.
* Resolution is met by a resolution that is not reopened; between a resolution and its
  reopening the clock stands still (the vendor had reported it fixed).
* Waiting on the client pauses every running clock. Waiting on another unit or on the finance
  department *switches* a clock to the contract's term for that case (seed 004: on site within
  4 hours when another unit is involved, 1 day with the finance department) when the contract
  has one, and pauses the clock when it has none.
* A target in minutes or hours counts time under the term's coverage (7×24, 5×8, 7×8); calendar
  days count around the clock; working days end at the close of the n-th working day (调休
  included), and pauses push them by the working time they lasted; "the same day" (seed 000's
  当日内) ends at 24:00 of the day asked (see ``same_day_deadline``).
* An incident reported outside the contract's term starts no clock: the contract obliges
  nothing on that day.
"""

import datetime as dt
from dataclasses import dataclass, field

from contracts import worktime

CLOCKS = ("response", "arrival", "resolution")
WAITING_CONDITION = {"waiting_other_unit": "other_unit", "waiting_finance": "finance_department"}
ALWAYS, WORKING_DAYS_COVERAGE = "7x24", "5x8"


@dataclass
class Clock:
    name: str
    applies: bool = False
    term: object | None = None  # the SLATerm the clock runs under
    started_at: dt.datetime | None = None
    due_at: dt.datetime | None = None  # None while paused, or without a term
    warn_at: dt.datetime | None = None
    met_at: dt.datetime | None = None
    paused: bool = False
    pauses: list[tuple[dt.datetime, dt.datetime | None]] = field(default_factory=list)

    @property
    def running(self) -> bool:
        return self.applies and self.term is not None and self.met_at is None

    def state(self, now: dt.datetime) -> str:
        """none · met · met_late · paused · running · breached"""
        if not self.applies or self.term is None:
            return "none"
        if self.met_at is not None:
            late = self.due_at is not None and self.met_at > self.due_at
            return "met_late" if late else "met"
        if self.paused:
            return "paused"
        return "breached" if self.due_at is not None and self.due_at <= now else "running"


def pick_term(terms, clock: str, severity: str, condition: str):
    """The most specific term for the case: condition and severity both matching beat either."""
    best, best_rank = None, -1
    for term in terms:
        if (
            term.clock != clock
            or term.severity not in ("", severity)
            or term.condition not in ("", condition)
        ):
            continue
        rank = 2 * bool(term.condition) + bool(term.severity)
        if rank > best_rank:
            best, best_rank = term, rank
    return best


def same_day_deadline(asked_at: dt.datetime, day_ends: dt.time, calendar=None) -> dt.datetime:
    """Seed 000's "一般问题乙方需在当日内予以答复": 24:00 Beijing time of the day asked.

    The reading taken: the answer is owed by the resident engineers, who work the business day
    of working days; a question asked after the business day ends (``day_ends``, 17:30 by
    default) or on a non-working day is taken as asked on the next working day, so it is due by
    24:00 of that day. A question asked before the day starts is due the same day.
    """
    local = worktime.to_china(asked_at)
    day = local.date()
    if not worktime.is_working_day(day, calendar):
        day = worktime.add_working_days(day, 0, calendar)
    elif local.time() >= day_ends:
        day = worktime.add_working_days(day, 1, calendar)
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=worktime.CHINA_TZ)


def _budget(term, start: dt.datetime, hours, calendar) -> tuple[str, dt.timedelta]:
    """The term as an amount of time under a coverage, so pauses can be walked uniformly."""
    if term.unit == "same_day":
        return ALWAYS, same_day_deadline(start, hours[1], calendar) - start
    if term.unit == "minutes":
        return term.coverage, dt.timedelta(minutes=term.target)
    if term.unit == "hours":
        return term.coverage, dt.timedelta(hours=term.target)
    if term.unit == "calendar_days":
        return ALWAYS, dt.timedelta(days=term.target)
    # Working days: the working time from the start to the close of the n-th working day.
    nominal = worktime.add_target(start, term.target, term.unit, term.coverage, *hours, calendar=calendar)
    return WORKING_DAYS_COVERAGE, worktime.working_time_between(
        start, nominal, WORKING_DAYS_COVERAGE, *hours, calendar=calendar
    )


def _walk(start, budget, coverage, pauses, hours, calendar) -> tuple[dt.datetime | None, bool]:
    """When ``budget`` of covered time has run from ``start``, skipping the pauses.

    Returns (instant, paused): (None, True) when the budget is not used up before an open pause.
    """
    used, cursor = dt.timedelta(0), start
    for pause_start, pause_end in pauses:
        if pause_start > cursor:
            segment = worktime.working_time_between(cursor, pause_start, coverage, *hours, calendar=calendar)
            if used + segment >= budget:
                break
            used += segment
        if pause_end is None:
            return None, True
        cursor = max(cursor, pause_end)
    return worktime.add_working_time(cursor, budget - used, coverage, *hours, calendar=calendar), False


def _intervals(events, opening: str, closing: set[str]) -> list[tuple[dt.datetime, dt.datetime | None]]:
    spans, began = [], None
    for event in events:
        if event.kind == opening and began is None:
            began = event.at
        elif event.kind in closing and began is not None:
            spans.append((began, event.at))
            began = None
    if began is not None:
        spans.append((began, None))
    return spans


def compute(incident, events, terms, *, warning_percent=80, hours=None, calendar=None) -> dict[str, Clock]:
    """The clocks of ``incident`` from its ``events`` (in time order) and the contract's ``terms``."""
    contract = incident.contract
    hours = hours or (contract.business_day_starts, contract.business_day_ends)
    calendar = calendar or worktime.Calendar(range(incident.reported_at.year, incident.reported_at.year + 2))
    start = incident.reported_at

    first = {}
    for event in events:
        first.setdefault(event.kind, event.at)
    # Waiting spans, each with the state waited on (the event's to_value).
    waits, current = [], None
    for event in events:
        if event.kind == "waiting" and current is None:
            current = (event.at, event.to_value)
        elif event.kind in ("resumed", "resolved", "closed") and current is not None:
            waits.append((current[0], event.at, current[1]))
            current = None
    if current is not None:
        waits.append((current[0], None, current[1]))
    resolved_spans = _intervals(events, "resolved", {"reopened"})

    response_met = min(
        (first[k] for k in ("acknowledged", "arrived", "resolved") if k in first), default=None
    )
    final_resolution = resolved_spans[-1][0] if resolved_spans and resolved_spans[-1][1] is None else None
    met = {"response": response_met, "arrival": first.get("arrived"), "resolution": final_resolution}
    applies = {
        "response": True,
        "arrival": incident.needs_onsite or "dispatched" in first,
        "resolution": True,
    }

    if incident.outside_term:
        terms = []  # the contract obliges nothing outside its term: no clock starts

    clocks = {}
    for name in CLOCKS:
        clock = Clock(name=name, applies=applies[name], started_at=start, met_at=met[name])
        clock.term = pick_term(terms, name, incident.severity, incident.condition)
        pauses = []
        for wait_start, wait_end, state in waits:
            switched = WAITING_CONDITION.get(state)
            special = pick_term(terms, name, incident.severity, switched) if switched else None
            if special is not None and special.condition == switched:
                clock.term = special  # the case changed: the contract's own target for it applies
            else:
                pauses.append((wait_start, wait_end))
        if name == "resolution":
            pauses += [span for span in resolved_spans if span[1] is not None]
        clock.pauses = sorted(pauses, key=lambda span: span[0])
        if clock.applies and clock.term is not None:
            coverage, budget = _budget(clock.term, start, hours, calendar)
            # Pauses after the clock was met do not move its deadline.
            relevant = [p for p in clock.pauses if clock.met_at is None or p[0] < clock.met_at]
            clock.due_at, clock.paused = _walk(start, budget, coverage, relevant, hours, calendar)
            if clock.met_at is not None:
                clock.paused = False
            if clock.due_at is not None:
                clock.warn_at, _paused = _walk(
                    start, budget * warning_percent / 100, coverage, relevant, hours, calendar
                )
        clocks[name] = clock
    return clocks
