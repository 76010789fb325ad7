"""Access scoping: the one way a queryset reaches a user.

Every view, API endpoint and export starts from ``Model.objects.restrict(user, action)``. A user
sees the contracts of the organisations they belong to, and what hangs off those contracts;
administrators (the role, or Django superusers) see every contract. What is out of scope simply
is not in the queryset, so a detail lookup of it is a 404.
"""

import functools

from django.db import models
from django.db.models import Exists, Q

from identity.access import holds_role, memberships

# The roles allowed each action, in the organisations where the user holds the role. An action
# that lists the administrator role is open to administrators on every contract; one that does
# not (approvals) is not, so that the portal's administrators cannot approve the bureau's changes.
VIEW = "view"
MANAGE_CONTRACT = "manage_contract"  # terms, price list, SLA, penalty clauses, milestones
MANAGE_PENALTIES = "manage_penalties"  # the breach ledger: record, waive
MANAGE_STAFF = "manage_staff"  # posts, assignments, duty rosters
MANAGE_ASSETS = "manage_assets"  # the asset ledger and its imports
REPORT_INCIDENT = "report_incident"  # open an incident, comment, log work
HANDLE_INCIDENT = "handle_incident"  # acknowledge, arrive, wait, resolve: the vendor's side
CLOSE_INCIDENT = "close_incident"  # close or reopen a resolved incident: the client's side
ASSIGN_INCIDENT = "assign_incident"  # choose which of the vendor's engineers handle an incident
REQUEST_CHANGE = "request_change"  # business changes and data modifications (seed 004)
APPROVE_CHANGE_FIRST = "approve_change_first"  # the system's administrator (系统专管员)
APPROVE_CHANGE_SECOND = "approve_change_second"  # the head of IT (科技信息化工作负责人)
EXECUTE_CHANGE = "execute_change"
MANAGE_KNOWLEDGE = "manage_knowledge"  # knowledge base, emergency plans and drills
RECORD_CONSULTATION = "record_consultation"  # phone and online consultations (seed 004)
FILE_COMPLAINT = "file_complaint"  # either side may complain (seed 002)
MANAGE_INSPECTIONS = "manage_inspections"  # schedules, periods, checklists, automated checks
PERFORM_INSPECTION = "perform_inspection"  # submit a round from the tablet: the vendor's engineers
BUILD_REPORT = "build_report"  # build (or rebuild) a period's report from the data
WRITE_REPORT = "write_report"  # the vendor's narrative, submission, re-issue; acceptance forms
SIGN_OFF_REPORT = "sign_off_report"  # sign off or return reports and acceptance packages


def _action_roles(action: str) -> list[str]:
    try:
        return _roles_table()[action]
    except KeyError:
        raise ValueError(f"unknown action {action!r}") from None


@functools.cache
def _roles_table() -> dict[str, list[str]]:
    from contracts.models import Role

    # The security administrator grants access to the portal and sees none of its data.
    readers = [r for r in Role.values if r != Role.SECURITY_ADMIN]
    everyone_but_auditors = [r for r in readers if r != Role.AUDITOR]
    vendor = [Role.VENDOR_ENGINEER, Role.VENDOR_MANAGER]
    table = {
        VIEW: readers,
        MANAGE_CONTRACT: [Role.CLIENT_MANAGER, Role.ADMINISTRATOR],
        MANAGE_PENALTIES: [Role.CLIENT_MANAGER, Role.ADMINISTRATOR],
        MANAGE_STAFF: [Role.VENDOR_MANAGER, Role.CLIENT_MANAGER, Role.ADMINISTRATOR],
        MANAGE_ASSETS: [*vendor, Role.CLIENT_MANAGER, Role.ADMINISTRATOR],
        REPORT_INCIDENT: everyone_but_auditors,
        HANDLE_INCIDENT: [*vendor, Role.ADMINISTRATOR],
        CLOSE_INCIDENT: [Role.CLIENT_STAFF, Role.CLIENT_MANAGER, Role.ADMINISTRATOR],
        # The vendor's manager deploys the vendor's people (seed 000: 乙方项目经理调度).
        ASSIGN_INCIDENT: [Role.VENDOR_MANAGER],
        REQUEST_CHANGE: [*vendor, Role.CLIENT_STAFF, Role.CLIENT_MANAGER],
        APPROVE_CHANGE_FIRST: [Role.CLIENT_STAFF, Role.CLIENT_MANAGER],
        APPROVE_CHANGE_SECOND: [Role.CLIENT_MANAGER],
        EXECUTE_CHANGE: vendor,
        MANAGE_KNOWLEDGE: [*vendor, Role.CLIENT_MANAGER, Role.ADMINISTRATOR],
        RECORD_CONSULTATION: [*vendor, Role.ADMINISTRATOR],
        FILE_COMPLAINT: everyone_but_auditors,
        MANAGE_INSPECTIONS: [Role.VENDOR_MANAGER, Role.CLIENT_MANAGER, Role.ADMINISTRATOR],
        PERFORM_INSPECTION: [*vendor, Role.ADMINISTRATOR],
        BUILD_REPORT: [*vendor, Role.CLIENT_MANAGER, Role.ADMINISTRATOR],
        # The vendor's statement and the bureau's signature are the parties' own acts: the
        # portal's administrators can do neither.
        WRITE_REPORT: [Role.VENDOR_MANAGER],
        SIGN_OFF_REPORT: [Role.CLIENT_MANAGER],
    }
    return table


def rights(user, contract) -> frozenset[str]:
    """Every action ``user`` may do on ``contract``: the rule of ``restrict`` worked out from the
    user's memberships, which cost one query per request (none for superusers)."""
    from contracts.models import Role

    table = _roles_table()
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    if user.is_superuser:
        return frozenset(table)
    held = memberships(user)
    here = {role for organization, role in held if organization in (contract.client_id, contract.vendor_id)}
    administrator = any(role == Role.ADMINISTRATOR for _organization, role in held)
    return frozenset(
        action
        for action, roles in table.items()
        if here.intersection(roles) or (administrator and Role.ADMINISTRATOR in roles)
    )


def can(user, action: str, contract) -> bool:
    """Whether ``user`` may do ``action`` on ``contract`` (one query per request, none for
    superusers)."""
    _action_roles(action)  # an unknown action is a programming error, as in ``restrict``
    return action in rights(user, contract)


def contract_clients(user):
    """The bureaus the user may enter new contracts for: where they are a client manager, or
    every bureau for administrators."""
    from contracts.models import Organization, Role

    clients = Organization.objects.filter(kind=Organization.Kind.CLIENT)
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return clients.none()
    if is_administrator(user):
        return clients
    return clients.filter(memberships__user=user, memberships__role=Role.CLIENT_MANAGER)


def is_administrator(user) -> bool:
    from contracts.models import Role

    return holds_role(user, Role.ADMINISTRATOR)


def can_create_contract(user, client) -> bool:
    return contract_clients(user).filter(pk=client.pk).exists()


class RestrictedQuerySet(models.QuerySet):
    """A queryset that can narrow itself to what one user may see.

    The model names the path to its contract in ``scope_path`` ("" for Contract itself,
    "contract" for a contract-owned model, "incident__contract" two steps away...).
    """

    def restrict(self, user, action: str = VIEW):
        roles = _action_roles(action)
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self
        from contracts.models import Membership, Role

        mine = Membership.objects.filter(user=user)
        organizations = mine.filter(role__in=roles).values("organization_id")
        prefix = f"{self.model.scope_path}__" if self.model.scope_path else ""
        # One query: the administrator test is an uncorrelated EXISTS, which PostgreSQL and
        # SQLite evaluate once per query, not per row.
        parties = Q(**{f"{prefix}client__in": organizations}) | Q(**{f"{prefix}vendor__in": organizations})
        if Role.ADMINISTRATOR in roles:
            parties |= Q(Exists(mine.filter(role=Role.ADMINISTRATOR)))
        return self.filter(parties)
