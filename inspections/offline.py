"""Rounds that reach the server later than they were done: the tablet's queue, on the server side.

A tablet keeps a submitted round until the server has it, and may send it more than once (a
reply lost with the network, a retry, a second tab). Each round carries an id made on the
device (``client_id``): the same id is the same round, so a retry gets the round already
recorded, never a second one (``replayed``).

The device also says when each answer was entered and when the round was submitted. That is the
vendor's claim, and penalties turn on it: a round counts by the moment it reached the server.
Someone of the client side may accept the device's moment for one round (``accept_device_time``),
which puts the slot on time again when that moment was within its deadline and withdraws the
breach its late arrival made; the audit trail keeps who did. Moments in the future (beyond a
clock's usual drift) or before the slot opened are refused: no device time can claim that.
"""

import datetime as dt
import uuid

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from contracts.models import Breach
from contracts.penalties import withdraw_breach
from contracts.scoping import MANAGE_PENALTIES, can
from contracts.worktime import CHINA_TZ
from inspections.models import InspectionMode, InspectionRun, InspectionSlot
from om_portal import audit

# A tablet's clock may run a little ahead of the server's; more than this is not drift.
CLOCK_DRIFT = dt.timedelta(minutes=5)


def parse_client_id(raw) -> uuid.UUID | None:
    """The device's round id, or None when none was sent; ValidationError for a malformed one."""
    if raw in (None, ""):
        return None
    try:
        return uuid.UUID(str(raw))
    except ValueError:
        raise ValidationError({"client_id": _("The round's device id is not valid.")}) from None


def replayed(client_id: uuid.UUID | None, slot: InspectionSlot, user) -> InspectionRun | None:
    """The round already recorded under ``client_id``, when this is a retry of it; None when
    the id is new. The id of another slot's or another person's round is refused."""
    if client_id is None:
        return None
    run = InspectionRun.objects.filter(client_id=client_id).first()
    if run is None:
        return None
    if run.slot_id != slot.pk or run.performed_by_id != user.pk:
        raise ValidationError({"client_id": _("This device id belongs to another round.")})
    run.replayed = True
    return run


def device_moment(raw, slot: InspectionSlot, now: dt.datetime, opens_at: dt.datetime) -> dt.datetime | None:
    """A moment the device sent (ISO 8601 with its offset), checked; None when none was sent.
    ValueError, with the reason, for one the server cannot believe."""
    if raw in (None, ""):
        return None
    moment = raw if isinstance(raw, dt.datetime) else parse_datetime(str(raw).strip()[:40])
    if moment is None or timezone.is_naive(moment):
        raise ValueError(_("The device's time is not a valid moment with its time zone."))
    if moment > now + CLOCK_DRIFT:
        raise ValueError(_("The device's time is in the future: check the tablet's clock."))
    if moment < opens_at:
        shown = timezone.localtime(opens_at, CHINA_TZ)
        raise ValueError(
            _("The device's time is before the inspection opened (%(time)s): check the tablet's clock.")
            % {"time": f"{shown:%Y-%m-%d %H:%M}"}
        )
    return moment


def may_accept_device_time(run: InspectionRun) -> bool:
    """Whether accepting the device's moment would change how the round counts."""
    slot = run.slot
    return (
        run.mode == InspectionMode.MANUAL
        and run.device_submitted_at is not None
        and run.device_time_accepted_at is None
        and slot.status == InspectionSlot.Status.MISSED
        and run.device_submitted_at <= slot.deadline
    )


def accept_device_time(run: InspectionRun, user, *, reason: str = "", now=None) -> InspectionRun:
    """Count ``run`` by the moment its device says it was submitted: the slot is done on time
    and the breach of its late arrival withdrawn. One action of the client side, audited."""
    now = now or timezone.now()
    if not can(user, MANAGE_PENALTIES, run.contract):
        raise PermissionDenied(_("Only the client side may accept a device's time."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the device's time is accepted.")})
    if len(reason) > 500:
        raise ValidationError({"reason": _("Keep the reason under %(max)s characters.") % {"max": 500}})
    if not may_accept_device_time(run):
        raise ValidationError(
            {"run": _("This round's device time cannot be accepted: it would change nothing.")}
        )
    slot = run.slot
    with transaction.atomic():
        won = InspectionRun.objects.filter(pk=run.pk, device_time_accepted_at__isnull=True).update(
            device_time_accepted_at=now, device_time_accepted_by=user
        )
        if won != 1:
            raise ValidationError({"run": _("The device's time was already accepted.")})
        InspectionSlot.objects.filter(pk=slot.pk, status=InspectionSlot.Status.MISSED).update(
            status=InspectionSlot.Status.DONE, done_at=run.device_submitted_at, missed_at=None
        )
        why = _("The client accepted the tablet's time of the round: %(reason)s") % {"reason": reason}
        for breach in Breach.objects.filter(contract_id=slot.contract_id, source_ref=f"slot:{slot.pk}"):
            withdraw_breach(breach, now=now, by=user, reason=why[:500])
        audit.record(
            "accept_device_time",
            user=user,
            obj=run,
            detail={"device_submitted_at": run.device_submitted_at.isoformat(), "reason": reason},
        )
    run.refresh_from_db()
    return run
