"""Checklist templates with their items, written whole: a template and its items in one request,
one transaction. An item's errors come back under its index in ``items``, as DRF gives its own
(``{"items": {"2": {"max_value": [...]}}}``)."""

import copy

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.settings import api_settings

from contracts.api.base import ContractCodeField, ContractFilterSetMixin
from contracts.models import Asset
from inspections.api.base import FixedContractMixin, InspectionsViewSet
from inspections.models import ChecklistItem, ChecklistTemplate, ItemResult
from om_portal.api import ModelRulesMixin, drf_validation_error, router

ITEM_FIELDS = ChecklistItem.EDITABLE_FIELDS


class ChecklistItemSerializer(serializers.ModelSerializer):
    # Given on an update to change that item; an item left out of the list is removed.
    id = serializers.IntegerField(required=False)
    position = serializers.IntegerField(min_value=0, max_value=32767, required=False)

    class Meta:
        model = ChecklistItem
        fields = ["id", *ITEM_FIELDS]

    def get_fields(self):
        fields = super().get_fields()
        # Another organisation's asset "does not exist"; another contract's is refused below.
        fields["asset"].queryset = Asset.objects.restrict(self.context["request"].user)
        return fields

    def validate(self, attrs):
        # A new item's model rules (thresholds for numbers only, lowest below highest) here, with
        # its other fields' errors; a changed one's once merged with what is stored (the
        # template's check). The asset's contract is the template's to check too.
        if "id" not in attrs:
            # A PATCH makes every field optional, down to the items; a new item still needs a label.
            if not attrs.get("label"):
                raise serializers.ValidationError({"label": [_("A new item needs its label.")]})
            check_item(ChecklistItem(**attrs))
        return attrs


def check_item(item: ChecklistItem) -> None:
    try:
        item.clean()
    except DjangoValidationError as error:
        raise drf_validation_error(error, whole_key=api_settings.NON_FIELD_ERRORS_KEY) from None


def by_index(errors: dict[int, dict], count: int):
    """Errors of some items in the shape DRF gives its own (keyed by index, or a list)."""
    if api_settings.LIST_SERIALIZER_ERRORS_AS_DICT:
        return errors
    return [errors.get(index, {}) for index in range(count)]


class ChecklistTemplateSerializer(FixedContractMixin, ModelRulesMixin, serializers.ModelSerializer):
    contract = ContractCodeField()
    items = ChecklistItemSerializer(many=True, required=False)

    class Meta:
        model = ChecklistTemplate
        fields = [
            "id",
            "contract",
            "key",
            "name",
            "description",
            "active",
            "items",
            "created_at",
            "updated_at",
        ]

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if "items" in attrs:
            contract = attrs.get("contract") or self.instance.contract
            self._validate_items(contract, attrs["items"])
        return attrs

    def _validate_items(self, contract, items):
        stored = {item.pk: item for item in self.instance.items.all()} if self.instance else {}
        errors, seen = {}, set()
        for index, data in enumerate(items):
            error = {}
            pk = data.get("id")
            if pk is not None and (pk not in stored or pk in seen):
                error["id"] = [
                    _("Not an item of this checklist.") if pk not in stored else _("Listed twice.")
                ]
            elif pk is not None:
                merged = copy.copy(stored[pk])
                for name, value in data.items():
                    setattr(merged, name, value)
                try:
                    check_item(merged)
                except serializers.ValidationError as exc:
                    error.update(exc.detail)
            seen.add(pk)
            asset = data.get("asset")
            if asset is not None and asset.contract_id != contract.pk:
                error["asset"] = [_("The asset belongs to another contract.")]
            if error:
                errors[index] = error
        if errors:
            raise serializers.ValidationError({"items": by_index(errors, len(items))})
        removed = set(stored) - seen
        answered = ChecklistItem.objects.filter(
            pk__in=ItemResult.objects.filter(item__in=removed).values("item")
        ).values_list("label", flat=True)
        if removed and answered:
            raise serializers.ValidationError(
                {
                    "items": [
                        _("Past rounds answered these items; keep them in the list: %(labels)s.")
                        % {"labels": ", ".join(sorted(answered))}
                    ]
                }
            )

    def create(self, validated_data):
        items = validated_data.pop("items", [])
        with transaction.atomic():
            template = ChecklistTemplate.objects.create(**validated_data)
            self._save_items(template, items)
        return template

    def update(self, template, validated_data):
        items = validated_data.pop("items", None)
        with transaction.atomic():
            template = super().update(template, validated_data)
            if items is not None:
                self._save_items(template, items)
        return template

    def _save_items(self, template, items):
        kept = {data["id"] for data in items if data.get("id") is not None}
        template.items.exclude(pk__in=kept).delete()
        existing = {item.pk: item for item in template.items.filter(pk__in=kept)}
        new, changed = [], []
        for index, data in enumerate(items):
            data = {"position": index, **data}
            pk = data.pop("id", None)
            if pk is None:
                new.append(ChecklistItem(template=template, **data))
            else:
                item = existing[pk]
                for name, value in data.items():
                    setattr(item, name, value)
                changed.append(item)
        ChecklistItem.objects.bulk_create(new)
        if changed:
            ChecklistItem.objects.bulk_update(changed, ITEM_FIELDS)
        # The representation lists the items as saved, in their order.
        template._prefetched_objects_cache = {}


class ChecklistTemplateViewSet(InspectionsViewSet):
    """Checklists for engineers' rounds, each with its items; schedules pick one by ``key``.

    ``items`` replaces the checklist's items when given: an item with an ``id`` is updated, one
    without is added, one left out is removed (refused while past rounds hold its answers).
    """

    queryset = ChecklistTemplate.objects.all()
    serializer_class = ChecklistTemplateSerializer
    search_fields = ["name", "key", "description"]
    ordering_fields = ["name", "key"]

    class filterset_class(ContractFilterSetMixin):
        class Meta:
            model = ChecklistTemplate
            fields = ["contract", "key", "active"]

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .prefetch_related(Prefetch("items", ChecklistItem.objects.order_by("position", "id")))
        )


router.register("checklist-templates", ChecklistTemplateViewSet, basename="checklist-template")
