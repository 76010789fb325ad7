"""A contract's breaches and penalties as a workbook: the breach ledger as the penalties tab lists
it (filtered by the ledger's filterset), and the penalty each clause comes to with how it is
computed (``penalties.penalty_summary``, over the whole ledger as the tab's total is)."""

from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from contracts import obligations, shapes
from contracts.models import Breach, PenaltyClause
from contracts.penalties import PenaltySummary
from om_portal.spreadsheets import Column, Sheet

BATCH = 1000


def _label(model, name: str):
    return capfirst(model._meta.get_field(name).verbose_name)


def _person(user) -> str:
    return (user.get_full_name() or user.get_username()) if user is not None else ""


def _shape_label(code: str) -> str:
    return dict(shapes.choices()).get(code, "")


def breaches_sheet(breaches) -> Sheet:
    columns = [
        Column(_label(Breach, "occurred_at"), lambda b: b.occurred_at, 17),
        Column(_label(Breach, "kind"), lambda b: obligations.label(b.kind), 20),
        Column(_label(Breach, "clause"), lambda b: b.clause.title if b.clause_id else "", 24),
        Column(_label(Breach, "source"), lambda b: b.get_source_display(), 10),
        Column(_label(Breach, "days_late"), lambda b: b.days_late, 8),
        Column(_label(Breach, "overdue_amount"), lambda b: b.overdue_amount, 12),
        Column(_label(Breach, "note"), lambda b: b.note, 30),
        Column(_label(Breach, "waived"), lambda b: b.waived, 6),
        Column(_label(Breach, "waived_reason"), lambda b: b.waived_reason, 20),
        Column(_("Waived by"), lambda b: _person(b.waived_by), 12),
        Column(_label(Breach, "withdrawn_at"), lambda b: b.withdrawn_at, 17),
        Column(_label(Breach, "withdrawn_reason"), lambda b: b.withdrawn_reason, 20),
        Column(_("Recorded by"), lambda b: _person(b.recorded_by), 12),
        Column(_label(Breach, "created_at"), lambda b: b.created_at, 17),
    ]
    rows = breaches.select_related("clause", "waived_by", "withdrawn_by", "recorded_by").order_by(
        "-occurred_at", "-pk"
    )
    return Sheet(_("Breach ledger"), columns, rows.iterator(chunk_size=BATCH))


def penalties_sheet(summary: PenaltySummary) -> Sheet:
    columns = [
        Column(_label(PenaltyClause, "title"), lambda item: item.clause.title, 30),
        Column(_label(PenaltyClause, "kind"), lambda item: obligations.label(item.clause.kind), 20),
        Column(_label(PenaltyClause, "party"), lambda item: item.clause.get_party_display(), 8),
        Column(_label(PenaltyClause, "shape"), lambda item: _shape_label(item.clause.shape), 14),
        Column(_("Breaches"), lambda item: item.breaches, 8),
        Column(_("Waived breaches"), lambda item: item.waived, 8),
        Column(_("Amount (yuan)"), lambda item: item.amount, 14),
        Column(_("How it is computed"), lambda item: "; ".join(str(line) for line in item.lines), 60),
    ]
    return Sheet(_("Penalties"), columns, summary.clauses)


def totals_sheet(summary: PenaltySummary) -> Sheet:
    rows = [
        (_("Vendor's penalties"), summary.vendor_total),
        (_("Client's late-payment penalties"), summary.client_total),
        *((line, None) for line in summary.lines),
    ]
    columns = [
        Column(_("Penalty total"), lambda row: row[0], 60),
        Column(_("Amount (yuan)"), lambda row: row[1], 14),
    ]
    return Sheet(_("Penalty total"), columns, rows)
