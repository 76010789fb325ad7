from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IdentityConfig(AppConfig):
    """Identity and access: organisations, their members and roles, the security administrator's
    accounts pages and the auditor's search of the trail. Below contracts: it names no contract
    (the audit search learns the contract model from ``identity.registry``)."""

    name = "identity"
    verbose_name = _("Identity and access")
