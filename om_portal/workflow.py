"""Workflows declared as tables: the states, the actions, who may take each, what each records.

Incidents, reports, acceptance packages and change requests each declare one ``Workflow``: its
actions say the states they start from, the state they lead to, the right they need on the
contract (a name of ``contracts.scoping``, checked with the ``can`` the app hands in: this layer
knows no contract), their label, and what they record (an event of the timeline...). The same
table gives the portal its buttons (``actions_for``) and moves the object (``apply``).

A move is one conditional UPDATE, ``WHERE pk = … AND status IN <the action's sources>``, inside a
transaction: the object a view holds may be stale (a double click, two people on one page) and
only the row says whether the step is still open. No row → the workflow's conflict, so two
people racing cannot both succeed.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from om_portal import audit, audit_changes


class Conflict(Exception):
    """The object is not (or no longer) in a state that allows the action: a 409 in the API."""


@dataclass(frozen=True)
class Action:
    name: str
    sources: frozenset  # the states it may start from
    target: str | None  # the state it leads to; None: the caller says (a resume returns)
    # The right it needs on the object's contract (a contracts.scoping name), or a tuple of
    # rights any one of which will do (the guard then says who exactly).
    right: str | tuple
    label: Any = ""  # the button's text (lazy)
    records: Any = ""  # what it records: the timeline's event, the audit line's action...
    refusal: Any = ""  # the message when the state does not allow it
    # More who-rules than the right (the same person twice, the requester only...): a callable
    # (obj, user) that raises when they do not hold; the buttons are hidden when it raises.
    guard: Callable | None = None
    button: bool = True  # a one-tap button; False when the portal asks for more in a form
    # The person must say why (pausing a clock, reopening, re-issuing): the reason is kept where
    # the object keeps its history and on the audit trail, and its absence is a field error.
    needs_reason: bool = False


def action(name, sources, target, right, **options) -> Action:
    return Action(name, frozenset(sources), target, right, **options)


def _refused(obj, act):
    return Conflict(str(act.refusal) or _("This is not possible in its present state; reload the page."))


class Workflow:
    """One model's workflow: ``actions`` in the order the portal shows them."""

    def __init__(
        self,
        model,
        actions: list[Action],
        *,
        can: Callable,
        field: str = "status",
        contract: Callable = lambda obj: obj.contract,
        refuse: Callable = _refused,
        denied: Callable | None = None,
    ):
        self.model = model
        self.actions = {a.name: a for a in actions}
        self.field = field
        self.can = can  # (user, right, contract) → bool
        self.contract = contract
        self.refuse = refuse  # (obj, action) → the exception of a wrong state or a lost race
        self.denied = denied  # (obj, action) → the exception of a missing right
        states = {choice for choice in model._meta.get_field(field).choices or ()}
        known = {value for value, _label in states}
        for act in actions:
            unknown = (set(act.sources) | ({act.target} if act.target else set())) - known
            if unknown:
                raise ValueError(f"{model.__name__} workflow, {act.name}: unknown states {unknown}")

    def __contains__(self, name) -> bool:
        return name in self.actions

    def __getitem__(self, name) -> Action:
        return self.actions[name]

    def state(self, obj) -> str:
        return getattr(obj, self.field)

    def allows(self, obj, name: str) -> bool:
        """Whether the object's state allows the action (whoever asks)."""
        return self.state(obj) in self.actions[name].sources

    def may(self, obj, name: str, user) -> bool:
        """Whether ``user`` may take the action now: the state, the right, the who-rules."""
        act = self.actions[name]
        if self.state(obj) not in act.sources or not self.has_right(obj, act, user):
            return False
        if act.guard is not None:
            try:
                act.guard(obj, user)
            except (PermissionDenied, ValidationError, Conflict):  # a refusal hides the button
                return False
        return True

    def actions_for(self, obj, user, *, buttons_only: bool = False) -> list[Action]:
        """The actions ``user`` may take on ``obj`` now, in the table's order: the portal's
        buttons. The rights come from the request's memo: no query per action."""
        return [
            act
            for act in self.actions.values()
            if (act.button or not buttons_only) and self.may(obj, act.name, user)
        ]

    def has_right(self, obj, act: Action, user) -> bool:
        rights = act.right if isinstance(act.right, tuple) else (act.right,)
        return user is not None and any(self.can(user, right, self.contract(obj)) for right in rights)

    def require_right(self, obj, name: str, user) -> None:
        if not self.has_right(obj, self.actions[name], user):
            raise (self.denied(obj, self.actions[name]) if self.denied else PermissionDenied())

    def check_state(self, obj, name: str) -> None:
        if not self.allows(obj, name):
            raise self.refuse(obj, self.actions[name])

    def require_reason(self, name: str, reason: str, field: str = "note") -> str:
        """The reason an action that ``needs_reason`` was given, stripped; a field error without."""
        reason = (reason or "").strip()
        if self.actions[name].needs_reason and not reason:
            raise ValidationError(
                {field: _("Say why: “%(action)s” needs a reason.") % {"action": self.actions[name].label}}
            )
        return reason

    def apply(
        self, obj, name: str, *, by=None, target=None, where: Q | None = None, reason: str = "", **values
    ):
        """Move ``obj`` by ``name`` with one conditional UPDATE (also writing ``values``); the
        object is updated in memory and the change recorded on the audit trail as a save would
        record it, with the ``reason`` given. 0 rows (the state moved meanwhile) → the workflow's
        conflict."""
        act = self.actions[name]
        target = target or act.target
        if target is None:
            raise ValueError(f"{name}: the caller must give the target state")
        columns = {self.field: target, **values}
        for f in self.model._meta.concrete_fields:
            if getattr(f, "auto_now", False):
                columns.setdefault(f.name, timezone.now())
        with transaction.atomic():
            rows = (
                self.model._default_manager.filter(where or Q(), pk=obj.pk)
                .filter(**{f"{self.field}__in": list(act.sources)})
                .update(**columns)
            )
            if rows != 1:
                raise self.refuse(obj, act)
            for column, value in columns.items():
                setattr(obj, column, value)
            self._audit(obj, by, columns, reason)
        return obj

    def _audit(self, obj, by, columns, reason="") -> None:
        # The line a save() would write (an UPDATE sends no signal): what changed, before → after.
        if not audit._audited(type(obj)):
            return
        detail = {"fields": sorted(columns), **audit_changes.changed(obj, list(columns))}
        if reason:
            detail["reason"] = reason
        audit_changes.remember(obj)
        audit.record("update", obj=obj, user=by, detail=detail)


def request_memo(name: str) -> dict | None:
    """A dict that lives as long as the request being served (None outside one: a worker, a
    command, a test calling a service), for what a request asks many times and cannot change
    meanwhile, such as the user's memberships."""
    request = audit._current_request.get()
    if request is None:
        return None
    memos = request.__dict__.setdefault("_om_memo", {})
    return memos.setdefault(name, {})
