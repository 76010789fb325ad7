"""Escalation: while nobody acknowledges (受理) an incident, its contract's policy for the
incident's severity tells more people, step by step — the vendor's manager at N minutes, the
client's manager at N + M (PagerDuty's and Zabbix's escalations, as seed 001's 紧急 faults ask).

* "Accepted" is the workflow's ``acknowledge`` (status ``new`` → ``acknowledged``, 受理): the
  first step of the vendor's side, and the act that meets the response clock. Once it is done,
  no further step fires.
* A step's minutes count from the report in the clock mode of the incident's response term:
  around the clock under 7×24, in the contract's business hours under 5×8 / 7×8 (so a 5×8
  contract's 30 minutes after a Friday-evening report fall on Monday morning, as its response
  deadline does). Without a response term, 7×24.
* The incident keeps how many steps fired (``escalation_level``) and when the next is due
  (``next_escalation_at``, NULL when none: the partial index holds only the pending ones).
  ``refresh_clocks`` writes the column with the clocks, so acknowledging clears it in the same
  UPDATE; a policy saved anew reschedules the contract's unacknowledged incidents.
* The beat's ``sweep`` claims each due step with one conditional UPDATE (``escalation_level``
  still what it read, the incident still new, the step still due): of two sweeps at once, one
  fires the step and the other finds no row. The step is written on the timeline and, in
  the same transaction, recorded as the event ``incident.escalated`` (``notify_event``): an inbox
  item for the people the step names (or those on duty), sent to them and to the contract's group
  channels once it commits.
"""

import datetime as dt
from collections import defaultdict

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from contracts import worktime
from contracts.models import Membership, SLATerm, TargetUnit
from contracts.notify import notify_event
from incidents import clocks
from incidents.models import EscalationPolicy, EscalationStep, EscalationTarget, Incident, IncidentEvent
from incidents.models.escalation import MAX_STEPS
from om_portal import events

NEW = Incident.Status.NEW
BATCH = 500
# Whose people a step names: the target's organisation side and membership role.
TARGET_SIDE = {
    EscalationTarget.VENDOR_MANAGER: "vendor",
    EscalationTarget.CLIENT_MANAGER: "client",
}


def coverage_of(term) -> str:
    """The clock mode a step counts in: the response term's, as ``clocks._budget`` reads it."""
    if term is None or term.unit in (TargetUnit.CALENDAR_DAYS, TargetUnit.SAME_DAY):
        return clocks.ALWAYS
    if term.unit == TargetUnit.WORKING_DAYS:
        return clocks.WORKING_DAYS_COVERAGE
    return term.coverage


def step_due(incident, minutes: int, coverage: str, calendar=None) -> dt.datetime:
    """When a step of ``minutes`` after the report comes, in ``coverage``."""
    contract = incident.contract
    return worktime.add_working_time(
        incident.reported_at,
        dt.timedelta(minutes=minutes),
        coverage,
        contract.business_day_starts,
        contract.business_day_ends,
        calendar=calendar,
    )


def active_steps(contract_id, severity) -> list[EscalationStep]:
    """The steps of the contract's active policy for ``severity``, in firing order (one query)."""
    return list(
        EscalationStep.objects.filter(
            policy__contract_id=contract_id, policy__severity=severity, policy__active=True
        ).order_by("after_minutes")
    )


def next_due(incident, steps, coverage, calendar=None) -> dt.datetime | None:
    """When the incident's next step fires, or None: acknowledged, outside the contract's term
    (no clock runs then either), or every step fired."""
    if incident.status != NEW or incident.escalation_level >= len(steps) or incident.outside_term:
        return None
    return step_due(incident, steps[incident.escalation_level].after_minutes, coverage, calendar)


def pending(incident, computed) -> dict:
    """``next_escalation_at`` as the incident now stands, for ``refresh_clocks`` to write with the
    clocks: one query while it awaits acknowledgement, none after."""
    if incident.status != NEW:
        return {"next_escalation_at": None}
    steps = active_steps(incident.contract_id, incident.severity)
    return {"next_escalation_at": next_due(incident, steps, coverage_of(computed["response"].term))}


def reschedule(contract, severities, passed_before: dt.datetime | None = None) -> int:
    """After the contract's policies for ``severities`` changed: the next step of each of its
    unacknowledged incidents of those severities, from the steps already fired. Call inside a
    transaction (the incidents are locked, as a transition locks them).

    With ``passed_before`` (a policy just created), the steps that came due before it count as
    passed: escalation tells people while an incident is fresh, and a policy added to a contract
    with a backlog of old unacknowledged incidents would otherwise send every step of every one of
    them at the next beat. Those incidents' SLA clocks and breaches still run as before."""
    incidents = list(
        Incident.objects.filter(contract=contract, status=NEW, severity__in=list(severities))
        .select_related("contract")
        .select_for_update(of=("self",))
    )
    if not incidents:
        return 0
    terms = list(SLATerm.objects.filter(contract=contract, clock=SLATerm.Clock.RESPONSE))
    steps = {severity: active_steps(contract.pk, severity) for severity in {i.severity for i in incidents}}
    changed = []
    for incident in incidents:
        term = clocks.pick_term(terms, "response", incident.severity, incident.condition)
        chain, coverage = steps[incident.severity], coverage_of(term)
        level = incident.escalation_level
        if passed_before is not None:
            while (
                level < len(chain)
                and step_due(incident, chain[level].after_minutes, coverage) <= passed_before
            ):
                level += 1
        raised, incident.escalation_level = level != incident.escalation_level, level
        value = next_due(incident, chain, coverage)
        if raised or value != incident.next_escalation_at:
            incident.next_escalation_at = value
            changed.append(incident)
    Incident.objects.bulk_update(changed, ["next_escalation_at", "escalation_level"])
    return len(changed)


# --- The beat's sweep ---------------------------------------------------------------------------


def due_incidents(now, limit=BATCH) -> list[int]:
    """The ids of incidents with a step due: one query on the partial index."""
    return list(
        Incident.objects.filter(next_escalation_at__lte=now)
        .order_by("next_escalation_at")
        .values_list("pk", flat=True)[:limit]
    )


def sweep(now=None) -> dict:
    """Fire every due step; returns how many fired. Idempotent: a step fires once, whoever runs."""
    now = now or timezone.now()
    fired = 0
    # A beat that was down owes an incident several steps: each round fires the next one. A round
    # that fires nothing (all locked by transitions in progress) leaves them to the next tick.
    for _round in range(MAX_STEPS + 1):
        ids = due_incidents(now)
        if not ids:
            break
        count = _sweep_batch(ids, now)
        fired += count
        if not count:
            break
    return {"escalated": fired}


def _sweep_batch(ids, now) -> int:
    with transaction.atomic():
        # SKIP LOCKED: an incident being acknowledged right now holds its row; the claim below
        # would wait for it and then find it acknowledged anyway, so leave it to the next tick.
        incidents = list(
            Incident.objects.filter(pk__in=ids, next_escalation_at__lte=now)
            .select_related("contract")
            .select_for_update(skip_locked=True, of=("self",))
        )
        if not incidents:
            return 0
        contract_ids = {i.contract_id for i in incidents}
        terms = defaultdict(list)
        for term in SLATerm.objects.filter(contract_id__in=contract_ids, clock=SLATerm.Clock.RESPONSE):
            terms[term.contract_id].append(term)
        chains = defaultdict(list)
        for step in (
            EscalationStep.objects.filter(policy__contract_id__in=contract_ids, policy__active=True)
            .select_related("policy")
            .order_by("after_minutes")
        ):
            chains[step.policy.contract_id, step.policy.severity].append(step)

        fired = []
        for incident in incidents:
            chain, level = chains[incident.contract_id, incident.severity], incident.escalation_level
            if incident.status != NEW or level >= len(chain):
                # Acknowledged by a path that did not clear it, or the policy lost steps.
                stale = Incident.objects.filter(pk=incident.pk, escalation_level=level)
                stale.update(next_escalation_at=None)
                continue
            term = clocks.pick_term(
                terms[incident.contract_id], "response", incident.severity, incident.condition
            )
            following = (
                step_due(incident, chain[level + 1].after_minutes, coverage_of(term))
                if level + 1 < len(chain)
                else None
            )
            # The claim: the row count decides which sweep fires the step.
            claimed = Incident.objects.filter(
                pk=incident.pk, status=NEW, escalation_level=level, next_escalation_at__lte=now
            ).update(escalation_level=level + 1, next_escalation_at=following)
            if claimed:
                incident.escalation_level, incident.next_escalation_at = level + 1, following
                fired.append((incident, chain[level], len(chain)))
        people = _people({i.contract for i, _s, _n in fired})
        for incident, step, total in fired:
            _fire(incident, step, total, people, now)
    return len(fired)


def _people(contracts) -> dict:
    """(organisation id, role) → the active users holding it, for the contracts' two parties."""
    organisations = {c.vendor_id for c in contracts} | {c.client_id for c in contracts}
    found = defaultdict(list)
    if not organisations:
        return found
    for membership in (
        Membership.objects.filter(
            organization_id__in=organisations, role__in=list(TARGET_SIDE), user__is_active=True
        )
        .select_related("user")
        .order_by("user__username")
    ):
        found[membership.organization_id, membership.role].append(membership.user)
    return found


def named_people(contract, target, people) -> list:
    side = TARGET_SIDE.get(target)
    if side is None:
        return []
    return people.get((getattr(contract, f"{side}_id"), target), [])


def _fire(incident, step, total, people, now):
    contract = incident.contract
    target = EscalationTarget(step.notify)
    named = named_people(contract, target, people)
    names = "、".join(user.get_full_name() or user.username for user in named)
    values = {
        "number": incident.number,
        "title": incident.title,
        "step": incident.escalation_level,
        "total": total,
        "minutes": step.after_minutes,
        "target": target.label,
        "names": names or _("nobody with an account"),
        "severity": incident.get_severity_display(),
        "reported": timezone.localtime(incident.reported_at).strftime("%Y-%m-%d %H:%M"),
    }
    if target == EscalationTarget.ON_DUTY:
        note = _(
            "Step %(step)s of %(total)s: not acknowledged %(minutes)s minutes after the report; "
            "told %(target)s."
        )
    else:
        note = _(
            "Step %(step)s of %(total)s: not acknowledged %(minutes)s minutes after the report; "
            "told %(target)s: %(names)s."
        )
    note %= values
    IncidentEvent.objects.create(
        incident=incident, kind=IncidentEvent.Kind.ESCALATED, at=now, to_value=step.notify, note=note
    )
    # One key per incident and step: a repeat (a re-run, a second worker) adds no notice.
    key = f"escalation:{incident.pk}:{incident.escalation_level}"
    if target == EscalationTarget.ON_DUTY:
        audience = {"roles": (events.ON_DUTY,)}
    else:
        audience = {"roles": (events.NAMED,), "users": named}
    notify_event(
        "incident.escalated",
        contract,
        params={**values, "note": note},
        dedupe_key=key,
        link=incident.get_absolute_url(),
        at=now,
        **audience,
    )


# --- Policies -----------------------------------------------------------------------------------


def step_errors(steps) -> tuple[list[str], dict[int, str]]:
    """What is wrong with a policy's steps, ``[(after_minutes, notify), ...]``: errors of the whole
    list, and of single steps by index (a minute used twice)."""
    whole, single, seen = [], {}, set()
    if not steps:
        whole.append(_("Add at least one step."))
    if len(steps) > MAX_STEPS:
        whole.append(_("At most %(count)s steps.") % {"count": MAX_STEPS})
    for index, (minutes, _notify) in enumerate(steps):
        if minutes in seen:
            single[index] = _("Another step fires at this minute already.")
        seen.add(minutes)
    return whole, single


@transaction.atomic
def save_policy(policy, steps) -> None:
    """Save ``policy`` (validated) with exactly ``steps``, ``[(after_minutes, notify), ...]``, and
    reschedule the contract's unacknowledged incidents it concerns: the steps fired stay fired,
    the next one follows the new steps."""
    before, was_active = None, False
    if policy.pk:
        stored = EscalationPolicy.objects.filter(pk=policy.pk).values_list("severity", "active").first()
        before, was_active = stored or (None, False)
    # A policy that starts applying now (new, or switched on again) starts from now: see reschedule.
    starts = policy.active and not was_active
    policy.save()
    policy.steps.all().delete()
    EscalationStep.objects.bulk_create(
        EscalationStep(policy=policy, after_minutes=minutes, notify=notify)
        for minutes, notify in sorted(steps)
    )
    reschedule(policy.contract, {policy.severity, before} - {None}, timezone.now() if starts else None)


@transaction.atomic
def delete_policy(policy) -> None:
    contract, severity = policy.contract, policy.severity
    policy.delete()
    reschedule(contract, [severity])
