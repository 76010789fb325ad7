from django.contrib import admin

from incidents import admin_changes, admin_knowledge  # noqa: F401  (their ModelAdmins register there)
from incidents.models import Incident, IncidentEvent, ServiceRecord, WorkLogEntry
from incidents.models.incident import CLOCK_FIELDS


class EventInline(admin.TabularInline):
    """The timeline is evidence: shown, never edited here."""

    model = IncidentEvent
    extra = 0
    can_delete = False
    fields = ["at", "kind", "actor", "from_value", "to_value", "note"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    list_display = ["id", "contract", "title", "severity", "status", "reported_at", "next_deadline"]
    list_filter = ["status", "severity", "kind", "source", "contract"]
    search_fields = ["title", "description", "contract__code"]
    date_hierarchy = "reported_at"
    inlines = [EventInline]
    # The workflow and the clocks change only through incidents.services (the timeline).
    readonly_fields = [
        "status",
        "reported_at",
        "resolved_at",
        "closed_at",
        *CLOCK_FIELDS,
        "response_warned_at",
        "arrival_warned_at",
        "resolution_warned_at",
    ]
    raw_id_fields = ["asset"]
    filter_horizontal = ["handlers"]

    def has_add_permission(self, request):
        return False  # reported through the portal or the API, which start the clocks


@admin.register(WorkLogEntry)
class WorkLogAdmin(admin.ModelAdmin):
    list_display = ["date", "contract", "category", "initiator", "handler"]
    list_filter = ["category", "contract"]
    search_fields = ["handling", "initiator", "handler"]
    date_hierarchy = "date"


@admin.register(ServiceRecord)
class ServiceRecordAdmin(admin.ModelAdmin):
    list_display = ["id", "contract", "started_at", "engineer", "confirmed_at"]
    list_filter = ["contract"]
    search_fields = ["task", "work_done", "requester"]
    readonly_fields = ["confirmed_by", "confirmed_at"]
