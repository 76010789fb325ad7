from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OmPortalConfig(AppConfig):
    name = "om_portal"
    verbose_name = _("Portal")

    def ready(self):
        from axes import signals as axes_signals
        from django.apps import apps
        from django.contrib import admin
        from django.contrib.auth import signals
        from django.db.models.signals import post_delete, post_init, post_save

        from om_portal import audit, audit_changes, checks  # noqa: F401  (checks registers itself)

        signals.user_logged_in.connect(audit.on_login, dispatch_uid="audit-login")
        signals.user_logged_out.connect(audit.on_logout, dispatch_uid="audit-logout")
        signals.user_login_failed.connect(audit.on_login_failed, dispatch_uid="audit-login-failed")
        axes_signals.user_locked_out.connect(audit.on_locked_out, dispatch_uid="audit-locked-out")
        # Every create, update and delete of the audited apps' models, wherever it is made.
        post_save.connect(audit.on_save, dispatch_uid="audit-save")
        post_delete.connect(audit.on_delete, dispatch_uid="audit-delete")
        # The values each audited row was loaded with, for the "before" of its update lines.
        for model in apps.get_models():
            if audit._audited(model):
                post_init.connect(
                    audit_changes.on_init, sender=model, dispatch_uid=f"audit-init-{model._meta.label}"
                )

        # "１２３" and bidi controls refused by every form, as by the API (form_inputs.py).
        from om_portal import form_inputs

        form_inputs.install()

        admin.site.site_header = _("O&M Contract Portal")
        admin.site.site_title = _("O&M Contract Portal")
        admin.site.index_title = _("Administration")
