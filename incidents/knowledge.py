"""The knowledge base, consultations and complaints: the rules that views and the API share.

Rights are checked by the callers (``contracts.scoping.can``); these functions keep the data
consistent whoever calls them.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from contracts import worktime
from contracts.models import Breach, Contract, Membership, Role, SLATerm, TargetUnit
from contracts.penalties import BreachSpec
from contracts.scoping import FILE_COMPLAINT, MANAGE_CONTRACT, MANAGE_KNOWLEDGE, VIEW, can
from identity.access import memberships
from incidents.clocks import same_day_deadline
from incidents.models import Complaint, Consultation, Incident, KnowledgeArticle, Side
from incidents.services import record_clock_breaches, withdraw_breaches

# Seed 004 assesses a "timely" reply without defining it; a day is what seed 000 allows general
# questions ("answered the same day"). Callers may pass another threshold.
DEFAULT_TIMELY_HOURS = 24
# The breach kind of a reply later than the contract's rule (registered with the other kinds).
LATE_CONSULTATION = "late_consultation"

SEARCH_FIELDS = ("title", "background", "symptoms", "solution")


# --- Knowledge base -------------------------------------------------------------------------------


def visible_articles(user):
    """Published articles of the user's contracts, and drafts where the user may edit the base:
    a draft is unchecked advice, not yet for the client's staff."""
    editable = Contract.objects.restrict(user, MANAGE_KNOWLEDGE).values("pk")
    return KnowledgeArticle.objects.restrict(user, VIEW).filter(
        Q(status=KnowledgeArticle.Status.PUBLISHED) | Q(contract__in=editable)
    )


def search_articles(queryset, text: str):
    """Articles matching every word of ``text`` in title, background, symptoms or solution.

    Chinese is written without spaces, so a substring match (icontains) is what finds "数据库"
    inside "数据库连接池耗尽"; on PostgreSQL a full-text match (simple configuration: nothing
    to stem) is added with OR, for Latin words and word forms typed in another order.
    """
    words = text.split()
    if not words:
        return queryset
    match = Q()
    for word in words:
        match &= Q(*(Q(**{f"{field}__icontains": word}) for field in SEARCH_FIELDS), _connector=Q.OR)
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchVector

        vector = SearchVector(*SEARCH_FIELDS, config="simple")
        queryset = queryset.annotate(search_vector=vector)
        match |= Q(search_vector=SearchQuery(text, config="simple", search_type="websearch"))
    return queryset.filter(match)


def article_from_incident(incident: Incident, by) -> KnowledgeArticle:
    """A draft article pre-filled from a resolved incident: what happened becomes the
    background, the cause, method and result become the fix.

    Returns the incident's existing article if it already has one (a second tap on the button).
    """
    if incident.is_open:
        raise ValidationError(_("Only a resolved incident can become a knowledge article."))
    existing = KnowledgeArticle.objects.filter(source_incident=incident).first()
    if existing is not None:
        return existing
    sections = [
        (_("Cause"), incident.cause),
        (_("Method"), incident.method),
        (_("Result"), incident.result),
    ]
    solution = "\n\n".join(f"{label}: {text.strip()}" for label, text in sections if text.strip())
    asset = incident.asset
    try:
        with transaction.atomic():
            return KnowledgeArticle.objects.create(
                contract=incident.contract,
                title=incident.title,
                background=incident.description,
                symptoms=incident.impact,
                solution=solution,
                system=asset.system if asset else "",
                asset_kind=asset.kind if asset else "",
                source_incident=incident,
                status=KnowledgeArticle.Status.DRAFT,
                author=by,
            )
    except IntegrityError:
        # Two taps at once: the other one's article won the unique constraint.
        return KnowledgeArticle.objects.get(source_incident=incident)


# --- Consultations --------------------------------------------------------------------------------


def vendor_engineers(contracts):
    """The users who may answer consultations of these contracts: the vendors' engineers and
    managers."""
    return (
        get_user_model()
        .objects.filter(
            memberships__organization__vendor_contracts__in=contracts,
            memberships__role__in=[Role.VENDOR_ENGINEER, Role.VENDOR_MANAGER],
        )
        .distinct()
        .order_by("username")
    )


def consultation_errors(contract, engineer, answered, asked_at, replied_at) -> dict[str, str]:
    """What is wrong with a consultation's values, by field: the form and the API share this."""
    errors = {}
    engineers = vendor_engineers(Contract.objects.filter(pk=getattr(contract, "pk", None)))
    if engineer is not None and contract is not None and not engineers.filter(pk=engineer.pk).exists():
        errors["engineer"] = _("The engineer must work for this contract's vendor.")
    if answered and replied_at is None:
        errors["replied_at"] = _("An answered question needs the time of the reply.")
    if answered and engineer is None:
        errors["engineer"] = _("An answered question needs the engineer who answered it.")
    if replied_at is not None and asked_at is not None and replied_at < asked_at:
        errors["replied_at"] = _("The reply cannot come before the question.")
    return errors


def consultation_term(contract):
    """The contract's timely-reply rule for consultations: its response term for general
    questions (seed 000: "一般问题乙方需在当日内予以答复", the same day), or None."""
    return (
        SLATerm.objects.filter(
            contract=contract, condition=SLATerm.Condition.CONSULTATION, clock=SLATerm.Clock.RESPONSE
        )
        .order_by("severity")  # the one for any severity first
        .first()
    )


def reply_due(contract, asked_at, term, calendar=None) -> dt.datetime | None:
    """When the reply to a question asked at ``asked_at`` is due under ``term``; None without a
    term, or for a question asked outside the contract's term (it obliges nothing then)."""
    if term is None or asked_at is None:
        return None
    day = worktime.to_china(asked_at).date()
    if (contract.starts_on and day < contract.starts_on) or (contract.ends_on and day > contract.ends_on):
        return None
    calendar = calendar or worktime.Calendar(range(day.year, day.year + 2))
    if term.unit == TargetUnit.SAME_DAY:
        return same_day_deadline(asked_at, contract.business_day_ends, calendar)
    return worktime.add_target(
        asked_at,
        term.target,
        term.unit,
        term.coverage,
        contract.business_day_starts,
        contract.business_day_ends,
        calendar,
    )


def rule_label(term) -> str:
    """The timely-reply rule in words, as the pages show it next to the deadline."""
    if term is None:
        return ""
    if term.unit == TargetUnit.SAME_DAY:
        return str(SAME_DAY_READING)
    return _("within %(target)s %(unit)s") % {"target": term.target, "unit": term.get_unit_display()}


SAME_DAY_READING = gettext_lazy(
    "The same day: by 24:00 of the day asked; a question asked after the business day ends or on a "
    "non-working day is due by 24:00 of the next working day."
)


def _late(consultation, now) -> bool:
    due = consultation.reply_due
    if due is None:
        return False
    if consultation.answered and consultation.replied_at is not None:
        return consultation.replied_at > due
    return due <= now


def _late_spec(consultation) -> BreachSpec:
    local = timezone.localtime(consultation.reply_due)
    return BreachSpec(
        contract=consultation.contract,
        kind=LATE_CONSULTATION,
        occurred_at=consultation.reply_due,
        source=Breach.Source.CONSULTATION,
        source_ref=f"consultation:{consultation.pk}",
        note=_("Consultation of %(asked)s: the reply due %(due)s came late or not at all.")
        % {
            "asked": timezone.localtime(consultation.asked_at).strftime("%Y-%m-%d %H:%M"),
            "due": local.strftime("%Y-%m-%d %H:%M"),
        },
    )


@transaction.atomic
def settle_consultation(consultation, *, by=None, now=None) -> Consultation:
    """After a consultation is saved: store its reply deadline under the contract's rule; a reply
    entered after it is a breach at once (``late_consultation``); an edit that shows the reply in
    time withdraws the breach recorded before (kept in the ledger, on the audit trail)."""
    now = now or timezone.now()
    consultation = Consultation.objects.select_for_update().select_related("contract").get(pk=consultation.pk)
    due = reply_due(consultation.contract, consultation.asked_at, consultation_term(consultation.contract))
    if due != consultation.reply_due:
        Consultation.objects.filter(pk=consultation.pk).update(reply_due=due)
        consultation.reply_due = due
    ref = f"consultation:{consultation.pk}"
    if _late(consultation, now):
        if consultation.reply_breached_at is None:
            consultation.reply_breached_at = now
            Consultation.objects.filter(pk=consultation.pk).update(reply_breached_at=now)
            record_clock_breaches([_late_spec(consultation)])
    elif consultation.reply_breached_at is not None:
        withdraw_breaches(
            consultation.contract_id,
            Breach.Source.CONSULTATION,
            ref,
            now=now,
            by=by,
            reason=_("The consultation's corrected times show the reply in time."),
        )
        consultation.reply_breached_at = None
        Consultation.objects.filter(pk=consultation.pk).update(reply_breached_at=None)
    return consultation


def check_consultations(now=None) -> int:
    """The beat's sweep: questions still unanswered when their reply was due are breaches, each
    claimed once by a conditional UPDATE (two beats record one). Returns how many it recorded."""
    now = now or timezone.now()
    with transaction.atomic():
        due = list(
            Consultation.objects.filter(answered=False, reply_due__lte=now, reply_breached_at__isnull=True)
            .select_related("contract")
            .select_for_update(skip_locked=True, of=("self",))[:1000]
        )
        if not due:
            return 0
        # The rows are locked by this run and were read with the claim column empty: claimed.
        Consultation.objects.filter(pk__in=[c.pk for c in due]).update(reply_breached_at=now)
        record_clock_breaches([_late_spec(c) for c in due])
    return len(due)


@dataclass(frozen=True)
class EngineerRates:
    engineer_id: int | None
    engineer_name: str
    asked: int
    answered: int
    timely: int
    answer_rate: Decimal | None
    timely_rate: Decimal | None


def percent(part: int, whole: int) -> Decimal | None:
    """part/whole as a percentage with one decimal, rounded half up; None for nothing asked."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def period_bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The local-time instants from the start of ``start`` to the end of ``end`` (inclusive days)."""
    zone = timezone.get_current_timezone()
    return (
        dt.datetime.combine(start, dt.time.min, tzinfo=zone),
        dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=zone),
    )


def consultation_rates(
    contract, start: dt.date, end: dt.date, timely_hours: float | None = DEFAULT_TIMELY_HOURS, term=None
) -> list[EngineerRates]:
    """Seed 004's per-engineer answer rate (接听率) and timely-reply rate (及时回复率) for the
    questions asked from ``start`` to ``end`` (local dates, both included).

    Both rates are over all questions asked of the engineer: an unanswered question is also one
    not answered in time. "Timely" is a reply within ``timely_hours`` of the question or, with
    ``timely_hours`` None and a contract ``term`` (seed 000: the same day), by the term's
    deadline. One query.
    """
    since, until = period_bounds(start, end)
    questions = Consultation.objects.filter(contract=contract, asked_at__gte=since, asked_at__lt=until)
    people = ("engineer", "engineer__username", "engineer__first_name", "engineer__last_name")
    if timely_hours is None and term is not None:
        values = questions.values(*people, "asked_at", "answered", "replied_at")
        rows = _rates_under_term(contract, values, term, range(start.year, end.year + 2))
    else:
        answered = Q(answered=True)
        hours = timely_hours if timely_hours is not None else DEFAULT_TIMELY_HOURS
        timely = answered & Q(replied_at__lte=F("asked_at") + dt.timedelta(hours=hours))
        rows = (
            questions.values(*people)
            .annotate(
                asked=Count("pk"),
                answered_count=Count("pk", filter=answered),
                timely_count=Count("pk", filter=timely),
            )
            .order_by("engineer__username")
        )
    result = []
    for row in rows:
        full_name = f"{row['engineer__last_name']}{row['engineer__first_name']}".strip()
        result.append(
            EngineerRates(
                engineer_id=row["engineer"],
                engineer_name=full_name or row["engineer__username"] or _("Not assigned"),
                asked=row["asked"],
                answered=row["answered_count"],
                timely=row["timely_count"],
                answer_rate=percent(row["answered_count"], row["asked"]),
                timely_rate=percent(row["timely_count"], row["asked"]),
            )
        )
    return result


def _rates_under_term(contract, questions, term, years) -> list[dict]:
    """The counts per engineer with each question's own deadline under ``term`` (a same-day
    deadline depends on the hour and the calendar, so it is not one SQL interval)."""
    calendar = worktime.Calendar(years)
    groups = {}
    for q in questions:
        row = groups.setdefault(
            q["engineer"],
            {
                **{k: v for k, v in q.items() if k.startswith("engineer")},
                "asked": 0,
                "answered_count": 0,
                "timely_count": 0,
            },
        )
        row["asked"] += 1
        if q["answered"]:
            row["answered_count"] += 1
            due = reply_due(contract, q["asked_at"], term, calendar)
            if due is None or q["replied_at"] <= due:
                row["timely_count"] += 1
    return sorted(groups.values(), key=lambda row: row["engineer__username"] or "")


# --- Complaints -----------------------------------------------------------------------------------


def side_of(user, contract) -> str | None:
    """The party to the contract the user belongs to, or None for anyone else."""
    organizations = set(Membership.objects.filter(user=user).values_list("organization_id", flat=True))
    if contract.client_id in organizations:
        return Side.CLIENT
    if contract.vendor_id in organizations:
        return Side.VENDOR
    return None


def complaint_sides(by, contract) -> tuple[str, str]:
    """(filed by side, against side): the filer's party to the contract, and the other party."""
    side = side_of(by, contract)
    if side is None:
        raise ValidationError(_("Only a member of the client or the vendor may complain."))
    return side, Side.VENDOR if side == Side.CLIENT else Side.CLIENT


def file_complaint(contract, by, subject: str, description: str) -> Complaint:
    """A complaint by the side the filer belongs to, against the other side (seed 002)."""
    from incidents.notify import complaint_filed

    side, against = complaint_sides(by, contract)
    with transaction.atomic():
        complaint = Complaint.objects.create(
            contract=contract,
            filed_by=by,
            filed_by_side=side,
            against_side=against,
            subject=subject,
            description=description,
        )
        complaint_filed(complaint, by=by)
    return complaint


DECIDER_ACTION = MANAGE_CONTRACT  # the client's managers and the administrators


def _answering_side(by, contract) -> str | None:
    # From the request's memberships, which ``can`` has just read: no query of its own.
    organizations = {organization for organization, _role in memberships(by)}
    if contract.client_id in organizations:
        return Side.CLIENT
    if contract.vendor_id in organizations:
        return Side.VENDOR
    return None


def may_answer(complaint: Complaint, by) -> bool:
    """Whether ``by`` may answer the complaint: a person of the side complained against (the
    vendor, when the client complains), who may act on the contract, while it is open and
    unanswered."""
    return (
        complaint.status == Complaint.Status.OPEN
        and complaint.answered_at is None
        and can(by, FILE_COMPLAINT, complaint.contract)
        and _answering_side(by, complaint.contract) == complaint.against_side
    )


def answer_complaint(complaint: Complaint, by, text: str) -> Complaint:
    """The answer of the side complained against, once, before the decision; the other side
    reads it on the complaint, and the trail keeps it (the save is an audited update)."""
    text = (text or "").strip()
    if not text:
        raise ValidationError({"answer": _("Write the answer.")})
    if not can(by, FILE_COMPLAINT, complaint.contract) or (
        _answering_side(by, complaint.contract) != complaint.against_side
    ):
        raise PermissionDenied(_("Only the side complained against answers the complaint."))
    with transaction.atomic():
        locked = Complaint.objects.select_for_update().get(pk=complaint.pk)
        if locked.status != Complaint.Status.OPEN:
            raise ValidationError(_("This complaint has already been decided."))
        if locked.answered_at is not None:
            raise ValidationError(_("This complaint has already been answered."))
        locked.answer, locked.answered_by, locked.answered_at = text, by, timezone.now()
        locked.save(update_fields=["answer", "answered_by", "answered_at"])
    return locked


def decide_complaint(complaint: Complaint, by, status: str, note: str) -> Complaint:
    """Uphold (a valid complaint, recorded) or dismiss an open complaint, once.

    The update is conditional on the complaint still being open, so two deciders at once cannot
    both win: the second gets an error and changes nothing.
    """
    if status not in (Complaint.Status.UPHELD, Complaint.Status.DISMISSED):
        raise ValidationError({"status": _("A decision upholds or dismisses the complaint.")})
    if not note.strip():
        raise ValidationError({"note": _("Give the reason for the decision.")})
    if complaint.filed_by_id == by.pk:
        raise ValidationError(_("Nobody decides their own complaint."))
    now = timezone.now()
    with transaction.atomic():
        claimed = Complaint.objects.filter(pk=complaint.pk, status=Complaint.Status.OPEN).update(
            status=status, decision_note=note.strip(), decided_by=by, decided_at=now
        )
    if not claimed:
        raise ValidationError(_("This complaint has already been decided."))
    complaint.refresh_from_db()
    return complaint
