from django.contrib import admin

from contracts.models import Asset


@admin.register(Asset)
class AssetAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "contract", "system", "host", "port", "os_version", "quantity", "status"]
    list_filter = ["kind", "status", "contract"]
    search_fields = ["name", "host", "system", "url", "contract__code"]
    list_select_related = ["contract"]
    autocomplete_fields = ["contract"]
    readonly_fields = ["updated_at"]
    list_per_page = 100
