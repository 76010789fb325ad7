from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ApiToken(models.Model):
    """An API token (``Authorization: Token <key>``), kept as the SHA-256 of its key only.

    The key (160 random bits) is shown once, in the answer of the token endpoint; a database
    dump or a backup holds nothing that authenticates. A token lasts API_TOKEN_LIFETIME_HOURS,
    holds only while its user's password is the one it was issued under (``password_mark``:
    Django's session hash of it, so that any change of password, however made, ends it) and the
    user is active; closing the account, resetting the second factor and changing roles delete
    the user's tokens (``om_portal.auth.tokens.revoke``).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("user")
    )
    digest = models.CharField(_("SHA-256 of the key"), max_length=64, unique=True)
    password_mark = models.CharField(max_length=128)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self):
        # Nothing of the key: the string reaches the admin and the audit trail.
        return f"{self.user} · {self.created_at:%Y-%m-%d %H:%M}"
