"""API tokens: issued by the token endpoint, stored as hashes, short-lived, revoked on the events
that change who the holder is (issue 14, Medium 8).

Scripts keep working as before: ``POST /api/v1/auth/token/`` answers ``{"token": ...}`` (now also
``expires_at``) and requests send ``Authorization: Token <key>``. What changed is that the key
is seen once, lasts ``API_TOKEN_LIFETIME_HOURS``, and dies with a new password, a closed account,
a second-factor reset or a change of roles: a script then asks for a new one.
"""

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from om_portal.auth.models import ApiToken


def digest(key: str) -> str:
    # One SHA-256 suffices: the key is 160 random bits, not a password to guess.
    return hashlib.sha256(key.encode()).hexdigest()


def lifetime() -> dt.timedelta:
    return dt.timedelta(hours=settings.API_TOKEN_LIFETIME_HOURS)


def issue(user) -> tuple[str, ApiToken]:
    """A new token for ``user``: its key (to show once) and its row. The user's expired tokens
    and those of an earlier password go at the same time."""
    key = secrets.token_hex(20)  # 40 hex characters, as DRF's keys were
    now, mark = timezone.now(), user.get_session_auth_hash()
    with transaction.atomic():
        ApiToken.objects.filter(Q(expires_at__lte=now) | ~Q(password_mark=mark), user=user).delete()
        token = ApiToken.objects.create(
            user=user, digest=digest(key), password_mark=mark, expires_at=now + lifetime()
        )
    return key, token


def revoke(*users) -> int:
    """Delete every token of ``users`` (users or their ids, None ignored); returns how many."""
    ids = {getattr(user, "pk", user) for user in users} - {None}
    deleted, _by_model = ApiToken.objects.filter(user_id__in=ids).delete()
    return deleted


class HashedTokenAuthentication(TokenAuthentication):
    """DRF's ``Token`` scheme over hashed, expiring tokens. Every refusal says the same thing, so
    that a caller learns nothing about which keys exist."""

    model = ApiToken

    def authenticate_credentials(self, key):
        refused = exceptions.AuthenticationFailed(_("Invalid token."))
        if not key or len(key) > 100:
            raise refused
        token = ApiToken.objects.select_related("user").filter(digest=digest(key)).first()
        if token is None or token.expires_at <= timezone.now():
            raise refused
        user = token.user
        if not user.is_active or not secrets.compare_digest(
            token.password_mark, user.get_session_auth_hash()
        ):
            raise refused
        return (user, token)
