from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InspectionsConfig(AppConfig):
    name = "inspections"
    verbose_name = _("Inspections")

    def ready(self):
        from contracts.tabs import register_contract_tab

        register_contract_tab("inspections", _("Inspections"), "inspections:contract")

    def load_seed_duties(self) -> int:
        """The seed contracts' duties this app keeps; called by ``load_seed_contracts`` (the
        command), which cannot import a higher app. Returns how many rows were created."""
        from inspections.seeds import load_seed_inspections

        return load_seed_inspections()
