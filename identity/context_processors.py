from django.utils.functional import SimpleLazyObject

from identity.models import DUTY_ROLES, Membership, Role


def duties(request):
    """Which of the overseeing roles the user holds, for the menu: the auditor's trail and the
    security administrator's accounts. One query, and only on a page that asks."""

    def held() -> frozenset:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return frozenset()
        if user.is_superuser:
            return frozenset({Role.AUDITOR, Role.SECURITY_ADMIN})
        return frozenset(
            Membership.objects.filter(user=user, role__in=DUTY_ROLES).values_list("role", flat=True)
        )

    return {"duties": SimpleLazyObject(held)}
