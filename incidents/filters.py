"""The filters of the incidents app's lists: one FilterSet per model, read by the portal's list and
by the API alike (``om_portal.filtering``), so that a query string means the same in both."""

import datetime as dt

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from contracts.filters import ContractFilterSetMixin
from incidents import changes, knowledge
from incidents.models import (
    ChangeRequest,
    Complaint,
    Consultation,
    EmergencyPlan,
    EscalationPolicy,
    Incident,
    KnowledgeArticle,
    ServiceRecord,
    WorkLogEntry,
)
from om_portal.filtering import YesNoSelect

# Ten years at most: an address-bar ?due_within=99999999999 overflowed the date (a 500).
MAX_DUE_WITHIN_HOURS = 24 * 3660
OPEN = "open"


class IncidentFilterSet(ContractFilterSetMixin):
    # ``?status=open`` (the portal's choice "Open") is ``?open=true``; any other value one status.
    status = django_filters.ChoiceFilter(
        choices=[(OPEN, _("Open")), *Incident.Status.choices], method="filter_status", label=_("Status")
    )
    breached = django_filters.BooleanFilter(method="filter_breached", label=_("Breached"))
    open = django_filters.BooleanFilter(method="filter_open", label=_("Open"))
    next_deadline_before = django_filters.IsoDateTimeFilter(field_name="next_deadline", lookup_expr="lte")
    due_within = django_filters.NumberFilter(
        method="filter_due_within", min_value=0, decimal_places=0, label=_("Due within (hours)")
    )
    reported_at = django_filters.IsoDateTimeFromToRangeFilter()
    q = django_filters.CharFilter(method="search", label=_("Search"))

    class Meta:
        model = Incident
        fields = ["contract", "severity", "status", "kind", "source", "breached", "open"]

    def filter_status(self, queryset, name, value):
        return queryset.open() if value == OPEN else queryset.filter(status=value)

    def filter_breached(self, queryset, name, value):
        return queryset.breached() if value else queryset.unbreached()

    def filter_open(self, queryset, name, value):
        return queryset.open() if value else queryset.finished()

    def filter_due_within(self, queryset, name, value):
        horizon = timezone.now() + dt.timedelta(hours=int(min(value, MAX_DUE_WITHIN_HOURS)))
        return queryset.filter(next_deadline__lte=horizon)

    def search(self, queryset, name, value):
        return queryset.filter(Q(title__icontains=value) | Q(description__icontains=value))


class ChangeRequestFilterSet(ContractFilterSetMixin):
    status = django_filters.ChoiceFilter(choices=ChangeRequest.Status.choices, label=_("Status"))
    kind = django_filters.ChoiceFilter(
        choices=ChangeRequest.Kind.choices, label=pgettext_lazy("change request", "Kind")
    )
    awaiting_me = django_filters.BooleanFilter(
        method="filter_awaiting_me", label=_("Waiting for my decision")
    )
    # The portal's checkbox, under the name its bookmarks carry.
    awaiting = django_filters.BooleanFilter(
        method="filter_awaiting_me", widget=forms.CheckboxInput, label=_("Waiting for my decision")
    )

    class Meta:
        model = ChangeRequest
        fields = ["contract", "status", "kind", "incident"]

    def filter_awaiting_me(self, queryset, name, value):
        return changes.awaiting_decision(queryset, self.request.user) if value else queryset


class WorkLogFilterSet(ContractFilterSetMixin):
    date = django_filters.DateFromToRangeFilter()

    class Meta:
        model = WorkLogEntry
        fields = ["contract", "category", "date"]


class ServiceRecordFilterSet(ContractFilterSetMixin):
    confirmed = django_filters.BooleanFilter(
        field_name="confirmed_at",
        lookup_expr="isnull",
        exclude=True,
        widget=YesNoSelect,
        label=_("Confirmed"),
    )

    class Meta:
        model = ServiceRecord
        fields = ["contract", "incident", "confirmed"]


# --- Knowledge ------------------------------------------------------------------------------------


class KnowledgeArticleFilterSet(ContractFilterSetMixin):
    q = django_filters.CharFilter(method="search", label=_("Search"))

    class Meta:
        model = KnowledgeArticle
        fields = ["contract", "status", "asset_kind", "system", "source_incident"]

    def search(self, queryset, name, value):
        # Every word, full text on PostgreSQL and by substring (Chinese has no spaces).
        return knowledge.search_articles(queryset, value)


class EmergencyPlanFilterSet(ContractFilterSetMixin):
    q = django_filters.CharFilter(field_name="title", lookup_expr="icontains", label=_("Search"))

    class Meta:
        model = EmergencyPlan
        fields = ["contract", "category"]


class ConsultationFilterSet(ContractFilterSetMixin):
    answered = django_filters.BooleanFilter(widget=YesNoSelect, label=_("Answered"))
    q = django_filters.CharFilter(field_name="question", lookup_expr="icontains", label=_("Search"))

    class Meta:
        model = Consultation
        fields = {
            "contract": ["exact"],
            "channel": ["exact"],
            "engineer": ["exact"],
            "answered": ["exact"],
            "asked_at": ["gte", "lt"],
        }


class ComplaintFilterSet(ContractFilterSetMixin):
    class Meta:
        model = Complaint
        fields = ["contract", "status", "filed_by_side", "against_side"]


class EscalationPolicyFilterSet(ContractFilterSetMixin):
    class Meta:
        model = EscalationPolicy
        fields = ["contract", "severity", "active"]
