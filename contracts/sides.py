"""Two sides, two people: who may put their name to each half of a two-party act.

A report, an acceptance package or a service record sheet is the vendor's statement and the
client's acceptance of it; a change request is one person's request and others' approval. The
roles (``scoping``) say who may act at all; these rules say that the two halves are two people,
each acting for their own side of *this* contract, even for an account that somehow holds roles
on both sides (``Membership.clean`` and migration 0004 refuse that; the rules here do not rely
on it), and even for a superuser, who acts for no side.
"""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from identity.access import memberships
from identity.models import ROLE_ORGANIZATION_KIND, Organization

CLIENT = Organization.Kind.CLIENT
VENDOR = Organization.Kind.VENDOR


def acts_for(user, contract, side: str) -> bool:
    """Whether ``user`` holds a role of ``side`` in that side's organisation of ``contract``."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    organization_id = contract.client_id if side == CLIENT else contract.vendor_id
    # The request's one read of the memberships (a page asks for each of its buttons).
    return any(
        organization == organization_id and ROLE_ORGANIZATION_KIND.get(role) == side
        for organization, role in memberships(user)
    )


def on_both_sides(user) -> bool:
    """Whether ``user`` holds service roles of both kinds (anywhere): such an account may sign
    nothing until the security administrator removes one side."""
    roles = {role for _organization, role in memberships(user)}
    return {ROLE_ORGANIZATION_KIND[r] for r in roles if r in ROLE_ORGANIZATION_KIND} == {CLIENT, VENDOR}


def require_side(user, contract, side: str) -> None:
    """PermissionDenied unless ``user`` acts for ``side`` of ``contract`` and for that side only."""
    if not acts_for(user, contract, side) or on_both_sides(user):
        if side == CLIENT:
            message = _("Only a person of the client's side of contract %(code)s can do this.")
        else:
            message = _("Only a person of the vendor's side of contract %(code)s can do this.")
        raise PermissionDenied(message % {"code": contract.code})


def require_another_person(user, earlier, message: str) -> None:
    """PermissionDenied when ``user`` is the person who took the earlier half (``earlier``)."""
    if earlier is not None and user is not None and getattr(earlier, "pk", earlier) == user.pk:
        raise PermissionDenied(message)


__all__ = ["CLIENT", "VENDOR", "acts_for", "on_both_sides", "require_another_person", "require_side"]
