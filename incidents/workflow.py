"""The incident's workflow, as one table: the states each action starts from, the state it leads
to, the right it needs on the contract, and the event it writes on the timeline.

``incidents.services.transition`` moves an incident by it; the incident's page draws its buttons
from it (``WORKFLOW.actions_for``).
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from contracts.scoping import CLOSE_INCIDENT, HANDLE_INCIDENT, can
from incidents.models import Incident, IncidentEvent
from om_portal import workflow

Status = Incident.Status
Kind = IncidentEvent.Kind
OPEN_WORKING = {Status.ACKNOWLEDGED, Status.ON_SITE}
WAITING = {Status.WAITING_CLIENT, Status.WAITING_OTHER_UNIT, Status.WAITING_FINANCE}

WAIT_STATES = {
    "wait_client": Status.WAITING_CLIENT,
    "wait_other_unit": Status.WAITING_OTHER_UNIT,
    "wait_finance": Status.WAITING_FINANCE,
}


def _refused(incident, act):
    return ValidationError(
        _("“%(action)s” is not possible while the incident is “%(status)s”.")
        % {"action": act.label, "status": incident.get_status_display()}
    )


def _denied(incident, act):
    return PermissionDenied(_("Your role does not allow this on this contract."))


# The incident's workflow, in the order of the page's buttons: the states each action starts
# from, the state it leads to, the right it needs, and the timeline's event it records.
WORKFLOW = workflow.Workflow(
    Incident,
    [
        workflow.action(
            "acknowledge",
            {Status.NEW},
            Status.ACKNOWLEDGED,
            HANDLE_INCIDENT,
            label=gettext_lazy("Acknowledge"),
            records=Kind.ACKNOWLEDGED,
        ),
        workflow.action(
            "arrive",
            OPEN_WORKING | WAITING,
            Status.ON_SITE,
            HANDLE_INCIDENT,
            label=gettext_lazy("Arrived on site"),
            records=Kind.ARRIVED,
        ),
        *(
            # A wait stops the clocks: the timeline says why (and the client can check it).
            workflow.action(
                name,
                OPEN_WORKING,
                state,
                HANDLE_INCIDENT,
                label=label,
                records=Kind.WAITING,
                needs_reason=True,
            )
            for (name, state), label in zip(
                WAIT_STATES.items(),
                (
                    gettext_lazy("Wait on the client"),
                    gettext_lazy("Wait on another unit"),
                    gettext_lazy("Wait on the finance department"),
                ),
                strict=True,
            )
        ),
        # Back to where the wait began (``_status_before_wait``).
        workflow.action(
            "resume", WAITING, None, HANDLE_INCIDENT, label=gettext_lazy("Resume"), records=Kind.RESUMED
        ),
        # A form (the cause, the method, the result), not a one-tap button.
        workflow.action(
            "resolve",
            OPEN_WORKING | WAITING,
            Status.RESOLVED,
            HANDLE_INCIDENT,
            label=gettext_lazy("Resolve"),
            records=Kind.RESOLVED,
            button=False,
        ),
        workflow.action(
            "close",
            {Status.RESOLVED},
            Status.CLOSED,
            CLOSE_INCIDENT,
            label=gettext_lazy("Close"),
            records=Kind.CLOSED,
        ),
        workflow.action(
            "reopen",
            {Status.RESOLVED, Status.CLOSED},
            Status.ACKNOWLEDGED,
            CLOSE_INCIDENT,
            label=gettext_lazy("Reopen"),
            records=Kind.REOPENED,
            needs_reason=True,
        ),
    ],
    can=can,
    refuse=_refused,
    denied=_denied,
)
WORKFLOW_EVENTS = [
    *dict.fromkeys(a.records for a in WORKFLOW.actions.values()),
    Kind.CREATED,
    Kind.DISPATCHED,
]
