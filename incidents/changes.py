"""Change requests (seed 004): the rules of the two-step approval, as plain functions.

Every decision is one conditional UPDATE (``WHERE status IN <expected>`` plus the who-rules) whose
row count is checked: the object a view holds may be stale — a double click, two approvers on
the same page — and only the database row says whether the step is still open. The loser of a
race gets a ValidationError, never a second approval.

Failures: a role that lacks the right on the contract is PermissionDenied (403); anything else
(wrong state, wrong order, the same person twice, a missing reason) is a ValidationError (400)
whose message says what to do.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from contracts.models import Contract
from contracts.scoping import (
    APPROVE_CHANGE_FIRST,
    APPROVE_CHANGE_SECOND,
    EXECUTE_CHANGE,
    REQUEST_CHANGE,
    can,
)
from contracts.sides import CLIENT, require_side
from incidents import notify as tell
from incidents.models import ChangeRequest, WorkLogEntry
from om_portal import workflow

Status = ChangeRequest.Status
Step = ChangeRequest.Step

EDIT, SUBMIT, APPROVE, REJECT, EXECUTE, CANCEL = "edit", "submit", "approve", "reject", "execute", "cancel"
CANCELLABLE = (Status.DRAFT, Status.SUBMITTED, Status.FIRST_APPROVED, Status.APPROVED)
STEP_RIGHT = {Step.FIRST: APPROVE_CHANGE_FIRST, Step.SECOND: APPROVE_CHANGE_SECOND}
# The people columns, "<who>_by": who requested, approved, rejected, executed, cancelled.
PEOPLE = ("requested", "first_approved", "second_approved", "rejected", "executed", "cancelled")


def _state_error(change):
    return ValidationError(
        _("Not possible while the request is in status “%(status)s”."),
        code="invalid_state",
        params={"status": change.get_status_display()},
    )


def _require(user, action, contract, message):
    if not can(user, action, contract):
        raise PermissionDenied(message)


def _check_draft_owner(change, user):
    _require(user, REQUEST_CHANGE, change.contract, _("Your role does not allow requesting changes."))
    if change.requested_by_id != user.pk:
        raise ValidationError(
            _("Only the person who drafted this request can change or submit it."), code="not_requester"
        )
    if change.status != Status.DRAFT:
        raise _state_error(change)


def _check_decision(change, user, step=""):
    """Who may approve or reject the step the request waits for (``step``, when given, must be it)."""
    pending = change.pending_step
    if step and pending and step != pending:
        if step == Step.SECOND:
            raise ValidationError(
                _("The head of IT decides only after the system administrator has approved."),
                code="order",
            )
        raise ValidationError(_("The system administrator has already decided this request."), code="decided")
    # Before the role test: a first approver who clicks again learns why, rather than a bare 403.
    if pending == Step.SECOND and change.first_approved_by_id == user.pk:
        raise ValidationError(
            _("You approved the first step: the second needs another person."), code="same_approver"
        )
    # The right of the step asked for, or of the pending one: a vendor engineer is refused (403)
    # whatever state the request is in.
    _require(
        user,
        STEP_RIGHT[step or pending or Step.FIRST],
        change.contract,
        _("Your role does not allow deciding this step of a change request."),
    )
    # The bureau approves: an account that somehow also acts for the vendor approves nothing.
    require_side(user, change.contract, CLIENT)
    if not pending:
        raise _state_error(change)
    if change.requested_by_id == user.pk:
        raise ValidationError(_("You cannot decide your own change request."), code="own_request")
    return pending


def _check_execute(change, user):
    _require(user, EXECUTE_CHANGE, change.contract, _("Only the vendor's staff carry out changes."))
    if change.status in (Status.SUBMITTED, Status.FIRST_APPROVED, Status.DRAFT):
        raise ValidationError(_("A change can be carried out only after both approvals."), code="unapproved")
    if change.status != Status.APPROVED:
        raise _state_error(change)


def _check_cancel(change, user):
    # The requester withdraws their own request; the head of IT may withdraw any that is open.
    is_requester = change.requested_by_id == user.pk and can(user, REQUEST_CHANGE, change.contract)
    if not is_requester and not can(user, APPROVE_CHANGE_SECOND, change.contract):
        raise PermissionDenied(_("Only the requester or the head of IT can cancel a change request."))
    if change.status not in CANCELLABLE:
        raise _state_error(change)


# The request's workflow: the states each action starts from, where it leads, the right it needs
# on the contract, and the who-rules above as its guard. The portal's buttons come from it.
WORKFLOW = workflow.Workflow(
    ChangeRequest,
    [
        # Editing a draft is no move, but the same conditional UPDATE: still a draft, still theirs.
        workflow.action(EDIT, {Status.DRAFT}, Status.DRAFT, REQUEST_CHANGE, guard=_check_draft_owner),
        workflow.action(SUBMIT, {Status.DRAFT}, Status.SUBMITTED, REQUEST_CHANGE, guard=_check_draft_owner),
        workflow.action(
            "approve_first",
            {Status.SUBMITTED},
            Status.FIRST_APPROVED,
            APPROVE_CHANGE_FIRST,
            guard=lambda change, user: _check_decision(change, user, Step.FIRST),
        ),
        workflow.action(
            "approve_second",
            {Status.FIRST_APPROVED},
            Status.APPROVED,
            APPROVE_CHANGE_SECOND,
            guard=lambda change, user: _check_decision(change, user, Step.SECOND),
        ),
        workflow.action(
            "reject_first",
            {Status.SUBMITTED},
            Status.REJECTED,
            APPROVE_CHANGE_FIRST,
            guard=lambda change, user: _check_decision(change, user, Step.FIRST),
        ),
        workflow.action(
            "reject_second",
            {Status.FIRST_APPROVED},
            Status.REJECTED,
            APPROVE_CHANGE_SECOND,
            guard=lambda change, user: _check_decision(change, user, Step.SECOND),
        ),
        workflow.action(EXECUTE, {Status.APPROVED}, Status.EXECUTED, EXECUTE_CHANGE, guard=_check_execute),
        workflow.action(
            CANCEL,
            CANCELLABLE,
            Status.CANCELLED,
            (REQUEST_CHANGE, APPROVE_CHANGE_SECOND),
            guard=_check_cancel,
        ),
    ],
    can=can,
)
# The page's buttons: one approve and one reject, for whichever step is pending.
BUTTON = {
    "approve_first": APPROVE,
    "approve_second": APPROVE,
    "reject_first": REJECT,
    "reject_second": REJECT,
}
REJECT_STEP = {Step.FIRST: "reject_first", Step.SECOND: "reject_second"}


def allowed_actions(change, user) -> set[str]:
    """What ``user`` may do with ``change`` now (the request's rights: no query per action)."""
    return {BUTTON.get(act.name, act.name) for act in WORKFLOW.actions_for(change, user)}


def _update(change, name, by, recheck, where=None, **values):
    """The conditional UPDATE behind every transition; ``change`` is refreshed afterwards.

    ``recheck`` re-runs the transition's rules: when no row matched, someone else got there
    first, and the rules against the row as it is now say what happened."""
    try:
        WORKFLOW.apply(change, name, by=by, where=where, **values)
    except workflow.Conflict:
        change.refresh_from_db()
        recheck()
        raise ValidationError(
            _("Someone else changed this request meanwhile; reload it."), code="race"
        ) from None
    change.refresh_from_db()
    return change


def _text(value, message):
    value = (value or "").strip()
    if not value:
        raise ValidationError(message, code="required")
    return value


# --- The transitions ----------------------------------------------------------------------------


def create(contract: Contract, user, *, submit_now: bool = False, **fields) -> ChangeRequest:
    """A new request by ``user`` on ``contract`` (a draft, or submitted at once)."""
    _require(user, REQUEST_CHANGE, contract, _("Your role does not allow requesting changes."))
    change = ChangeRequest(contract=contract, requested_by=user, **fields)
    change.full_clean()
    with transaction.atomic():
        change.save()
        if submit_now:
            submit(change, user)
    return change


def update_draft(change, user, **fields) -> ChangeRequest:
    _check_draft_owner(change, user)
    for name, value in fields.items():
        setattr(change, name, value)
    change.full_clean()
    values = {name: getattr(change, name) for name in fields}
    with transaction.atomic():
        # The draft may have been submitted since it was loaded: write only if it is still one.
        return _update(
            change, EDIT, user, lambda: _check_draft_owner(change, user), Q(requested_by=user), **values
        )


def submit(change, user) -> ChangeRequest:
    _check_draft_owner(change, user)
    missing = [
        str(ChangeRequest._meta.get_field(name).verbose_name)
        for name in ("impact", "rollback_plan")
        if not getattr(change, name).strip()
    ]
    if missing:
        raise ValidationError(
            _("Fill in before submitting: %(fields)s."),
            code="incomplete",
            params={"fields": ", ".join(missing)},
        )
    with transaction.atomic():
        change = _update(
            change,
            SUBMIT,
            user,
            lambda: _check_draft_owner(change, user),
            Q(requested_by=user),
            submitted_at=timezone.now(),
        )
        _awaits(change)
        return change


def _awaits(change):
    """Tell the people who may decide the step the request now waits for."""
    step = change.pending_step
    if not step:
        return
    roles = ("client_staff", "client_manager") if step == Step.FIRST else ("client_manager",)
    tell.change_awaits(
        change,
        step_label=Step(step).label,
        roles=roles,
        exclude=[change.requested_by, change.first_approved_by],
    )


def approve_first(change, user, comment: str = "") -> ChangeRequest:
    """The system administrator's approval (系统专管员)."""
    _check_decision(change, user, Step.FIRST)
    with transaction.atomic():
        change = _update(
            change,
            "approve_first",
            user,
            lambda: _check_decision(change, user, Step.FIRST),
            ~Q(requested_by=user),
            first_approved_by=user,
            first_approved_at=timezone.now(),
            first_comment=(comment or "").strip(),
        )
        _awaits(change)
        return change


def approve_second(change, user, comment: str = "") -> ChangeRequest:
    """The head of IT's approval (科技信息化工作负责人): after the first, and by someone else."""
    _check_decision(change, user, Step.SECOND)
    with transaction.atomic():
        return _update(
            change,
            "approve_second",
            user,
            lambda: _check_decision(change, user, Step.SECOND),
            ~Q(requested_by=user) & ~Q(first_approved_by=user),
            second_approved_by=user,
            second_approved_at=timezone.now(),
            second_comment=(comment or "").strip(),
        )


def approve(change, user, comment: str = "", step: str = "") -> ChangeRequest:
    """The pending step's approval; ``step`` pins the one the user saw (their page may be stale)."""
    if (step or change.pending_step) == Step.SECOND:
        return approve_second(change, user, comment)
    return approve_first(change, user, comment)


def reject(change, user, reason: str, step: str = "") -> ChangeRequest:
    """A refusal at the pending step, which ends the request; the reason is required."""
    pending = _check_decision(change, user, step)
    reason = _text(reason, _("Give the reason for the rejection."))
    where = ~Q(requested_by=user)
    if pending == Step.SECOND:
        where &= ~Q(first_approved_by=user)
    with transaction.atomic():
        return _update(
            change,
            REJECT_STEP[pending],
            user,
            lambda: _check_decision(change, user, pending),
            where,
            rejected_step=pending,
            rejected_by=user,
            rejected_at=timezone.now(),
            rejection_reason=reason,
        )


def execute(change, user, note: str) -> ChangeRequest:
    """The vendor records that the approved change was carried out: who, when, what was done."""
    _check_execute(change, user)
    note = _text(note, _("Describe what was done."))
    with transaction.atomic():
        change = _update(
            change,
            EXECUTE,
            user,
            lambda: _check_execute(change, user),
            executed_by=user,
            executed_at=timezone.now(),
            execution_note=note,
        )
        # Seed 000's work log records every piece of work by category, changes included.
        WorkLogEntry.objects.create(
            contract_id=change.contract_id,
            incident_id=change.incident_id,
            category=WorkLogEntry.Category.CHANGE,
            date=timezone.localdate(change.executed_at),
            initiator=str(change.requested_by.get_full_name() or change.requested_by),
            handler=str(user.get_full_name() or user),
            handling=f"{change.number} {change.title}: {note}",
            created_by=user,
        )
        return change


def cancel(change, user) -> ChangeRequest:
    _check_cancel(change, user)
    with transaction.atomic():
        return _update(
            change,
            CANCEL,
            user,
            lambda: _check_cancel(change, user),
            cancelled_by=user,
            cancelled_at=timezone.now(),
        )


def awaiting_decision(queryset, user):
    """The requests of ``queryset`` that wait for a decision ``user`` may take."""
    first = Contract.objects.restrict(user, APPROVE_CHANGE_FIRST).values("pk")
    second = Contract.objects.restrict(user, APPROVE_CHANGE_SECOND).values("pk")
    return queryset.filter(
        Q(status=Status.SUBMITTED, contract__in=first)
        | Q(status=Status.FIRST_APPROVED, contract__in=second) & ~Q(first_approved_by=user)
    ).exclude(requested_by=user)
