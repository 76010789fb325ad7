"""The portal-wide roles a user holds, wherever they hold them.

What a role may do on a contract is the contracts app's table (``contracts.scoping``); this is
the question asked before any contract is in view: is this person a security administrator, an
administrator, an auditor?
"""

from identity.models import Membership
from om_portal.workflow import request_memo


def memberships(user) -> list[tuple[int, str]]:
    """The user's (organisation, role) pairs: one query, then none for the rest of the request
    (a page that shows ten buttons asks ten times)."""
    memo = request_memo("memberships")
    if memo is not None and user.pk in memo:
        return memo[user.pk]
    found = list(Membership.objects.filter(user=user).values_list("organization_id", "role"))
    if memo is not None:
        memo[user.pk] = found
    return found


def holds_role(user, role: str) -> bool:
    """Whether an active user holds ``role`` in any organisation; a superuser holds every role.
    For the portal-wide roles: the administrator, the security administrator."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return user.is_superuser or any(held == role for _organization, held in memberships(user))
