"""Change requests in Django's admin: to look things up and correct a draft's wording.

Requests are created and decided only in the portal and the API, where ``incidents.changes``
applies the approval rules; here the decision columns are read-only, a submitted request is
read-only as a whole, and only drafts can be deleted: the admin cannot forge or erase an approval.
"""

from django.contrib import admin

from incidents.models import ChangeRequest

DECISIONS = [
    "status",
    "requested_by",
    "requested_at",
    "submitted_at",
    "first_approved_by",
    "first_approved_at",
    "first_comment",
    "second_approved_by",
    "second_approved_at",
    "second_comment",
    "rejected_step",
    "rejected_by",
    "rejected_at",
    "rejection_reason",
    "executed_by",
    "executed_at",
    "execution_note",
    "cancelled_by",
    "cancelled_at",
]


@admin.register(ChangeRequest)
class ChangeRequestAdmin(admin.ModelAdmin):
    list_display = ["__str__", "contract", "kind", "status", "requested_by", "requested_at", "executed_at"]
    list_filter = ["status", "kind", "contract"]
    search_fields = ["title", "description", "contract__code"]
    list_select_related = ["contract", "requested_by"]
    date_hierarchy = "requested_at"
    raw_id_fields = ["incident"]
    readonly_fields = ["contract", *DECISIONS]
    fieldsets = [
        (None, {"fields": ["contract", "incident", "kind", "title", "description", "reason"]}),
        (None, {"fields": ["impact", "rollback_plan"]}),
        (None, {"fields": DECISIONS}),
    ]

    def get_readonly_fields(self, request, obj=None):
        # Once submitted, the text is what the approvers approved: it no longer changes.
        if obj is not None and obj.status != ChangeRequest.Status.DRAFT:
            return [field.name for field in ChangeRequest._meta.concrete_fields if field.name != "id"]
        return super().get_readonly_fields(request, obj)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (
            obj is None or obj.status == ChangeRequest.Status.DRAFT
        )
