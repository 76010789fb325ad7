"""What the inspections resources share: the models' own rules as 400s, a contract fixed at
creation, and a refusal to delete what past inspections still point at."""

import copy

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers, status
from rest_framework.exceptions import APIException
from rest_framework.settings import api_settings

from contracts.api.base import ContractOwnedViewSet
from contracts.scoping import MANAGE_INSPECTIONS


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = _("Past inspections refer to this; it cannot be deleted.")
    default_code = "protected"


def as_drf_error(error: DjangoValidationError) -> serializers.ValidationError:
    detail = serializers.as_serializer_error(error)
    if NON_FIELD_ERRORS in detail:
        detail[api_settings.NON_FIELD_ERRORS_KEY] = detail.pop(NON_FIELD_ERRORS)
    return serializers.ValidationError(detail)


class ModelRulesMixin:
    """Runs the model's clean() and constraints on the object as it would be saved, so that a
    rule lives once (in the model) and reaches the API as a 400 with its field, never as an
    IntegrityError. Relations are left to the serializer, which checked them against the
    caller's scope already."""

    def _own_fields(self, attrs) -> list[str]:
        concrete = {f.name for f in self.Meta.model._meta.concrete_fields}
        return [name for name in attrs if name in concrete]

    def candidate(self, attrs):
        instance = copy.copy(self.instance) if self.instance is not None else self.Meta.model()
        for name in self._own_fields(attrs):
            setattr(instance, name, attrs[name])
        return instance

    def validate(self, attrs):
        attrs = super().validate(attrs)
        instance = self.candidate(attrs)
        relations = [f.name for f in instance._meta.concrete_fields if f.is_relation]
        try:
            instance.full_clean(exclude=relations, validate_unique=False)
        except DjangoValidationError as error:
            raise as_drf_error(error) from None
        # clean() may normalise a value (times of day sorted): save what it settled on.
        for name in self._own_fields(attrs):
            attrs[name] = getattr(instance, name)
        return attrs


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
