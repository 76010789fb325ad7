"""Who is who: the parties' organisations, the roles people hold in them, and the separation of
duties between the roles that oversee the portal.

These models were the contracts app's until issue 16 moved them below it; their tables keep the
names they had (``contracts_organization``, ``contracts_membership``), so that a database upgraded
in place keeps its rows, its constraints and the one-side trigger (contracts migration 0007).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from om_portal.validators import no_bidi_controls


class Organization(models.Model):
    """A party to contracts: a public-security bureau (client) or an IT vendor."""

    class Kind(models.TextChoices):
        CLIENT = "client", _("Client (bureau)")
        VENDOR = "vendor", _("Vendor")

    name = models.CharField(_("name"), max_length=200, unique=True, validators=[no_bidi_controls])
    short_name = models.CharField(_("short name"), max_length=50, blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)

    class Meta:
        db_table = "contracts_organization"
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self):
        return self.short_name or self.name


class Role(models.TextChoices):
    CLIENT_STAFF = "client_staff", _("Client staff")
    CLIENT_MANAGER = "client_manager", _("Client manager")
    VENDOR_ENGINEER = "vendor_engineer", _("Vendor engineer")
    VENDOR_MANAGER = "vendor_manager", _("Vendor manager")
    AUDITOR = "auditor", _("Auditor")
    ADMINISTRATOR = "administrator", _("Administrator")
    # Manages accounts and roles (三权分立: the system's, the security's and the audit's
    # administrators are three people); sees no contract's data.
    SECURITY_ADMIN = "security_admin", _("Security administrator")


# Separation of duties (GB/T 22239 level 3): who operates the portal, who grants access to it and
# who reads the trail of both are different people. A user holds at most one of these roles, and
# none of them together with a role of the service itself.
DUTY_ROLES = frozenset({Role.ADMINISTRATOR, Role.SECURITY_ADMIN, Role.AUDITOR})


# Which kind of organisation each role belongs to; auditors and administrators may sit in either.
ROLE_ORGANIZATION_KIND = {
    Role.CLIENT_STAFF: Organization.Kind.CLIENT,
    Role.CLIENT_MANAGER: Organization.Kind.CLIENT,
    Role.VENDOR_ENGINEER: Organization.Kind.VENDOR,
    Role.VENDOR_MANAGER: Organization.Kind.VENDOR,
}


def side_of_role(role: str) -> str | None:
    """The side of a contract a role acts for (client or vendor); None for the duty roles."""
    return ROLE_ORGANIZATION_KIND.get(role)


class Membership(models.Model):
    """A user's place in an organisation, with the role that decides what they may do there."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user")
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("organisation")
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)

    class Meta:
        db_table = "contracts_membership"
        ordering = ["organization__name", "user__username"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organization"], name="membership_unique_user_organization"
            ),
        ]
        # The user → organisation lookup of every scoped query is covered by the unique
        # constraint's index (user_id first).

    def __str__(self):
        return f"{self.user} · {self.organization} · {self.get_role_display()}"

    def clean(self):
        from django.core.exceptions import ValidationError

        expected = ROLE_ORGANIZATION_KIND.get(self.role)
        if expected and self.organization_id and self.organization.kind != expected:
            raise ValidationError(
                {"role": _("This role belongs to a %(kind)s organisation.") % {"kind": expected.label}}
            )
        if self.user_id and self.role:
            others = Membership.objects.filter(user_id=self.user_id).exclude(pk=self.pk)
            other_roles = set(others.values_list("role", flat=True))
            if other_roles and (self.role in DUTY_ROLES or other_roles & DUTY_ROLES):
                raise ValidationError(
                    {
                        "role": _(
                            "Separation of duties: an administrator, a security administrator or an "
                            "auditor holds no other role (this user is already %(roles)s)."
                        )
                        % {"roles": ", ".join(str(Role(role).label) for role in sorted(other_roles))}
                    }
                )
            # One side of every contract: a client's role and a vendor's role together would let
            # one person submit and sign off the same report (contracts migration 0007 holds the database
            # to it as well).
            side = side_of_role(self.role)
            crossing = sorted(role for role in other_roles if side_of_role(role) not in (None, side))
            if side and crossing:
                raise ValidationError(
                    {
                        "role": _(
                            "An account belongs to one side: the client or the vendor, never both "
                            "(this user is already %(roles)s)."
                        )
                        % {"roles": ", ".join(str(Role(role).label) for role in crossing)}
                    }
                )
