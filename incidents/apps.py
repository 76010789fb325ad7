from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = _("Incidents")

    def ready(self):
        from contracts.tabs import register_contract_tab

        register_contract_tab("escalation", _("Escalation"), "incidents:escalation")

    def load_seed_duties(self) -> int:
        """The seed contracts' escalation policies, from their response terms; called by
        ``load_seed_contracts`` (the command), which cannot import a higher app. Returns how many
        rows were created."""
        from incidents.seeds import load_seed_escalations

        return load_seed_escalations()

    def calendar_changed(self, year: int) -> int:
        """An administrator changed ``year``'s working days: the open incidents' stored deadlines
        follow (``contracts.schedule.follow_calendar`` calls this)."""
        from incidents.services import refresh_for_calendar

        return refresh_for_calendar(year)
