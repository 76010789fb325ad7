from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContractsConfig(AppConfig):
    name = "contracts"
    verbose_name = _("Contracts")

    def ready(self):
        from contracts import checks  # noqa: F401  (registers the calendar check)
        from contracts.models import Contract
        from identity import registry

        # The auditor's search (identity, below this app) reads lines by contract.
        registry.register_contract_model(Contract)
