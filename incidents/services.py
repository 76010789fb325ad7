"""Incidents' business rules: reporting, the workflow's transitions, and keeping the clocks.

Every change adds an event to the timeline and then rebuilds the clocks from it
(``refresh_clocks``); the incident's stored clock columns are only ever written there.
"""

import datetime as dt
import math

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from contracts import shapes, worktime
from contracts.models import Breach, Membership, PenaltyClause, Role, Severity, SLATerm
from contracts.penalties import BreachSpec, record_breaches, withdraw_breach
from contracts.scoping import ASSIGN_INCIDENT, CLOSE_INCIDENT, HANDLE_INCIDENT, REPORT_INCIDENT, can
from contracts.sides import CLIENT, require_another_person, require_side
from incidents import clocks, escalation
from incidents import notify as tell
from incidents.models import Incident, IncidentEvent, IncidentKind, IncidentSource, ServiceRecord
from incidents.workflow import OPEN_WORKING, WORKFLOW, WORKFLOW_EVENTS
from om_portal import audit, audit_changes

Status = Incident.Status
Kind = IncidentEvent.Kind
# Severity, kind and SLA condition are the client's call (its staff and managers): the bureau
# decides how grave its own fault is; the vendor can ask in a comment.
RECLASSIFY_INCIDENT = CLOSE_INCIDENT
RESOLUTION_FIELDS = ("cause", "impact", "method", "result")


def _require(user, action, contract):
    if user is not None and not can(user, action, contract):
        raise PermissionDenied(_("Your role does not allow this on this contract."))


def _check_handlers(contract, handlers):
    """Handlers are the vendor's engineers and managers on the contract: the bureau's staff, its
    auditors and the portal's administrators report and follow incidents, never handle them."""
    allowed = set(
        vendor_people(contract).filter(pk__in=[u.pk for u in handlers]).values_list("pk", flat=True)
    )
    strangers = [user for user in handlers if user.pk not in allowed]
    if strangers:
        names = ", ".join(map(str, strangers))
        raise ValidationError(
            {"handlers": _("%(names)s is not an engineer of this contract's vendor.") % {"names": names}}
        )


@transaction.atomic
def report_incident(
    contract, *, by, title, source, severity=Severity.GENERAL, reported_at=None, handlers=(), **fields
):
    """Open an incident; its clocks start at ``reported_at`` (now when not given)."""
    _require(by, REPORT_INCIDENT, contract)
    asset = fields.get("asset")
    if asset is not None and asset.contract_id != contract.pk:
        raise ValidationError({"asset": _("The asset belongs to another contract.")})
    if severity not in Severity.values:
        raise ValidationError({"severity": _("Unknown severity %(value)s.") % {"value": severity}})
    handlers = list(handlers)
    _check_handlers(contract, handlers)
    now = timezone.now()
    reported_at = reported_at or now
    if reported_at > now + dt.timedelta(minutes=5):
        raise ValidationError({"reported_at": _("An incident cannot be reported in the future.")})
    incident = Incident(
        contract=contract,
        title=title,
        source=source,
        severity=severity,
        reported_at=reported_at,
        created_by=by,
        **fields,
    )
    incident.full_clean(exclude=["handlers"])
    incident.save()
    incident.handlers.set(handlers)
    _event(incident, Kind.CREATED, by, reported_at, to_value=incident.status)
    if incident.needs_onsite:
        _event(incident, Kind.DISPATCHED, by, reported_at)
    refresh_clocks(incident, by=by)
    if source != IncidentSource.MONITORING:
        # A failing check tells of its incident itself (check.failing), with what it saw.
        tell.incident_reported(incident)
    return incident


def report_incidents(contract, reports: list[dict], *, by, source) -> list[Incident]:
    """Open the incidents ``reports`` describes (each the keyword arguments of
    ``report_incident`` but contract, by and source), making what as many calls of it would make,
    the same rows with the same clocks and audit lines, in a few queries however many: the SLA
    terms, one INSERT each of the incidents, their events and their handlers, and the audit
    trail's three (``audit.record_many``). For a chunk of automated checks' new failures."""
    if not reports:
        return []
    incidents, timelines, handlers = build_incidents(contract, reports, by=by, source=source)
    # Checked above, before anything is written: a refusal leaves the caller's transaction usable,
    # which is why this one needs no savepoint of its own (one round trip fewer).
    with transaction.atomic(savepoint=False):
        Incident.objects.bulk_create(incidents)
        for incident, events in zip(incidents, timelines, strict=True):
            for event in events:
                event.incident = incident  # its id, now that it has one
        IncidentEvent.objects.bulk_create([event for events in timelines for event in events])
        through = Incident.handlers.through
        links = [
            through(incident_id=incident.pk, user_id=user.pk)
            for incident, users in zip(incidents, handlers, strict=True)
            for user in dict.fromkeys(users)
        ]
        if links:
            through.objects.bulk_create(links)
        audit.record_many(audit_lines(incidents, timelines))
    return incidents


def audit_lines(incidents, timelines) -> list:
    """The lines report_incident's saves write (post_save), in the same order, for rows written
    in bulk (their ids set)."""
    lines = []
    for incident, events in zip(incidents, timelines, strict=True):
        for row in (incident, *events):
            audit_changes.remember(row)  # as post_save does: a later save lists its changes
            lines.append(audit.line("create", obj=row))
    return lines


def build_incidents(contract, reports: list[dict], *, by, source) -> tuple[list, list, list]:
    """``report_incidents``' rows before they are written: the incidents (no id yet), each one's
    timeline and handlers, checked (a ValidationError before anything is written) and with their
    clocks. One query, the contract's SLA terms (and a calendar year if a clock needs one)."""
    _require(by, REPORT_INCIDENT, contract)
    now = timezone.now()
    incidents, handlers = [], []
    for fields in reports:
        fields = dict(fields)
        severity = fields.pop("severity", Severity.GENERAL)
        handlers.append(list(fields.pop("handlers", ())))
        reported_at = fields.pop("reported_at", None) or now
        asset = fields.get("asset")
        if asset is not None and asset.contract_id != contract.pk:
            raise ValidationError({"asset": _("The asset belongs to another contract.")})
        if severity not in Severity.values:
            raise ValidationError({"severity": _("Unknown severity %(value)s.") % {"value": severity}})
        if reported_at > now + dt.timedelta(minutes=5):
            raise ValidationError({"reported_at": _("An incident cannot be reported in the future.")})
        incident = Incident(
            contract=contract,
            source=source,
            severity=severity,
            reported_at=reported_at,
            created_by=by,
            **fields,
        )
        # The related rows are the objects given, checked above: no query per incident for them.
        incident.full_clean(exclude=["handlers", "contract", "asset", "created_by"], validate_unique=False)
        incidents.append(incident)
    _check_handlers(contract, [user for users in handlers for user in users])
    terms = list(contract.sla_terms.select_related("penalty_clause"))
    calendar = worktime.Calendar()  # a year is read when a clock first needs it
    timelines = []
    for incident in incidents:
        at = incident.reported_at
        status = incident.status
        events = [IncidentEvent(incident=incident, kind=Kind.CREATED, actor=by, at=at, to_value=status)]
        if incident.needs_onsite:
            events.append(IncidentEvent(incident=incident, kind=Kind.DISPATCHED, actor=by, at=at))
        computed = clocks_of(incident, events, terms, calendar)
        # A report's timeline meets no clock yet: the ledger has nothing to settle (refresh_clocks'
        # settle_breaches would find nothing), so the derived columns go in with the row.
        for name, value in derived_values(incident, computed, now).items():
            setattr(incident, name, value)
        timelines.append(events)
    return incidents, timelines, handlers


def _event(incident, kind, by, at, from_value="", to_value="", note=""):
    return IncidentEvent.objects.create(
        incident=incident, kind=kind, actor=by, at=at, from_value=from_value, to_value=to_value, note=note
    )


def _locked(incident) -> Incident:
    # One change at a time per incident: transitions read the state they change.
    return Incident.objects.select_for_update().select_related("contract").get(pk=incident.pk)


@transaction.atomic
def transition(incident, action: str, *, by, at=None, note="", **resolution) -> Incident:
    """Move the incident through its workflow; an illegal move is a ValidationError."""
    if action not in WORKFLOW:
        raise ValidationError(_("Unknown action %(action)s.") % {"action": action})
    incident = _locked(incident)
    if by is not None:
        WORKFLOW.require_right(incident, action, by)
    WORKFLOW.check_state(incident, action)
    note = WORKFLOW.require_reason(action, note) if WORKFLOW[action].needs_reason else note
    at = at or timezone.now()
    # Facts may be entered late (a response written down after the beat flagged it missed): only
    # the workflow's own events fix the order, not the portal's notes about them.
    facts = incident.events.filter(kind__in=WORKFLOW_EVENTS)
    last = facts.order_by("-at", "-id").values_list("at", flat=True).first()
    if last and at < last:
        raise ValidationError(
            {"at": _("The timeline cannot go back before its last event (%(at)s).") % {"at": last}}
        )
    previous = incident.status
    target = _status_before_wait(incident) if action == "resume" else None
    values = {}
    if action == "resolve":
        missing = [name for name in ("cause", "method", "result") if not (resolution.get(name) or "").strip()]
        if missing:
            raise ValidationError(dict.fromkeys(missing, _("Seed 000 asks every resolution for this.")))
        values = {name: resolution.get(name, "") for name in RESOLUTION_FIELDS}
        values["resolved_at"] = at
    if action == "close":
        values["closed_at"] = at
    if action == "reopen":
        values["resolved_at"] = values["closed_at"] = None
    reason = note if WORKFLOW[action].needs_reason else ""
    WORKFLOW.apply(incident, action, by=by, target=target, reason=reason, **values)
    _event(
        incident, WORKFLOW[action].records, by, at, from_value=previous, to_value=incident.status, note=note
    )
    refresh_clocks(incident, by=by)
    return incident


def _status_before_wait(incident) -> str:
    waited_from = (
        incident.events.filter(kind=Kind.WAITING)
        .order_by("-at", "-id")
        .values_list("from_value", flat=True)
        .first()
    )
    return waited_from if waited_from in OPEN_WORKING else Status.ACKNOWLEDGED


@transaction.atomic
def dispatch(incident, *, by, at=None, note=""):
    """Someone must go on site: the arrival clock starts to count (from the report)."""
    incident = _locked(incident)
    _require(by, HANDLE_INCIDENT, incident.contract)
    if not incident.is_open:
        raise ValidationError(_("The incident is resolved."))
    if not incident.needs_onsite:
        incident.needs_onsite = True
        incident.save(update_fields=["needs_onsite", "updated_at"])
        _event(incident, Kind.DISPATCHED, by, at or timezone.now(), note=note)
        refresh_clocks(incident, by=by)
    return incident


@transaction.atomic
def reclassify(incident, *, by, severity=None, kind=None, condition=None, note="") -> Incident:
    """The client corrects the incident's severity, kind or SLA condition, with a reason: the
    clocks are recomputed from the report under the new terms (a breach they show met is
    withdrawn, a deadline they show missed is recorded), and the timeline keeps the change."""
    incident = _locked(incident)
    _require(by, RECLASSIFY_INCIDENT, incident.contract)
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("Give the reason for the change.")})
    changes = []
    for field, value, choices, event_kind in (
        ("severity", severity, Severity, Kind.SEVERITY),
        ("kind", kind, IncidentKind, Kind.KIND),
        ("condition", condition, SLATerm.Condition, Kind.CONDITION),
    ):
        if value is None or value == getattr(incident, field):
            continue
        if value not in choices.values:
            raise ValidationError({field: _("Unknown value %(value)s.") % {"value": value}})
        changes.append((field, value, event_kind))
    if not changes:
        raise ValidationError(_("Nothing to change: the incident already has these values."))
    now = timezone.now()
    for field, value, event_kind in changes:
        _event(incident, event_kind, by, now, getattr(incident, field), value, note)
        setattr(incident, field, value)
    incident.save(update_fields=[field for field, _v, _k in changes] + ["updated_at"])
    refresh_clocks(incident, by=by, reason=_("Reclassified: %(reason)s") % {"reason": note})
    return incident


def vendor_people(contract):
    """The vendor's engineers and managers on the contract: whom its manager may assign."""
    members = Membership.objects.filter(
        organization_id=contract.vendor_id, role__in=[Role.VENDOR_ENGINEER, Role.VENDOR_MANAGER]
    )
    return (
        get_user_model()
        .objects.filter(pk__in=members.values("user_id"), is_active=True)
        .order_by("first_name", "username")
    )


def may_assign(incident, user) -> bool:
    return incident.is_open and can(user, ASSIGN_INCIDENT, incident.contract)


def require_assign(incident, user) -> None:
    _require(user, ASSIGN_INCIDENT, incident.contract)


@transaction.atomic
def assign(incident, handlers, *, by, note=""):
    """The vendor manager names who handles the incident (some of the vendor's engineers, or
    nobody): on the timeline and the audit trail. Only while the incident is open."""
    incident = _locked(incident)
    require_assign(incident, by)
    if not incident.is_open:
        raise ValidationError(_("The incident is resolved."))
    handlers = list(dict.fromkeys(handlers))
    allowed = set(vendor_people(incident.contract).values_list("pk", flat=True))
    strangers = [user for user in handlers if user.pk not in allowed]
    if strangers:
        names = ", ".join(map(str, strangers))
        raise ValidationError(
            {"handlers": _("%(names)s is not an engineer of this contract's vendor.") % {"names": names}}
        )
    before = sorted(incident.handlers.all(), key=lambda u: u.username)
    after = sorted(handlers, key=lambda u: u.username)
    if [u.pk for u in before] == [u.pk for u in after]:
        raise ValidationError({"handlers": _("These are already the incident's handlers.")})
    incident.handlers.set(after)
    _event(
        incident, Kind.ASSIGNED, by, timezone.now(), _names(before), _names(after), note=(note or "").strip()
    )
    audit.record(
        "assign",
        user=by,
        obj=incident,
        detail={"previous_handlers": [u.username for u in before], "handlers": [u.username for u in after]},
    )
    added = [user for user in after if user.pk not in {u.pk for u in before}]
    if added:
        tell.incident_assigned(incident, added, by=by)
    return incident


def _names(users) -> str:
    # People's names on the timeline, not their account names; as many as its column holds.
    names = "、".join(user.get_full_name() or user.username for user in users)
    return names if len(names) <= 100 else names[:99] + "…"


def comment(incident, text, *, by):
    _require(by, REPORT_INCIDENT, incident.contract)
    if not text.strip():
        raise ValidationError({"note": _("Write something.")})
    return _event(incident, Kind.COMMENT, by, timezone.now(), note=text.strip())


def record_monitoring(incident, note, *, recovered: bool, at=None):
    """What the automated check that opened ``incident`` saw next: it passes again (a recovery)
    or it fails again after passing. No user: the machine saw it."""
    return _event(
        incident, Kind.RECOVERED if recovered else Kind.COMMENT, None, at or timezone.now(), note=note
    )


# --- Clocks -------------------------------------------------------------------------------------


def clocks_of(incident, events=None, terms=None, calendar=None) -> dict[str, clocks.Clock]:
    """The incident's clocks, recomputed from its timeline (the only source of truth)."""
    if events is None:
        events = list(incident.events.order_by("at", "id"))
    if terms is None:
        terms = list(incident.contract.sla_terms.select_related("penalty_clause"))
    return clocks.compute(
        incident, events, terms, warning_percent=incident.contract.sla_warning_percent, calendar=calendar
    )


def is_breached(clock, now) -> bool:
    """Whether the clock missed its deadline: met after it, or still running past it."""
    if not clock.applies or clock.term is None or clock.due_at is None:
        return False
    if clock.met_at is not None:
        return clock.met_at > clock.due_at
    return not clock.paused and clock.due_at <= now


def schedule(incident, computed, now) -> dict:
    """The incident's next deadline (what the lists show and filter on), its next warning, and
    the checker's next look (a warning, a deadline, or one more day of a per-day penalty)."""
    deadlines, warnings, checks = [], [], []
    for name, clock in computed.items():
        if not clock.running or clock.paused or clock.due_at is None:
            continue
        deadlines.append(clock.due_at)
        if getattr(incident, f"{name}_breached_at") is None:
            warned = getattr(incident, f"{name}_warned_at") is not None
            warn = clock.warn_at is not None and clock.warn_at < clock.due_at and not warned
            if warn:
                warnings.append(clock.warn_at)
            checks.append(clock.warn_at if warn else clock.due_at)
        elif per_day(clock):
            days = (max(now, clock.due_at) - clock.due_at) // dt.timedelta(days=1) + 1
            checks.append(clock.due_at + dt.timedelta(days=days))
    return {
        "next_deadline": min(deadlines, default=None),
        "next_warning_at": min(warnings, default=None),
        "next_check_at": min(checks, default=None),
    }


def incident_breaches(incident):
    """The ledger's entries for the incident's clocks, withdrawn ones included."""
    return Breach.objects.filter(
        contract_id=incident.contract_id,
        source=Breach.Source.INCIDENT,
        source_ref__startswith=f"incident:{incident.pk}:",
    ).select_related("clause", "withdrawn_by")


def breach_ref(incident, clock) -> str:
    """The ledger's reference of a clock's breach: one breach per incident and clock."""
    return f"incident:{incident.pk}:{clock.name}"


def per_day(clock) -> bool:
    """Whether the clock's clause prices its breach by the days late, which then grow daily."""
    clause = clock.term.penalty_clause if clock.term is not None else None
    return clause is not None and shapes.counts_days(clause.shape)


def days_late(clock, now) -> int:
    """Days (begun) past the deadline, up to when the clock was met or now (seed 000: 每逾期一日)."""
    end = clock.met_at or now
    return max(1, math.ceil((end - clock.due_at) / dt.timedelta(days=1)))


def late_days_due(incident, computed, now) -> dict[str, int]:
    """The days late each breached per-day clock of the incident now counts, by breach_ref."""
    return {
        breach_ref(incident, clock): days_late(clock, now)
        for name, clock in computed.items()
        if getattr(incident, f"{name}_breached_at") and clock.due_at is not None and per_day(clock)
    }


def settle_late_days(contract_ids, days_by_ref: dict[str, int]):
    """Keep breached clocks' per-day penalties in step: they grow daily until the clock is met."""
    if not days_by_ref:
        return
    breaches = list(
        Breach.objects.filter(
            contract_id__in=contract_ids, source=Breach.Source.INCIDENT, source_ref__in=list(days_by_ref)
        )
    )
    changed = [b for b in breaches if b.days_late != days_by_ref[b.source_ref]]
    for breach in changed:
        breach.days_late = days_by_ref[breach.source_ref]
    Breach.objects.bulk_update(changed, ["days_late"])


def derived_values(incident, computed, now) -> dict:
    """The stored columns that the clocks decide."""
    return {
        "response_due": computed["response"].due_at,
        "arrival_due": computed["arrival"].due_at,
        "resolution_due": computed["resolution"].due_at,
        "responded_at": computed["response"].met_at,
        "arrived_at": computed["arrival"].met_at,
        **schedule(incident, computed, now),
    }


def breach_spec(incident, clock, now) -> BreachSpec:
    """The ledger's entry for a missed clock: the checker and a late entry write the same one."""
    return BreachSpec(
        contract=incident.contract,
        kind=breach_kind(clock),
        occurred_at=clock.due_at,
        source=Breach.Source.INCIDENT,
        source_ref=breach_ref(incident, clock),
        days_late=days_late(clock, now) if per_day(clock) else None,
        note=_("%(number)s %(title)s: %(clock)s due %(due)s missed.")
        % {
            "number": incident.number,
            "title": incident.title,
            "clock": SLATerm.Clock(clock.name).label,
            "due": timezone.localtime(clock.due_at).strftime("%Y-%m-%d %H:%M"),
        },
    )


def breach_kind(clock) -> str:
    """The ledger's kind: the linked clause's, else an unpriced "sla_<clock>"."""
    clause = clock.term.penalty_clause if clock.term is not None else None
    return clause.kind if clause is not None else f"sla_{clock.name}"


def record_clock_breaches(specs: list[BreachSpec]) -> None:
    """Record missed clocks; a breach of the same clock withdrawn earlier (the facts then showed
    it met) is put back in force, as the facts now show it missed again."""
    record_breaches(specs)
    by_key = {(spec.contract.pk, spec.source, spec.source_ref): spec for spec in specs}
    withdrawn = Breach.objects.filter(
        contract_id__in={spec.contract.pk for spec in specs},
        source_ref__in=[spec.source_ref for spec in specs],
        withdrawn_at__isnull=False,
    )
    for breach in withdrawn:  # rare: one query when none
        spec = by_key.get((breach.contract_id, breach.source, breach.source_ref))
        if spec is None:
            continue
        for field in ("kind", "occurred_at", "days_late", "note"):
            setattr(breach, field, getattr(spec, field))
        breach.clause = PenaltyClause.objects.filter(contract_id=breach.contract_id, kind=spec.kind).first()
        breach.withdrawn_at, breach.withdrawn_reason, breach.withdrawn_by = None, "", None
        breach.save()


def withdraw_breaches(contract_id, source: str, source_ref: str, *, now, by, reason: str) -> int:
    """Withdraw the breach recorded for ``source_ref``: the facts now show the duty met."""
    breaches = Breach.objects.filter(
        contract_id=contract_id, source=source, source_ref=source_ref, withdrawn_at__isnull=True
    )
    return sum(withdraw_breach(breach, now=now, by=by, reason=reason) for breach in breaches)


def _claim_breach(incident, name: str, now) -> bool:
    """Set the clock's breach column if still empty; True when this call set it (as the
    checker's claim, the row count decides, so the two never both record one breach)."""
    column = f"{name}_breached_at"
    claimed = Incident.objects.filter(pk=incident.pk, **{f"{column}__isnull": True}).update(**{column: now})
    if claimed:
        setattr(incident, column, now)
    return bool(claimed)


def settle_breaches(incident, computed, now, *, by=None, reason="") -> None:
    """Make the ledger agree with the clocks just recomputed from the timeline.

    A clock that ended after its deadline is a breach at once, however late the ending was
    entered (the beat only sees deadlines passing). A breach whose clock the timeline now shows
    met (an event entered late, a new severity) is withdrawn: kept in the ledger, counting zero,
    with a line on the timeline and on the audit trail.
    """
    specs, events, missed = [], [], []
    for name, clock in computed.items():
        recorded = getattr(incident, f"{name}_breached_at") is not None
        breached = is_breached(clock, now)
        if breached and not recorded and clock.met_at is not None and _claim_breach(incident, name, now):
            specs.append(breach_spec(incident, clock, now))
            missed.append((incident, clock))
            # Learned when the late event happened: the timeline keeps its order.
            events.append(IncidentEvent(incident=incident, kind=Kind.BREACH, at=clock.met_at, to_value=name))
        elif recorded and not breached:
            _withdraw(incident, clock, now, by=by, reason=reason)
    if specs:
        from incidents.notify import notify_clocks

        record_clock_breaches(specs)
        IncidentEvent.objects.bulk_create(events)
        # The beat tells the contract's people of the breaches it records; these too.
        names = ",".join(clock.name for _i, clock in missed)
        key = f"sla:{incident.contract_id}:breach:late-entry:{incident.pk}:{names}"
        notify_clocks(incident.contract, missed, "breach", now, dedupe_key=key)


def _withdraw(incident, clock, now, *, by, reason):
    reason = reason or _("The timeline shows the %(clock)s clock met.") % {
        "clock": SLATerm.Clock(clock.name).label
    }
    ref = breach_ref(incident, clock)
    withdraw_breaches(incident.contract_id, Breach.Source.INCIDENT, ref, now=now, by=by, reason=reason)
    # The clock may be missed again under the new deadline: the checker claims it afresh.
    columns = {f"{clock.name}_breached_at": None}
    if clock.warn_at is None or clock.warn_at > now:
        columns[f"{clock.name}_warned_at"] = None
    Incident.objects.filter(pk=incident.pk).update(**columns)
    for column, value in columns.items():
        setattr(incident, column, value)
    _event(incident, Kind.WITHDRAWN, by, now, to_value=clock.name, note=reason)


def refresh_clocks(incident, computed=None, now=None, *, by=None, reason="") -> dict[str, clocks.Clock]:
    """Rebuild the clocks, settle the ledger with them, and store their result (only the derived
    columns are written)."""
    computed = computed or clocks_of(incident)
    now = now or timezone.now()
    settle_breaches(incident, computed, now, by=by, reason=reason)
    values = derived_values(incident, computed, now)
    # The next escalation step, in the same UPDATE: acknowledging the incident clears it.
    values.update(escalation.pending(incident, computed))
    # A plain UPDATE of these columns: the checker's claim columns are never overwritten here.
    Incident.objects.filter(pk=incident.pk).update(**values)
    for name, value in values.items():
        setattr(incident, name, value)
    settle_late_days([incident.contract_id], late_days_due(incident, computed, now))
    return computed


def refresh_for_calendar(year: int) -> int:
    """``year``'s working days changed: every open incident reported before its end with a clock
    still running gets its clocks rebuilt and stored again (deadlines counted in working days or
    business hours move with the calendar; the others come out the same). Returns how many."""
    year_ends = dt.datetime(year + 1, 1, 1, tzinfo=worktime.CHINA_TZ)
    incidents = (
        Incident.objects.open()
        .filter(next_deadline__isnull=False, reported_at__lt=year_ends)
        .select_related("contract")
    )
    count = 0
    for incident in incidents.iterator(chunk_size=200):
        refresh_clocks(incident, reason=_("The working-day calendar changed."))
        count += 1
    return count


def check_confirm_record(sheet, by) -> None:
    """Who confirms a service record sheet (seed 002: the client accepts in writing): a person of
    the contract's client side, never the engineer who filled it in. PermissionDenied otherwise."""
    if not can(by, CLOSE_INCIDENT, sheet.contract):
        raise PermissionDenied(_("Only the client confirms a service record sheet."))
    require_side(by, sheet.contract, CLIENT)
    require_another_person(by, sheet.engineer_id, _("You filled in this sheet: the client confirms it."))


def confirm_record(sheet, *, by, feedback: str = "") -> bool:
    """Confirm ``sheet``; False when someone confirmed it first."""
    check_confirm_record(sheet, by)
    updated = (
        ServiceRecord.objects.filter(pk=sheet.pk, confirmed_at__isnull=True)
        .exclude(engineer=by)
        .update(confirmed_by=by, confirmed_at=timezone.now(), client_feedback=feedback or "")
    )
    return bool(updated)
