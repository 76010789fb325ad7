"""The catalogue of events someone must act on: what each is called, what its message says, who
must hear of it and how.

One place for every kind, so that the inbox's filter, the preferences page, the routing
(``contracts.notify.notify_event``) and the messages all read the same table. This app sits below
the ones the events happen in: roles are named by their codes (``identity.models.Role``), and
audiences beyond roles are named here too:

- ``on_duty``: the vendor's people on duty by the contract's roster (else its managers);
- ``named``: the people the caller names (an incident's new handlers, a report's author).

A kind's ``mandatory`` audiences cannot switch off its ``channels`` (the inbox is never off); the
others choose, on the preferences page, which channels bring it to them.
"""

from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

ON_DUTY = "on_duty"
NAMED = "named"

# The personal channels a person chooses among. "wecom" and "dingtalk" are the contract's group
# robots @-mentioning the person by the phone on the roster; the inbox is always on.
INBOX = "inbox"
EMAIL = "email"
WECOM = "wecom"
DINGTALK = "dingtalk"
PERSONAL_CHANNELS = {
    EMAIL: _("Email"),
    WECOM: _("@ in the WeCom group"),
    DINGTALK: _("@ in the DingTalk group"),
}

# Role labels for the preferences page, by code (identity.models.Role holds the same codes).
AUDIENCE_LABELS = {
    ON_DUTY: _("Vendor staff on duty"),
    NAMED: _("People named on the object"),
    "client_staff": _("Client staff"),
    "client_manager": _("Client manager"),
    "vendor_engineer": _("Vendor engineer"),
    "vendor_manager": _("Vendor manager"),
    "administrator": _("Administrator"),
}


@dataclass(frozen=True)
class EventKind:
    code: str
    label: str
    # %-templates over the caller's params; ``code`` (the contract's code) is always there.
    subject: str
    text: str
    audience: tuple[str, ...]
    mandatory: tuple[str, ...] = ()
    channels: tuple[str, ...] = (EMAIL, WECOM, DINGTALK)
    # Posted to the contract's group channels (robots, shared mailboxes) as well.
    group: bool = True
    # Incident severities this kind is for; empty: any.
    severities: frozenset[str] = field(default_factory=frozenset)
    # Where a digest of several events of this kind only points: a list, ``%(code)s`` filled in.
    list_link: str = ""

    def __str__(self):
        return str(self.label)

    def mandatory_for(self, audiences) -> bool:
        return bool(set(audiences) & set(self.mandatory))


CATALOGUE: dict[str, EventKind] = {}


def _add(kind: EventKind) -> None:
    CATALOGUE[kind.code] = kind


_add(
    EventKind(
        "incident.emergency",
        _("New emergency incident"),
        _("[%(code)s] Emergency incident %(number)s: %(title)s"),
        _("%(number)s %(title)s (%(severity)s), reported %(reported)s."),
        audience=(ON_DUTY, "vendor_manager", "client_manager"),
        mandatory=(ON_DUTY, "vendor_manager", "client_manager"),
        severities=frozenset({"emergency"}),
        list_link="/incidents/?contract=%(code)s",
    )
)
_add(
    EventKind(
        "incident.new",
        _("New incident"),
        _("[%(code)s] New incident %(number)s: %(title)s"),
        _("%(number)s %(title)s (%(severity)s), reported %(reported)s."),
        audience=(ON_DUTY, "vendor_manager"),
        mandatory=(ON_DUTY,),
        channels=(EMAIL,),
        severities=frozenset({"severe", "general"}),
        list_link="/incidents/?contract=%(code)s",
    )
)
_add(
    EventKind(
        "incident.escalated",
        _("Incident escalated"),
        _("[%(code)s] Escalated: %(number)s not acknowledged after %(minutes)s minutes"),
        # The first line stands alone: a digest of several events shows only that.
        _("%(number)s %(title)s — %(note)s\nSeverity: %(severity)s; reported %(reported)s."),
        # A step names its people (the vendor's or the client's managers) or the people on duty:
        # the caller narrows the audience to one of the two. Nobody switches a step off.
        audience=(NAMED, ON_DUTY),
        mandatory=(NAMED, ON_DUTY),
        list_link="/incidents/?contract=%(code)s",
    )
)
_add(
    EventKind(
        "incident.assigned",
        _("Incident assigned to you"),
        _("[%(code)s] %(number)s assigned: %(title)s"),
        _("%(by)s made %(handlers)s the handlers of %(number)s %(title)s."),
        audience=(NAMED,),
        mandatory=(NAMED,),
        channels=(EMAIL,),
        group=False,
        list_link="/incidents/?contract=%(code)s",
    )
)
_add(
    EventKind(
        "sla.warning",
        _("SLA deadline due soon"),
        _("[%(code)s] %(number)s: %(clock)s due %(due)s"),
        _("%(number)s %(title)s — %(clock)s due %(due)s"),
        audience=(ON_DUTY, "vendor_manager"),
        mandatory=(ON_DUTY,),
        list_link="/incidents/?contract=%(code)s",
    )
)
_add(
    EventKind(
        "sla.breach",
        _("SLA deadline missed"),
        _("[%(code)s] %(number)s: %(clock)s missed (due %(due)s)"),
        _("%(number)s %(title)s — %(clock)s due %(due)s"),
        audience=(ON_DUTY, "vendor_manager", "client_manager"),
        mandatory=(ON_DUTY, "vendor_manager"),
        list_link="/incidents/?contract=%(code)s",
    )
)
_add(
    EventKind(
        "check.failing",
        _("Automated check failing"),
        _("[%(code)s] Check failing: %(check)s"),
        _("%(check)s fails since %(since)s: %(problem)s. Incident %(number)s."),
        audience=(ON_DUTY, "vendor_manager"),
        mandatory=(ON_DUTY,),
        list_link="/incidents/?contract=%(code)s",
    )
)
_add(
    EventKind(
        "check.recovered",
        _("Automated check recovered"),
        _("[%(code)s] Check recovered: %(check)s"),
        _("%(check)s passes again since %(since)s (incident %(number)s)."),
        audience=(ON_DUTY, "vendor_manager"),
        channels=(EMAIL,),
        list_link="/incidents/?contract=%(code)s",
    )
)
_add(
    EventKind(
        "inspection.missed",
        _("Inspection missed"),
        _("[%(code)s] Inspection missed: %(schedule)s"),
        _("%(schedule)s due %(due)s was not done by %(deadline)s."),
        audience=("vendor_manager", "client_staff"),
        mandatory=("vendor_manager",),
        channels=(EMAIL,),
        list_link="/inspections/contract/%(code)s/",
    )
)
_add(
    EventKind(
        "change.approval",
        _("Change request awaiting approval"),
        _("[%(code)s] Change request awaiting your approval: %(title)s"),
        _("%(number)s %(title)s, requested by %(by)s, waits for: %(step)s."),
        audience=("client_staff", "client_manager"),
        mandatory=("client_staff", "client_manager"),
    )
)
_add(
    EventKind(
        "report.submission",
        _("Report awaiting submission"),
        _("[%(code)s] Report to submit: %(report)s"),
        _("%(report)s is built; add the narrative and submit it by %(due)s."),
        audience=("vendor_manager",),
        mandatory=("vendor_manager",),
        channels=(EMAIL,),
        group=False,
    )
)
_add(
    EventKind(
        "report.signoff",
        _("Report awaiting sign-off"),
        _("[%(code)s] Report to sign off: %(report)s"),
        _("%(by)s submitted %(report)s for your sign-off."),
        audience=("client_manager",),
        mandatory=("client_manager",),
        channels=(EMAIL,),
        group=False,
    )
)
_add(
    EventKind(
        "report.returned",
        _("Report returned"),
        _("[%(code)s] Report returned: %(report)s"),
        _("%(by)s returned %(report)s: %(comment)s"),
        audience=("vendor_manager",),
        mandatory=("vendor_manager",),
        channels=(EMAIL,),
        group=False,
    )
)
_add(
    EventKind(
        "acceptance.signoff",
        _("Acceptance package awaiting sign-off"),
        _("[%(code)s] Acceptance package to sign off: %(package)s"),
        _("%(by)s submitted the acceptance package %(package)s for your sign-off."),
        audience=("client_manager",),
        mandatory=("client_manager",),
        channels=(EMAIL,),
        group=False,
    )
)
_add(
    EventKind(
        "payment.due",
        _("Payment coming due"),
        _("[%(code)s] Payment due %(due)s: %(milestone)s"),
        _("%(milestone)s, %(amount)s yuan, is due on %(due)s."),
        audience=("client_manager", "vendor_manager"),
        mandatory=("client_manager",),
        channels=(EMAIL,),
        group=False,
    )
)
_add(
    EventKind(
        "payment.overdue",
        _("Payment overdue"),
        _("[%(code)s] Payment overdue since %(due)s: %(milestone)s"),
        _("%(milestone)s, %(amount)s yuan, was due on %(due)s: %(days)s days late."),
        audience=("client_manager", "vendor_manager"),
        mandatory=("client_manager", "vendor_manager"),
    )
)
_add(
    EventKind(
        "complaint.new",
        _("Complaint"),
        _("[%(code)s] Complaint: %(subject)s"),
        _("%(by)s complained: %(subject)s"),
        audience=("vendor_manager", "client_manager"),
        mandatory=("vendor_manager",),
        channels=(EMAIL,),
        group=False,
    )
)
_add(
    EventKind(
        "calendar.missing",
        _("Working-day calendar missing"),
        pgettext_lazy("event", "The working-day calendar of %(year)s is not entered"),
        _(
            "The official working days of %(year)s are not known yet: enter the State Council's "
            "holidays and make-up working days, then mark the year complete."
        ),
        audience=("administrator",),
        mandatory=("administrator",),
        channels=(EMAIL,),
    )
)


def get(code: str) -> EventKind:
    return CATALOGUE[code]


def choices():
    """(code, label) of every kind, for filters."""
    return [(kind.code, kind.label) for kind in CATALOGUE.values()]


def for_severity(codes, severity: str) -> EventKind:
    """The first of the kinds ``codes`` whose severity filter admits ``severity``."""
    for code in codes:
        kind = CATALOGUE[code]
        if not kind.severities or severity in kind.severities:
            return kind
    raise LookupError(f"no event kind among {codes} for severity {severity!r}")
