"""The knowledge base, consultations and complaints: the rules that views and the API share.

Rights are checked by the callers (``contracts.scoping.can``); these functions keep the data
consistent whoever calls them.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from contracts.models import Contract, Membership, Role
from contracts.scoping import MANAGE_CONTRACT, MANAGE_KNOWLEDGE, VIEW
from incidents.models import Complaint, Consultation, Incident, KnowledgeArticle, Side

# Seed 004 assesses a "timely" reply without defining it; a day is what seed 000 allows general
# questions ("answered the same day"). Callers may pass another threshold.
DEFAULT_TIMELY_HOURS = 24

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
    contract, start: dt.date, end: dt.date, timely_hours: float = DEFAULT_TIMELY_HOURS
) -> list[EngineerRates]:
    """Seed 004's per-engineer answer rate (接听率) and timely-reply rate (及时回复率) for the
    questions asked from ``start`` to ``end`` (local dates, both included).

    Both rates are over all questions asked of the engineer: an unanswered question is also one
    not answered in time. "Timely" is a reply within ``timely_hours`` of the question. One query.
    """
    since, until = period_bounds(start, end)
    answered = Q(answered=True)
    timely = answered & Q(replied_at__lte=F("asked_at") + dt.timedelta(hours=timely_hours))
    rows = (
        Consultation.objects.filter(contract=contract, asked_at__gte=since, asked_at__lt=until)
        .values("engineer", "engineer__username", "engineer__first_name", "engineer__last_name")
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
    side, against = complaint_sides(by, contract)
    return Complaint.objects.create(
        contract=contract,
        filed_by=by,
        filed_by_side=side,
        against_side=against,
        subject=subject,
        description=description,
    )


DECIDER_ACTION = MANAGE_CONTRACT  # the client's managers and the administrators


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
