"""What the inspections resources share: a contract fixed at creation, and a refusal to delete
what past inspections still point at. (The models' own rules as 400s: om_portal.api's
ModelRulesMixin.)"""

from django.db import transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from contracts.api.base import ContractOwnedViewSet
from contracts.scoping import MANAGE_INSPECTIONS
from om_portal.api import Conflict


class FixedContractMixin:
    """The contract is chosen at creation: slots, runs and results hang off it."""

    def validate_contract(self, contract):
        if self.instance is not None and contract != self.instance.contract:
            raise serializers.ValidationError(_("The contract cannot change; create a new one instead."))
        return contract


class InspectionsViewSet(ContractOwnedViewSet):
    """A contract-owned inspections resource: MANAGE_INSPECTIONS to write, 409 on a delete that
    past inspections forbid."""

    manage_action = MANAGE_INSPECTIONS
    protected_message = _("Past inspections refer to this; it cannot be deleted.")

    def perform_destroy(self, instance):
        self.check_manage(self.contract_of(instance))
        try:
            with transaction.atomic():
                instance.delete()
        except ProtectedError:
            raise Conflict(self.protected_message) from None
