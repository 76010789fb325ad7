"""Inspection schedules, heightened-security periods and the slots they make, over the API.

Saving a schedule or a period re-materialises the next two days' slots, so the change shows on
the engineers' tablets and in the beat's dispatch at once (as the portal's forms do).
"""

import datetime as dt

import django_filters
from django.db import transaction
from django.db.models import Prefetch, ProtectedError, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.exceptions import PermissionDenied

from contracts.api.base import ContractCodeField, ContractFilterSetMixin
from contracts.models import Contract
from contracts.scoping import MANAGE_INSPECTIONS, VIEW
from inspections.api.base import FixedContractMixin, InspectionsViewSet
from inspections.models import HeightenedPeriod, InspectionMode, InspectionSchedule, InspectionSlot
from inspections.schedules import materialise_slots
from om_portal.api import Conflict, ModelRulesMixin, router

MATERIALISE_AHEAD = dt.timedelta(days=2)


def materialise_ahead():
    now = timezone.now()
    materialise_slots(now, now + MATERIALISE_AHEAD, now=now)


class InspectionScheduleSerializer(FixedContractMixin, ModelRulesMixin, serializers.ModelSerializer):
    contract = ContractCodeField()

    class Meta:
        model = InspectionSchedule
        fields = [
            "id",
            "contract",
            "name",
            "kind",
            "times_of_day",
            "weekday",
            "day_of_month",
            "nth_working_day",
            "grace",
            "mode",
            "checklist_kind",
            "what",
            "active",
            "created_at",
            "updated_at",
        ]


class InspectionScheduleViewSet(InspectionsViewSet):
    """A contract's recurring inspections. Retire one with ``active: false``: a schedule whose
    slots were made cannot be deleted (409)."""

    queryset = InspectionSchedule.objects.all()
    serializer_class = InspectionScheduleSerializer
    search_fields = ["name", "what"]
    ordering_fields = ["name", "kind"]
    protected_message = _("This schedule has inspections on record; deactivate it instead.")

    class filterset_class(ContractFilterSetMixin):
        class Meta:
            model = InspectionSchedule
            fields = ["contract", "kind", "mode", "active", "checklist_kind"]

    def perform_create(self, serializer):
        super().perform_create(serializer)
        materialise_ahead()

    def perform_update(self, serializer):
        super().perform_update(serializer)
        materialise_ahead()


# --- Heightened-security periods ----------------------------------------------------------------


class VisibleContractsField(serializers.ManyRelatedField):
    """Takes the codes of contracts the caller sees; shows only those of a period shared with
    other bureaus (prefetched as ``visible_contracts`` by the view)."""

    def get_attribute(self, period):
        return period.visible_contracts


class HeightenedPeriodSerializer(ModelRulesMixin, serializers.ModelSerializer):
    # The view then demands MANAGE_INSPECTIONS on each.
    contracts = VisibleContractsField(child_relation=ContractCodeField())

    class Meta:
        model = HeightenedPeriod
        fields = [
            "id",
            "name",
            "starts_on",
            "ends_on",
            "contracts",
            "times_of_day",
            "grace",
            "note",
            "created_at",
        ]

    def validate_contracts(self, contracts):
        if not contracts:
            raise serializers.ValidationError(_("List at least one contract."))
        return contracts


class PeriodFilterSet(django_filters.FilterSet):
    contract = django_filters.CharFilter(field_name="contracts__code", label="contract code")
    on = django_filters.DateFilter(method="filter_on", label="covers this day")

    class Meta:
        model = HeightenedPeriod
        fields = {"starts_on": ["gte", "lte"], "ends_on": ["gte", "lte"]}

    def filter_on(self, queryset, name, value):
        return queryset.filter(starts_on__lte=value, ends_on__gte=value)


class HeightenedPeriodViewSet(viewsets.ModelViewSet):
    """Heightened-security periods (重保期) of the caller's contracts.

    A period may be shared by several contracts; the caller sees only theirs in ``contracts``.
    Every contract listed needs MANAGE_INSPECTIONS (403); changing or deleting a period needs it
    on every contract the period holds, so a period shared with another bureau is the
    administrators' to change.
    """

    serializer_class = HeightenedPeriodSerializer
    filterset_class = PeriodFilterSet
    permission_classes = [permissions.IsAuthenticated]
    search_fields = ["name", "note"]
    ordering_fields = ["starts_on", "ends_on", "name"]

    def get_queryset(self):
        visible = Contract.objects.restrict(self.request.user, VIEW).order_by("code")
        return HeightenedPeriod.objects.restrict(self.request.user).prefetch_related(
            Prefetch("contracts", queryset=visible, to_attr="visible_contracts")
        )

    def _check_manage(self, contracts):
        ids = {c.pk for c in contracts}
        allowed = Contract.objects.restrict(self.request.user, MANAGE_INSPECTIONS).filter(pk__in=ids)
        if ids - set(allowed.values_list("pk", flat=True)):
            raise PermissionDenied(
                _("Your role does not allow changing the inspections of every contract listed.")
            )

    def perform_create(self, serializer):
        self._check_manage(serializer.validated_data["contracts"])
        with transaction.atomic():
            serializer.save()
            materialise_ahead()
        serializer.instance.visible_contracts = list(serializer.instance.contracts.order_by("code"))

    def perform_update(self, serializer):
        period = serializer.instance
        held = list(period.contracts.all())
        self._check_manage([*held, *serializer.validated_data.get("contracts", [])])
        with transaction.atomic():
            serializer.save()
            materialise_ahead()
        period.visible_contracts = list(
            period.contracts.filter(pk__in=Contract.objects.restrict(self.request.user)).order_by("code")
        )

    def perform_destroy(self, period):
        self._check_manage(period.contracts.all())
        try:
            with transaction.atomic():
                period.delete()
        except ProtectedError:  # its slots are the record of the rounds done
            raise Conflict(_("This period has inspections on record; it cannot be deleted.")) from None


# --- Slots --------------------------------------------------------------------------------------


class InspectionSlotSerializer(serializers.ModelSerializer):
    contract = serializers.SlugRelatedField(slug_field="code", read_only=True)
    mode = serializers.ChoiceField(choices=InspectionMode.choices, read_only=True)
    what = serializers.CharField(source="origin_name", read_only=True)
    run = serializers.SerializerMethodField()

    class Meta:
        model = InspectionSlot
        fields = [
            "id",
            "contract",
            "schedule",
            "heightened_period",
            "what",
            "mode",
            "due_at",
            "deadline",
            "status",
            "done_at",
            "missed_at",
            "run",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_run(self, slot) -> int | None:
        # The reverse one-to-one is select_related: no query, and None when there is no run.
        return slot.run.pk if hasattr(slot, "run") else None


class InspectionSlotFilterSet(ContractFilterSetMixin):
    due_at = django_filters.IsoDateTimeFromToRangeFilter()
    mode = django_filters.ChoiceFilter(choices=InspectionMode.choices, method="filter_mode")

    class Meta:
        model = InspectionSlot
        fields = ["contract", "status", "schedule", "heightened_period", "due_at", "mode"]

    def filter_mode(self, queryset, name, value):
        # A period's own rounds (no schedule) are manual: InspectionSlot.mode.
        automated = Q(schedule__mode=InspectionMode.AUTOMATED)
        return (
            queryset.filter(automated) if value == InspectionMode.AUTOMATED else queryset.exclude(automated)
        )


class InspectionSlotViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """When each inspection was due and whether it was done: read-only, made by the schedules."""

    serializer_class = InspectionSlotSerializer
    filterset_class = InspectionSlotFilterSet
    permission_classes = [permissions.IsAuthenticated]
    ordering_fields = ["due_at", "deadline"]

    def get_queryset(self):
        return InspectionSlot.objects.restrict(self.request.user).select_related(
            "contract", "schedule", "heightened_period", "run"
        )


router.register("inspection-schedules", InspectionScheduleViewSet, basename="inspection-schedule")
router.register("heightened-periods", HeightenedPeriodViewSet, basename="heightened-period")
router.register("inspection-slots", InspectionSlotViewSet, basename="inspection-slot")
