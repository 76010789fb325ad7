"""Access scoping: the one way a queryset reaches a user.

Every view, API endpoint and export starts from ``Model.objects.restrict(user, action)``. A user
sees the contracts of the organisations they belong to, and what hangs off those contracts;
administrators (the role, or Django superusers) see every contract. What is out of scope simply
is not in the queryset, so a detail lookup of it is a 404.
"""

from django.db import models
from django.db.models import Exists, Q

# The roles allowed each action, in the organisations where the user holds the role.
VIEW = "view"
MANAGE_CONTRACT = "manage_contract"  # terms, price list, SLA, penalty clauses, milestones
MANAGE_PENALTIES = "manage_penalties"  # the breach ledger: record, waive
MANAGE_STAFF = "manage_staff"  # posts, assignments, duty rosters
MANAGE_ASSETS = "manage_assets"  # the asset ledger and its imports


def _action_roles(action: str) -> list[str]:
    from contracts.models import Role

    table = {
        VIEW: list(Role.values),
        MANAGE_CONTRACT: [Role.CLIENT_MANAGER, Role.ADMINISTRATOR],
        MANAGE_PENALTIES: [Role.CLIENT_MANAGER, Role.ADMINISTRATOR],
        MANAGE_STAFF: [Role.VENDOR_MANAGER, Role.CLIENT_MANAGER, Role.ADMINISTRATOR],
        MANAGE_ASSETS: [Role.VENDOR_MANAGER, Role.VENDOR_ENGINEER, Role.CLIENT_MANAGER, Role.ADMINISTRATOR],
    }
    try:
        return table[action]
    except KeyError:
        raise ValueError(f"unknown action {action!r}") from None


def can(user, action: str, contract) -> bool:
    """Whether ``user`` may do ``action`` on ``contract`` (one query, none for superusers)."""
    from contracts.models import Contract

    return Contract.objects.restrict(user, action).filter(pk=contract.pk).exists()


def contract_clients(user):
    """The bureaus the user may enter new contracts for: where they are a client manager, or
    every bureau for administrators."""
    from contracts.models import Membership, Organization, Role

    clients = Organization.objects.filter(kind=Organization.Kind.CLIENT)
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return clients.none()
    if user.is_superuser or Membership.objects.filter(user=user, role=Role.ADMINISTRATOR).exists():
        return clients
    return clients.filter(memberships__user=user, memberships__role=Role.CLIENT_MANAGER)


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
        return self.filter(
            Exists(mine.filter(role=Role.ADMINISTRATOR))
            | Q(**{f"{prefix}client__in": organizations})
            | Q(**{f"{prefix}vendor__in": organizations})
        )
