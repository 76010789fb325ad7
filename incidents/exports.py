"""The incidents app's lists as workbooks: incidents, the work log, service record sheets and
consultations, one sheet each with the columns a bureau files (human labels, Beijing times).

The rows are the list page's own: the view restricts them to the user and filters them with the
model's filterset before they get here. They are read in batches (``iterator``), so a year of
incidents is never in memory at once; the related rows a column shows come with each batch.
"""

from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from contracts.models import SLATerm
from incidents.models import Consultation, Incident, ServiceRecord, WorkLogEntry
from om_portal.spreadsheets import Column, Sheet

BATCH = 1000


def label(model, name: str):
    """A column's header: the field's own translated name."""
    return capfirst(model._meta.get_field(name).verbose_name)


def person(user) -> str:
    return (user.get_full_name() or user.get_username()) if user is not None else ""


def _display(name: str):
    """The choice's label, never its stored code."""
    return lambda row: getattr(row, f"get_{name}_display")()


def _field(name: str):
    return lambda row: getattr(row, name)


def _breached_clocks(incident: Incident) -> list:
    return [
        clock.label for clock in SLATerm.Clock if getattr(incident, f"{clock.value}_breached_at") is not None
    ]


def incident_columns() -> list[Column]:
    return [
        Column(_("Number"), lambda i: i.number, 18),
        Column(label(Incident, "contract"), lambda i: i.contract.code, 14),
        Column(label(Incident, "title"), _field("title"), 40),
        Column(label(Incident, "severity"), _display("severity"), 8),
        Column(label(Incident, "kind"), _display("kind"), 12),
        Column(label(Incident, "condition"), _display("condition"), 12),
        Column(label(Incident, "source"), _display("source"), 10),
        Column(label(Incident, "status"), _display("status"), 10),
        Column(label(Incident, "asset"), lambda i: i.asset.name if i.asset_id else "", 20),
        Column(label(Incident, "reporter_name"), _field("reporter_name"), 12),
        Column(label(Incident, "reporter_unit"), _field("reporter_unit"), 16),
        Column(label(Incident, "handlers"), lambda i: [person(u) for u in i.handlers.all()], 16),
        Column(label(Incident, "reported_at"), _field("reported_at"), 17),
        Column(label(Incident, "response_due"), _field("response_due"), 17),
        Column(label(Incident, "responded_at"), _field("responded_at"), 17),
        Column(label(Incident, "arrival_due"), _field("arrival_due"), 17),
        Column(label(Incident, "arrived_at"), _field("arrived_at"), 17),
        Column(label(Incident, "resolution_due"), _field("resolution_due"), 17),
        Column(label(Incident, "resolved_at"), _field("resolved_at"), 17),
        Column(label(Incident, "closed_at"), _field("closed_at"), 17),
        Column(_("Deadlines missed"), _breached_clocks, 14),
        Column(label(Incident, "cause"), _field("cause"), 30),
        Column(label(Incident, "method"), _field("method"), 30),
        Column(label(Incident, "result"), _field("result"), 30),
    ]


def incidents_sheet(incidents) -> Sheet:
    rows = (
        incidents.select_related("contract", "asset")
        .prefetch_related("handlers")
        .order_by("-reported_at", "-pk")
    )
    return Sheet(_("Incidents"), incident_columns(), rows.iterator(chunk_size=BATCH))


def worklog_sheet(entries) -> Sheet:
    columns = [
        Column(label(WorkLogEntry, "date"), _field("date"), 11),
        Column(label(WorkLogEntry, "contract"), lambda e: e.contract.code, 14),
        Column(label(WorkLogEntry, "category"), _display("category"), 10),
        Column(label(WorkLogEntry, "initiator"), _field("initiator"), 12),
        Column(label(WorkLogEntry, "handler"), _field("handler"), 12),
        Column(label(WorkLogEntry, "handling"), _field("handling"), 40),
        Column(label(WorkLogEntry, "feedback"), _field("feedback"), 30),
        Column(label(WorkLogEntry, "incident"), lambda e: e.incident.number if e.incident_id else "", 18),
    ]
    rows = entries.select_related("contract", "incident__contract").order_by("-date", "-pk")
    return Sheet(_("Work log"), columns, rows.iterator(chunk_size=BATCH))


def records_sheet(sheets) -> Sheet:
    columns = [
        Column(_("Number"), lambda s: s.number, 20),
        Column(label(ServiceRecord, "contract"), lambda s: s.contract.code, 14),
        Column(label(ServiceRecord, "incident"), lambda s: s.incident.number if s.incident_id else "", 18),
        Column(label(ServiceRecord, "started_at"), _field("started_at"), 17),
        Column(label(ServiceRecord, "ended_at"), _field("ended_at"), 17),
        Column(label(ServiceRecord, "place"), _field("place"), 16),
        Column(label(ServiceRecord, "requester"), _field("requester"), 16),
        Column(label(ServiceRecord, "task"), _field("task"), 30),
        Column(label(ServiceRecord, "work_done"), _field("work_done"), 30),
        Column(label(ServiceRecord, "parts_used"), _field("parts_used"), 20),
        Column(label(ServiceRecord, "result"), _field("result"), 20),
        Column(label(ServiceRecord, "engineer"), lambda s: person(s.engineer), 12),
        Column(label(ServiceRecord, "confirmed_by"), lambda s: person(s.confirmed_by), 12),
        Column(label(ServiceRecord, "confirmed_at"), _field("confirmed_at"), 17),
        Column(label(ServiceRecord, "client_feedback"), _field("client_feedback"), 30),
    ]
    rows = sheets.select_related("contract", "incident__contract", "engineer", "confirmed_by").order_by(
        "-started_at", "-pk"
    )
    return Sheet(_("Service record sheets"), columns, rows.iterator(chunk_size=BATCH))


def _late(row: Consultation) -> bool | str:
    if row.reply_due is None:
        return ""
    if row.reply_breached_at is not None:
        return True
    return row.replied_at is not None and row.replied_at > row.reply_due


def consultations_sheet(rows) -> Sheet:
    columns = [
        Column(label(Consultation, "contract"), lambda c: c.contract.code, 14),
        Column(label(Consultation, "asked_at"), _field("asked_at"), 17),
        Column(label(Consultation, "channel"), _display("channel"), 10),
        Column(label(Consultation, "asker_name"), _field("asker_name"), 12),
        Column(label(Consultation, "asker_unit"), _field("asker_unit"), 16),
        Column(label(Consultation, "question"), _field("question"), 40),
        Column(label(Consultation, "engineer"), lambda c: person(c.engineer), 12),
        Column(label(Consultation, "answered"), _field("answered"), 8),
        Column(label(Consultation, "reply_due"), _field("reply_due"), 17),
        Column(label(Consultation, "replied_at"), _field("replied_at"), 17),
        Column(_("Replied late"), _late, 8),
        Column(label(Consultation, "answer"), _field("answer"), 40),
    ]
    rows = rows.select_related("contract", "engineer").order_by("-asked_at", "-pk")
    return Sheet(_("Consultations"), columns, rows.iterator(chunk_size=BATCH))
