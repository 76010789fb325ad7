"""Who hears about incidents' clocks: the contract's people on duty and its channels."""

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from contracts.models import SLATerm
from contracts.notify import notify_contract


def notify_clocks(contract, items, what, now, *, dedupe_key):
    """One message for a contract's warnings (before) or breaches (after) of one checker batch.

    ``items`` are (incident, clock) pairs. Called inside the checker's transaction, after it
    claimed them: the deliveries are written with it and sent once it commits; the key makes a
    repeat add nothing.
    """
    count = len(items)
    if what == "warning":
        subject = ngettext(
            "[%(code)s] %(count)s deadline due soon", "[%(code)s] %(count)s deadlines due soon", count
        )
    else:
        subject = ngettext(
            "[%(code)s] %(count)s deadline missed", "[%(code)s] %(count)s deadlines missed", count
        )
    lines = [
        _("%(number)s %(title)s — %(clock)s due %(due)s")
        % {
            "number": incident.number,
            "title": incident.title,
            "clock": SLATerm.Clock(clock.name).label,
            "due": timezone.localtime(clock.due_at).strftime("%Y-%m-%d %H:%M"),
        }
        for incident, clock in sorted(items, key=lambda item: item[1].due_at)
    ]
    link = items[0][0].get_absolute_url() if count == 1 else "/incidents/?contract=" + contract.code
    return notify_contract(
        contract,
        subject % {"code": contract.code, "count": count},
        "\n".join(lines),
        dedupe_key=dedupe_key,
        link=link,
        at=now,
    )
