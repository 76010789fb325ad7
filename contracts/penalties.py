"""Liquidated damages: the breach ledger and what it costs under the contract's clauses.

Other apps (incidents, inspections, reports, staffing) record breaches only through
``record_breach``; the summary prices them by clause shape (``contracts.shapes``), then applies
the contract-wide cap to the vendor's penalties. Money is Decimal yuan, rounded half-up to the fen
at the end of each clause; percentages are in percent units.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, DecimalField, F, Q, Sum
from django.db.models.functions import Round, TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from contracts import obligations, shapes
from contracts.daycount import right_reached
from contracts.models import Breach, Contract, LoanPrimeRate, Milestone, PenaltyClause
from contracts.shapes.base import HUNDRED, money, percent, yuan
from contracts.worktime import CHINA_TZ
from om_portal import audit

# --- Recording ----------------------------------------------------------------------------------


def check_breach_figures(clause: PenaltyClause | None, *, days_late=None, overdue_amount=None) -> None:
    """The figures a breach needs for its clause to price it; raises ValidationError by field."""
    errors = {}
    if days_late is not None and days_late < 0:
        errors["days_late"] = _("Days late cannot be negative.")
    if overdue_amount is not None and overdue_amount < 0:
        errors["overdue_amount"] = _("The overdue amount cannot be negative.")
    if clause is not None:
        if shapes.counts_days(clause.shape) and days_late is None:
            errors["days_late"] = _("This clause is priced per day late: give the number of days.")
        if clause.base == PenaltyClause.Base.OVERDUE_AMOUNT and overdue_amount is None:
            errors["overdue_amount"] = _("This clause is a share of the overdue amount: give the amount.")
    if errors:
        raise ValidationError(errors)


def check_kind(kind: str) -> None:
    """A breach or clause names a kind of ``contracts.obligations``; raises ValidationError."""
    if obligations.get(kind) is None:
        raise ValidationError({"kind": _("Unknown kind of breach %(kind)s.") % {"kind": kind}})


def check_clause(clause: PenaltyClause) -> None:
    """Combinations the summary cannot price; the database constraints catch the rest."""
    errors = {}
    kind = obligations.get(clause.kind)
    if kind is None and clause.kind:  # a blank kind is the form's "required"
        errors["kind"] = _("Unknown kind of breach %(kind)s.") % {"kind": clause.kind}
    elif kind is not None and clause.shape and clause.shape not in kind.shapes:
        errors["shape"] = _(
            "A breach of “%(kind)s” cannot be priced this way; its clause can be: %(shapes)s."
        ) % {
            "kind": kind.label,
            "shapes": ", ".join(str(shapes.get(shape).label) for shape in kind.shapes),
        }
    errors |= shapes.check(clause)
    if clause.escalation_at is not None and clause.escalation_percent is None:
        errors["escalation_percent"] = _("Give the escalated rate.")
    if errors:
        raise ValidationError(errors)


def record_breach(
    contract: Contract,
    kind: str,
    *,
    occurred_at,
    source: str,
    source_ref: str = "",
    days_late: int | None = None,
    overdue_amount: Decimal | None = None,
    note: str = "",
    recorded_by=None,
) -> tuple[Breach, bool]:
    """Record a breach of ``kind``; with a source_ref, a second call returns the first breach.

    A kind without a clause on this contract is still recorded, unpriced, so that the ledger
    keeps every fact; a clause created later adopts it (``adopt_unpriced_breaches``).
    """
    if source not in Breach.Source.values:
        raise ValidationError({"source": _("Unknown source %(source)s.") % {"source": source}})
    check_kind(kind)
    clause = PenaltyClause.objects.filter(contract=contract, kind=kind).first()
    check_breach_figures(clause, days_late=days_late, overdue_amount=overdue_amount)
    fields = {
        "clause": clause,
        "kind": kind,
        "occurred_at": occurred_at,
        "days_late": days_late,
        "overdue_amount": overdue_amount,
        "note": note,
        "recorded_by": recorded_by,
    }
    if not source_ref:
        # A second entry of the same fact (same kind, moment and source) would double the bill.
        twin = Breach.objects.filter(
            contract=contract, kind=kind, occurred_at=occurred_at, source=source, source_ref=""
        ).first()
        if twin is not None:
            raise ValidationError(
                {
                    "occurred_at": _(
                        "This breach is already recorded (same kind, moment and source, entry #%(id)s)."
                    )
                    % {"id": twin.pk}
                }
            )
        return Breach.objects.create(contract=contract, source=source, **fields), True
    # get_or_create inserts inside its own savepoint; when a concurrent run of the same source
    # inserted first, the unique constraint's IntegrityError rolls that back and it re-reads the
    # other run's row, so a race records one breach and leaves the caller's transaction usable.
    with transaction.atomic():
        return Breach.objects.get_or_create(
            contract=contract, source=source, source_ref=source_ref, defaults=fields
        )


@dataclass
class BreachSpec:
    """One breach for ``record_breaches``: the arguments of ``record_breach``."""

    contract: Contract
    kind: str
    occurred_at: object
    source: str
    source_ref: str
    days_late: int | None = None
    overdue_amount: Decimal | None = None
    note: str = ""


def record_breaches(specs: list[BreachSpec]) -> int:
    """Many breaches at once (a tick of the SLA checker): one query for their clauses, one insert.

    Each needs its source_ref; one already in the ledger is skipped, as ``record_breach`` would.
    Returns how many were offered.
    """
    if not specs:
        return 0
    for kind in {spec.kind for spec in specs}:
        check_kind(kind)
    clauses = {
        (clause.contract_id, clause.kind): clause
        for clause in PenaltyClause.objects.filter(
            contract_id__in={spec.contract.pk for spec in specs}, kind__in={spec.kind for spec in specs}
        )
    }
    rows = []
    for spec in specs:
        if not spec.source_ref or spec.source not in Breach.Source.values:
            raise ValueError("a breach recorded in bulk needs a known source and its source_ref")
        clause = clauses.get((spec.contract.pk, spec.kind))
        check_breach_figures(clause, days_late=spec.days_late, overdue_amount=spec.overdue_amount)
        rows.append(
            Breach(
                contract=spec.contract,
                clause=clause,
                kind=spec.kind,
                occurred_at=spec.occurred_at,
                days_late=spec.days_late,
                overdue_amount=spec.overdue_amount,
                source=spec.source,
                source_ref=spec.source_ref,
                note=spec.note,
            )
        )
    # ON CONFLICT DO NOTHING on (contract, source, source_ref): a re-run records nothing twice.
    Breach.objects.bulk_create(rows, batch_size=500, ignore_conflicts=True)
    # Written in bulk: one line per contract on the audit trail (a ref already in the ledger
    # was offered and skipped, as record_breach would).
    offered: dict[int, tuple[Contract, list[str]]] = {}
    for spec in specs:
        offered.setdefault(spec.contract.pk, (spec.contract, []))[1].append(spec.source_ref)
    for contract, refs in offered.values():
        audit.record_bulk("create", Breach, len(refs), contract=contract, detail={"offered": refs[:50]})
    return len(rows)


def waive_breach(breach: Breach, *, by, reason: str) -> Breach:
    """Waive a breach (it stays in the ledger and counts zero); the reason is required."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for waiving the breach.")})
    if breach.waived:
        raise ValidationError({"reason": _("This breach is already waived.")})
    breach.waived = True
    breach.waived_reason = reason
    breach.waived_by = by
    breach.waived_at = timezone.now()
    breach.save(update_fields=["waived", "waived_reason", "waived_by", "waived_at"])
    return breach


def withdraw_breach(breach: Breach, *, now, by=None, reason: str) -> bool:
    """Withdraw a breach the facts now show was not one (a corrected timeline, payment date or
    reply time): it stays in the ledger counting zero, and the audit trail says who and why.
    Claimed by a conditional UPDATE, so two runs at once withdraw it once; False if already so."""
    claimed = Breach.objects.filter(pk=breach.pk, withdrawn_at__isnull=True).update(
        withdrawn_at=now, withdrawn_reason=reason, withdrawn_by=by
    )
    if claimed:
        audit.record(
            "withdraw", user=by, obj=breach, detail={"reason": reason, "source_ref": breach.source_ref}
        )
    return bool(claimed)


def adopt_unpriced_breaches(clause: PenaltyClause) -> int:
    """Attach the contract's unpriced breaches of the clause's kind to it; returns how many."""
    return Breach.objects.filter(contract_id=clause.contract_id, kind=clause.kind, clause=None).update(
        clause=clause
    )


# --- Pricing ------------------------------------------------------------------------------------


@dataclass
class ClauseAmount:
    clause: PenaltyClause
    breaches: int = 0  # unwaived, the ones that count
    waived: int = 0
    days: int = 0
    amount: Decimal = Decimal("0.00")
    lines: list[str] = field(default_factory=list)
    # (first Beijing day, days late, breaches): the days a per-day clause's breaches cover.
    spans: list[tuple[dt.date, int, int]] = field(default_factory=list)
    # The rate applied when it is not the clause's written one (seed 003: from the LPR).
    rate_percent: Decimal | None = None
    lpr: LoanPrimeRate | None = None

    def add_row(self, row) -> None:
        """Count one row of ``breach_figures`` (unwaived) into the clause."""
        self.breaches += row["n"]
        if row["days_late"] is not None:
            self.spans.append((row["day"], row["days_late"], row["n"]))


@dataclass
class UnpricedKind:
    kind: str
    breaches: int = 0
    waived: int = 0


@dataclass
class PenaltySummary:
    contract: Contract
    clauses: list[ClauseAmount] = field(default_factory=list)
    unpriced: list[UnpricedKind] = field(default_factory=list)
    vendor_subtotal: Decimal = Decimal("0.00")  # before the contract-wide cap
    vendor_total: Decimal = Decimal("0.00")
    vendor_capped: bool = False
    client_total: Decimal = Decimal("0.00")  # late payment and the like: never under the cap
    lines: list[str] = field(default_factory=list)
    # The client's termination rights the breaches reached (contracts.settlement.TerminationRight).
    termination_rights: list = field(default_factory=list)

    @property
    def vendor_clauses(self) -> list[ClauseAmount]:
        return [c for c in self.clauses if c.clause.party == PenaltyClause.Party.VENDOR]

    @property
    def client_clauses(self) -> list[ClauseAmount]:
        return [c for c in self.clauses if c.clause.party == PenaltyClause.Party.CLIENT]


def lpr_rate(
    clause: PenaltyClause, contract: Contract, lpr: LoanPrimeRate | None, item: ClauseAmount
) -> None:
    """Seed 003 七.1: "按照合同生效当日的1年期LPR … 支付未付款项的逾期违约金": the one-year LPR in
    force on the day the contract took effect is an annual rate; each day overdue costs a 365th
    of it on the unpaid amount. Sets the item's daily rate (None: no rate entered yet)."""
    item.lpr = lpr
    effective = contract.starts_on
    if lpr is None:
        item.rate_percent = None
        item.lines.append(
            _("No one-year LPR in force on %(day)s has been entered: an administrator enters it")
            % {"day": effective or _("the day the contract took effect")}
        )
        return
    item.rate_percent = lpr.one_year_percent / 365
    item.lines.append(
        _(
            "Rate: the one-year LPR in force on %(day)s (published %(published)s) %(annual)s%% a year "
            "÷ 365 = %(daily)s%% a day"
        )
        % {
            "day": effective,
            "published": lpr.effective_on,
            "annual": percent(lpr.one_year_percent),
            "daily": percent(item.rate_percent.quantize(Decimal("0.000001"))),
        }
    )


def price_clause(item: ClauseAmount, total: Decimal, day_amount: Decimal) -> None:
    """Fill in the clause's amount, priced by its shape (``contracts.shapes``), and one
    explanation line per step; then the clause's own cap, and its waived breaches."""
    clause, lines = item.clause, item.lines
    if clause.rate_source == PenaltyClause.RateSource.LPR_ONE_YEAR:
        if item.rate_percent is None:
            item.amount = Decimal("0.00")
            return
        rate_percent = item.rate_percent
    else:
        rate_percent = clause.rate_percent
    if item.breaches == 0:
        amount = Decimal(0)
        lines.append(_("No breach counts"))
    else:
        amount = shapes.get(clause.shape).price(item, rate_percent, total, day_amount)
    if clause.cap_percent is not None:
        cap = clause.cap_percent / HUNDRED * total
        if amount > cap:
            amount = cap
            lines.append(
                _("Capped at %(cap)s%% of %(base)s = %(amount)s")
                % {"cap": percent(clause.cap_percent), "base": yuan(total), "amount": yuan(money(cap))}
            )
    if item.waived:
        lines.append(
            ngettext(
                "%(count)s waived breach counts zero", "%(count)s waived breaches count zero", item.waived
            )
            % {"count": item.waived}
        )
    item.amount = money(amount)


def _sum(amounts: list[Decimal], total: Decimal) -> str:
    if len(amounts) < 2:
        return yuan(total)
    return " + ".join(yuan(a) for a in amounts) + f" = {yuan(total)}"


# Per Beijing day and days late, so that a per-day clause counts the days its breaches cover; the
# rows grow with the distinct days, not with the breaches.
BREACH_DAY = TruncDate("occurred_at", tzinfo=CHINA_TZ)


def breach_figures(contract: Contract, start: dt.date | None = None, end: dt.date | None = None):
    """One aggregate query: per clause (or unpriced kind), waived flag, Beijing day and days late,
    the sums pricing needs."""
    # Summed in fen, rounded per row: SQLite keeps decimals as binary floats, and integers
    # add up exactly there as on PostgreSQL.
    fen = F("days_late") * Round(F("overdue_amount") * 100)
    # A withdrawn breach (the facts showed the obligation met) stays in the ledger, counting zero.
    breaches = Breach.objects.filter(contract=contract, withdrawn_at__isnull=True)
    # Beijing days, both included; aware bounds rather than __date so that an index can serve it.
    if start is not None:
        breaches = breaches.filter(occurred_at__gte=dt.datetime.combine(start, dt.time(), tzinfo=CHINA_TZ))
    if end is not None:
        after = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tzinfo=CHINA_TZ)
        breaches = breaches.filter(occurred_at__lt=after)
    return (
        breaches.annotate(day=BREACH_DAY)
        .values("clause_id", "kind", "waived", "day", "days_late")
        .annotate(
            n=Count("id"),
            day_fen=Sum(fen, output_field=DecimalField(max_digits=30, decimal_places=0)),
        )
        .order_by()
    )


def _lpr_for(contract: Contract) -> LoanPrimeRate | None:
    return LoanPrimeRate.in_force_on(contract.starts_on) if contract.starts_on else None


def penalty_summary(
    contract: Contract, *, start: dt.date | None = None, end: dt.date | None = None
) -> PenaltySummary:
    """Every clause's amount with its explanation, the capped vendor total and the client total.

    Two queries whatever the number of breaches: the clauses, and one aggregate of the breaches
    (a third when a clause takes its rate from the LPR).
    ``start``/``end`` (Beijing dates, both included) price only the breaches that occurred then,
    as a period's report shows them: escalations and caps then apply to that period's breaches.
    """
    total = contract.total or Decimal(0)
    summary = PenaltySummary(contract=contract)
    items = {
        c.id: ClauseAmount(clause=c) for c in PenaltyClause.objects.filter(contract=contract).order_by("kind")
    }
    day_amounts = dict.fromkeys(items, Decimal(0))
    unpriced: dict[str, UnpricedKind] = {}
    for row in breach_figures(contract, start, end):
        item = items.get(row["clause_id"])
        if item is None:
            entry = unpriced.setdefault(row["kind"], UnpricedKind(kind=row["kind"]))
            if row["waived"]:
                entry.waived += row["n"]
            else:
                entry.breaches += row["n"]
        elif row["waived"]:
            item.waived += row["n"]
        else:
            item.add_row(row)
            day_amounts[item.clause.id] += Decimal(row["day_fen"] or 0) / HUNDRED
    lpr_items = [i for i in items.values() if i.clause.rate_source == PenaltyClause.RateSource.LPR_ONE_YEAR]
    if lpr_items:
        lpr = _lpr_for(contract)
        for item in lpr_items:
            lpr_rate(item.clause, contract, lpr, item)
    for item in items.values():
        price_clause(item, total, day_amounts[item.clause.id])
        if (right := right_reached(item)) is not None:
            summary.termination_rights.append(right)
    summary.clauses = list(items.values())
    summary.unpriced = sorted(unpriced.values(), key=lambda u: u.kind)

    vendor = [c.amount for c in summary.vendor_clauses if c.amount]
    summary.vendor_subtotal = sum(vendor, Decimal("0.00"))
    summary.vendor_total = summary.vendor_subtotal
    summary.lines.append(_("Vendor's penalties: %(sum)s") % {"sum": _sum(vendor, summary.vendor_subtotal)})
    if contract.penalty_cap_percent is not None:
        cap = money(contract.penalty_cap_percent / HUNDRED * total)
        if summary.vendor_subtotal > cap:
            summary.vendor_total, summary.vendor_capped = cap, True
            summary.lines.append(
                _("All of the vendor's penalties together are capped at %(cap)s%% of %(base)s = %(amount)s")
                % {"cap": percent(contract.penalty_cap_percent), "base": yuan(total), "amount": yuan(cap)}
            )
    client = [c.amount for c in summary.client_clauses if c.amount]
    summary.client_total = sum(client, Decimal("0.00"))
    if summary.client_clauses:
        summary.lines.append(
            _("Client's penalties (not under the vendor's cap): %(sum)s")
            % {"sum": _sum(client, summary.client_total)}
        )
    for entry in summary.unpriced:
        summary.lines.append(
            ngettext(
                "%(count)s breach of kind “%(kind)s” has no clause and is not priced",
                "%(count)s breaches of kind “%(kind)s” have no clause and are not priced",
                entry.breaches + entry.waived,
            )
            % {"count": entry.breaches + entry.waived, "kind": obligations.label(entry.kind)}
        )
    return summary


# --- Many contracts at once -----------------------------------------------------------------


@dataclass
class Exposure:
    """The contract's breaches and what they cost the vendor under its clauses."""

    breaches: int = 0  # unwaived, the ones that count
    recent: int = 0  # of those, since the caller's ``recent_since``
    unpriced: int = 0  # unwaived breaches of a kind the contract has no clause for
    vendor_total: Decimal = Decimal("0.00")  # after the contract-wide cap
    capped: bool = False
    # The client's termination rights reached (contracts.settlement.TerminationRight).
    rights: list = field(default_factory=list)

    def __add__(self, other: "Exposure") -> "Exposure":
        return Exposure(
            self.breaches + other.breaches,
            self.recent + other.recent,
            self.unpriced + other.unpriced,
            self.vendor_total + other.vendor_total,
            self.capped or other.capped,
            self.rights + other.rights,
        )


def vendor_exposure(contracts: list[Contract], *, recent_since: dt.datetime) -> dict[int, Exposure]:
    """What the breaches cost the vendor on each of many contracts (the dashboard's exposure).

    Two queries for all contracts: their clauses, and their breaches aggregated per contract,
    clause and waived flag. Each clause is priced by ``price_clause`` and the vendor's sum capped as in
    ``penalty_summary``, so the result equals its ``vendor_total`` for every contract."""
    ids = [c.pk for c in contracts]
    items = {
        clause.pk: ClauseAmount(clause=clause) for clause in PenaltyClause.objects.filter(contract_id__in=ids)
    }
    day_amounts = dict.fromkeys(items, Decimal(0))
    result = {c.pk: Exposure() for c in contracts}
    # Summed in fen, rounded per row, as penalty_summary does (SQLite keeps decimals as floats).
    fen = F("days_late") * Round(F("overdue_amount") * 100)
    rows = (
        Breach.objects.filter(contract_id__in=ids, withdrawn_at__isnull=True)
        .annotate(day=BREACH_DAY)
        .values("contract_id", "clause_id", "waived", "day", "days_late")
        .annotate(
            n=Count("id"),
            recent=Count("id", filter=Q(occurred_at__gte=recent_since)),
            day_fen=Sum(fen, output_field=DecimalField(max_digits=30, decimal_places=0)),
        )
        .order_by()
    )
    for row in rows:
        if row["waived"]:
            continue  # a waived breach stays in the ledger and counts zero
        exposure = result[row["contract_id"]]
        exposure.breaches += row["n"]
        exposure.recent += row["recent"]
        item = items.get(row["clause_id"])
        if item is None:
            exposure.unpriced += row["n"]
            continue
        item.add_row(row)
        day_amounts[item.clause.pk] += Decimal(row["day_fen"] or 0) / HUNDRED
    by_pk = {c.pk: c for c in contracts}
    for item in items.values():
        clause = item.clause
        if (
            clause.party == PenaltyClause.Party.VENDOR
            and clause.rate_source == PenaltyClause.RateSource.LPR_ONE_YEAR
        ):
            contract = by_pk[clause.contract_id]
            lpr_rate(item.clause, contract, _lpr_for(contract), item)
    totals = {c.pk: c.total or Decimal(0) for c in contracts}
    for item in items.values():
        if (right := right_reached(item)) is not None:
            result[item.clause.contract_id].rights.append(right)
        if item.clause.party != PenaltyClause.Party.VENDOR:
            continue
        price_clause(item, totals[item.clause.contract_id], day_amounts[item.clause.pk])
        result[item.clause.contract_id].vendor_total += item.amount
    for contract in contracts:
        exposure = result[contract.pk]
        if contract.penalty_cap_percent is not None:
            cap = money(contract.penalty_cap_percent / HUNDRED * totals[contract.pk])
            if exposure.vendor_total > cap:
                exposure.vendor_total, exposure.capped = cap, True
    return result


# --- Deduction ----------------------------------------------------------------------------------


def deduct_from_milestones(contract: Contract) -> list[tuple[Milestone, Decimal]]:
    """Spread the vendor's capped penalty total over the unpaid milestones, latest due first.

    Recomputed from scratch each time (idempotent). What paid milestones already had deducted
    was recovered then, so only the rest is allocated; a milestone never goes below zero.
    Whatever the unpaid milestones cannot absorb stays with the bond or a claim (seed 001).
    """
    with transaction.atomic():
        summary = penalty_summary(contract)
        # A milestone without a due date waits on an event that has not happened: the latest.
        milestones = list(
            contract.milestones.select_for_update().order_by(
                F("due_on").desc(nulls_first=True), "-position", "-id"
            )
        )
        paid = Milestone.Status.PAID
        recovered = sum((m.deduction for m in milestones if m.status == paid), Decimal(0))
        remaining = summary.vendor_total - recovered
        unpaid = [m for m in milestones if m.status != paid]
        result = []
        for milestone in unpaid:
            deducted = max(Decimal("0.00"), min(remaining, milestone.value))
            milestone.deduction = deducted
            remaining -= deducted
            result.append((milestone, deducted))
        Milestone.objects.bulk_update(unpaid, ["deduction"])
        audit.record_bulk(
            "update",
            Milestone,
            len(unpaid),
            contract=contract,
            detail={"deductions": {m.name: str(m.deduction) for m in unpaid}},
        )
    return result
