from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Reports")

    def ready(self):
        from contracts.tabs import register_contract_tab

        register_contract_tab(
            "acceptance", pgettext_lazy("acceptance packages", "Acceptance"), "reports:acceptance-list"
        )

    def load_seed_duties(self) -> int:
        """The seed contracts' duties this app keeps; called by ``load_seed_contracts`` (the
        command), which cannot import a higher app. Returns how many rows were created."""
        from reports.seeds import load_seed_requirements

        return load_seed_requirements()

    def accept_intake(self, contract, proposals) -> list[tuple[object, dict]]:
        """The report duties of a contract accepted from its text, as
        ``InspectionsConfig.accept_intake`` does for inspection schedules."""
        from reports.intake import accept_intake

        return accept_intake(contract, proposals)

    def backup_files(self, folder, *, include_key: bool) -> dict:
        """The signing trust store's part of a backup; called by ``om_portal.backup``, which cannot
        import a higher app."""
        from reports.trust import backup_files

        return backup_files(folder, include_key=include_key)

    def restore_files(self, folder, section: dict) -> list[str]:
        from reports.trust import restore_files

        return restore_files(folder, section)

    def calendar_changed(self, year: int) -> int:
        """An administrator changed ``year``'s working days: the submission dates counted in
        working days follow (``contracts.schedule.follow_calendar`` calls this)."""
        from reports.periods import refresh_due_dates_for_calendar

        return refresh_due_dates_for_calendar(year)
