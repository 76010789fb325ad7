from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Reports")

    def load_seed_duties(self) -> int:
        """The seed contracts' duties this app keeps; called by ``load_seed_contracts`` (the
        command), which cannot import a higher app. Returns how many rows were created."""
        from reports.seeds import load_seed_requirements

        return load_seed_requirements()
