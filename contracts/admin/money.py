from django.contrib import admin

from contracts import services
from contracts.models import BuildTimeline, LoanPrimeRate
from om_portal.admin import PortalPageMixin


@admin.register(LoanPrimeRate)
class LoanPrimeRateAdmin(PortalPageMixin, admin.ModelAdmin):
    portal_url_name = "administration:rates"
    list_display = ["effective_on", "one_year_percent", "source"]
    date_hierarchy = "effective_on"


@admin.register(BuildTimeline)
class BuildTimelineAdmin(admin.ModelAdmin):
    list_display = ["contract", "build_done_on", "initial_acceptance_on", "final_acceptance_on"]
    list_select_related = ["contract"]
    autocomplete_fields = ["contract"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        services.refresh_due_dates(obj.contract)
