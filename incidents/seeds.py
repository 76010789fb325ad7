"""The seed contracts' escalation policies, derived from their own response terms.

An emergency (紧急) not acknowledged by its response deadline is told to the vendor's manager, and
after as long again to the client's manager: seed 001 (respond within 1 hour, 7×24) escalates at
60 and 120 minutes, seed 002 (major faults: respond within 30 minutes) at 30 and 60. The term read
is the contract's response term in minutes or hours that applies to an emergency fault (any
severity or 紧急; any request, a fault or a major fault); contracts without one (000's only
response term is the same-day answer to a question, 003 and 004 have none) get no default, and
their client or administrator adds a policy in the portal.

``load_seed_contracts`` runs ``load_seed_escalations`` through ``IncidentsConfig.load_seed_duties``;
a policy is made only when the contract has none for the severity, so a second run changes
nothing and a policy edited in the portal is kept.
"""

from django.db import transaction
from django.utils import timezone

from contracts.models import Contract, Severity, SLATerm, TargetUnit
from contracts.seeds import SEED_CONTRACTS
from incidents import escalation
from incidents.models import EscalationPolicy, EscalationStep, EscalationTarget

EMERGENCY_CONDITIONS = ("", SLATerm.Condition.FAULT, SLATerm.Condition.MAJOR_FAULT)
MINUTES_PER = {TargetUnit.MINUTES: 1, TargetUnit.HOURS: 60}
NOTE = "按合同响应时限 {minutes} 分钟：到时未受理通知乙方项目经理，再过 {minutes} 分钟通知甲方负责人"


def emergency_response_minutes(contract) -> int | None:
    """The contract's response target for an emergency fault in minutes, or None."""
    terms = [
        term
        for term in contract.sla_terms.filter(clock=SLATerm.Clock.RESPONSE, unit__in=list(MINUTES_PER))
        if term.severity in ("", Severity.EMERGENCY) and term.condition in EMERGENCY_CONDITIONS
    ]
    if not terms:
        return None
    # The most specific: the severity named beats any; then any request beats a kind of fault.
    best = max(terms, key=lambda t: (bool(t.severity), not t.condition))
    return best.target * MINUTES_PER[best.unit]


def default_steps(minutes: int) -> list[tuple[int, str]]:
    return [(minutes, EscalationTarget.VENDOR_MANAGER), (2 * minutes, EscalationTarget.CLIENT_MANAGER)]


@transaction.atomic
def load_seed_escalations() -> int:
    """Returns how many rows were created (policies and their steps)."""
    created = 0
    codes = [seed["code"] for seed in SEED_CONTRACTS]
    for contract in Contract.objects.filter(code__in=codes).order_by("code"):
        minutes = emergency_response_minutes(contract)
        if minutes is None:
            continue
        policy, made = EscalationPolicy.objects.get_or_create(
            contract=contract,
            severity=Severity.EMERGENCY,
            defaults={"note": NOTE.format(minutes=minutes)},
        )
        if not made:
            continue
        steps = EscalationStep.objects.bulk_create(
            EscalationStep(policy=policy, after_minutes=after, notify=target)
            for after, target in default_steps(minutes)
        )
        escalation.reschedule(contract, [Severity.EMERGENCY], passed_before=timezone.now())
        created += 1 + len(steps)
    return created
