"""The networks the bureau lets a contract's checks reach (``AllowedNetwork``), over the API.

Written by the client side or an administrator (MANAGE_CONTRACT): the vendor writes the checks,
so it must not also widen where they may point. Everyone on the contract reads them.
"""

import ipaddress

from rest_framework import serializers

from contracts.api.base import ContractCodeField, ContractFilterSetMixin, ContractOwnedViewSet
from contracts.scoping import MANAGE_CONTRACT
from inspections.api.base import FixedContractMixin
from inspections.models import AllowedNetwork
from om_portal.api import ModelRulesMixin, router


class AllowedNetworkSerializer(FixedContractMixin, ModelRulesMixin, serializers.ModelSerializer):
    contract = ContractCodeField()

    class Meta:
        model = AllowedNetwork
        fields = ["id", "contract", "network", "note", "created_at"]

    def validate_network(self, value):
        # Written as the model stores it before the uniqueness check: 10.2.0.1/16 is 10.2.0.0/16.
        try:
            return str(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError:
            return value  # the model's clean() says what is wrong


class AllowedNetworkViewSet(ContractOwnedViewSet):
    """CIDR ranges (``10.1.2.0/24``) a contract's checks may target besides its assets' hosts."""

    queryset = AllowedNetwork.objects.all()
    serializer_class = AllowedNetworkSerializer
    manage_action = MANAGE_CONTRACT
    search_fields = ["network", "note"]
    ordering_fields = ["network", "created_at"]

    class filterset_class(ContractFilterSetMixin):
        class Meta:
            model = AllowedNetwork
            fields = ["contract"]


router.register("allowed-networks", AllowedNetworkViewSet, basename="allowed-network")
