"""The asset ledger (台账) over the API: read within scope, write with an editing role."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers, viewsets
from rest_framework.exceptions import PermissionDenied

from contracts.filters import AssetFilterSet
from contracts.models import Asset, Contract
from contracts.scoping import MANAGE_ASSETS, can
from om_portal.api import AsciiIntegerField, router


class ScopedContractField(serializers.SlugRelatedField):
    """A contract by its code, among the contracts the caller may see: others do not exist."""

    def get_queryset(self):
        request = self.context.get("request")
        return Contract.objects.restrict(request.user if request else None)


class AssetSerializer(serializers.ModelSerializer):
    contract = ScopedContractField(slug_field="code", queryset=Contract.objects.none())
    port = AsciiIntegerField(min_value=1, max_value=65535, allow_null=True, required=False)

    class Meta:
        model = Asset
        # "url" is the asset's own address here, as in the ledger's files, not a link to itself.
        fields = [
            "id",
            "contract",
            "kind",
            "name",
            "system",
            "security_zone",
            "host",
            "port",
            "url",
            "os_version",
            "quantity",
            "attributes",
            "status",
            "warranty_ends_on",
            "updated_at",
        ]

    def validate_attributes(self, value):
        if not isinstance(value, dict):
            raise serializers.ValidationError(_('Must be a JSON object, e.g. {"cpu": 8}.'))
        return value


class AssetViewSet(viewsets.ModelViewSet):
    """Assets of the contracts the caller may see; changing them needs an editing role there."""

    serializer_class = AssetSerializer
    filterset_class = AssetFilterSet
    search_fields = ["name", "host"]
    ordering_fields = ["kind", "name", "status", "updated_at"]

    def get_queryset(self):
        return Asset.objects.restrict(self.request.user).select_related("contract")

    def _check_edit(self, contract):
        if not can(self.request.user, MANAGE_ASSETS, contract):
            raise PermissionDenied(_("You may not change the asset ledger of this contract."))

    def perform_create(self, serializer):
        self._check_edit(serializer.validated_data["contract"])
        serializer.save()

    def perform_update(self, serializer):
        # Both ledgers change when an asset moves to another contract.
        self._check_edit(serializer.instance.contract)
        self._check_edit(serializer.validated_data.get("contract", serializer.instance.contract))
        serializer.save()

    def perform_destroy(self, instance):
        self._check_edit(instance.contract)
        instance.delete()


router.register("assets", AssetViewSet, basename="asset")
