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

    def accept_intake(self, contract, proposals) -> list[tuple[object, dict]]:
        """Creates this app's part of a contract accepted from its text (contract intake): the
        proposals are the accepted ones as dicts ("group", "field", "value", "start", "end",
        "confidence", "rule"); the fields this app owns are made, inside the caller's
        transaction, and returned as (object, proposal) pairs. Called by the intake flow in
        ``contracts``, which cannot import a higher app."""
        from inspections.intake import accept_intake

        return accept_intake(contract, proposals)
