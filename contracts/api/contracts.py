from rest_framework import serializers, viewsets

from contracts.filters import ContractFilterSet
from contracts.models import Contract, Organization
from om_portal.api import router


class OrganizationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organization
        fields = ["name", "short_name", "kind"]


class ContractSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:contract-detail", lookup_field="code")
    client = OrganizationSerializer(read_only=True)
    vendor = OrganizationSerializer(read_only=True)

    class Meta:
        model = Contract
        fields = ["url", "code", "title", "client", "vendor", "status", "starts_on", "ends_on", "updated_at"]


class ContractViewSet(viewsets.ReadOnlyModelViewSet):
    """Contracts the caller may see; a contract is addressed by its code."""

    serializer_class = ContractSerializer
    lookup_field = "code"
    filterset_class = ContractFilterSet
    search_fields = ["code", "title"]
    ordering_fields = ["code", "starts_on", "ends_on"]

    def get_queryset(self):
        return Contract.objects.restrict(self.request.user).select_related("client", "vendor")


router.register("contracts", ContractViewSet, basename="contract")
