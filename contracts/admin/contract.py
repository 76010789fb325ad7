from django.contrib import admin

from contracts import services
from contracts.models import Contract, DutyShift, Milestone, ServiceItem, SLATerm, StaffAssignment, StaffPost


class ServiceItemInline(admin.TabularInline):
    model = ServiceItem
    extra = 0
    fields = ["position", "category", "name", "quantity", "unit", "unit_price", "amount"]


class SLATermInline(admin.TabularInline):
    model = SLATerm
    extra = 0
    fields = ["clock", "severity", "condition", "target", "unit", "coverage", "penalty_clause", "note"]


class MilestoneInline(admin.TabularInline):
    model = Milestone
    extra = 0
    fields = [
        "position",
        "name",
        "amount",
        "percent",
        "trigger",
        "trigger_date",
        "offset",
        "offset_unit",
        "due_on",
    ]
    readonly_fields = ["due_on"]


class StaffPostInline(admin.TabularInline):
    model = StaffPost
    extra = 0


@admin.register(Contract)
class ContractAdmin(admin.ModelAdmin):
    list_display = ["code", "title", "client", "vendor", "status", "starts_on", "ends_on", "total"]
    list_filter = ["status", "acceptance_method", "client", "vendor"]
    search_fields = ["code", "title"]
    autocomplete_fields = ["client", "vendor"]
    inlines = [ServiceItemInline, SLATermInline, MilestoneInline, StaffPostInline]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # A date of the contract or a milestone's trigger may have moved its due dates.
        services.refresh_due_dates(form.instance)


@admin.register(StaffAssignment)
class StaffAssignmentAdmin(admin.ModelAdmin):
    list_display = ["person", "role", "post", "starts_on", "ends_on", "replaces", "client_consent"]
    list_filter = ["role", "post__contract"]
    search_fields = ["person", "post__name", "post__contract__code"]
    raw_id_fields = ["replaces"]


@admin.register(DutyShift)
class DutyShiftAdmin(admin.ModelAdmin):
    list_display = ["date", "contract", "person", "starts_at", "ends_at", "on_site", "occasion"]
    list_filter = ["occasion", "on_site", "contract"]
    date_hierarchy = "date"
    search_fields = ["person", "contract__code"]


# The contract's parts also have lists of their own, for searching across contracts.
@admin.register(ServiceItem)
class ServiceItemAdmin(admin.ModelAdmin):
    list_display = ["contract", "category", "name", "quantity", "unit_price", "amount"]
    list_filter = ["contract"]
    search_fields = ["name", "category", "contract__code"]


@admin.register(SLATerm)
class SLATermAdmin(admin.ModelAdmin):
    list_display = ["contract", "clock", "severity", "condition", "target", "unit", "coverage"]
    list_filter = ["clock", "unit", "coverage", "contract"]


@admin.register(Milestone)
class MilestoneAdmin(admin.ModelAdmin):
    list_display = [
        "contract",
        "name",
        "amount",
        "percent",
        "trigger",
        "due_on",
        "status",
        "paid_on",
        "deduction",
    ]
    list_filter = ["status", "trigger", "contract"]
    readonly_fields = ["due_on"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        services.refresh_due_dates(obj.contract)


@admin.register(StaffPost)
class StaffPostAdmin(admin.ModelAdmin):
    list_display = ["contract", "name", "shift", "headcount", "place"]
    list_filter = ["shift", "contract"]
