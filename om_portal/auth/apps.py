from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuthHardeningConfig(AppConfig):
    name = "om_portal.auth"
    # "auth" is Django's own label.
    label = "om_portal_auth"
    verbose_name = _("Authentication")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in, user_login_failed

        from om_portal.auth import middleware, passwords, throttle

        # Every way of logging in (the form, the admin, force_login in tests) starts the session's
        # clocks, so that the first request after it does not have to write the session.
        user_logged_in.connect(middleware.start_session_clocks, dispatch_uid="session-clocks")
        user_logged_in.connect(passwords.note_change_required, dispatch_uid="password-change-required")
        # The per-account limit across addresses counts what authenticate() reports.
        user_login_failed.connect(throttle.on_login_failed, dispatch_uid="username-throttle-failed")
        user_logged_in.connect(throttle.on_logged_in, dispatch_uid="username-throttle-success")
