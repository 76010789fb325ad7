import copy

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contracts.models import Breach, PenaltyClause
from contracts.penalties import adopt_unpriced_breaches, check_breach_figures, check_clause


def _draft(instance, cleaned):
    """The row as the form would save it: ModelForm copies values onto it only after clean()."""
    draft = copy.copy(instance)
    for name, value in cleaned.items():
        setattr(draft, name, value)
    return draft


class PenaltyClauseForm(forms.ModelForm):
    class Meta:
        model = PenaltyClause
        fields = [
            "contract",
            "kind",
            "title",
            "text",
            "party",
            "shape",
            "base",
            "rate_percent",
            "cap_percent",
            "escalation_at",
            "escalation_percent",
            "escalation_mode",
            "threshold_count",
            "termination_after_days",
            "termination_at_count",
            "rate_source",
        ]

    def clean(self):
        cleaned = super().clean()
        check_clause(_draft(self.instance, cleaned))
        return cleaned


@admin.register(PenaltyClause)
class PenaltyClauseAdmin(admin.ModelAdmin):
    form = PenaltyClauseForm
    list_display = ["contract", "kind", "title", "party", "shape", "base", "rate_percent", "cap_percent"]
    list_filter = ["party", "shape", "base", "contract"]
    search_fields = ["kind", "title", "contract__code"]
    list_select_related = ["contract"]
    autocomplete_fields = ["contract"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:
            adopt_unpriced_breaches(obj)


class BreachForm(forms.ModelForm):
    class Meta:
        model = Breach
        fields = [
            "contract",
            "kind",
            "clause",
            "occurred_at",
            "days_late",
            "overdue_amount",
            "note",
            "source",
            "source_ref",
            "waived",
            "waived_reason",
        ]

    def clean(self):
        cleaned = super().clean()
        breach = _draft(self.instance, cleaned)
        if breach.contract_id and not breach.clause_id:
            # As record_breach does: the clause of this kind on the contract, if there is one.
            breach.clause = cleaned["clause"] = PenaltyClause.objects.filter(
                contract_id=breach.contract_id, kind=breach.kind
            ).first()
        if breach.clause and breach.clause.contract_id != breach.contract_id:
            raise ValidationError({"clause": _("The clause belongs to another contract.")})
        check_breach_figures(breach.clause, days_late=breach.days_late, overdue_amount=breach.overdue_amount)
        if breach.waived and not (breach.waived_reason or "").strip():
            raise ValidationError({"waived_reason": _("Give the reason for waiving the breach.")})
        return cleaned


@admin.register(Breach)
class BreachAdmin(admin.ModelAdmin):
    form = BreachForm
    list_display = [
        "contract",
        "kind",
        "clause",
        "occurred_at",
        "days_late",
        "overdue_amount",
        "source",
        "source_ref",
        "waived",
    ]
    list_filter = ["waived", "source", "contract", "kind"]
    search_fields = ["kind", "source_ref", "note", "contract__code", "waived_reason"]
    date_hierarchy = "occurred_at"
    list_select_related = ["contract", "clause__contract"]
    autocomplete_fields = ["contract", "clause"]
    readonly_fields = ["waived_by", "waived_at", "recorded_by", "created_at"]
    fieldsets = [
        (
            None,
            {"fields": ["contract", "kind", "clause", "occurred_at", "days_late", "overdue_amount", "note"]},
        ),
        (_("Source"), {"fields": ["source", "source_ref", "recorded_by", "created_at"]}),
        (_("Waiver"), {"fields": ["waived", "waived_reason", "waived_by", "waived_at"]}),
    ]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.recorded_by = request.user
        if obj.waived and not obj.waived_at:
            obj.waived_by, obj.waived_at = request.user, timezone.now()
        elif not obj.waived:
            obj.waived_by = obj.waived_at = None
        super().save_model(request, obj, form, change)
