from django import forms
from django.contrib import admin
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from inspections.models import (
    AllowedNetwork,
    AutomatedCheck,
    ChecklistItem,
    ChecklistTemplate,
    CheckResult,
    HeightenedPeriod,
    InspectionPhoto,
    InspectionRun,
    InspectionSchedule,
    InspectionSlot,
    ItemResult,
)

MAX_RESULTS_SHOWN = 200


class ReadOnlyAdmin(admin.ModelAdmin):
    """A record of what happened: shown, never written here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# --- Schedules and periods ----------------------------------------------------------------------


@admin.register(AllowedNetwork)
class AllowedNetworkAdmin(admin.ModelAdmin):
    list_display = ["network", "contract", "note", "created_at"]
    list_filter = ["contract"]
    search_fields = ["network", "note", "contract__code"]
    autocomplete_fields = ["contract"]


@admin.register(InspectionSchedule)
class InspectionScheduleAdmin(admin.ModelAdmin):
    list_display = ["name", "contract", "kind", "times_of_day", "mode", "checklist_kind", "active"]
    list_filter = ["kind", "mode", "active", "contract"]
    search_fields = ["name", "what", "checklist_kind", "contract__code"]
    list_select_related = ["contract"]
    autocomplete_fields = ["contract"]
    readonly_fields = ["created_at", "updated_at"]


@admin.register(HeightenedPeriod)
class HeightenedPeriodAdmin(admin.ModelAdmin):
    list_display = ["name", "starts_on", "ends_on", "times_of_day", "grace"]
    list_filter = ["contracts"]
    search_fields = ["name", "note", "contracts__code"]
    date_hierarchy = "starts_on"
    autocomplete_fields = ["contracts"]
    readonly_fields = ["created_at"]


@admin.register(InspectionSlot)
class InspectionSlotAdmin(ReadOnlyAdmin):
    """Slots are made by the schedules and closed by submissions and the missed-slot check."""

    list_display = ["due_at", "contract", "origin", "deadline", "status", "done_at"]
    list_filter = ["status", "contract", "heightened_period"]
    search_fields = ["contract__code", "schedule__name", "heightened_period__name"]
    date_hierarchy = "due_at"
    list_select_related = ["contract", "schedule", "heightened_period"]
    raw_id_fields = ["schedule", "heightened_period"]
    list_per_page = 100

    @admin.display(description=_("what is inspected"))
    def origin(self, slot):
        return slot.origin_name


# --- Checklists ---------------------------------------------------------------------------------


class ChecklistItemInline(admin.TabularInline):
    model = ChecklistItem
    extra = 0
    fields = ["position", "section", "label", "kind", "unit", "min_value", "max_value", "required", "asset"]
    raw_id_fields = ["asset"]


@admin.register(ChecklistTemplate)
class ChecklistTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "key", "contract", "active", "updated_at"]
    list_filter = ["active", "contract"]
    search_fields = ["name", "key", "description", "contract__code"]
    list_select_related = ["contract"]
    autocomplete_fields = ["contract"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [ChecklistItemInline]


@admin.register(ChecklistItem)
class ChecklistItemAdmin(admin.ModelAdmin):
    list_display = ["label", "template", "section", "kind", "min_value", "max_value", "unit", "required"]
    list_filter = ["kind", "required", "template__contract"]
    search_fields = ["label", "section", "template__name", "template__contract__code"]
    list_select_related = ["template__contract"]
    raw_id_fields = ["template", "asset"]


# --- Automated checks ---------------------------------------------------------------------------


class AutomatedCheckForm(forms.ModelForm):
    # The stored password is never sent to the browser: blank keeps it, a new one replaces it.
    password = forms.CharField(
        label=_("password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Leave blank to keep the stored password."),
    )
    clear_password = forms.BooleanField(label=_("Remove the stored password"), required=False)

    class Meta:
        model = AutomatedCheck
        fields = [
            "contract",
            "asset",
            "name",
            "kind",
            "severity",
            "active",
            "target",
            "port",
            "options",
            "timeout",
            "confirm_failures",
            "confirm_recoveries",
            "password",
            "admin_allowed",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._stored_password = self.instance.password if self.instance.pk else ""

    def clean_password(self):
        new = self.cleaned_data.get("password")
        if self.data.get(self.add_prefix("clear_password")):
            return ""
        return new or self._stored_password


@admin.register(AutomatedCheck)
class AutomatedCheckAdmin(admin.ModelAdmin):
    form = AutomatedCheckForm
    list_display = ["name", "contract", "asset", "kind", "target", "active", "last_status", "last_checked_at"]
    list_filter = ["kind", "active", "last_status", "severity", "contract"]
    search_fields = ["name", "target", "asset__name", "asset__host", "contract__code"]
    list_select_related = ["contract", "asset"]
    autocomplete_fields = ["contract", "asset"]
    # Written by the monitoring pipeline only.
    readonly_fields = [
        "last_status",
        "last_checked_at",
        "failing_since",
        "incident",
        "approval",
        "approved_by",
        "approved_at",
        "paused_reason",
        "created_at",
        "updated_at",
    ]
    fieldsets = [
        (None, {"fields": ["contract", "asset", "name", "kind", "severity", "active"]}),
        (
            pgettext_lazy("automated check", "Target"),
            {
                "fields": [
                    "target",
                    "port",
                    "options",
                    "timeout",
                    "password",
                    "clear_password",
                    "admin_allowed",
                ]
            },
        ),
        (_("approval"), {"fields": ["approval", "approved_by", "approved_at", "paused_reason"]}),
        (_("Monitoring"), {"fields": ["last_status", "last_checked_at", "failing_since", "incident"]}),
        (None, {"fields": ["created_at", "updated_at"]}),
    ]


@admin.register(CheckResult)
class CheckResultAdmin(ReadOnlyAdmin):
    list_display = ["started_at", "automated_check", "contract", "status", "text", "duration_ms"]
    list_filter = ["status", "contract"]
    search_fields = ["automated_check__name", "message", "contract__code"]
    date_hierarchy = "started_at"
    list_select_related = ["automated_check__contract", "contract"]
    raw_id_fields = ["run", "automated_check"]
    list_per_page = 100
    show_full_result_count = False  # a COUNT over millions of results on every page otherwise

    @admin.display(description=_("message"))
    def text(self, result):
        return result.text


# --- Runs, answers, photos ----------------------------------------------------------------------


class AnswerInline(ReadOnlyInline):
    model = ItemResult
    fields = ["item", "passed", "number", "text", "note", "abnormal", "incident"]
    readonly_fields = fields


class PhotoInline(ReadOnlyInline):
    model = InspectionPhoto
    fields = ["file", "answer", "original_name", "content_type", "size", "width", "height", "created_at"]
    readonly_fields = fields


class FirstResultsFormSet(BaseInlineFormSet):
    # A sweep holds thousands of results: the page shows the first ones that did not pass.
    def get_queryset(self):
        return super().get_queryset()[:MAX_RESULTS_SHOWN]


class ResultInline(ReadOnlyInline):
    model = CheckResult
    formset = FirstResultsFormSet
    fields = ["automated_check", "status", "text", "values", "duration_ms"]
    readonly_fields = fields
    verbose_name_plural = _("checks not passed")

    def get_queryset(self, request):
        return super().get_queryset(request).exclude(status="ok").select_related("automated_check__contract")

    @admin.display(description=_("message"))
    def text(self, result):
        return result.text


@admin.register(InspectionRun)
class InspectionRunAdmin(ReadOnlyAdmin):
    list_display = ["started_at", "contract", "mode", "performed_by", "finished_at", "abnormal_count"]
    list_filter = ["mode", "contract"]
    search_fields = ["contract__code", "note", "performed_by__username"]
    date_hierarchy = "started_at"
    # A run is named by its slot (the row's checkbox label): its contract, schedule or period.
    list_select_related = [
        "contract",
        "performed_by",
        "slot__contract",
        "slot__schedule",
        "slot__heightened_period",
    ]
    raw_id_fields = ["slot", "template", "performed_by"]
    inlines = [AnswerInline, PhotoInline, ResultInline]

    @admin.display(description=_("abnormal items / checks not passed"))
    def abnormal_count(self, run):
        return run.abnormal_count


@admin.register(ItemResult)
class ItemResultAdmin(ReadOnlyAdmin):
    list_display = ["item", "run", "passed", "number", "abnormal", "incident"]
    list_filter = ["abnormal", "run__contract"]
    search_fields = ["item__label", "note", "text", "run__contract__code"]
    list_select_related = [
        "item",
        "incident__contract",
        "run__slot__contract",
        "run__slot__schedule",
        "run__slot__heightened_period",
    ]
    raw_id_fields = ["run", "item", "incident"]


@admin.register(InspectionPhoto)
class InspectionPhotoAdmin(ReadOnlyAdmin):
    list_display = ["original_name", "run", "content_type", "size", "width", "height", "created_at"]
    list_filter = ["content_type", "run__contract"]
    search_fields = ["original_name", "run__contract__code"]
    list_select_related = ["run__slot__contract", "run__slot__schedule", "run__slot__heightened_period"]
    raw_id_fields = ["run", "answer", "uploaded_by"]
