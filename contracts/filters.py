"""The filters of contracts, and of what hangs off a contract: one FilterSet per model, read by the
portal's list and by the API alike (``om_portal.filtering``)."""

import datetime as dt

import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contracts.models import Asset, Breach, Contract
from om_portal.filtering import YesNoSelect

ENDING_SOON_DAYS = 60


class ContractFilterSetMixin(django_filters.FilterSet):
    """A contract-owned model's filters start with its contract, by code: a code the user cannot
    see selects nothing, as a missing one does."""

    contract = django_filters.CharFilter(field_name="contract__code", label=_("Contract"))


class ContractFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    client = django_filters.CharFilter(field_name="client__name", lookup_expr="icontains", label=_("Client"))
    vendor = django_filters.CharFilter(field_name="vendor__name", lookup_expr="icontains", label=_("Vendor"))
    ending_soon = django_filters.BooleanFilter(method="filter_ending_soon", label=_("Ending within 60 days"))

    class Meta:
        model = Contract
        fields = ["code", "status", "client", "vendor"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(code__icontains=value) | Q(title__icontains=value))

    def filter_ending_soon(self, queryset, name, value):
        if not value:
            return queryset
        today = timezone.localdate()
        return queryset.filter(
            status=Contract.Status.ACTIVE,
            ends_on__gte=today,
            ends_on__lte=today + dt.timedelta(days=ENDING_SOON_DAYS),
        )


class AssetFilterSet(ContractFilterSetMixin):
    q = django_filters.CharFilter(method="search", label=_("Search"))

    class Meta:
        model = Asset
        fields = ["contract", "kind", "status", "system"]

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(name__icontains=value)
            | Q(host__icontains=value)
            | Q(system__icontains=value)
            | Q(url__icontains=value)
        )


class BreachFilterSet(ContractFilterSetMixin):
    """The breach ledger's filters: the API's, and the contract's penalties tab's."""

    # ?occurred_at_after=2026-06-01&occurred_at_before=2026-07-01
    occurred_at = django_filters.DateTimeFromToRangeFilter()
    withdrawn = django_filters.BooleanFilter(
        field_name="withdrawn_at",
        lookup_expr="isnull",
        exclude=True,
        widget=YesNoSelect,
        label=_("Withdrawn"),
    )
    waived = django_filters.BooleanFilter(widget=YesNoSelect, label=_("Waived"))

    class Meta:
        model = Breach
        fields = ["contract", "kind", "source", "waived", "occurred_at"]
