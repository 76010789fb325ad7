"""Where an administrator enters each year's official schedule once the State Council publishes it."""

from django.contrib import admin, messages

from contracts.checks import contracts_beyond_calendar, describe, last_known_year
from contracts.models import CalendarDay, CalendarYear
from om_portal.admin import PortalPageMixin


class WarnBeyondCalendarMixin:
    """The changelists are where the missing years get entered, so say which years are missing."""

    def changelist_view(self, request, extra_context=None):
        if request.method == "GET":
            last_year = last_known_year()
            for contract in contracts_beyond_calendar():
                self.message_user(request, describe(contract, last_year), level=messages.WARNING)
        return super().changelist_view(request, extra_context)


@admin.register(CalendarDay)
class CalendarDayAdmin(PortalPageMixin, WarnBeyondCalendarMixin, admin.ModelAdmin):
    portal_url_name = "administration:index"
    list_display = ["date", "is_working_day", "name"]
    list_filter = ["is_working_day"]
    date_hierarchy = "date"
    search_fields = ["name"]


@admin.register(CalendarYear)
class CalendarYearAdmin(PortalPageMixin, WarnBeyondCalendarMixin, admin.ModelAdmin):
    portal_url_name = "administration:index"
    list_display = ["year", "source"]
