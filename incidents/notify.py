"""Who hears about an incident's clocks: the contract's people on duty and its channels."""

from django.utils import timezone
from django.utils.translation import gettext as _

from contracts.models import SLATerm
from contracts.notify import notify_contract


def notify_clock(incident, clock, what, now):
    """A warning before, or a breach after, one of the incident's deadlines.

    Called inside the checker's transaction, after it claimed the event: the deliveries are
    written with it and sent once it commits; the key makes a repeat add nothing.
    """
    due = timezone.localtime(clock.due_at).strftime("%Y-%m-%d %H:%M")
    clock_name = SLATerm.Clock(clock.name).label
    if what == "warning":
        subject = _("[%(code)s] %(clock)s due soon: %(title)s")
        text = _("%(number)s %(title)s — %(clock)s is due at %(due)s.")
    else:
        subject = _("[%(code)s] %(clock)s deadline missed: %(title)s")
        text = _("%(number)s %(title)s — %(clock)s was due at %(due)s and is recorded as a breach.")
    values = {
        "code": incident.contract.code,
        "clock": clock_name,
        "title": incident.title,
        "number": incident.number,
        "due": due,
    }
    return notify_contract(
        incident.contract,
        subject % values,
        text % values,
        dedupe_key=f"incident:{incident.pk}:{clock.name}:{what}",
        link=incident.get_absolute_url(),
        at=now,
    )
