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

from django.contrib.auth import get_user_model
from django.db.models import F, Q
from django.utils import timezone

from contracts.models import DutyShift, Role
from om_portal import notifications
from om_portal.models import NotificationChannel

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


def recipients_for(contract, at):
    """The email addresses of the vendor's users on duty at ``at`` (else the vendor's managers),
    and the contract's active channels."""
    vendor_users = get_user_model().objects.filter(is_active=True).exclude(email="")
    members = vendor_users.filter(memberships__organization_id=contract.vendor_id)
    names = {
        _normal(name)
        for shift in on_duty(contract, at)
        for name in _NAME_SEPARATORS.split(shift.person)
        if name.strip()
    }
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


def notify_contract(contract, subject, text, *, dedupe_key, link="", at=None):
    """Tell the contract's people on duty and its channels; returns the deliveries created."""
    recipients = recipients_for(contract, at or timezone.now())
    return notifications.notify(
        subject,
        text,
        recipients_emails=recipients.emails,
        channels=recipients.channels,
        dedupe_key=dedupe_key,
        link=link,
    )
