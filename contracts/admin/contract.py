from django.contrib import admin

from contracts.models import Contract


@admin.register(Contract)
class ContractAdmin(admin.ModelAdmin):
    list_display = ["code", "title", "client", "vendor", "status", "starts_on", "ends_on", "total"]
    list_filter = ["status", "acceptance_method", "client", "vendor"]
    search_fields = ["code", "title"]
    autocomplete_fields = ["client", "vendor"]
