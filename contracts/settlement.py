"""The money side of a contract beyond pricing the ledger: the client's late payments and a build's
delay, recorded as they grow day by day, and the termination rights the breaches have reached.

``settle(today)`` runs from the beat (``contracts.tasks.tick``): each late milestone and each late
build keeps one breach, found by its source_ref and updated in place, so a rerun writes nothing.
"""

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from contracts.daycount import TerminationRight, right_reached
from contracts.models import Breach, BuildTimeline, Contract, Milestone, PenaltyClause
from contracts.penalties import ClauseAmount, breach_figures, record_breach, withdraw_breach
from contracts.worktime import CHINA_TZ
from om_portal import audit

LATE_PAYMENT = "late_payment"
LATE_DELIVERY = "late_delivery"
TRIAL_RUN_PROBLEM = "trial_run_problem"


def _first_moment(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=CHINA_TZ)


def days_overdue(due_on: dt.date, settled_on: dt.date | None, today: dt.date) -> int:
    """Days begun past the due date, up to the day it was settled or today (that day counted).

    Seed 000 "计算日期从应付款之日起": the due date is the last day to pay; its next day is the
    first day late, and a payment made on the 3rd day after it is 3 days late."""
    return max(0, ((settled_on or today) - due_on).days)


def milestone_ref(milestone: Milestone) -> str:
    return f"milestone:{milestone.pk}"


def _upsert(contract, kind, *, source, source_ref, occurred_at, days, amount=None, note="") -> bool:
    """The one breach of ``source_ref`` with these figures; True when something was written."""
    breach, created = record_breach(
        contract,
        kind,
        occurred_at=occurred_at,
        source=source,
        source_ref=source_ref,
        days_late=days,
        overdue_amount=amount,
        note=note,
    )
    if created:
        return True
    # Claimed by a conditional UPDATE: two runs at once write the new figures once.
    # A breach withdrawn when its dates were corrected comes back in force if they change again.
    changed = (
        Breach.objects.filter(pk=breach.pk)
        .exclude(days_late=days, overdue_amount=amount, occurred_at=occurred_at, withdrawn_at__isnull=True)
        .update(
            days_late=days,
            overdue_amount=amount,
            occurred_at=occurred_at,
            note=note,
            withdrawn_at=None,
            withdrawn_reason="",
            withdrawn_by=None,
        )
    )
    if changed:
        audit.record_bulk(
            "update", Breach, 1, contract=contract, detail={"source_ref": source_ref, "days_late": days}
        )
    return bool(changed)


def _drop_stale(contract_ids, source: str, keep: set[str]) -> int:
    """A payment or build no longer late (its date corrected) has its breach withdrawn, as a
    corrected timeline does."""
    stale = Breach.objects.filter(
        contract_id__in=contract_ids, source=source, waived=False, withdrawn_at__isnull=True
    ).exclude(source_ref__in=keep)
    reason = _("The corrected dates show it was not late.")
    return sum(withdraw_breach(breach, now=timezone.now(), reason=reason) for breach in stale)


def settle_late_payments(today: dt.date) -> int:
    """Each milestone paid late, or unpaid past its due date, on a contract with a client
    late-payment clause: one breach from the day after the due date, its days to the payment or
    today, its overdue amount what the milestone still owes. Returns how many were written."""
    clauses = PenaltyClause.objects.filter(kind=LATE_PAYMENT, party=PenaltyClause.Party.CLIENT)
    contract_ids = list(clauses.values_list("contract_id", flat=True))
    late = (
        Milestone.objects.filter(contract_id__in=contract_ids, due_on__lt=today)
        .filter(~Q(status=Milestone.Status.PAID) | Q(paid_on__gt=F("due_on")))
        .select_related("contract")
    )
    written, keep = 0, set()
    for milestone in late:
        days = days_overdue(milestone.due_on, milestone.paid_on, today)
        if days <= 0:
            continue
        ref = milestone_ref(milestone)
        keep.add(ref)
        note = _("%(milestone)s was due on %(due)s; %(state)s.") % {
            "milestone": milestone.name,
            "due": milestone.due_on,
            "state": _("paid on %(day)s") % {"day": milestone.paid_on} if milestone.paid_on else _("unpaid"),
        }
        with transaction.atomic():
            written += _upsert(
                milestone.contract,
                LATE_PAYMENT,
                source=Breach.Source.PAYMENT,
                source_ref=ref,
                occurred_at=_first_moment(milestone.due_on + dt.timedelta(days=1)),
                days=days,
                amount=milestone.payable,
                note=note,
            )
    _drop_stale(contract_ids, Breach.Source.PAYMENT, keep)
    return written


def settle_build_delays(today: dt.date) -> int:
    """Seed 001 九.1(1): "每延误1个日历日的违约金按合同总价的0.5%计收,直至 … 完成系统建设 …
    之日为止": one breach from the day after the build deadline, its days to the completion or
    today."""
    contract_ids = list(
        PenaltyClause.objects.filter(kind=LATE_DELIVERY, party=PenaltyClause.Party.VENDOR).values_list(
            "contract_id", flat=True
        )
    )
    written, keep = 0, set()
    for timeline in BuildTimeline.objects.filter(contract_id__in=contract_ids).select_related("contract"):
        due = timeline.build_due_on
        if due is None:
            continue
        days = days_overdue(due, timeline.build_done_on, today)
        if days <= 0:
            continue
        ref = f"build:{timeline.pk}"
        keep.add(ref)
        with transaction.atomic():
            written += _upsert(
                timeline.contract,
                LATE_DELIVERY,
                source=Breach.Source.SCHEDULE,
                source_ref=ref,
                occurred_at=_first_moment(due + dt.timedelta(days=1)),
                days=days,
                note=_("The build was due by %(due)s.") % {"due": due},
            )
    _drop_stale(contract_ids, Breach.Source.SCHEDULE, keep)
    return written


def settle(today: dt.date | None = None) -> int:
    """The beat's work: late payments and build delays brought up to today."""
    today = today or timezone.localdate()
    return settle_late_payments(today) + settle_build_delays(today)


# --- The build timeline ---------------------------------------------------------------------------


def trial_run_problems(contract: Contract) -> list[Breach]:
    """The trial run's problems: breaches of kind ``trial_run_problem``, unwaived, by date."""
    return list(
        Breach.objects.filter(contract=contract, kind=TRIAL_RUN_PROBLEM, waived=False).order_by("occurred_at")
    )


@dataclass
class Timeline:
    """A build timeline with its deadlines worked out (seed 001 §五, §八.2)."""

    timeline: BuildTimeline
    problems: int
    build_due_on: dt.date | None
    initial_acceptance_due_on: dt.date | None
    trial_run_ends_on: dt.date | None
    final_acceptance_due_on: dt.date | None
    warranty_ends_on: dt.date | None


def timeline_of(contract: Contract) -> Timeline | None:
    timeline = BuildTimeline.objects.filter(contract=contract).select_related("contract").first()
    if timeline is None:
        return None
    problems = len(trial_run_problems(contract))
    return Timeline(
        timeline=timeline,
        problems=problems,
        build_due_on=timeline.build_due_on,
        initial_acceptance_due_on=timeline.initial_acceptance_due_on,
        trial_run_ends_on=timeline.trial_run_ends_on(problems),
        final_acceptance_due_on=timeline.final_acceptance_due_on(problems),
        warranty_ends_on=timeline.warranty_ends_on,
    )


# --- Termination rights ---------------------------------------------------------------------------


def termination_rights(contract: Contract) -> list[TerminationRight]:
    """The client's termination rights reached on ``contract``: two queries (its clauses with a
    right, and one aggregate of their breaches)."""
    items = {
        c.pk: ClauseAmount(clause=c)
        for c in PenaltyClause.objects.filter(contract=contract).filter(
            Q(termination_at_count__isnull=False) | Q(termination_after_days__isnull=False)
        )
    }
    if not items:
        return []
    for row in breach_figures(contract).filter(clause_id__in=list(items)):
        if not row["waived"]:
            items[row["clause_id"]].add_row(row)
    return [right for item in items.values() if (right := right_reached(item)) is not None]
