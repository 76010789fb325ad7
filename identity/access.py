"""The portal-wide roles a user holds, wherever they hold them.

What a role may do on a contract is the contracts app's table (``contracts.scoping``); this is
the question asked before any contract is in view: is this person a security administrator, an
administrator, an auditor?
"""

from identity.models import Membership


def holds_role(user, role: str) -> bool:
    """Whether an active user holds ``role`` in any organisation; a superuser holds every role.
    For the portal-wide roles: the administrator, the security administrator."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return user.is_superuser or Membership.objects.filter(user=user, role=role).exists()
