from django.contrib import admin, messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from om_portal import notifications
from om_portal.models import Delivery, NotificationChannel


class PortalPageMixin:
    """The administrator does this model's work on the portal's own pages (/administration/),
    which check the role, validate and write the audit trail; the Django admin sends a staff user
    without the model's permissions there, rather than to a "no permission" page."""

    portal_url_name = ""

    def _portal(self, request, allowed):
        if allowed or not request.user.is_staff or not self.portal_url_name:
            return None
        return redirect(reverse(self.portal_url_name))

    def changelist_view(self, request, extra_context=None):
        moved = self._portal(request, self.has_view_or_change_permission(request))
        return moved or super().changelist_view(request, extra_context)

    def add_view(self, request, form_url="", extra_context=None):
        moved = self._portal(request, self.has_add_permission(request))
        return moved or super().add_view(request, form_url, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        moved = self._portal(request, self.has_view_or_change_permission(request))
        return moved or super().change_view(request, object_id, form_url, extra_context)


@admin.register(NotificationChannel)
class NotificationChannelAdmin(PortalPageMixin, admin.ModelAdmin):
    portal_url_name = "administration:channels"
    # The target is left out of the list: a robot's webhook URL carries its access token.
    list_display = ["name", "kind", "scope", "active", "created_at"]
    list_filter = ["kind", "active"]
    search_fields = ["name", "scope"]


@admin.register(Delivery)
class DeliveryAdmin(PortalPageMixin, admin.ModelAdmin):
    portal_url_name = "administration:channels"  # each channel's page lists its deliveries
    list_display = ["created_at", "subject", "recipient", "channel", "status", "attempts", "sent_at", "error"]
    list_filter = ["status", "channel"]
    search_fields = ["subject", "recipient", "dedupe_key"]
    date_hierarchy = "created_at"
    list_select_related = ["channel"]
    actions = ["retry"]
    # A delivery is a record of what was sent: read it, retry it, never rewrite it.
    readonly_fields = [
        "channel",
        "recipient",
        "subject",
        "body",
        "payload",
        "status",
        "attempts",
        "last_error",
        "created_at",
        "sent_at",
        "next_attempt_at",
        "claimed_until",
        "dedupe_key",
    ]

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("last error"))
    def error(self, delivery):
        return delivery.last_error[:120]

    @admin.action(description=_("Retry the selected failed deliveries"), permissions=["change"])
    def retry(self, request, queryset):
        count = notifications.retry_failed(queryset)
        self.message_user(
            request,
            ngettext(
                "%(count)d failed delivery queued again.", "%(count)d failed deliveries queued again.", count
            )
            % {"count": count},
            messages.SUCCESS if count else messages.WARNING,
        )
