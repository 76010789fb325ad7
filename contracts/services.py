"""Business rules of contracts, as plain functions over the models.

Penalties and the breach ledger are in ``contracts.penalties``; the working-day calendar in
``contracts.worktime``; the asset ledger's files in ``contracts.assets_io``.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from contracts import worktime
from contracts.models import (
    Asset,
    BuildTimeline,
    Contract,
    DutyShift,
    Milestone,
    Organization,
    PenaltyClause,
    ServiceItem,
    SLATerm,
    StaffAssignment,
    StaffPost,
)
from contracts.seeds import SEED_CONTRACTS

# --- Price list ---------------------------------------------------------------------------------


@dataclass
class PriceList:
    categories: list[dict] = field(default_factory=list)  # {"category", "items", "subtotal"}
    priced_total: Decimal = Decimal(0)
    contract_total: Decimal = Decimal(0)

    @property
    def difference(self) -> Decimal:
        return self.contract_total - self.priced_total

    @property
    def warning(self) -> str:
        """Why the price list does not add up to the total, or "" when it does (or has no prices)."""
        if not self.priced_total or not self.difference:
            return ""
        return _(
            "The priced items sum to ¥%(items)s, not the contract total ¥%(total)s (difference ¥%(diff)s)."
        ) % {
            "items": f"{self.priced_total:,.2f}",
            "total": f"{self.contract_total:,.2f}",
            "diff": f"{self.difference:,.2f}",
        }


def price_list(contract: Contract) -> PriceList:
    """The service items by category with subtotals, in one query for items and one for sums."""
    result = PriceList(contract_total=contract.total)
    subtotals = dict(
        contract.service_items.values("category").annotate(s=Sum("amount")).values_list("category", "s")
    )
    for item in contract.service_items.all():
        if not result.categories or result.categories[-1]["category"] != item.category:
            result.categories.append(
                {
                    "category": item.category,
                    "items": [],
                    "subtotal": subtotals.get(item.category) or Decimal(0),
                }
            )
        result.categories[-1]["items"].append(item)
    result.priced_total = sum((c["subtotal"] for c in result.categories), Decimal(0))
    return result


# --- Payment milestones -------------------------------------------------------------------------


def milestone_trigger_date(milestone: Milestone) -> dt.date | None:
    """When the milestone's trigger happened, or None while it has not (acceptance, no dates)."""
    contract = milestone.contract
    trigger = Milestone.Trigger
    if milestone.trigger_date:
        return milestone.trigger_date
    if milestone.trigger in (trigger.INITIAL_ACCEPTANCE, trigger.FINAL_ACCEPTANCE):
        # A build contract's acceptances are dated on its timeline (seed 001's 初验 and 终验).
        timeline = BuildTimeline.objects.filter(contract_id=milestone.contract_id).first()
        if timeline is None:
            return None
        if milestone.trigger == trigger.INITIAL_ACCEPTANCE:
            return timeline.initial_acceptance_on
        return timeline.final_acceptance_on
    return {
        trigger.SIGNING: contract.signed_on,
        trigger.EFFECTIVE: contract.starts_on,
        trigger.TERM_END: contract.ends_on,
        trigger.BEFORE_TERM_END: contract.ends_on,
    }.get(milestone.trigger)


def milestone_due_date(milestone: Milestone) -> dt.date | None:
    """The last day the payment is due on: the trigger's date plus the offset.

    "Within 10 working days of signing" is the 10th working day after the signing day; "within
    the 90 days before the term ends" is due by the term's last day (the offset opens the window).
    """
    start = milestone_trigger_date(milestone)
    if start is None:
        return None
    if milestone.trigger == Milestone.Trigger.BEFORE_TERM_END:
        return start
    try:
        if milestone.offset_unit == Milestone.OffsetUnit.WORKING_DAYS:
            return worktime.add_working_days(start, milestone.offset)
        return start + dt.timedelta(days=milestone.offset)
    except OverflowError:  # past 9999-12-31: no due date rather than a 500 on every later save
        return None


def refresh_due_dates(contract: Contract) -> None:
    """Recompute every milestone's due date (after a date of the contract or a trigger changed)."""
    milestones = list(contract.milestones.select_related("contract"))
    for milestone in milestones:
        milestone.due_on = milestone_due_date(milestone)
    Milestone.objects.bulk_update(milestones, ["due_on"])


def milestone_percent_total(contract: Contract) -> Decimal:
    """The share of the total that the milestones add up to (100 when they cover it all)."""
    if not contract.total:
        return Decimal(0)
    total = sum((m.value for m in contract.milestones.select_related("contract")), Decimal(0))
    return (total / contract.total * 100).quantize(Decimal("0.01"))


# --- Staff --------------------------------------------------------------------------------------

KEY_ROLES = {StaffAssignment.Role.PROJECT_MANAGER, StaffAssignment.Role.TECHNICAL_LEAD}


def contract_year(contract: Contract, day: dt.date) -> tuple[dt.date, dt.date]:
    """The contract year holding ``day``: counted from the term's start, else the calendar year."""
    if not contract.starts_on:
        return dt.date(day.year, 1, 1), dt.date(day.year, 12, 31)
    start = contract.starts_on
    years = day.year - start.year - ((day.month, day.day) < (start.month, start.day))
    first = _add_years(start, max(years, 0))
    return first, _add_years(first, 1) - dt.timedelta(days=1)


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def check_key_staff_change(
    contract: Contract,
    *,
    role: str,
    person: str,
    instance: StaffAssignment | None = None,
    client_consent=False,
) -> None:
    """Refuses changing who holds a key role without the client's consent where the contract
    says so (seed 003: "项目经理及技术负责人不得随意更换…须…得到甲方的同意"), however the change is entered: a
    new holder of a role somebody held, or another person written on an assignment. The
    replacement (``replace_staff``) is the way to record it, with the consent."""
    if not (contract.key_staff_change_needs_consent and role in KEY_ROLES) or client_consent:
        return
    if instance is not None and instance.pk:
        changed = person != instance.person or role != instance.role
    else:
        changed = StaffAssignment.objects.filter(post__contract=contract, role=role).exists()
    if changed:
        raise ValidationError(
            {
                "client_consent": _(
                    "The project manager and technical lead change only with the client's consent: "
                    "record the change as a replacement, with the consent."
                )
            }
        )


@transaction.atomic
def replace_staff(
    assignment: StaffAssignment,
    *,
    person: str,
    on: dt.date,
    reason: str,
    client_consent: bool = False,
    consent_note: str = "",
    recorded_by=None,
) -> StaffAssignment:
    """End ``assignment`` the day before ``on`` and put ``person`` in its place from ``on``.

    Seed 003: the project manager and technical lead change only with the client's consent.
    Seed 004: the contract's count-threshold clause on replacements (≥ 2 within a contract year)
    records one breach when the count reaches the threshold.
    """
    from contracts.penalties import record_breach

    contract = assignment.post.contract
    if assignment.ends_on is not None:
        raise ValidationError(_("This assignment has ended already; replace the current one."))
    if on <= assignment.starts_on:
        raise ValidationError({"on": _("A replacement starts after the assignment it replaces.")})
    if contract.key_staff_change_needs_consent and assignment.role in KEY_ROLES and not client_consent:
        raise ValidationError(
            {
                "client_consent": _(
                    "The project manager and technical lead change only with the client's consent."
                )
            }
        )
    assignment.ends_on = on - dt.timedelta(days=1)
    assignment.save(update_fields=["ends_on"])
    successor = StaffAssignment.objects.create(
        post=assignment.post,
        person=person,
        role=assignment.role,
        starts_on=on,
        replaces=assignment,
        reason=reason,
        client_consent=client_consent,
        consent_note=consent_note,
    )
    clause = contract.penalty_clauses.filter(
        kind="staff_replacement", shape=PenaltyClause.Shape.COUNT_THRESHOLD
    ).first()
    if clause:
        first, last = contract_year(contract, on)
        count = StaffAssignment.objects.filter(
            post__contract=contract, replaces__isnull=False, starts_on__range=(first, last)
        ).count()
        if count >= clause.threshold_count:
            record_breach(
                contract,
                clause.kind,
                occurred_at=timezone.make_aware(dt.datetime.combine(on, dt.time(9, 0))),
                source="staffing",
                # One breach per contract year, however many replacements follow.
                source_ref=f"staff-replacements:{first.isoformat()}",
                note=_("%(count)s replacements in the contract year from %(first)s.")
                % {"count": count, "first": first},
                recorded_by=recorded_by,
            )
    return successor


def roster_gaps(contract: Contract, start: dt.date, end: dt.date) -> list[dt.date]:
    """Non-working days in [start, end] without anybody on site, where the contract needs someone.

    Seed 004: weekends, holidays and key dates need at least one engineer on site.
    """
    # Only days of the term count: before it starts or after it ends nobody is owed.
    start = max(start, contract.starts_on) if contract.starts_on else start
    end = min(end, contract.ends_on) if contract.ends_on else end
    if not contract.onsite_on_non_working_days or end < start:
        return []
    covered = set(
        DutyShift.objects.filter(contract=contract, on_site=True, date__range=(start, end)).values_list(
            "date", flat=True
        )
    )
    days = (start + dt.timedelta(days=n) for n in range((end - start).days + 1))
    return [day for day in days if not worktime.is_working_day(day) and day not in covered]


def staff_summary(contract: Contract, today: dt.date | None = None) -> list[dict]:
    """Each post with its required headcount and how many people hold it today (one query)."""
    today = today or timezone.localdate()
    current = Q(assignments__starts_on__lte=today) & (
        Q(assignments__ends_on__isnull=True) | Q(assignments__ends_on__gte=today)
    )
    posts = contract.staff_posts.annotate(current=Count("assignments", filter=current))
    return [{"post": p, "current": p.current, "short": max(p.headcount - p.current, 0)} for p in posts]


# --- Seed contracts -----------------------------------------------------------------------------

CONTRACT_FIELDS = [
    "title",
    "signed_on",
    "starts_on",
    "ends_on",
    "status",
    "total",
    "acceptance_method",
    "penalty_cap_percent",
    "onsite_on_non_working_days",
    "key_staff_change_needs_consent",
    "notes",
]


# Values an earlier seed had wrong, corrected on a contract already loaded with them (and only
# then, so an edit made in the portal survives): (code, field, wrong value, the text's value).
SEED_CORRECTIONS = [
    # Seed 003, clause 六.1: two ways offered, the first chosen (一次性验收), not the quarterly one.
    ("BJ-2026-RP", "acceptance_method", "periodic", "one_time"),
]
# The same for penalty clauses: (code, clause kind, field, wrong value, the text's value).
SEED_CLAUSE_CORRECTIONS = [
    # Seed 001, 附件4 第8条: a leak through the vendor gives the bureau the right to terminate.
    ("BJ-SSP-UPG", "secret_leak", "termination_at_count", None, 1),
]


def _correct_seed(contract: Contract) -> None:
    for code, name, wrong, right in SEED_CORRECTIONS:
        if contract.code == code and getattr(contract, name) == wrong:
            setattr(contract, name, right)
            contract.save(update_fields=[name])


@transaction.atomic
def load_seeds() -> tuple[list[tuple[Contract, bool]], int]:
    """The seed contracts and every duty they oblige, whatever the mode: each app with seed
    duties (inspection schedules and checklists, report requirements) gives its
    ``load_seed_duties`` on its AppConfig, so this lower app imports none of them. Returns the
    contracts and how many duty rows were created; a second run creates nothing."""
    from django.apps import apps

    loaded = load_seed_contracts()
    created = sum(
        config.load_seed_duties() for config in apps.get_app_configs() if hasattr(config, "load_seed_duties")
    )
    return loaded, created


@transaction.atomic
def load_seed_contracts() -> list[tuple[Contract, bool]]:
    """Create the five seed contracts with everything they oblige.

    Each part is matched by its natural key and created only when missing, so a second run
    changes nothing and edits made in the portal survive.
    """
    loaded = []
    for seed in SEED_CONTRACTS:
        client, _created = Organization.objects.get_or_create(
            name=seed["client"], defaults={"kind": Organization.Kind.CLIENT}
        )
        vendor, _created = Organization.objects.get_or_create(
            name=seed["vendor"], defaults={"kind": Organization.Kind.VENDOR}
        )
        contract, created = Contract.objects.get_or_create(
            code=seed["code"],
            defaults={
                "client": client,
                "vendor": vendor,
                **{f: seed[f] for f in CONTRACT_FIELDS if f in seed},
            },
        )
        _correct_seed(contract)
        for position, item in enumerate(seed["service_items"]):
            ServiceItem.objects.get_or_create(
                contract=contract,
                category=item["category"],
                name=item["name"],
                defaults={
                    "position": position,
                    **{k: v for k, v in item.items() if k not in ("category", "name")},
                },
            )
        clauses = {}
        for spec in seed["penalty_clauses"]:
            clause, _created = PenaltyClause.objects.get_or_create(
                contract=contract, kind=spec["kind"], defaults={k: v for k, v in spec.items() if k != "kind"}
            )
            for code, kind, name, wrong, right in SEED_CLAUSE_CORRECTIONS:
                if (contract.code, clause.kind) == (code, kind) and getattr(clause, name) == wrong:
                    setattr(clause, name, right)
                    clause.save(update_fields=[name])
            clauses[clause.kind] = clause
        for term in seed.get("superseded_sla_terms", []):
            # An earlier load's wrong reading, as it loaded it (a term edited since is kept).
            SLATerm.objects.filter(
                contract=contract,
                **{k: term[k] for k in ("severity", "condition", "clock", "target", "unit")},
            ).delete()
        for term in seed["sla_terms"]:
            SLATerm.objects.get_or_create(
                contract=contract,
                severity=term["severity"],
                condition=term["condition"],
                clock=term["clock"],
                defaults={
                    "target": term["target"],
                    "unit": term["unit"],
                    "note": term["note"],
                    "penalty_clause": clauses.get(term["clause"]),
                },
            )
        for position, spec in enumerate(seed["milestones"]):
            Milestone.objects.get_or_create(
                contract=contract,
                name=spec["name"],
                defaults={"position": position, **{k: v for k, v in spec.items() if k != "name"}},
            )
        for spec in seed["staff_posts"]:
            StaffPost.objects.get_or_create(
                contract=contract, name=spec["name"], defaults={k: v for k, v in spec.items() if k != "name"}
            )
        existing = set(contract.assets.values_list("kind", "name"))
        Asset.objects.bulk_create(
            Asset(contract=contract, **spec)
            for spec in seed["assets"]
            if (spec["kind"], spec["name"]) not in existing
        )
        if "build_timeline" in seed:
            BuildTimeline.objects.get_or_create(contract=contract, defaults=seed["build_timeline"])
        refresh_due_dates(contract)
        loaded.append((contract, created))
    return loaded
