"""Running one automated check now, when someone who manages the contract's checks asks: after a
fix, to see it pass without waiting for the next round.

- ``request_run`` claims the request with ``UPDATE … SET run_requested_at = now WHERE
  run_requested_at IS NULL OR run_requested_at <= now - RUN_NOW_INTERVAL``: one run per interval
  and check however many people click, on any number of web processes (a row count of 0 is "too
  soon"). Only a check that may run (approved as it stands, active, not paused:
  ``targets.is_runnable``), only by a role that manages checks. The probe goes to the probes
  queue once the request commits.
- ``run_now`` (a probes worker) probes it as a round's chunk does (``monitoring_chunk.probe_checks``,
  under the check's target policy, a change confirmed by a second probe), saves a result without
  a run, and brings the check's state up to date by the chunks' own path
  (``monitoring_states._update_states``): a failure opens the check's incident only if it has none open,
  claimed as the chunks claim it, so a run now racing a round opens one incident, not two.
- A redelivered message (a worker killed after the probe) probes nothing twice: a result since
  the request answers it, and is acted on if its worker died before it was.
"""

import datetime as dt
import logging
import math

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from contracts.scoping import MANAGE_INSPECTIONS, can
from inspections import targets
from inspections.models import AutomatedCheck, CheckResult
from inspections.monitoring_chunk import _held, _stored, probe_checks
from inspections.monitoring_states import Outcome, _update_states
from om_portal import audit

logger = logging.getLogger(__name__)

RUN_NOW_INTERVAL = dt.timedelta(seconds=30)


class TooSoon(Exception):
    """The check was asked for less than RUN_NOW_INTERVAL ago; ``retry_after`` in seconds."""

    def __init__(self, retry_after: int):
        super().__init__(retry_after)
        self.retry_after = retry_after


def may_run_now(user, check: AutomatedCheck) -> bool:
    return can(user, MANAGE_INSPECTIONS, check.contract)


def request_run(check: AutomatedCheck, user, now=None) -> dt.datetime:
    """Ask for ``check`` to run now; returns the request's time. PermissionDenied for a role that
    does not manage checks, ValidationError for a check that may not run, TooSoon within the
    interval. The probe is sent when the caller's transaction commits."""
    now = now or timezone.now()
    if not may_run_now(user, check):
        raise PermissionDenied
    if not targets.is_runnable(check, now):
        raise ValidationError(
            _("This check cannot run: it is inactive, paused, or awaits the client's approval.")
        )
    claimed = (
        AutomatedCheck.objects.filter(pk=check.pk)
        .filter(Q(run_requested_at__isnull=True) | Q(run_requested_at__lte=now - RUN_NOW_INTERVAL))
        .update(run_requested_at=now)
    )
    if claimed != 1:
        last = AutomatedCheck.objects.filter(pk=check.pk).values_list("run_requested_at", flat=True).first()
        wait = (last + RUN_NOW_INTERVAL - now).total_seconds() if last else 1
        raise TooSoon(max(1, math.ceil(wait)))
    check.run_requested_at = now
    # On the trail: a probe sent on a person's word, to a target of the bureau's network.
    audit.record("run_now", user=user, obj=check, contract=check.contract)
    transaction.on_commit(lambda: _send(check.pk, now))
    return now


def _send(check_id: int, requested_at: dt.datetime) -> None:
    from inspections.tasks import run_check_now  # the tasks module imports this one

    try:
        run_check_now.apply_async((check_id, requested_at.isoformat()))
    except Exception:
        # The broker is down: the request is lost, and can be made again after the interval.
        logger.exception("inspections: could not send the run now of check %s", check_id)


def pending(check: AutomatedCheck, latest: CheckResult | None) -> bool:
    """Asked for, and no result since: the page says the result is on its way."""
    if check.run_requested_at is None:
        return False
    return latest is None or latest.started_at < check.run_requested_at


def run_now(check_id: int, requested_at: dt.datetime) -> CheckResult | None:
    """Probe the check, save its result, act on it; None for a check deleted since."""
    check = AutomatedCheck.objects.filter(pk=check_id).select_related("contract", "asset", "incident").first()
    if check is None:
        return None
    earlier = (
        CheckResult.objects.filter(
            automated_check_id=check_id, run__isnull=True, started_at__gte=requested_at
        )
        .order_by("started_at")
        .first()
    )
    if earlier is not None:
        if check.last_checked_at is None or check.last_checked_at < earlier.started_at:
            # Saved by a worker that died before acting on it (monitoring_chunk._behind's case).
            _update_states([check], [_stored(earlier)])
        return earlier
    if not targets.is_runnable(check):
        # Edited or paused since the request: held back with a result that says so, as a
        # round's chunk holds it back; the check's state is left alone.
        return _save(check, _held(check))
    (outcome,) = probe_checks([check])
    result = _save(check, outcome)
    targets.record_logins([check], [bool(outcome.values.get("login_refused"))])
    _update_states([check], [outcome])
    return result


def _save(check: AutomatedCheck, outcome: Outcome) -> CheckResult:
    return CheckResult.objects.create(
        run=None,
        automated_check=check,
        contract_id=check.contract_id,
        status=outcome.status,
        message=outcome.message,
        params=outcome.params,
        values=outcome.values,
        started_at=outcome.started,
        duration_ms=outcome.duration_ms,
    )
