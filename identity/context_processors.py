from django.utils.functional import SimpleLazyObject

from identity.access import memberships
from identity.models import DUTY_ROLES, Role


def duties(request):
    """Which of the overseeing roles the user holds, for the menu: the auditor's trail, the
    security administrator's accounts and the administrator's settings. The request's one read
    of the memberships, and only on a page that asks."""

    def held() -> frozenset:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return frozenset()
        if user.is_superuser:
            return frozenset({Role.AUDITOR, Role.SECURITY_ADMIN, Role.ADMINISTRATOR})
        return frozenset(role for _organization, role in memberships(user) if role in DUTY_ROLES)

    return {"duties": SimpleLazyObject(held)}
