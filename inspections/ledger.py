"""The inspection ledger (巡检台账) of a contract over a period: one row per slot.

Seed 004 asks for a daily inspection ledger with the time and the content of each inspection;
seed 003 for an inspection record of who, what and the result. A row says when the slot was
due and until when, what it inspected (schedule or heightened period, checklist), how (mode),
its status, when it was done and by whom, the result with every abnormal answer and every check
that did not pass (with its message), and the incidents it opened.

``build_rows`` costs the same few queries for ten slots or ten thousand: the slots with their
run, schedule, period, template and engineer in one query, then one query each for the
checklists named by key, the abnormal answers, the failed results and the monitoring incidents.
It also reads a bounded number of rows whatever the period: a sweep of 10,000 targets fails by
the hundred every five minutes, so an automated run brings at most MAX_LISTED of its failures
(cut in the query, counted there too) and the incidents of its own window; the rest is a count
and a link to the run's own page ("还有 N 项"). Loading every failure made a day's ledger at
10,000 checks every 5 minutes take 20–26 s (bench/results_year.py).

An automated run does not store the incidents it opened (a failing check keeps only its
current one); the ledger counts as the run's an incident from monitoring on the asset of one
of its failed checks, reported while the run ran.
"""

import datetime as dt
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, F, Q, Window
from django.db.models.functions import Coalesce, RowNumber
from django.urls import reverse
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from contracts.models import Contract
from contracts.worktime import CHINA_TZ
from incidents.models import Incident, IncidentSource
from inspections.models import (
    ChecklistItem,
    ChecklistTemplate,
    CheckResult,
    InspectionMode,
    InspectionRun,
    InspectionSlot,
    ItemResult,
    ResultStatus,
)
from om_portal import spreadsheets

MAX_DAYS = 366
# A sweep of thousands of targets may fail by the hundred: a row lists the first ones and a count.
MAX_LISTED = 20
# An unfinished run's incidents are looked for this long after it started.
OPEN_RUN_WINDOW = dt.timedelta(hours=1)
# Incidents are opened just before the run is marked finished: a little slack after it.
FINISH_SLACK = dt.timedelta(minutes=1)


@dataclass
class IncidentRef:
    pk: int
    number: str
    title: str


@dataclass
class LedgerRow:
    slot: InspectionSlot
    due_at: dt.datetime
    deadline: dt.datetime
    what: str
    period: str
    checklist: str
    mode: str
    mode_label: str
    status: str
    status_label: str
    done_at: dt.datetime | None
    # A round sent from a tablet's queue: when the tablet says it was submitted (the vendor's
    # claim), beside done_at, when it reached the server (unless the client accepted the claim).
    device_at: dt.datetime | None
    performed_by: str
    result: str
    note: str = ""
    problems: list[str] = field(default_factory=list)
    incidents: list[IncidentRef] = field(default_factory=list)
    # What the lists above leave out (the problems' last line says how many), and the run's page
    # that lists them.
    problems_more: int = 0
    incidents_more: int = 0
    more_link: str = ""

    @property
    def incidents_more_text(self) -> str:
        return _more(self.incidents_more) if self.incidents_more else ""


def bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Beijing midnight of ``start`` to Beijing midnight after ``end``: both days included."""
    first = dt.datetime.combine(start, dt.time(), tzinfo=CHINA_TZ)
    return first, dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tzinfo=CHINA_TZ)


def slots_in(contract: Contract, start: dt.date, end: dt.date):
    """The contract's slots due from ``start`` to ``end`` (Beijing days, both included), with all
    that a row reads of them. The caller has scoped ``contract`` to the user."""
    first, after = bounds(start, end)
    return (
        InspectionSlot.objects.filter(contract=contract, due_at__gte=first, due_at__lt=after)
        .select_related("schedule", "heightened_period", "run__template", "run__performed_by")
        .order_by("due_at", "id")
    )


def ledger_rows(contract: Contract, start: dt.date, end: dt.date) -> list[LedgerRow]:
    return build_rows(contract, list(slots_in(contract, start, end)))


def _run(slot) -> InspectionRun | None:
    # select_related caches a missing run as None; the descriptor then raises, hasattr says no.
    return slot.run if hasattr(slot, "run") else None


def build_rows(contract: Contract, slots: list[InspectionSlot]) -> list[LedgerRow]:
    runs = [run for run in map(_run, slots) if run is not None]
    templates = _templates_by_key(contract, slots)
    answers = _abnormal_answers(runs)
    failures = _failed_results(runs)
    incidents = _monitoring_incidents(contract, runs, failures)
    rows = []
    for slot in slots:
        run = _run(slot)
        schedule = slot.schedule
        template = (
            run.template if run and run.template_id else templates.get(schedule and schedule.checklist_kind)
        )
        row = LedgerRow(
            slot=slot,
            due_at=slot.due_at,
            deadline=slot.deadline,
            what=slot.origin_name,
            period=slot.heightened_period.name if slot.heightened_period_id else "",
            checklist=template.name if template else (schedule.what if schedule else ""),
            mode=slot.mode,
            mode_label=str(InspectionMode(slot.mode).label),
            status=slot.status,
            status_label=str(InspectionSlot.Status(slot.status).label),
            done_at=slot.done_at,
            device_at=run.device_submitted_at if run else None,
            performed_by=_performer(run),
            result=_result(slot, run),
            note=run.note if run else "",
        )
        if run is not None and run.mode == InspectionMode.AUTOMATED:
            failed, count = failures.get(run.pk, ([], 0))
            row.problems = _capped([f"{r.automated_check.name}: {r.text}" for r in failed], count)
            row.problems_more = max(count - len(failed), 0)
            opened = incidents.get(run.pk, [])
            row.incidents = opened[:MAX_LISTED]
            row.incidents_more = len(opened) - len(row.incidents)
            if row.problems_more or row.incidents_more:
                row.more_link = reverse("inspections:round", kwargs={"pk": slot.pk})
        elif run is not None:
            own = answers.get(run.pk, [])
            row.problems = _capped([_answer_text(a) for a in own if a.abnormal])
            row.incidents = _unique(_ref(a.incident) for a in own if a.incident_id)
        rows.append(row)
    return rows


# --- The few queries ----------------------------------------------------------------------------


def _templates_by_key(contract, slots) -> dict[str, ChecklistTemplate]:
    keys = {s.schedule.checklist_kind for s in slots if s.schedule_id and s.schedule.checklist_kind}
    if not keys:
        return {}
    return {t.key: t for t in ChecklistTemplate.objects.filter(contract=contract, key__in=keys)}


def _abnormal_answers(runs) -> dict[int, list[ItemResult]]:
    manual = [run.pk for run in runs if run.mode == InspectionMode.MANUAL]
    if not manual:
        return {}
    answers = (
        ItemResult.objects.filter(Q(abnormal=True) | Q(incident__isnull=False), run__in=manual)
        .select_related("item", "incident__contract")
        .order_by("run", "item__position", "item_id")
    )
    grouped: dict[int, list[ItemResult]] = {}
    for answer in answers:
        grouped.setdefault(answer.run_id, []).append(answer)
    return grouped


def _failed_results(runs) -> dict[int, tuple[list[CheckResult], int]]:
    """Each automated run's first MAX_LISTED failures by check name, with how many it has: cut
    and counted in the query (a window over each run's failures), never loaded whole."""
    automated = [run.pk for run in runs if run.mode == InspectionMode.AUTOMATED and run.checks_total]
    if not automated:
        return {}
    by_run = [F("run_id")]
    results = (
        CheckResult.objects.filter(run__in=automated)
        .exclude(status=ResultStatus.OK)
        .annotate(
            position=Window(RowNumber(), partition_by=by_run, order_by=[F("automated_check__name"), F("id")]),
            failed=Window(Count("id"), partition_by=by_run),
        )
        .filter(position__lte=MAX_LISTED)
        .select_related("automated_check")
        .only("run_id", "status", "message", "params", "automated_check__name")
        .order_by("run_id", "position")
    )
    grouped: dict[int, tuple[list[CheckResult], int]] = {}
    for result in results:
        grouped.setdefault(result.run_id, ([], result.failed))[0].append(result)
    return grouped


def _monitoring_incidents(contract, runs, failures) -> dict[int, list[IncidentRef]]:
    """Each failing run's incidents: from monitoring, on the asset of one of its failed checks,
    reported while it ran (an unfinished run: within OPEN_RUN_WINDOW of its start). Matched in
    the query, so the rows read are the incidents', not the period's failures."""
    failing = [run for run in runs if failures.get(run.pk)]
    if not failing:
        return {}
    # The period's bounds as well, for the index on the incidents' report times.
    earliest = min(run.started_at for run in failing)
    latest = max(
        run.finished_at + FINISH_SLACK if run.finished_at else run.started_at + OPEN_RUN_WINDOW
        for run in failing
    )
    result = "asset__automated_checks__results__"
    began = F(f"{result}run__started_at")
    ends = Coalesce(F(f"{result}run__finished_at") + FINISH_SLACK, began + OPEN_RUN_WINDOW)
    found = (
        Incident.objects.filter(
            contract=contract, source=IncidentSource.MONITORING, reported_at__range=(earliest, latest)
        )
        .filter(  # one filter(): the same result row meets every condition
            **{
                f"{result}run__in": [run.pk for run in failing],
                f"{result}status__in": [
                    status for status in ResultStatus.values if status != ResultStatus.OK
                ],
                "reported_at__gte": began,
                "reported_at__lte": ends,
            }
        )
        .values_list(f"{result}run_id", "pk", "title")
        .distinct()
        .order_by(f"{result}run_id", "pk")
    )
    opened: dict[int, list[IncidentRef]] = {}
    for run_id, pk, incident_title in found:
        opened.setdefault(run_id, []).append(
            IncidentRef(pk, Incident(pk=pk, contract=contract).number, incident_title)
        )
    return opened


# --- Wording ------------------------------------------------------------------------------------


def _performer(run) -> str:
    if run is None:
        return ""
    if run.mode == InspectionMode.AUTOMATED:
        return _("Automated checks")
    user = run.performed_by
    return (user.get_full_name() or user.username) if user else ""


def _result(slot, run) -> str:
    if run is None:
        return _("Not done") if slot.status == InspectionSlot.Status.MISSED else _("Not done yet")
    if run.mode == InspectionMode.AUTOMATED:
        if run.finished_at is None:
            return _("Running")
        if not run.checks_failed:
            return ngettext("The %(total)d check passed", "All %(total)d checks passed", run.checks_total) % {
                "total": run.checks_total
            }
        return ngettext(
            "%(failed)d of %(total)d check did not pass",
            "%(failed)d of %(total)d checks did not pass",
            run.checks_total,
        ) % {"failed": run.checks_failed, "total": run.checks_total}
    if not run.items_abnormal:
        return _("All items normal")
    return ngettext("%(count)d abnormal item", "%(count)d abnormal items", run.items_abnormal) % {
        "count": run.items_abnormal
    }


def _number(value: Decimal) -> str:
    return format(value.normalize(), "f")  # 36.500 → "36.5", 100.000 → "100" (not "1E+2")


def _answer_text(answer: ItemResult) -> str:
    item = answer.item
    if item.kind == ChecklistItem.Kind.NUMBER and answer.number is not None:
        value = f"{_number(answer.number)}{item.unit}"
    elif item.kind == ChecklistItem.Kind.TEXT and answer.text:
        value = answer.text
    else:
        value = _("abnormal")
    text = f"{item.label}: {value}"
    return f"{text} ({answer.note})" if answer.note else text


def _ref(incident: Incident) -> IncidentRef:
    return IncidentRef(incident.pk, incident.number, incident.title)


def _unique(refs) -> list[IncidentRef]:
    seen, unique = set(), []
    for ref in refs:
        if ref.pk not in seen:
            seen.add(ref.pk)
            unique.append(ref)
    return unique


def _capped(lines: list[str], count: int | None = None) -> list[str]:
    """The first MAX_LISTED lines, then "… and N more" of the ``count`` there are (the lines'
    number when not given)."""
    count = len(lines) if count is None else count
    if count <= MAX_LISTED:
        return lines[:MAX_LISTED]
    return [*lines[:MAX_LISTED], _more(count - MAX_LISTED)]


def _more(count: int) -> str:
    return ngettext("… and %(count)d more", "… and %(count)d more", count) % {"count": count}


# --- The .xlsx ----------------------------------------------------------------------------------


def columns() -> list[tuple[str, int]]:
    """The headers, translated under the active language, with their widths in Excel's units (a
    Chinese character takes two)."""

    def verbose(model, name):
        return str(capfirst(model._meta.get_field(name).verbose_name))

    return [
        (verbose(InspectionSlot, "due_at"), 17),
        (verbose(InspectionSlot, "deadline"), 17),
        (_("What"), 28),
        (_("Checklist"), 24),
        (verbose(InspectionRun, "mode"), 12),
        (verbose(InspectionSlot, "status"), 10),
        (verbose(InspectionSlot, "done_at"), 17),
        (_("Submitted on the tablet at"), 17),
        (verbose(InspectionRun, "performed_by"), 14),
        (pgettext("inspection", "Result"), 24),
        (_("Abnormal items and failed checks"), 50),
        (_("Incidents opened"), 36),
        (verbose(InspectionRun, "note"), 30),
    ]


def _excel_time(moment: dt.datetime | None):
    # Excel has no time zones: the wall-clock time in Beijing, as the ledger is read there.
    return moment.astimezone(CHINA_TZ).replace(tzinfo=None) if moment else None


def _cells(row: LedgerRow) -> list:
    what = f"{row.what} ({row.period})" if row.period and row.period != row.what else row.what
    return [
        _excel_time(row.due_at),
        _excel_time(row.deadline),
        what,
        row.checklist,
        row.mode_label,
        row.status_label,
        _excel_time(row.done_at),
        _excel_time(row.device_at),
        row.performed_by,
        row.result,
        "\n".join(row.problems),
        "\n".join([*(f"{i.number} {i.title}" for i in row.incidents), row.incidents_more_text]).strip(),
        row.note,
    ]


def title(contract: Contract, start: dt.date, end: dt.date) -> str:
    return _("Inspection ledger · %(code)s %(title)s · %(start)s to %(end)s") % {
        "code": contract.code,
        "title": contract.title,
        "start": start.isoformat(),
        "end": end.isoformat(),
    }


def export_xlsx(contract: Contract, start: dt.date, end: dt.date, rows: list[LedgerRow]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    headers = columns()
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _sheet_name(_("Inspection ledger"))
    sheet.append([title(contract, start, end)])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([label for label, _width in headers])
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A3"
    for index, (_label, width) in enumerate(headers, 1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    wrap = Alignment(wrap_text=True, vertical="top")
    for row in rows:
        # Control characters (a pasted note) would break the file's XML.
        sheet.append([spreadsheets.xlsx_value(v) for v in _cells(row)])
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, dt.datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(cell.value, str):
                cell.data_type = "s"  # "=…" typed into a note is text, not a formula to run
                spreadsheets.xlsx_defuse(cell)
                cell.alignment = wrap
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _sheet_name(name: str) -> str:
    # Excel refuses these characters in a sheet's name and more than 31 of them.
    return re.sub(r"[\[\]:*?/\\]", "", name)[:31] or "Sheet1"
