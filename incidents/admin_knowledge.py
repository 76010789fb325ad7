"""Admin of the knowledge base, emergency plans and drills, consultations and complaints."""

from django.contrib import admin

from incidents.models import Complaint, Consultation, Drill, EmergencyPlan, KnowledgeArticle


@admin.register(KnowledgeArticle)
class KnowledgeArticleAdmin(admin.ModelAdmin):
    list_display = ["title", "contract", "system", "asset_kind", "status", "author", "updated_at"]
    list_filter = ["status", "asset_kind", "contract"]
    search_fields = ["title", "background", "symptoms", "solution", "system", "contract__code"]
    list_select_related = ["contract", "author"]
    raw_id_fields = ["source_incident", "author"]
    readonly_fields = ["created_at", "updated_at"]


class DrillInline(admin.TabularInline):
    model = Drill
    extra = 0
    fields = ["date", "scenario", "participants", "findings", "follow_ups"]


@admin.register(EmergencyPlan)
class EmergencyPlanAdmin(admin.ModelAdmin):
    list_display = ["title", "category", "contract", "version", "updated_at"]
    list_filter = ["category", "contract"]
    search_fields = ["title", "trigger_conditions", "steps", "contract__code"]
    list_select_related = ["contract"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [DrillInline]


@admin.register(Drill)
class DrillAdmin(admin.ModelAdmin):
    list_display = ["date", "plan", "scenario"]
    list_filter = ["plan__contract"]
    search_fields = ["scenario", "findings", "plan__title"]
    list_select_related = ["plan"]
    raw_id_fields = ["recorded_by"]
    date_hierarchy = "date"


@admin.register(Consultation)
class ConsultationAdmin(admin.ModelAdmin):
    list_display = ["asked_at", "contract", "channel", "asker_name", "engineer", "answered", "replied_at"]
    list_filter = ["channel", "answered", "contract"]
    search_fields = ["question", "answer", "asker_name", "asker_unit", "contract__code"]
    list_select_related = ["contract", "engineer"]
    raw_id_fields = ["engineer", "recorded_by"]
    readonly_fields = ["created_at", "updated_at"]
    date_hierarchy = "asked_at"


@admin.register(Complaint)
class ComplaintAdmin(admin.ModelAdmin):
    list_display = [
        "subject",
        "contract",
        "filed_by_side",
        "against_side",
        "status",
        "filed_at",
        "decided_at",
    ]
    list_filter = ["status", "filed_by_side", "contract"]
    search_fields = ["subject", "description", "contract__code"]
    list_select_related = ["contract"]
    raw_id_fields = ["filed_by", "decided_by"]
    readonly_fields = ["filed_at"]
