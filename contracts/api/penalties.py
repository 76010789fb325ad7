"""Penalty clauses, the breach ledger, and a contract's penalty summary.

Reads follow ``restrict()`` (out of scope is 404). Writes follow the shared rule of
``contracts.api.base``: clauses are contract terms (MANAGE_CONTRACT), breaches the ledger
(MANAGE_PENALTIES); a visible contract the user may not change is a
403. A breach is created through ``record_breach`` like every other source's.
"""

import copy

from django.db.models import ProtectedError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from contracts.api.base import ContractCodeField, ContractFilterSetMixin, ContractOwnedViewSet
from contracts.filters import BreachFilterSet
from contracts.models import Breach, PenaltyClause
from contracts.penalties import (
    adopt_unpriced_breaches,
    check_breach_figures,
    check_clause,
    record_breach,
    waive_breach,
)
from contracts.scoping import MANAGE_CONTRACT, MANAGE_PENALTIES
from om_portal.api import Conflict, router
from om_portal.validators import plausible_moment


class ImmutableOnUpdate:
    """Fields that identify the row: fixed once it exists."""

    immutable_fields: tuple[str, ...] = ()

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None and not isinstance(self.instance, list | tuple):
            for name in self.immutable_fields:
                fields[name].read_only = True
        return fields


class PenaltyClauseSerializer(ImmutableOnUpdate, serializers.ModelSerializer):
    contract = ContractCodeField()
    immutable_fields = ("contract", "kind")

    class Meta:
        model = PenaltyClause
        fields = [
            "id",
            "contract",
            "kind",
            "title",
            "text",
            "party",
            "shape",
            "base",
            "rate_percent",
            "cap_percent",
            "escalation_at",
            "escalation_percent",
            "escalation_mode",
            "threshold_count",
            "termination_after_days",
            "rate_source",
            "termination_at_count",
        ]

    def validate(self, attrs):
        # The clause as it would be saved, for the checks the database constraints do not make.
        clause = copy.copy(self.instance) if self.instance is not None else PenaltyClause()
        for name, value in attrs.items():
            setattr(clause, name, value)
        check_clause(clause)
        return attrs


class BreachSerializer(ImmutableOnUpdate, serializers.ModelSerializer):
    contract = ContractCodeField()
    waived_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    recorded_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    # Withdrawn when the facts (an incident's corrected timeline) showed the obligation met.
    withdrawn = serializers.SerializerMethodField()
    withdrawn_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    immutable_fields = ("contract", "kind", "source_ref")

    def get_withdrawn(self, breach) -> bool:
        return breach.withdrawn_at is not None

    class Meta:
        model = Breach
        fields = [
            "id",
            "contract",
            "kind",
            "clause",
            "occurred_at",
            "days_late",
            "overdue_amount",
            "source",
            "source_ref",
            "note",
            "waived",
            "waived_reason",
            "waived_by",
            "waived_at",
            "withdrawn",
            "withdrawn_at",
            "withdrawn_reason",
            "withdrawn_by",
            "recorded_by",
            "created_at",
        ]
        read_only_fields = [
            "clause",
            "source",
            "waived",
            "waived_reason",
            "waived_at",
            "withdrawn_at",
            "withdrawn_reason",
            "created_at",
        ]
        extra_kwargs = {"occurred_at": {"validators": [plausible_moment]}}
        # record_breach owns idempotency on (contract, source, source_ref).
        validators = []

    def validate(self, attrs):
        if self.instance is not None:
            check_breach_figures(
                self.instance.clause,
                days_late=attrs.get("days_late", self.instance.days_late),
                overdue_amount=attrs.get("overdue_amount", self.instance.overdue_amount),
            )
        return attrs


class WaiveSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True, required=False, default="")


class ClauseFilterSet(ContractFilterSetMixin):
    class Meta:
        model = PenaltyClause
        fields = ["contract", "kind", "party", "shape"]


class PenaltyClauseViewSet(ContractOwnedViewSet):
    queryset = PenaltyClause.objects.all()
    serializer_class = PenaltyClauseSerializer
    manage_action = MANAGE_CONTRACT
    filterset_class = ClauseFilterSet
    search_fields = ["kind", "title"]
    ordering_fields = ["kind", "rate_percent"]

    def perform_create(self, serializer):
        super().perform_create(serializer)
        # Breaches recorded before their clause existed are priced from now on.
        adopt_unpriced_breaches(serializer.instance)

    def perform_destroy(self, instance):
        try:
            super().perform_destroy(instance)
        except ProtectedError:
            raise Conflict(_("Breaches are recorded under this clause; it cannot be deleted.")) from None


class BreachViewSet(ContractOwnedViewSet):
    queryset = Breach.objects.all()
    serializer_class = BreachSerializer
    manage_action = MANAGE_PENALTIES
    filterset_class = BreachFilterSet
    search_fields = ["kind", "source_ref", "note"]
    ordering_fields = ["occurred_at", "created_at", "days_late"]

    def get_queryset(self):
        return super().get_queryset().select_related("waived_by", "recorded_by", "withdrawn_by")

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        self.check_manage(data["contract"])
        breach, created = record_breach(
            data["contract"],
            data["kind"],
            occurred_at=data["occurred_at"],
            source=Breach.Source.MANUAL,
            source_ref=data.get("source_ref", ""),
            days_late=data.get("days_late"),
            overdue_amount=data.get("overdue_amount"),
            note=data.get("note", ""),
            recorded_by=request.user,
        )
        return Response(
            self.get_serializer(breach).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    def perform_destroy(self, instance):
        self.check_manage(instance.contract)
        # Breaches from incidents, inspections... would come back on their next run: waive them.
        if instance.source != Breach.Source.MANUAL:
            raise PermissionDenied(_("Only manual breaches can be deleted; waive this one instead."))
        instance.delete()

    @extend_schema(request=WaiveSerializer, responses=BreachSerializer)
    @action(detail=True, methods=["post"])
    def waive(self, request, pk=None):
        breach = self.get_object()
        self.check_manage(breach.contract)
        form = WaiveSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        waive_breach(breach, by=request.user, reason=form.validated_data["reason"])
        return Response(self.get_serializer(breach).data)


class ClauseAmountSerializer(serializers.Serializer):
    kind = serializers.CharField(source="clause.kind")
    title = serializers.CharField(source="clause.title")
    party = serializers.CharField(source="clause.party")
    shape = serializers.CharField(source="clause.shape")
    breaches = serializers.IntegerField()
    waived = serializers.IntegerField()
    days = serializers.IntegerField()
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    lines = serializers.ListField(child=serializers.CharField())
    # The daily rate applied when it is not the clause's own (seed 003: from the LPR), and that LPR.
    applied_rate_percent = serializers.DecimalField(
        source="rate_percent", max_digits=12, decimal_places=8, allow_null=True
    )
    lpr_effective_on = serializers.DateField(source="lpr.effective_on", allow_null=True, default=None)
    lpr_one_year_percent = serializers.DecimalField(
        source="lpr.one_year_percent", max_digits=6, decimal_places=3, allow_null=True, default=None
    )


class TerminationRightSerializer(serializers.Serializer):
    kind = serializers.CharField(source="clause.kind")
    title = serializers.CharField(source="clause.title")
    reason = serializers.CharField()


class UnpricedKindSerializer(serializers.Serializer):
    kind = serializers.CharField()
    breaches = serializers.IntegerField()
    waived = serializers.IntegerField()


class PenaltySummarySerializer(serializers.Serializer):
    contract = serializers.CharField(source="contract.code")
    clauses = ClauseAmountSerializer(many=True)
    unpriced = UnpricedKindSerializer(many=True)
    vendor_subtotal = serializers.DecimalField(max_digits=14, decimal_places=2)
    vendor_total = serializers.DecimalField(max_digits=14, decimal_places=2)
    vendor_capped = serializers.BooleanField()
    client_total = serializers.DecimalField(max_digits=14, decimal_places=2)
    lines = serializers.ListField(child=serializers.CharField())
    termination_rights = TerminationRightSerializer(many=True)


router.register("penalty-clauses", PenaltyClauseViewSet, basename="penalty-clause")
router.register("breaches", BreachViewSet, basename="breach")
