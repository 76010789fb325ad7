"""Password complexity: several kinds of character, on top of Django's length and common-password
rules (AUTH_PASSWORD_VALIDATORS)."""

from django.core.exceptions import ValidationError
from django.utils.translation import ngettext


def character_classes(password: str) -> set[str]:
    """Which of the four classes the password uses: upper case, lower case, digit, other.

    Letters without case (Chinese characters) count as "other", like punctuation and spaces."""
    classes = set()
    for char in password:
        if char.isupper():
            classes.add("upper")
        elif char.islower():
            classes.add("lower")
        elif char.isdigit():
            classes.add("digit")
        else:
            classes.add("other")
    return classes


class CharacterClassValidator:
    """At least ``min_classes`` of upper-case letters, lower-case letters, digits and other
    characters (GB/T 22239 level 3 asks for complexity; three of four is the usual reading)."""

    def __init__(self, min_classes: int = 3):
        if not 1 <= min_classes <= 4:
            raise ValueError("min_classes must be between 1 and 4")
        self.min_classes = min_classes

    def validate(self, password, user=None):
        if len(character_classes(password)) < self.min_classes:
            raise ValidationError(self._message(), code="password_too_simple")

    def get_help_text(self):
        return self._message()

    def _message(self):
        return ngettext(
            "Your password must contain characters of at least %(count)d kind: upper-case letters, "
            "lower-case letters, digits, other characters.",
            "Your password must contain characters of at least %(count)d of these four kinds: "
            "upper-case letters, lower-case letters, digits, other characters (such as !, - or #).",
            self.min_classes,
        ) % {"count": self.min_classes}


# --- A password someone else chose ---------------------------------------------------------------
# Kept in the session at login, so that the gate costs no query on every request.
CHANGE_KEY = "_password_change_required"


def require_change(user) -> None:
    from om_portal.models import PasswordChangeRequired

    PasswordChangeRequired.objects.get_or_create(user=user)


def change_required(user) -> bool:
    from om_portal.models import PasswordChangeRequired

    return PasswordChangeRequired.objects.filter(user=user).exists()


def changed(request, user) -> None:
    """The owner chose a password of their own: the gate opens."""
    from om_portal.models import PasswordChangeRequired

    PasswordChangeRequired.objects.filter(user=user).delete()
    if hasattr(request, "session"):
        request.session.pop(CHANGE_KEY, None)


def note_change_required(sender, request, user, **kwargs):
    """At login (connected to user_logged_in)."""
    if request is not None and hasattr(request, "session") and change_required(user):
        request.session[CHANGE_KEY] = True
