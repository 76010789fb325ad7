"""A period's report figures, read from the database into a JSON-safe snapshot.

``build_data`` is all a report prints: the renderer (``reports.rendering``) reads nothing else,
so a signed-off report renders the same years later from its frozen snapshot. The snapshot holds
only str/int/float/bool/None/list/dict: dates and times as ISO strings (Beijing time), money as
strings with two decimals ("1234.56"), choices as their codes (the PDF prints their Chinese).

The figures come from a fixed number of aggregate queries per kind of report, whatever the
amount of data: counts with conditional filters, grouped by month or week for the trends, and one
plain query per list the report prints (incidents, work log, breaches...). Every report has the
totals; what else a kind prints (the weekly attendance, the annual staff structure...) its module
in ``reports.kinds`` adds with the helpers here.

Period days are Beijing days; a moment is in the period when its Beijing date is between the
first and the last day, both included. The queries compare with aware bounds (midnight to
midnight) rather than ``__date`` lookups, so that the (contract, time) indexes serve them.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, IntegerField, Q, Sum, Value
from django.db.models.functions import Coalesce, Trunc
from django.utils import timezone, translation

from contracts.models import Breach, Contract, DutyShift, StaffPost
from contracts.penalties import penalty_summary
from contracts.worktime import CHINA_TZ
from incidents.models import ChangeRequest, Consultation, Incident, ServiceRecord, WorkLogEntry
from incidents.models.incident import BREACHED, HAS_TARGET
from inspections.ledger import bounds
from inspections.models import CheckResult, InspectionSlot, ItemResult, ResultStatus
from reports import kinds
from reports.periods import calendar_period

SCHEMA = 1
SEVERITIES = ["emergency", "severe", "general"]
CLOCKS = ["response", "arrival", "resolution"]
# The half-yearly report lists abnormal answers and failed checks one by one; a sweep of many
# targets can fail by the thousand, so it lists the first ones and says how many there were.
MAX_LISTED = 2000

Status = Incident.Status
RESOLVED_STATES = [Status.RESOLVED, Status.CLOSED]


# --- Small helpers --------------------------------------------------------------------------------


def _iso(moment: dt.datetime | None) -> str | None:
    return timezone.localtime(moment, CHINA_TZ).isoformat() if moment else None


def _day(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def _money(value: Decimal | None) -> str:
    return f"{(value or Decimal(0)):.2f}"


def _percent(part: int, whole: int) -> float | None:
    """part / whole in percent with one decimal; None when there is nothing to measure."""
    return round(part * 100 / whole, 1) if whole else None


def _as_date(value) -> dt.date:
    """A truncated period key as a Beijing date (databases return dates or aware datetimes)."""
    if isinstance(value, dt.datetime):
        return timezone.localtime(value, CHINA_TZ).date() if timezone.is_aware(value) else value.date()
    return value


def period_label(contract: Contract, kind: str, start: dt.date, end: dt.date) -> str:
    """How the report names its period: "2026年6月", "2026年第23周 (06-01–06-07)"... (its kind
    says how), or "2026-05-29 至 2027-05-28" where its kind has no name for it."""
    full = calendar_period(contract, kind, start) == (start, end)
    return kinds.get(kind).period_label(start, end, full) or f"{start.isoformat()} 至 {end.isoformat()}"


# --- Incidents and their SLA ----------------------------------------------------------------------


def _resolved_by(after: dt.datetime) -> Q:
    """Resolved before the period closed: later resolutions leave it open in this report."""
    return Q(resolved_at__lt=after) | Q(resolved_at__isnull=True, status__in=RESOLVED_STATES)


def _incident_counts(after: dt.datetime) -> dict:
    """The conditional counts of incidents that the totals and every trend bucket share.

    An incident with a target is breached if any of its clocks was breached; met if none was and
    it was resolved by the period's end; pending otherwise (still running when the period closed).
    """
    resolved = _resolved_by(after)
    return {
        "total": Count("id"),
        "resolved": Count("id", filter=resolved),
        "with_target": Count("id", filter=HAS_TARGET),
        "breached": Count("id", filter=HAS_TARGET & BREACHED),
        "met": Count("id", filter=HAS_TARGET & ~BREACHED & resolved),
    }


def _incidents_in(contract, first, after):
    return Incident.objects.filter(contract=contract, reported_at__gte=first, reported_at__lt=after)


def _incident_figures(contract, first, after) -> tuple[dict, dict]:
    """The period's incident totals and SLA attainment, in one aggregate query."""
    counts = _incident_counts(after)
    for severity in SEVERITIES:
        counts[f"sev_{severity}"] = Count("id", filter=Q(severity=severity))
    for clock in CLOCKS:
        due = Q(**{f"{clock}_due__isnull": False})
        counts[f"{clock}_target"] = Count("id", filter=due)
        counts[f"{clock}_breached"] = Count("id", filter=due & Q(**{f"{clock}_breached_at__isnull": False}))
    row = _incidents_in(contract, first, after).aggregate(**counts)
    total, resolved = row["total"], row["resolved"]
    incidents = {
        "total": total,
        "open": total - resolved,
        "resolved": resolved,
        "completion_percent": _percent(resolved, total),
        "by_severity": {severity: row[f"sev_{severity}"] for severity in SEVERITIES},
    }
    met, breached = row["met"], row["breached"]
    sla = {
        "incidents": total,
        "with_target": row["with_target"],
        "met": met,
        "breached": breached,
        "pending": row["with_target"] - met - breached,
        # Over the incidents whose outcome is known: one still running has neither met nor missed.
        "attainment_percent": _percent(met, met + breached),
        "by_clock": {
            clock: {
                "with_target": row[f"{clock}_target"],
                "breached": row[f"{clock}_breached"],
                "attainment_percent": _percent(
                    row[f"{clock}_target"] - row[f"{clock}_breached"], row[f"{clock}_target"]
                ),
            }
            for clock in CLOCKS
        },
    }
    return incidents, sla


INCIDENT_FIELDS = [
    "id", "title", "severity", "kind", "source", "status", "reported_at", "resolved_at",
    "response_due", "arrival_due", "resolution_due",
    "response_breached_at", "arrival_breached_at", "resolution_breached_at",
]  # fmt: skip
TEXT_FIELDS = ["description", "cause", "impact", "method", "result"]


def incident_list(contract, first, after, *, with_text: bool) -> list[dict]:
    """Every incident reported in the period, oldest first; with its texts for the weekly and
    monthly reports (seed 000: every fault's description, solution and outcome)."""
    fields = INCIDENT_FIELDS + (TEXT_FIELDS if with_text else [])
    rows = []
    for row in _incidents_in(contract, first, after).order_by("reported_at", "id").values(*fields):
        breached = [clock for clock in CLOCKS if row[f"{clock}_breached_at"]]
        has_target = any(row[f"{clock}_due"] for clock in CLOCKS)
        resolved = (row["resolved_at"] is not None and row["resolved_at"] < after) or (
            row["resolved_at"] is None and row["status"] in RESOLVED_STATES
        )
        if not has_target:
            sla = "none"
        elif breached:
            sla = "breached"
        else:
            sla = "met" if resolved else "pending"
        item = {
            "number": f"{contract.code}-{row['id']:05d}",
            "title": row["title"],
            "severity": row["severity"],
            "kind": row["kind"],
            "source": row["source"],
            "status": row["status"],
            "reported_at": _iso(row["reported_at"]),
            "resolved_at": _iso(row["resolved_at"]),
            "open": not resolved,
            "sla": sla,
            "breached_clocks": breached,
        }
        if with_text:
            item.update({name: row[name] for name in TEXT_FIELDS})
        rows.append(item)
    return rows


# --- Inspections ----------------------------------------------------------------------------------


def _slots_in(contract, first, after):
    # Only the slots due by now: a report of a period still running (or a future slot made
    # ahead by the beat) must not count rounds that were not yet due.
    return InspectionSlot.objects.filter(
        contract=contract, due_at__gte=first, due_at__lt=after, due_at__lte=timezone.now()
    )


def _slot_counts() -> dict:
    zero = Value(0, output_field=IntegerField())
    Status = InspectionSlot.Status
    return {
        "due": Count("id"),
        "done": Count("id", filter=Q(status=Status.DONE)),
        # Past its deadline and still pending is missed, as on the dashboard: the beat may not
        # have marked it yet.
        "missed": Count(
            "id", filter=Q(status=Status.MISSED) | Q(status=Status.PENDING, deadline__lt=timezone.now())
        ),
        "runs": Count("run"),
        "abnormal_items": Coalesce(Sum("run__items_abnormal"), zero),
        "failed_checks": Coalesce(Sum("run__checks_failed"), zero),
    }


def _inspection_row(row: dict) -> dict:
    return {
        "due": row["due"],
        "done": row["done"],
        "missed": row["missed"],
        "pending": row["due"] - row["done"] - row["missed"],
        "runs": row["runs"],
        "abnormal": row["abnormal_items"] + row["failed_checks"],
        "abnormal_items": row["abnormal_items"],
        "failed_checks": row["failed_checks"],
        # Of the slots decided (done, or missed): one still within its time is neither, as on
        # the dashboard (reports.dashboard.Completion).
        "completion_percent": _percent(row["done"], row["done"] + row["missed"]),
    }


def _inspection_figures(contract, first, after) -> dict:
    """Slots due in the period: done, missed, still pending; what their runs found (one query)."""
    return _inspection_row(_slots_in(contract, first, after).aggregate(**_slot_counts()))


def inspection_days(contract, first, after) -> list[dict]:
    """The same figures per Beijing day (the weekly and monthly reports' inspection table)."""
    rows = (
        _slots_in(contract, first, after)
        .annotate(day=Trunc("due_at", "day", tzinfo=CHINA_TZ))
        .values("day")
        .annotate(**_slot_counts())
        .order_by("day")
    )
    return [{"date": _day(_as_date(row["day"])), **_inspection_row(row)} for row in rows]


def abnormal_answers(contract, first, after) -> list[dict]:
    answers = (
        ItemResult.objects.filter(
            run__contract=contract, run__started_at__gte=first, run__started_at__lt=after, abnormal=True
        )
        .select_related("item", "run")
        .order_by("run__started_at", "run_id", "item__position", "item_id")[:MAX_LISTED]
    )
    rows = []
    for answer in answers:
        item = answer.item
        if answer.number is not None:
            value = f"{format(answer.number.normalize(), 'f')}{item.unit}"
        else:
            value = answer.text
        rows.append(
            {
                "at": _iso(answer.run.started_at),
                "section": item.section,
                "item": item.label,
                "value": value,
                "note": answer.note,
            }
        )
    return rows


def failed_checks(contract, first, after) -> list[dict]:
    results = (
        CheckResult.objects.filter(contract=contract, started_at__gte=first, started_at__lt=after)
        .exclude(status=ResultStatus.OK)
        .select_related("automated_check")
        .order_by("started_at", "id")[:MAX_LISTED]
    )
    # The message is an English msgid with its parameters: translated now, under Chinese.
    return [
        {
            "at": _iso(result.started_at),
            "check": result.automated_check.name,
            "status": result.status,
            "message": result.text,
        }
        for result in results
    ]


# --- Work, staff, breaches ------------------------------------------------------------------------


def _task_figures(contract, start, end, first, after) -> dict:
    """Seed 003's task statistics: the work log by category, service records, change requests,
    consultations (one aggregate each)."""
    by_category = dict(
        WorkLogEntry.objects.filter(contract=contract, date__gte=start, date__lte=end)
        .values_list("category")
        .annotate(n=Count("id"))
        .order_by()
    )
    changes = ChangeRequest.objects.filter(
        contract=contract, requested_at__gte=first, requested_at__lt=after
    ).aggregate(
        total=Count("id"),
        executed=Count("id", filter=Q(status=ChangeRequest.Status.EXECUTED)),
        rejected=Count("id", filter=Q(status=ChangeRequest.Status.REJECTED)),
    )
    consultations = Consultation.objects.filter(
        contract=contract, asked_at__gte=first, asked_at__lt=after
    ).aggregate(total=Count("id"), answered=Count("id", filter=Q(answered=True)))
    service_records = ServiceRecord.objects.filter(
        contract=contract, started_at__gte=first, started_at__lt=after
    ).count()
    return {
        "work_log_total": sum(by_category.values()),
        "work_log": {category: by_category.get(category, 0) for category in WorkLogEntry.Category.values},
        "service_records": service_records,
        "change_requests": changes,
        "consultations": consultations,
    }


def work_log(contract, start, end) -> list[dict]:
    entries = (
        WorkLogEntry.objects.filter(contract=contract, date__gte=start, date__lte=end)
        .order_by("date", "id")
        .values("date", "category", "initiator", "handler", "handling", "feedback")
    )
    return [{**entry, "date": _day(entry["date"])} for entry in entries]


def attendance(contract, start, end) -> dict:
    """Seed 003's staff attendance: who was on duty how often, from the duty roster, and each
    post's headcount against the people holding it at the period's end."""
    shifts = DutyShift.objects.filter(contract=contract, date__gte=start, date__lte=end)
    people = [
        {"person": row["person"], "shifts": row["shifts"], "on_site": row["on_site"], "days": row["days"]}
        for row in shifts.values("person")
        .annotate(
            shifts=Count("id"),
            on_site=Count("id", filter=Q(on_site=True)),
            days=Count("date", distinct=True),
        )
        .order_by("person")
    ]
    covered = shifts.aggregate(days=Count("date", distinct=True))["days"]
    holding = Q(assignments__starts_on__lte=end) & (
        Q(assignments__ends_on__isnull=True) | Q(assignments__ends_on__gte=end)
    )
    posts = [
        {
            "name": post.name,
            "shift": post.shift,
            "headcount": post.headcount,
            "current": post.current,
            "short": max(post.headcount - post.current, 0),
        }
        for post in StaffPost.objects.filter(contract=contract).annotate(
            current=Count("assignments", filter=holding)
        )
    ]
    return {
        "days": (end - start).days + 1,
        "days_covered": covered,
        "shifts": sum(p["shifts"] for p in people),
        "on_site": sum(p["on_site"] for p in people),
        "people": people,
        "posts": posts,
    }


def _breaches(contract, start, end, first, after) -> dict:
    """The breaches that occurred in the period and what they cost, priced as
    ``contracts.penalties`` prices them (its summary limited to the period)."""
    lines = [
        {
            "occurred_at": _iso(row["occurred_at"]),
            "kind": row["kind"],
            "clause": row["clause__title"] or "",
            "source": row["source"],
            "days_late": row["days_late"],
            "waived": row["waived"],
            # Kept in the ledger when the facts showed the duty met; it counts zero, as waived.
            "withdrawn": row["withdrawn_at"] is not None,
            "note": row["note"],
        }
        for row in Breach.objects.filter(contract=contract, occurred_at__gte=first, occurred_at__lt=after)
        .order_by("occurred_at", "id")
        .values(
            "occurred_at", "kind", "clause__title", "source", "days_late", "waived", "withdrawn_at", "note"
        )
    ]
    summary = penalty_summary(contract, start=start, end=end)
    clauses = [
        {
            "kind": item.clause.kind,
            "title": item.clause.title,
            "party": item.clause.party,
            "breaches": item.breaches,
            "waived": item.waived,
            "amount": _money(item.amount),
            "explanation": [str(line) for line in item.lines],
        }
        for item in summary.clauses
        if item.breaches or item.waived
    ]
    return {
        "count": len(lines),
        "waived": sum(1 for line in lines if line["waived"]),
        "withdrawn": sum(1 for line in lines if line["withdrawn"]),
        "penalty_total": _money(summary.vendor_total),
        "penalty_capped": summary.vendor_capped,
        "client_total": _money(summary.client_total),
        "lines": lines,
        "clauses": clauses,
        "unpriced": [{"kind": u.kind, "count": u.breaches + u.waived} for u in summary.unpriced],
        "summary": [str(line) for line in summary.lines],
    }


# --- Trends ---------------------------------------------------------------------------------------


def _buckets(start: dt.date, end: dt.date, unit: str) -> list[tuple[dt.date, str]]:
    """The weeks (Mondays) or months (1sts) the period spans, with their chart labels."""
    buckets = []
    if unit == "week":
        key = start - dt.timedelta(days=start.weekday())
        while key <= end:
            buckets.append((key, f"{max(key, start):%m-%d}"))
            key += dt.timedelta(days=7)
    else:
        key = start.replace(day=1)
        while key <= end:
            label = f"{key.month}月" if start.year == end.year else f"{key:%Y-%m}"
            buckets.append((key, label))
            key = (key + dt.timedelta(days=32)).replace(day=1)
    return buckets


def series(contract, start, end, first, after, unit: str) -> dict:
    """Per week or month: incidents, SLA attainment, inspection completion and abnormal findings,
    work log entries (three grouped queries)."""
    incidents = {
        _as_date(row["bucket"]): row
        for row in _incidents_in(contract, first, after)
        .annotate(bucket=Trunc("reported_at", unit, tzinfo=CHINA_TZ))
        .values("bucket")
        .annotate(**_incident_counts(after))
        .order_by()
    }
    slots = {
        _as_date(row["bucket"]): _inspection_row(row)
        for row in _slots_in(contract, first, after)
        .annotate(bucket=Trunc("due_at", unit, tzinfo=CHINA_TZ))
        .values("bucket")
        .annotate(**_slot_counts())
        .order_by()
    }
    work = dict(
        WorkLogEntry.objects.filter(contract=contract, date__gte=start, date__lte=end)
        .annotate(bucket=Trunc("date", unit))
        .values_list("bucket")
        .annotate(n=Count("id"))
        .order_by()
    )
    work = {_as_date(key): n for key, n in work.items()}
    series: dict = {"unit": unit, "labels": [], "incidents": [], "breached": [], "sla_percent": []}
    series.update({"inspections_due": [], "inspection_percent": [], "abnormal": [], "work_log": []})
    for key, label in _buckets(start, end, unit):
        inc = incidents.get(key)
        slot = slots.get(key)
        series["labels"].append(label)
        series["incidents"].append(inc["total"] if inc else 0)
        series["breached"].append(inc["breached"] if inc else 0)
        series["sla_percent"].append(_percent(inc["met"], inc["met"] + inc["breached"]) if inc else None)
        series["inspections_due"].append(slot["due"] if slot else 0)
        series["inspection_percent"].append(slot["completion_percent"] if slot else None)
        series["abnormal"].append(slot["abnormal"] if slot else 0)
        series["work_log"].append(work.get(key, 0))
    return series


# --- The snapshot ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """What a kind's ``build`` reads its own figures for: the period as Beijing days, and as the
    aware bounds its queries compare with (``first`` <= moment < ``after``)."""

    contract: Contract
    start: dt.date
    end: dt.date
    first: dt.datetime
    after: dt.datetime


def build_data(
    contract: Contract, kind: str, period_start: dt.date, period_end: dt.date, *, progress=None
) -> dict:
    """Everything the report of ``kind`` for the period prints, as a JSON-safe dict.

    ``progress(percent)`` is told how far the build is (10, 40, 70, 100) for the portal's bar.
    """
    report_kind = kinds.get(kind)  # ValueError for an unknown kind, before any query
    tell = progress or (lambda percent: None)
    start, end = period_start, period_end
    first, after = bounds(start, end)
    # Texts made here (penalty explanations, check messages) are printed in a Chinese PDF.
    with translation.override("zh-hans"):
        data: dict = {
            "schema": SCHEMA,
            "kind": kind,
            "period": {
                "start": _day(start),
                "end": _day(end),
                "label": period_label(contract, kind, start, end),
            },
            "contract": {
                "code": contract.code,
                "title": contract.title,
                "client": contract.client.name,
                "vendor": contract.vendor.name,
                "starts_on": _day(contract.starts_on),
                "ends_on": _day(contract.ends_on),
                "total": _money(contract.total),
            },
            "built_at": _iso(timezone.now()),
        }
        data["incidents"], data["sla"] = _incident_figures(contract, first, after)
        data["inspections"] = _inspection_figures(contract, first, after)
        tell(10)
        data["tasks"] = _task_figures(contract, start, end, first, after)
        data["breaches"] = _breaches(contract, start, end, first, after)
        tell(40)

        # What only this kind prints: its module says (reports.kinds).
        report_kind.build(data, Period(contract, start, end, first, after))
        tell(70)

        data["empty"] = not (
            data["incidents"]["total"]
            or data["inspections"]["due"]
            or data["inspections"]["runs"]
            or data["tasks"]["work_log_total"]
            or data["tasks"]["service_records"]
            or data["tasks"]["change_requests"]["total"]
            or data["tasks"]["consultations"]["total"]
            or data["breaches"]["count"]
        )
    tell(100)
    return data
