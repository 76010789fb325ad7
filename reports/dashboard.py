"""The dashboard's figures: the user's contracts at a glance, read with a constant number of queries.

Each figure is one aggregate over all the user's contracts at once, grouped by contract, so the
page costs the same dozen queries for one contract or a hundred, ten incidents or a million:

- SLA attainment: incidents with a target (any of the three clocks has a due time), met or
  breached (any clock breached), over the last 30 days and the contract year;
- open incidents by severity;
- breaches and penalty exposure: the vendor's capped penalty total, priced by the same rules as
  ``contracts.penalties.penalty_summary`` but from two queries for all contracts (the clauses, and
  one aggregate of the breaches) instead of two per contract;
- inspection completion: slots due in the last 7 and 30 days, done or missed;
- a trend over the last weeks of SLA attainment and inspection completion;
- unpaid milestones overdue or due in the next 60 days, and the reports waiting on the user;
- the client's termination rights that the breaches reached.

The contracts shown are the user's (``Contract.objects.restrict``) that are in service: active,
or ended less than ``ENDED_SHOWN_DAYS`` ago, while their acceptance and last payment are settled,
and any ended contract with money still open: an unpaid milestone, or vendor penalties above what
the milestones had deducted.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from functools import reduce
from operator import or_

from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from contracts.models import Contract, Milestone, Severity
from contracts.penalties import Exposure, vendor_exposure
from contracts.scoping import SIGN_OFF_REPORT, WRITE_REPORT
from contracts.services import contract_year
from incidents.models import Incident
from incidents.models.incident import BREACHED, FINISHED, HAS_TARGET
from inspections.models import InspectionSlot
from reports.models import Report

ENDED_SHOWN_DAYS = 180
RECENT_DAYS = 30
MILESTONE_DAYS = 60
TREND_WEEKS = 8
LIST_LIMIT = 10

OPEN_STATUSES = [
    s for s in Incident.Status.values if s not in (Incident.Status.RESOLVED, Incident.Status.CLOSED)
]
UNPAID = [s for s in Milestone.Status.values if s != Milestone.Status.PAID]
# Still running and not breached: neither met nor missed yet, so left out of the rate, as the
# reports count it (reports.building).
PENDING = ~BREACHED & ~FINISHED


@dataclass
class Attainment:
    """Incidents with an SLA target: how many, how many breached any of their clocks, and how
    many are still running unbreached. The rate is met ÷ (met + breached), as in the reports."""

    with_target: int = 0
    breached: int = 0
    pending: int = 0

    @property
    def met(self) -> int:
        return self.with_target - self.breached - self.pending

    @property
    def percent(self) -> float | None:
        decided = self.met + self.breached
        if not decided:
            return None
        return round(100 * self.met / decided, 1)

    def __add__(self, other: "Attainment") -> "Attainment":
        return Attainment(
            self.with_target + other.with_target, self.breached + other.breached, self.pending + other.pending
        )


@dataclass
class Completion:
    """Inspection slots due in a window: done, missed (marked, or pending past the deadline) and
    still pending. Completion counts the decided ones only: a slot whose deadline has not come
    yet is neither a success nor a failure."""

    done: int = 0
    missed: int = 0
    pending: int = 0

    @property
    def due(self) -> int:
        return self.done + self.missed + self.pending

    @property
    def percent(self) -> float | None:
        decided = self.done + self.missed
        if not decided:
            return None
        return round(100 * self.done / decided, 1)

    def __add__(self, other: "Completion") -> "Completion":
        return Completion(self.done + other.done, self.missed + other.missed, self.pending + other.pending)


def _by_severity() -> dict[str, int]:
    return dict.fromkeys(Severity.values, 0)


@dataclass
class Figures:
    """One contract's figures, or (``contract`` None) the sum over the user's contracts."""

    contract: Contract | None = None
    year: tuple[dt.date, dt.date] | None = None
    sla_recent: Attainment = field(default_factory=Attainment)
    sla_year: Attainment = field(default_factory=Attainment)
    open: dict[str, int] = field(default_factory=_by_severity)
    exposure: Exposure = field(default_factory=Exposure)
    inspections_week: Completion = field(default_factory=Completion)
    inspections_recent: Completion = field(default_factory=Completion)

    @property
    def open_total(self) -> int:
        return sum(self.open.values())

    @property
    def open_rows(self) -> list[tuple[str, str, int]]:
        """(severity, label, count) in the order of severity, for the template."""
        return [(value, label, self.open[value]) for value, label in Severity.choices]


@dataclass
class Dashboard:
    contracts: list[Figures]
    totals: Figures
    weeks: list[dt.date]  # the Monday of each week of the trend, oldest first
    weekly_sla: list[Attainment]
    weekly_inspections: list[Completion]
    milestones: list[Milestone]
    milestone_count: int
    to_sign_off: list[Report]
    to_sign_off_count: int
    to_write: list[Report]
    to_write_count: int
    today: dt.date


# --- Windows -------------------------------------------------------------------------------------


def _midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time()))


def week_starts(today: dt.date, weeks: int = TREND_WEEKS) -> list[dt.date]:
    """The Mondays of the last ``weeks`` weeks, this one included, oldest first."""
    monday = today - dt.timedelta(days=today.weekday())
    return [monday - dt.timedelta(weeks=n) for n in range(weeks - 1, -1, -1)]


def _week_bounds(weeks: list[dt.date], now: dt.datetime) -> list[tuple[dt.datetime, dt.datetime]]:
    starts = [_midnight(day) for day in weeks]
    return list(zip(starts, [*starts[1:], now], strict=True))


def current_year(contract: Contract, today: dt.date) -> tuple[dt.date, dt.date]:
    """The contract year holding today, or the term's last one once the term is over."""
    if contract.ends_on and contract.ends_on < today:
        today = contract.ends_on
    return contract_year(contract, today)


def shown_on_dashboard(contract: Contract, today: dt.date, money_open: bool = False) -> bool:
    """Active contracts, those ended recently (their acceptance and last payment still run), and
    any ended one with money still open (``money_open``: see ``open_money``)."""
    if contract.status == Contract.Status.ACTIVE:
        return True
    if contract.status == Contract.Status.DRAFT:
        return False
    recent = contract.ends_on is None or contract.ends_on >= today - dt.timedelta(days=ENDED_SHOWN_DAYS)
    return recent or money_open


def open_money(contracts: list[Contract], exposure: dict[int, Exposure]) -> set[int]:
    """One query: the contracts with an unpaid milestone, or whose vendor penalties exceed what
    the milestones had deducted (penalties not yet settled)."""
    rows = (
        Milestone.objects.filter(contract_id__in=[c.pk for c in contracts])
        .values("contract_id")
        .annotate(unpaid=Count("id", filter=Q(status__in=UNPAID)), deducted=Sum("deduction"))
        .order_by()
    )
    deducted = {}
    result = set()
    for row in rows:
        deducted[row["contract_id"]] = row["deducted"] or 0
        if row["unpaid"]:
            result.add(row["contract_id"])
    for contract in contracts:
        if exposure[contract.pk].vendor_total > deducted.get(contract.pk, 0):
            result.add(contract.pk)
    return result


# --- The aggregates ------------------------------------------------------------------------------


def sla_attainment(contracts: list[Contract], now: dt.datetime, weeks: list[dt.date]):
    """One query: per contract, SLA attainment over the last 30 days, the contract year, and each
    week of ``weeks``. Returns {contract id: (recent, year, [per week])}."""
    today = timezone.localdate(now)
    since = now - dt.timedelta(days=RECENT_DAYS)
    # Contracts whose years start on the same day share one condition, so the SQL grows with the
    # number of distinct year starts, not of contracts (and not at all with the incidents).
    by_start = defaultdict(list)
    for contract in contracts:
        by_start[_midnight(current_year(contract, today)[0])].append(contract.pk)
    in_year = reduce(or_, (Q(contract_id__in=ids, reported_at__gte=start) for start, ids in by_start.items()))
    bounds = _week_bounds(weeks, now)
    horizon = min([since, bounds[0][0], *by_start])
    aggregates = {
        "recent": Count("id", filter=Q(reported_at__gte=since)),
        "recent_breached": Count("id", filter=Q(reported_at__gte=since) & BREACHED),
        "recent_pending": Count("id", filter=Q(reported_at__gte=since) & PENDING),
        "year": Count("id", filter=in_year),
        "year_breached": Count("id", filter=in_year & BREACHED),
        "year_pending": Count("id", filter=in_year & PENDING),
    }
    for n, (start, end) in enumerate(bounds):
        week = Q(reported_at__gte=start, reported_at__lt=end)
        aggregates[f"w{n}"] = Count("id", filter=week)
        aggregates[f"w{n}_breached"] = Count("id", filter=week & BREACHED)
        aggregates[f"w{n}_pending"] = Count("id", filter=week & PENDING)
    rows = (
        Incident.objects.filter(
            HAS_TARGET, contract_id__in=[c.pk for c in contracts], reported_at__gte=horizon
        )
        .values("contract_id")
        .annotate(**aggregates)
        .order_by()
    )
    return {
        row["contract_id"]: (
            Attainment(row["recent"], row["recent_breached"], row["recent_pending"]),
            Attainment(row["year"], row["year_breached"], row["year_pending"]),
            [
                Attainment(row[f"w{n}"], row[f"w{n}_breached"], row[f"w{n}_pending"])
                for n in range(len(bounds))
            ],
        )
        for row in rows
    }


def open_incidents(contracts: list[Contract]) -> dict[int, dict[str, int]]:
    """One query: open incidents per contract and severity (status IN (...) reads the
    (contract, status, reported_at) index)."""
    result = defaultdict(_by_severity)
    rows = (
        Incident.objects.filter(contract_id__in=[c.pk for c in contracts], status__in=OPEN_STATUSES)
        .values("contract_id", "severity")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in rows:
        result[row["contract_id"]][row["severity"]] += row["n"]
    return result


def inspection_completion(contracts: list[Contract], now: dt.datetime, weeks: list[dt.date]):
    """One query on the (contract, due_at) index: per contract, slots due in the last 7 and 30
    days and in each week of ``weeks``. Returns {contract id: (week, recent, [per week])}."""
    Status = InspectionSlot.Status
    done = Q(status=Status.DONE)
    missed = Q(status=Status.MISSED) | Q(status=Status.PENDING, deadline__lt=now)
    pending = Q(status=Status.PENDING, deadline__gte=now)
    windows = {
        "last7": Q(due_at__gte=now - dt.timedelta(days=7)),
        "last30": Q(due_at__gte=now - dt.timedelta(days=RECENT_DAYS)),
    }
    bounds = _week_bounds(weeks, now)
    for n, (start, end) in enumerate(bounds):
        windows[f"w{n}"] = Q(due_at__gte=start, due_at__lt=end)
    aggregates = {}
    for name, window in windows.items():
        for state, condition in (("done", done), ("missed", missed), ("pending", pending)):
            aggregates[f"{name}_{state}"] = Count("id", filter=window & condition)
    horizon = min(now - dt.timedelta(days=RECENT_DAYS), bounds[0][0])
    rows = (
        InspectionSlot.objects.filter(
            contract_id__in=[c.pk for c in contracts], due_at__gte=horizon, due_at__lte=now
        )
        .values("contract_id")
        .annotate(**aggregates)
        .order_by()
    )

    def completion(row, name):
        return Completion(row[f"{name}_done"], row[f"{name}_missed"], row[f"{name}_pending"])

    return {
        row["contract_id"]: (
            completion(row, "last7"),
            completion(row, "last30"),
            [completion(row, f"w{n}") for n in range(len(bounds))],
        )
        for row in rows
    }


def upcoming_milestones(user, today: dt.date, limit: int = LIST_LIMIT) -> tuple[list[Milestone], int]:
    """Unpaid milestones overdue or due in the next 60 days, the longest overdue first: status IN
    (unpaid) and a due_on bound read the (status, due_on) index. At most ``limit`` of them, and how
    many there are. An overdue one stays until it is paid, whatever its contract's state."""
    milestones = Milestone.objects.restrict(user).filter(
        status__in=UNPAID, due_on__lte=today + dt.timedelta(days=MILESTONE_DAYS)
    )
    return _first_and_count(
        milestones.select_related("contract").order_by("due_on", "contract__code", "position", "id"), limit
    )


def reports_to_sign_off(user, limit: int = LIST_LIMIT) -> tuple[list[Report], int]:
    """Submitted reports the user may sign off (a client manager of the contract), oldest first."""
    reports = Report.objects.restrict(user, SIGN_OFF_REPORT).filter(status=Report.Status.SUBMITTED)
    return _first_and_count(reports.select_related("contract").order_by("submitted_at", "id"), limit)


def reports_to_write(user, limit: int = LIST_LIMIT) -> tuple[list[Report], int]:
    """Drafts and returned reports with a due date that the user writes and submits (a vendor
    manager of the contract), soonest due first."""
    reports = Report.objects.restrict(user, WRITE_REPORT).filter(
        status__in=[Report.Status.DRAFT, Report.Status.RETURNED], due_on__isnull=False
    )
    return _first_and_count(reports.select_related("contract").order_by("due_on", "id"), limit)


def _first_and_count(queryset, limit: int):
    if queryset.model is Report:
        # A report's figures and narrative can be large; a list line needs neither.
        queryset = queryset.defer("data", "narrative")
    rows = list(queryset[:limit])
    # A short first page is the whole list: the count needs its own query only when it is full.
    return rows, (len(rows) if len(rows) < limit else queryset.count())


# --- The whole page ------------------------------------------------------------------------------


def dashboard_data(user, contracts: list[Contract], now: dt.datetime | None = None) -> Dashboard:
    """The dashboard of ``user`` over ``contracts`` (theirs: ``Contract.objects.restrict(user)``,
    already read by the caller): 8 queries whatever the number of contracts and rows, one more for
    each of the three lists that is full (its count), and one when an ended contract is kept on
    the page only by its money (``open_money``)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    # The exposure of every contract not a draft: an ended one with unsettled penalties stays.
    candidates = [c for c in contracts if c.status != Contract.Status.DRAFT]
    recent_since = now - dt.timedelta(days=RECENT_DAYS)
    exposure = vendor_exposure(candidates, recent_since=recent_since) if candidates else {}
    # Money is asked about only for the contracts nothing else keeps on the page (one query).
    past = [c for c in candidates if not shown_on_dashboard(c, today)]
    money = open_money(past, exposure) if past else set()
    shown = sorted(
        (c for c in candidates if shown_on_dashboard(c, today, c.pk in money)), key=lambda c: c.code
    )
    weeks = week_starts(today)
    rows = [Figures(contract=c, year=current_year(c, today)) for c in shown]
    totals = Figures()
    weekly_sla = [Attainment() for _ in weeks]
    weekly_inspections = [Completion() for _ in weeks]
    if shown:
        sla = sla_attainment(shown, now, weeks)
        opened = open_incidents(shown)
        inspections = inspection_completion(shown, now, weeks)
        for row in rows:
            pk = row.contract.pk
            if pk in sla:
                row.sla_recent, row.sla_year, weeks_sla = sla[pk]
                weekly_sla = [a + b for a, b in zip(weekly_sla, weeks_sla, strict=True)]
            if pk in opened:
                row.open = opened[pk]
            row.exposure = exposure[pk]
            if pk in inspections:
                row.inspections_week, row.inspections_recent, weeks_done = inspections[pk]
                weekly_inspections = [a + b for a, b in zip(weekly_inspections, weeks_done, strict=True)]
            totals.sla_recent += row.sla_recent
            totals.sla_year += row.sla_year
            for severity, n in row.open.items():
                totals.open[severity] += n
            totals.exposure += row.exposure
            totals.inspections_week += row.inspections_week
            totals.inspections_recent += row.inspections_recent
    milestones, milestone_count = upcoming_milestones(user, today)
    to_sign_off, to_sign_off_count = reports_to_sign_off(user)
    to_write, to_write_count = reports_to_write(user)
    return Dashboard(
        contracts=rows,
        totals=totals,
        weeks=weeks,
        weekly_sla=weekly_sla,
        weekly_inspections=weekly_inspections,
        milestones=milestones,
        milestone_count=milestone_count,
        to_sign_off=to_sign_off,
        to_sign_off_count=to_sign_off_count,
        to_write=to_write,
        to_write_count=to_write_count,
        today=today,
    )


def dashboard_charts(board: Dashboard) -> dict:
    """The page's SVG charts (reports.charts), all from the figures already read."""
    from reports import charts

    totals = board.totals
    percent_rows = [(row.contract.code, row.sla_year.percent) for row in board.contracts]
    inspection_rows = [(row.contract.code, row.inspections_recent.percent) for row in board.contracts]
    return {
        "sla_ring": charts.percent_ring(totals.sla_recent.percent, label=_("Last 30 days")),
        "inspection_ring": charts.percent_ring(totals.inspections_recent.percent, label=_("Last 30 days")),
        "open_by_severity": charts.bar_chart(
            [(str(label), n) for _value, label, n in totals.open_rows], width=260
        ),
        "sla_by_contract": charts.bar_chart(percent_rows, unit="%", max_value=100) if percent_rows else "",
        "inspections_by_contract": (
            charts.bar_chart(inspection_rows, unit="%", max_value=100) if inspection_rows else ""
        ),
        "trend": charts.trend_chart(
            [f"{day:%m-%d}" for day in board.weeks],
            [
                (_("SLA attainment"), [a.percent for a in board.weekly_sla]),
                (_("Inspection completion"), [c.percent for c in board.weekly_inspections]),
            ],
            unit="%",
            max_value=100,
            width=720,
            height=220,
        ),
    }
