"""Inspection runs over the API, read-only: an engineer's answers, or a count of the automated
checks' results by status (the results themselves are under ``check-results?run=``)."""

import django_filters
from django.db.models import Count, Prefetch, Q
from drf_spectacular.utils import extend_schema_field
from rest_framework import mixins, permissions, serializers, viewsets

from contracts.api.base import ContractFilterSetMixin
from inspections.models import InspectionMode, InspectionRun, ItemResult, ResultStatus
from om_portal.api import router


class AnswerSerializer(serializers.ModelSerializer):
    label = serializers.CharField(source="item.label", read_only=True)
    section = serializers.CharField(source="item.section", read_only=True)
    kind = serializers.CharField(source="item.kind", read_only=True)
    photos = serializers.SerializerMethodField()

    class Meta:
        model = ItemResult
        fields = [
            "id",
            "item",
            "section",
            "label",
            "kind",
            "passed",
            "number",
            "text",
            "note",
            "abnormal",
            "incident",
            "photos",
        ]
        read_only_fields = fields

    def get_photos(self, answer) -> int:
        return len(answer.photos.all())


class ResultsSummarySerializer(serializers.Serializer):
    ok = serializers.IntegerField()
    failed = serializers.IntegerField()
    timeout = serializers.IntegerField()
    error = serializers.IntegerField()


class InspectionRunSerializer(serializers.ModelSerializer):
    contract = serializers.SlugRelatedField(slug_field="code", read_only=True)
    performed_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    template_name = serializers.CharField(source="template.name", read_only=True, default=None)
    due_at = serializers.DateTimeField(source="slot.due_at", read_only=True)
    answers = AnswerSerializer(many=True, read_only=True)
    results = serializers.SerializerMethodField()

    class Meta:
        model = InspectionRun
        fields = [
            "id",
            "slot",
            "contract",
            "mode",
            "due_at",
            "template",
            "template_name",
            "performed_by",
            "started_at",
            "finished_at",
            "note",
            "checks_total",
            "checks_failed",
            "items_abnormal",
            "answers",
            "results",
        ]
        read_only_fields = fields

    @extend_schema_field(ResultsSummarySerializer)
    def get_results(self, run):
        return {status: getattr(run, f"results_{status}") for status in ResultStatus.values}


class InspectionRunFilterSet(ContractFilterSetMixin):
    started_at = django_filters.IsoDateTimeFromToRangeFilter()
    mode = django_filters.ChoiceFilter(choices=InspectionMode.choices)

    class Meta:
        model = InspectionRun
        fields = ["contract", "slot", "mode", "performed_by", "started_at"]


class InspectionRunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """What was done at each slot: by whom, when, with what answers or results."""

    serializer_class = InspectionRunSerializer
    filterset_class = InspectionRunFilterSet
    permission_classes = [permissions.IsAuthenticated]
    ordering_fields = ["started_at"]

    def get_queryset(self):
        counts = {
            f"results_{status}": Count("results", filter=Q(results__status=status))
            for status in ResultStatus.values
        }
        answers = ItemResult.objects.select_related("item").prefetch_related("photos")
        return (
            InspectionRun.objects.restrict(self.request.user)
            .select_related("contract", "slot", "template", "performed_by")
            .prefetch_related(Prefetch("answers", answers))
            .annotate(**counts)
            # Meta.ordering is dropped from GROUP BY queries: said again here.
            .order_by("-started_at", "-id")
        )


router.register("inspection-runs", InspectionRunViewSet, basename="inspection-run")
