"""Who hears about a contract's events: the people on duty by the roster, and its channels.

Rosters name people as free text (值班表 are typed or imported from spreadsheets), so the people
on duty are matched to the vendor's users by name. When nobody on duty can be matched (no
roster for the day, or names nobody has an account for), the vendor's managers are told instead
so that an event never goes unheard.

Channels (group robots, shared mailboxes) live in ``om_portal``, which cannot point at a
contract: a channel serves the contract whose code is its ``scope``, or every contract when the
scope is ``*``; an empty scope serves none.
"""

import datetime as dt
import re
from typing import NamedTuple

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import F, OuterRef, Q, Subquery
from django.utils import timezone, translation

from contracts.models import DutyShift, Membership, Role
from om_portal import digest, events, notifications
from om_portal.models import NotificationChannel, NotificationPreference

# Between names when a roster line holds several people: "张三、李四".
_NAME_SEPARATORS = re.compile(r"[、,，;；/]+")


class Recipients(NamedTuple):
    emails: list[str]
    channels: list[NotificationChannel]


def on_duty(contract, at):
    """The contract's duty shifts covering the moment ``at`` (in the portal's time zone).

    A shift without times covers its whole date; one that ends before it starts runs overnight
    into the next morning (20:00–08:00).
    """
    local = timezone.localtime(at)
    day, now = local.date(), local.time()
    daytime = (Q(starts_at__isnull=True) | Q(starts_at__lte=now)) & (
        Q(ends_at__isnull=True) | Q(ends_at__gt=now)
    )
    overnight = Q(starts_at__gt=F("ends_at"))
    return DutyShift.objects.filter(contract=contract).filter(
        Q(date=day) & (daytime | (overnight & Q(starts_at__lte=now)))
        | Q(date=day - dt.timedelta(days=1)) & overnight & Q(ends_at__gt=now)
    )


def _name_keys(user):
    # Chinese names are stored either way round, with or without a space: 张三, 张 三, 三 张.
    first, last = user.first_name, user.last_name
    return {_normal(key) for key in (user.username, first + last, last + first) if key.strip()}


def _normal(name):
    return "".join(name.split()).casefold()


def _duty_names(shift):
    return {_normal(name) for name in _NAME_SEPARATORS.split(shift.person) if name.strip()}


def recipients_for(contract, at):
    """The email addresses of the vendor's users on duty at ``at`` (else the vendor's managers),
    and the contract's active channels."""
    vendor_users = get_user_model().objects.filter(is_active=True).exclude(email="")
    members = vendor_users.filter(memberships__organization_id=contract.vendor_id)
    names = {name for shift in on_duty(contract, at) for name in _duty_names(shift)}
    emails = [user.email for user in members if names & _name_keys(user)] if names else []
    if not emails:
        # One filter() call: the manager role must be held in this vendor, not in another one.
        managers = vendor_users.filter(
            memberships__organization_id=contract.vendor_id, memberships__role=Role.VENDOR_MANAGER
        )
        emails = list(managers.values_list("email", flat=True))
    scopes = [NotificationChannel.EVERY_CONTRACT, contract.code]
    channels = list(NotificationChannel.objects.filter(active=True, scope__in=scopes))
    return Recipients(sorted(set(emails)), channels)


def duty_mobiles(contract, at) -> list[str]:
    """The duty phones of the roster's lines covering ``at``, for the robots' @-mentions."""
    return sorted({shift.phone.strip() for shift in on_duty(contract, at) if shift.phone.strip()})


def notify_contract(contract, subject, text, *, dedupe_key, link="", at=None, mention_on_duty=False):
    """Tell the contract's people on duty and its channels; returns the deliveries created.
    With ``mention_on_duty`` the WeCom and DingTalk robots @-mention the duty phones."""
    at = at or timezone.now()
    recipients = recipients_for(contract, at)
    mobiles = duty_mobiles(contract, at) if mention_on_duty else []
    return notifications.notify(
        subject,
        text,
        recipients_emails=recipients.emails,
        channels=recipients.channels,
        dedupe_key=dedupe_key,
        link=link,
        mentions={events.WECOM: mobiles, events.DINGTALK: mobiles},
    )


# --- Events (om_portal.events) ----------------------------------------------------------------


class Roster:
    """Who a contract's events can reach at a moment, read once (two queries, whatever the
    audience): the active members of its two parties (and the administrators when asked for),
    each membership with the person's choices of channels for ``kind``; and the duty shifts
    covering the moment when asked for."""

    def __init__(self, contract, at, *, kind=None, admins=False, duty=True):
        self.contract, self.at = contract, at
        parties = Q(organization_id__in=[contract.client_id, contract.vendor_id])
        memberships = Membership.objects.filter(parties | Q(role=Role.ADMINISTRATOR) if admins else parties)
        memberships = memberships.filter(user__is_active=True).select_related("user")
        if kind is not None:
            # Each personal channel's choice of this kind, beside the person: no query of its own.
            chosen = NotificationPreference.objects.filter(user=OuterRef("user_id"), kind=kind.code)
            memberships = memberships.annotate(
                **{
                    f"chose_{channel}": Subquery(chosen.filter(channel=channel).values("enabled")[:1])
                    for channel in events.PERSONAL_CHANNELS
                }
            )
        self.memberships = list(memberships)
        self.choices = {}
        if kind is not None:
            for membership in self.memberships:
                for channel in events.PERSONAL_CHANNELS:
                    choice = getattr(membership, f"chose_{channel}")
                    if choice is not None:
                        self.choices[(membership.user_id, channel)] = choice
        self.kind = kind
        self.shifts = list(on_duty(contract, at)) if duty else []

    def members(self, roles, organizations=None):
        organizations = organizations or (self.contract.client_id, self.contract.vendor_id)
        return [m for m in self.memberships if m.role in roles and m.organization_id in organizations]

    def admins(self):
        return [m for m in self.memberships if m.role == Role.ADMINISTRATOR]

    def vendor_users(self):
        vendor = self.contract.vendor_id
        return list({m.user_id: m.user for m in self.memberships if m.organization_id == vendor}.values())


def _on_duty_people(roster):
    """The vendor's users on duty by the roster, each with the roster's phone for them; and the
    phones of lines that name nobody with an account."""
    if not roster.shifts:
        return {}, []
    members = roster.vendor_users()
    people, strangers = {}, []
    for shift in roster.shifts:
        names = _duty_names(shift)
        matched = [user for user in members if names & _name_keys(user)]
        for user in matched:
            people.setdefault(user, set())
            if shift.phone.strip():
                people[user].add(shift.phone.strip())
        if not matched and shift.phone.strip():
            strangers.append(shift.phone.strip())
    return people, strangers


def roster_for(kind, contract, at, *, roles=None) -> Roster:
    """The roster an event of ``kind`` reads (``audience_of``, ``channels_of``)."""
    audience = tuple(roles or kind.audience)
    return Roster(
        contract, at, kind=kind, admins=Role.ADMINISTRATOR in audience, duty=events.ON_DUTY in audience
    )


def audience_of(kind, contract, at, *, users=(), roles=None, roster=None):
    """Who must hear of an event of ``kind``: {user: the audiences they are in}, and the duty
    phones to @-mention ({user or None: phones})."""
    audience = tuple(roles or kind.audience)
    people: dict = {}
    phones: dict = {}

    def add(user, why):
        people.setdefault(user, set()).add(why)

    if contract is not None and roster is None:
        roster = roster_for(kind, contract, at, roles=roles)
    plain_roles = [r for r in audience if r not in (events.ON_DUTY, events.NAMED, Role.ADMINISTRATOR)]
    if contract is not None and plain_roles:
        for membership in roster.members(plain_roles):
            add(membership.user, membership.role)
    if Role.ADMINISTRATOR in audience:
        admins = roster.admins() if roster is not None else _admins()
        for membership in admins:
            add(membership.user, Role.ADMINISTRATOR)
    if events.ON_DUTY in audience and contract is not None:
        duty, strangers = _on_duty_people(roster)
        for user, own in duty.items():
            add(user, events.ON_DUTY)
            phones[user] = own
        if strangers:
            phones[None] = set(strangers)
        if not duty:
            # Nobody on the roster has an account: the vendor's managers hear of it instead, as
            # they would have to act on it.
            for membership in roster.members([Role.VENDOR_MANAGER], [contract.vendor_id]):
                add(membership.user, events.ON_DUTY)
    if events.NAMED in audience:
        for user in users:
            if user is not None and user.is_active:
                add(user, events.NAMED)
    return people, phones


def _admins():
    return Membership.objects.filter(role=Role.ADMINISTRATOR, user__is_active=True).select_related("user")


def channels_of(kind, people, roster=None) -> dict:
    """Each person's personal channels for ``kind``: the kind's defaults, changed by their
    preferences, except where the kind is mandatory for one of their audiences."""
    known = roster.choices if roster is not None and roster.kind == kind else {}
    read = {m.user_id for m in roster.memberships} if roster is not None and roster.kind == kind else set()
    others = [user for user in people if user.pk not in read]
    choices = dict(known)
    if others:
        choices.update(
            {
                (p.user_id, p.channel): p.enabled
                for p in NotificationPreference.objects.filter(user__in=others, kind=kind.code)
            }
        )
    chosen = {}
    for user, audiences in people.items():
        if kind.mandatory_for(audiences):
            chosen[user] = set(kind.channels)
        else:
            chosen[user] = {
                channel
                for channel in events.PERSONAL_CHANNELS
                if choices.get((user.pk, channel), channel in kind.channels)
            }
    return chosen


def notify_event(code, contract, *, params, dedupe_key, link="", users=(), roles=None, exclude=(), at=None):
    """Record the event ``code`` (``om_portal.events``) for the people it is for: an inbox item
    each; sent, once the caller commits, to the contract's channels and to the people by the
    channels they chose, @-mentioning the people on duty in the group robots. ``roles``
    narrows the kind's audience (a change's second step waits for the client manager alone);
    ``users`` are the people ``named`` (an incident's new handlers); ``exclude`` are left out
    (whoever caused the event). Returns the notice, or None when this event was recorded before.
    """
    event = prepare_event(code, contract, users=users, roles=roles, exclude=exclude, at=at)
    return digest.record(**event.fields(params, link=link, dedupe_key=dedupe_key))


class Prepared(NamedTuple):
    """An event whose audience is read (``prepare_event``), to be worded and recorded."""

    kind: object
    contract: object
    recipients: list
    mentions: dict

    def fields(self, params, *, link, dedupe_key) -> dict:
        """``digest.record``'s arguments (and ``digest.build``'s) for these words."""
        contract = self.contract
        values = {**params, "code": contract.code if contract is not None else ""}
        # Messages go to groups and shared mailboxes: in the portal's language, whoever caused them.
        with translation.override(settings.LANGUAGE_CODE):
            subject = str(self.kind.subject) % values
            text = str(self.kind.text) % values
        return {
            "kind": self.kind,
            "contract_code": contract.code if contract is not None else "",
            "contract_id": contract.pk if contract is not None else None,
            "subject": subject,
            "text": text,
            "link": link,
            "dedupe_key": dedupe_key,
            "recipients": self.recipients,
            "mentions": self.mentions,
        }


def prepare_event(code, contract, *, users=(), roles=None, exclude=(), at=None) -> Prepared:
    """Who hears of the event ``code`` and by which channels (``notify_event``'s reads, before
    its words: a caller that words it once the rows it names have their ids reads this first)."""
    kind = events.get(code)
    at = at or timezone.now()
    roster = roster_for(kind, contract, at, roles=roles) if contract is not None else None
    people, phones = audience_of(kind, contract, at, users=users, roles=roles, roster=roster)
    excluded = {user.pk for user in exclude if user is not None}
    people = {user: why for user, why in people.items() if user.pk not in excluded}
    chosen = channels_of(kind, people, roster)
    mentions = {events.WECOM: set(), events.DINGTALK: set()}
    if kind.group:
        for user, own in phones.items():
            for robot in mentions:
                if user is None or robot in chosen.get(user, set(kind.channels)):
                    mentions[robot] |= own
    return Prepared(
        kind,
        contract,
        [(user, chosen[user]) for user in people],
        {robot: sorted(found) for robot, found in mentions.items()},
    )
