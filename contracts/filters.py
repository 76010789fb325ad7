import django_filters

from contracts.models import Contract


class ContractFilterSet(django_filters.FilterSet):
    client = django_filters.CharFilter(field_name="client__name", lookup_expr="icontains")
    vendor = django_filters.CharFilter(field_name="vendor__name", lookup_expr="icontains")

    class Meta:
        model = Contract
        fields = ["code", "status", "client", "vendor"]
