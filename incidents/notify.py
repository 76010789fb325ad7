"""Who hears about incidents, their clocks, change requests and complaints: the events of
``om_portal.events``, routed by ``contracts.notify.notify_event``."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contracts.models import Severity, SLATerm
from contracts.notify import notify_event
from om_portal import events


def _when(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _person(user) -> str:
    return (user.get_full_name() or user.username) if user is not None else str(_("the portal"))


def incident_reported(incident):
    """A new incident: an emergency reaches the managers of both sides too (the catalogue's
    severity filter picks the kind)."""
    kind = events.for_severity(("incident.emergency", "incident.new"), incident.severity)
    return notify_event(
        kind.code,
        incident.contract,
        params={
            "number": incident.number,
            "title": incident.title,
            "severity": Severity(incident.severity).label,
            "reported": _when(incident.reported_at),
        },
        link=incident.get_absolute_url(),
        dedupe_key=f"{kind.code}:{incident.pk}",
        exclude=[incident.created_by],
        at=incident.reported_at,
    )


def incident_assigned(incident, handlers, *, by):
    names = "、".join(_person(user) for user in handlers)
    return notify_event(
        "incident.assigned",
        incident.contract,
        params={"number": incident.number, "title": incident.title, "by": _person(by), "handlers": names},
        link=incident.get_absolute_url(),
        # A new key per assignment: handlers named again later hear of it again.
        dedupe_key=f"incident.assigned:{incident.pk}:{timezone.now().timestamp()}",
        users=handlers,
        exclude=[by],
    )


def notify_clocks(contract, items, what, now, *, dedupe_key=""):
    """The warnings (before) or breaches (after) of a contract's incidents, one notice each:
    the contract's notices of a minute go out as one digest (``om_portal.digest``), as the
    checker's batches always did. ``dedupe_key`` is kept for callers; each notice's own key is
    its incident and clock, claimed once by the checker."""
    code = "sla.warning" if what == "warning" else "sla.breach"
    notices = []
    for incident, clock in sorted(items, key=lambda item: item[1].due_at):
        notices.append(
            notify_event(
                code,
                contract,
                params={
                    "number": incident.number,
                    "title": incident.title,
                    "clock": SLATerm.Clock(clock.name).label,
                    "due": _when(clock.due_at),
                },
                link=incident.get_absolute_url(),
                dedupe_key=f"{code}:{incident.pk}:{clock.name}:{_when(clock.due_at)}",
                at=now,
            )
        )
    return [notice for notice in notices if notice is not None]


# A first run can find hundreds of checks failing at once: one event names the first few.
CHECKS_NAMED = 5


def checks_failing(pairs, since, problem):
    """The people on duty hear that these automated checks of one contract fail, each with the
    incident it opened (``pairs``: (check, incident)), in one event however many they are."""
    code, contract, fields = failing_event(pairs, since, problem)
    return notify_event(code, contract, **fields)


def failing_event(pairs, since, problem) -> tuple[str, object, dict]:
    """``checks_failing``'s event: its code, contract and ``notify_event``'s keyword arguments
    (the code and the moment are known before the incidents have their ids: ``since``)."""
    if len(pairs) == 1:
        ((check, incident),) = pairs
        return _changed_event(check, incident, since, problem, recovered=False)
    first_check, first_incident = pairs[0]
    shown = pairs[:CHECKS_NAMED]
    names = "、".join(check.name for check, _incident in shown)
    numbers = "、".join(incident.number for _check, incident in shown)
    if len(pairs) > CHECKS_NAMED:
        names = _("%(names)s and %(count)s more") % {"names": names, "count": len(pairs) - CHECKS_NAMED}
        numbers = _("%(names)s and %(count)s more") % {"names": numbers, "count": len(pairs) - CHECKS_NAMED}
    return (
        "check.failing",
        first_check.contract,
        {
            "params": {"check": names, "since": _when(since), "problem": problem, "number": numbers},
            "link": f"/incidents/?contract={first_check.contract.code}",
            "dedupe_key": (
                f"check.failing:{first_check.pk}:{first_incident.pk}:{since.timestamp()}:{len(pairs)}"
            ),
            "at": since,
        },
    )


def check_changed(check, incident, since, problem, *, recovered):
    """The people on duty hear that an automated check fails (with the incident it opened) or
    passes again. ``check`` is an inspections.AutomatedCheck, read by its name and contract."""
    code, contract, fields = _changed_event(check, incident, since, problem, recovered=recovered)
    return notify_event(code, contract, **fields)


def _changed_event(check, incident, since, problem, *, recovered):
    code = "check.recovered" if recovered else "check.failing"
    return (
        code,
        check.contract,
        {
            "params": {
                "check": check.name,
                "since": _when(since),
                "problem": problem,
                "number": incident.number,
            },
            "link": incident.get_absolute_url(),
            "dedupe_key": f"{code}:{check.pk}:{incident.pk}:{since.timestamp()}",
            "at": since,
        },
    )


def change_awaits(change, *, step_label, roles, exclude):
    return notify_event(
        "change.approval",
        change.contract,
        params={
            "number": getattr(change, "number", "") or f"#{change.pk}",
            "title": change.title,
            "by": _person(change.requested_by),
            "step": step_label,
        },
        link=change.get_absolute_url(),
        dedupe_key=f"change.approval:{change.pk}:{step_label}:{change.status}",
        roles=roles,
        exclude=exclude,
    )


def complaint_filed(complaint, *, by):
    return notify_event(
        "complaint.new",
        complaint.contract,
        params={"subject": complaint.subject, "by": _person(by)},
        link=complaint.get_absolute_url(),
        dedupe_key=f"complaint.new:{complaint.pk}",
        exclude=[by],
    )
