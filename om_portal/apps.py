from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OmPortalConfig(AppConfig):
    name = "om_portal"
    verbose_name = _("Portal")
