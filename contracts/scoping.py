"""Access scoping: the one way a queryset reaches a user.

Every view, API endpoint and export starts from ``Model.objects.restrict(user, action)``. A user
sees the contracts of the organisations they belong to, and what hangs off those contracts;
administrators (the role, or Django superusers) see every contract. What is out of scope simply
is not in the queryset, so a detail lookup of it is a 404.
"""

from django.db import models
from django.db.models import Q

# The roles allowed each action. Later capabilities add their actions here (approve, sign off...).
VIEW = "view"


def _action_roles(action: str) -> list[str]:
    from contracts.models import Role

    table = {VIEW: list(Role.values)}
    try:
        return table[action]
    except KeyError:
        raise ValueError(f"unknown action {action!r}") from None


def is_administrator(user) -> bool:
    """Superusers and members with the administrator role see every contract."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    cached = getattr(user, "_om_is_administrator", None)
    if cached is None:
        from contracts.models import Membership, Role

        cached = Membership.objects.filter(user=user, role=Role.ADMINISTRATOR).exists()
        user._om_is_administrator = cached
    return cached


class RestrictedQuerySet(models.QuerySet):
    """A queryset that can narrow itself to what one user may see.

    The model names the path to its contract in ``scope_path`` ("" for Contract itself,
    "contract" for a contract-owned model, "incident__contract" two steps away...).
    """

    def restrict(self, user, action: str = VIEW):
        roles = _action_roles(action)
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if is_administrator(user):
            return self
        from contracts.models import Membership

        organizations = Membership.objects.filter(user=user, role__in=roles).values("organization_id")
        prefix = f"{self.model.scope_path}__" if self.model.scope_path else ""
        return self.filter(
            Q(**{f"{prefix}client__in": organizations}) | Q(**{f"{prefix}vendor__in": organizations})
        )
