"""What every contract-owned API resource shares: scoping, the contract by code, write rights.

Reads go through ``restrict(user)``, so another organisation's object is a 404. Writes need the
resource's ``manage_action`` on the object's contract: a user who may see but not change gets a
403, and a contract code the user cannot see in a request body is a 400 ("does not exist").
"""

from django.db import transaction
from rest_framework import permissions, serializers, viewsets
from rest_framework.exceptions import PermissionDenied

from contracts.filters import ContractFilterSetMixin  # noqa: F401  (the API's filtersets import it from here)
from contracts.models import Contract
from contracts.scoping import can


class ContractCodeField(serializers.SlugRelatedField):
    """A contract by its code, among the contracts the requesting user can see."""

    def __init__(self, **kwargs):
        super().__init__(slug_field="code", **kwargs)

    def get_queryset(self):
        return Contract.objects.restrict(self.context["request"].user)


def check_same_contract(attrs, instance, *names):
    """Refuses a body whose related objects ``names`` belong to another contract than the
    object's own (given, or kept from ``instance``): no object may point into another
    organisation's contract, whichever of the two the body changes."""

    def value(name):
        return attrs[name] if name in attrs else getattr(instance, name, None)

    contract = value("contract")
    for name in names:
        related = value(name)
        if related is not None and contract is not None and related.contract_id != contract.id:
            raise serializers.ValidationError({name: "It belongs to another contract."})


class ContractOwnedViewSet(viewsets.ModelViewSet):
    """A ModelViewSet over a model with a ``contract`` foreign key."""

    manage_action: str = ""
    permission_classes = [permissions.IsAuthenticated]

    def get_queryset(self):
        return self.queryset.model.objects.restrict(self.request.user).select_related("contract")

    def contract_of(self, obj) -> Contract:
        return obj.contract

    def check_manage(self, contract):
        if not can(self.request.user, self.manage_action, contract):
            raise PermissionDenied("Your role does not allow changing this contract's data.")

    def perform_create(self, serializer):
        self.check_manage(serializer.validated_data["contract"])
        with transaction.atomic():
            serializer.save()

    def perform_update(self, serializer):
        self.check_manage(self.contract_of(serializer.instance))
        new_contract = serializer.validated_data.get("contract")
        if new_contract is not None and new_contract != self.contract_of(serializer.instance):
            self.check_manage(new_contract)
        with transaction.atomic():
            serializer.save()

    def perform_destroy(self, instance):
        self.check_manage(self.contract_of(instance))
        instance.delete()
