"""Reports in the admin: requirements are configuration; reports, their signed versions and the
acceptance packages are records, changed only through the workflow (never here), so that a
signed-off document cannot be edited behind the parties' backs."""

from django.contrib import admin

from reports.models import AcceptancePackage, Report, ReportRequirement, ReportVersion


class RecordAdmin(admin.ModelAdmin):
    """Shown, never written or deleted here: the workflow's services keep these."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ReportRequirement)
class ReportRequirementAdmin(admin.ModelAdmin):
    list_display = ["contract", "kind", "due_offset", "due_unit", "breach_kind", "active"]
    list_filter = ["kind", "due_unit", "active"]
    search_fields = ["contract__code", "note"]
    list_select_related = ["contract"]
    autocomplete_fields = ["contract"]


class VersionInline(admin.TabularInline):
    model = ReportVersion
    fields = ["number", "submitted_by", "signed_off_by", "signed_off_at", "sealed_at", "sha256"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Report)
class ReportAdmin(RecordAdmin):
    list_display = [
        "contract",
        "kind",
        "period_start",
        "period_end",
        "due_on",
        "status",
        "version",
        "build_state",
    ]
    list_filter = ["kind", "status", "build_state"]
    search_fields = ["contract__code"]
    list_select_related = ["contract"]
    date_hierarchy = "period_start"
    exclude = ["data"]
    inlines = [VersionInline]


@admin.register(ReportVersion)
class ReportVersionAdmin(RecordAdmin):
    list_display = ["report", "number", "signed_off_by", "signed_off_at", "sealed_at"]
    search_fields = ["report__contract__code", "sha256"]
    list_select_related = ["report__contract", "signed_off_by"]
    exclude = ["data"]


@admin.register(AcceptancePackage)
class AcceptancePackageAdmin(RecordAdmin):
    list_display = ["contract", "scope", "period_start", "period_end", "status", "conclusion", "sealed_at"]
    list_filter = ["scope", "status", "conclusion"]
    search_fields = ["contract__code", "sha256"]
    list_select_related = ["contract"]
    exclude = ["data"]
