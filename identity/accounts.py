"""Accounts and roles: the security administrator's work (三权分立).

The security administrator creates accounts, gives and takes roles, locks and unlocks, and
resets a lost second factor; sees no contract's data (scoping.VIEW leaves the role out); and reads
no audit trail (the auditor does, and sees these acts there: each save of a user or a membership
is a line, and so is each unlock and reset below). Nobody changes their own account's access here,
so that no one can give themselves a role, and no one acts on a superuser (the installation's
owner, outside the portal's roles).
"""

from axes.utils import reset as axes_reset
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from identity.access import holds_role
from identity.models import Membership, Role
from om_portal import audit
from om_portal.auth import passwords, tokens


class AccountRefused(Exception):
    """A change the rules forbid, with the reason to show."""


def accounts(by):
    """The accounts ``by`` manages: every one but the superusers. PermissionDenied for anyone
    but a security administrator."""
    if not holds_role(by, Role.SECURITY_ADMIN):
        raise PermissionDenied(_("Only security administrators manage accounts."))
    return get_user_model().objects.filter(is_superuser=False)


def _guard(by, target) -> None:
    accounts(by)
    if target.pk == by.pk:
        raise AccountRefused(
            _("Nobody changes their own account's access: another security administrator does.")
        )
    if target.is_superuser:
        raise AccountRefused(_("A superuser is managed outside the portal."))


def _membership(user, organization, role) -> Membership:
    membership = Membership(user=user, organization=organization, role=role)
    try:
        membership.full_clean()
    except ValidationError as error:
        raise AccountRefused(
            " ".join(message for messages in error.message_dict.values() for message in messages)
        ) from None
    return membership


@transaction.atomic
def create_account(by, *, username, full_name, email, password, organization, role):
    """A new account with its first role. The password meets the portal's rules (8+ characters in
    three classes), and its owner must replace it at the first login."""
    accounts(by)
    User = get_user_model()
    if User.objects.filter(username__iexact=username).exists():
        raise AccountRefused(_("The user name %(name)s is taken.") % {"name": username})
    user = User(username=username, first_name=full_name, email=email)
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise AccountRefused(" ".join(error.messages)) from None
    user.set_password(password)
    user.save()
    _membership(user, organization, role).save()
    # The security administrator knows this password: its owner replaces it at the first login.
    passwords.require_change(user)
    return user


@transaction.atomic
def add_role(by, user, organization, role) -> Membership:
    _guard(by, user)
    if Membership.objects.filter(user=user, organization=organization).exists():
        raise AccountRefused(
            _("The user already has a role in %(org)s: remove it first.") % {"org": organization}
        )
    membership = _membership(user, organization, role)
    membership.save()
    # A token carries no rights of its own: whoever holds it logs in again under the new roles.
    tokens.revoke(user)
    return membership


@transaction.atomic
def remove_role(by, membership) -> None:
    _guard(by, membership.user)
    membership.delete()
    tokens.revoke(membership.user)


@transaction.atomic
def set_active(by, user, active: bool) -> None:
    """An account is closed, never deleted: its name stays on the records it signed."""
    _guard(by, user)
    user.is_active = active
    user.save(update_fields=["is_active"])
    tokens.revoke(user)


@transaction.atomic
def unlock(by, user) -> int:
    """Ends the lockout of ``user`` at every address; returns how many locks were lifted."""
    _guard(by, user)
    lifted = axes_reset(username=user.get_username())
    audit.record("unlock", user=by, obj=user, detail={"locks": lifted})
    return lifted


@transaction.atomic
def reset_second_factor(by, user) -> None:
    """For a lost phone: the user sets up a new authenticator at the next login (the role still
    requires one)."""
    _guard(by, user)
    removed, _by_model = TOTPDevice.objects.filter(user=user).delete()
    # A token was issued on the lost factor's code: whoever holds the phone holds no token.
    tokens.revoke(user)
    audit.record("second_factor_reset", user=by, obj=user, detail={"devices": removed})
