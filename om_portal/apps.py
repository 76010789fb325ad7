from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OmPortalConfig(AppConfig):
    name = "om_portal"
    verbose_name = _("Portal")

    def ready(self):
        from django.contrib import admin

        admin.site.site_header = _("O&M Contract Portal")
        admin.site.site_title = _("O&M Contract Portal")
        admin.site.index_title = _("Administration")
