from django.contrib import admin

from identity.models import Membership, Organization
from om_portal.auth import tokens


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "short_name", "kind"]
    list_filter = ["kind"]
    search_fields = ["name", "short_name"]
    inlines = [MembershipInline]

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        # A change of roles ends the API tokens of those whose roles changed (issue 14).
        changed = [f.instance.user_id for f in formset.forms if f.has_changed() and f.instance.user_id]
        tokens.revoke(*changed, *(m.user_id for m in formset.deleted_objects))


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organization", "role"]
    list_filter = ["role", "organization"]
    search_fields = ["user__username", "organization__name"]
    autocomplete_fields = ["user", "organization"]

    # A change of roles ends the API tokens of the user (and of the former user of the row).
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        tokens.revoke(obj.user_id, form.initial.get("user"))

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        tokens.revoke(obj.user_id)

    def delete_queryset(self, request, queryset):
        users = list(queryset.values_list("user_id", flat=True))
        super().delete_queryset(request, queryset)
        tokens.revoke(*users)
