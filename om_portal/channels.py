"""The administrator's work on notification channels: saving one on the audit trail, disabling
one, and sending a test message through it.

This app is not among those whose saves the trail records by themselves (``audit.AUDITED_APPS``:
its own tables are the trail's), so each change here writes its line. A channel's webhook URL
carries the robot's access token: the line names it as changed, never writes it.
"""

import uuid

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from om_portal import audit, audit_changes, notifications
from om_portal.models import Delivery, NotificationChannel

# Never written to the trail: the robot's URL (its token) and DingTalk's signing secret.
SECRET_FIELDS = ("target", "secret")
SHOWN_FIELDS = ("name", "kind", "scope", "active")


def _contract_code(channel) -> str:
    # A channel of one contract is that contract's auditors' business; "*" is the portal's own.
    return "" if channel.scope == NotificationChannel.EVERY_CONTRACT else channel.scope


def _changes(before: dict, channel) -> dict:
    diffs = {
        name: [before.get(name), getattr(channel, name)]
        for name in SHOWN_FIELDS
        if before.get(name) != getattr(channel, name)
    }
    secrets = sorted(name for name in SECRET_FIELDS if before.get(name) != getattr(channel, name))
    detail = {"changes": audit_changes.plain(diffs)}
    if secrets:
        detail["secrets_changed"] = secrets
    return detail


def snapshot(channel) -> dict:
    """The channel's values before an edit (a form changes the instance while it validates)."""
    return {name: getattr(channel, name) for name in (*SHOWN_FIELDS, *SECRET_FIELDS)}


@transaction.atomic
def save_channel(channel, *, by, before: dict | None = None) -> NotificationChannel:
    """Save a validated channel and its line: created, or what changed (secrets by name)."""
    created = channel.pk is None
    channel.save()
    if created:
        detail = {"values": {name: getattr(channel, name) for name in SHOWN_FIELDS}}
    else:
        detail = _changes(before or {}, channel)
    audit.record(
        "create" if created else "update",
        user=by,
        obj=channel,
        contract_code=_contract_code(channel),
        detail=detail,
    )
    return channel


@transaction.atomic
def set_active(channel, active: bool, *, by) -> bool:
    """Disable (or enable again) a channel; False when it already was. Deliveries keep their
    channel (they are the record of who was told), so a channel is disabled, never deleted."""
    changed = NotificationChannel.objects.filter(pk=channel.pk, active=not active).update(active=active)
    if changed:
        channel.active = active
        audit.record(
            "update",
            user=by,
            obj=channel,
            contract_code=_contract_code(channel),
            detail={"changes": {"active": [not active, active]}},
        )
    return bool(changed)


@transaction.atomic
def send_test(channel, *, by) -> Delivery:
    """A test message through ``channel``, sent by the worker as any other delivery (so its
    outcome, or its error, shows on the channel's page). Refused for a disabled channel."""
    if not channel.active:
        raise ValueError("the channel is disabled")
    now = timezone.localtime()
    subject = _("Test message from the O&M Contract Portal")
    text = _("%(user)s sent this test at %(time)s to check the channel “%(channel)s”.") % {
        "user": by.get_full_name() or by.get_username(),
        "time": now.strftime("%Y-%m-%d %H:%M"),
        "channel": channel.name,
    }
    # Each test is its own event: a second test is a second message.
    (delivery,) = notifications.notify(
        subject, text, channels=[channel], dedupe_key=f"channel-test:{channel.pk}:{uuid.uuid4().hex}"
    )
    audit.record(
        "test_message",
        user=by,
        obj=channel,
        contract_code=_contract_code(channel),
        detail={"delivery": delivery.pk},
    )
    return delivery
