"""The periodic reports a contract requires and when each is due: contract terms, so writing
them needs MANAGE_CONTRACT like the contract's other parts (clauses, SLA terms, milestones)."""

from rest_framework import serializers

from contracts import obligations
from contracts.api.base import ContractCodeField, ContractFilterSetMixin, ContractOwnedViewSet
from contracts.api.penalties import ImmutableOnUpdate
from contracts.scoping import MANAGE_CONTRACT
from om_portal.api import router
from reports.models import ReportRequirement


class ReportRequirementSerializer(ImmutableOnUpdate, serializers.ModelSerializer):
    contract = ContractCodeField()
    # A requirement is one kind of report of one contract: another kind is another requirement.
    immutable_fields = ("contract", "kind")
    # Declared for the blank choice: the model field's slug validator refused "" (no breach) when
    # a full update sent the requirement back as read.
    breach_kind = serializers.ChoiceField(choices=obligations.choices(), allow_blank=True, required=False)

    class Meta:
        model = ReportRequirement
        fields = ["id", "contract", "kind", "due_offset", "due_unit", "breach_kind", "active", "note"]


class ReportRequirementFilterSet(ContractFilterSetMixin):
    class Meta:
        model = ReportRequirement
        fields = ["contract", "kind", "active"]


class ReportRequirementViewSet(ContractOwnedViewSet):
    queryset = ReportRequirement.objects.all()
    serializer_class = ReportRequirementSerializer
    manage_action = MANAGE_CONTRACT
    filterset_class = ReportRequirementFilterSet
    ordering_fields = ["kind"]


router.register("report-requirements", ReportRequirementViewSet, basename="report-requirement")
