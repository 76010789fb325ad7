"""The knowledge base, emergency plans and drills, consultations and complaints over the API."""

import django_filters
from django.db import transaction
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from contracts.api.base import ContractCodeField, ContractFilterSetMixin, ContractOwnedViewSet
from contracts.models import Contract
from contracts.scoping import FILE_COMPLAINT, MANAGE_KNOWLEDGE, RECORD_CONSULTATION, can
from incidents import knowledge as services
from incidents.filters import (
    ComplaintFilterSet,
    ConsultationFilterSet,
    EmergencyPlanFilterSet,
    KnowledgeArticleFilterSet,
)
from incidents.models import Complaint, Consultation, Drill, EmergencyPlan, Incident, KnowledgeArticle
from om_portal.api import router
from om_portal.validators import plausible_moment

# --- Knowledge base -------------------------------------------------------------------------------


class KnowledgeArticleSerializer(serializers.ModelSerializer):
    contract = ContractCodeField()
    author = serializers.StringRelatedField(allow_null=True)

    class Meta:
        model = KnowledgeArticle
        fields = [
            "id",
            "contract",
            "title",
            "background",
            "system",
            "asset_kind",
            "symptoms",
            "solution",
            "source_incident",
            "status",
            "author",
            "created_at",
            "updated_at",
        ]
        # An article is linked to its incident only by "from-incident", which checks the incident.
        read_only_fields = ["source_incident"]


class FromIncidentSerializer(serializers.Serializer):
    incident = serializers.IntegerField()


class KnowledgeArticleViewSet(ContractOwnedViewSet):
    """Articles: published ones of the caller's contracts, drafts where the caller may edit.
    ``?q=`` searches title, background, symptoms and solution."""

    queryset = KnowledgeArticle.objects.all()
    serializer_class = KnowledgeArticleSerializer
    filterset_class = KnowledgeArticleFilterSet
    manage_action = MANAGE_KNOWLEDGE
    search_fields = ["title", "background", "symptoms", "solution"]
    ordering_fields = ["updated_at", "title"]

    def get_queryset(self):
        return services.visible_articles(self.request.user).select_related("contract", "author")

    def perform_create(self, serializer):
        self.check_manage(serializer.validated_data["contract"])
        serializer.save(author=self.request.user)

    @extend_schema(request=FromIncidentSerializer, responses={201: KnowledgeArticleSerializer})
    @action(detail=False, methods=["post"], url_path="from-incident")
    def from_incident(self, request):
        """A draft article pre-filled from a resolved incident (the incident's article if it has one)."""
        body = FromIncidentSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        incident = get_object_or_404(
            Incident.objects.restrict(request.user).select_related("contract", "asset"),
            pk=body.validated_data["incident"],
        )
        self.check_manage(incident.contract)
        article = services.article_from_incident(incident, request.user)
        return Response(self.get_serializer(article).data, status=201)


# --- Emergency plans and drills -------------------------------------------------------------------


class EmergencyPlanSerializer(serializers.ModelSerializer):
    contract = ContractCodeField()

    class Meta:
        model = EmergencyPlan
        fields = [
            "id",
            "contract",
            "category",
            "title",
            "trigger_conditions",
            "steps",
            "contacts",
            "version",
            "created_at",
            "updated_at",
        ]


class EmergencyPlanViewSet(ContractOwnedViewSet):
    queryset = EmergencyPlan.objects.all()
    serializer_class = EmergencyPlanSerializer
    manage_action = MANAGE_KNOWLEDGE
    search_fields = ["title", "trigger_conditions", "steps"]
    ordering_fields = ["category", "title", "updated_at"]

    filterset_class = EmergencyPlanFilterSet


class DrillSerializer(serializers.ModelSerializer):
    class Meta:
        model = Drill
        fields = ["id", "plan", "date", "participants", "scenario", "findings", "follow_ups", "created_at"]

    def get_fields(self):
        fields = super().get_fields()
        # Another organisation's plan does not exist for the caller: a 400, not a 403.
        fields["plan"].queryset = EmergencyPlan.objects.restrict(self.context["request"].user)
        return fields


class DrillViewSet(ContractOwnedViewSet):
    queryset = Drill.objects.all()
    serializer_class = DrillSerializer
    manage_action = MANAGE_KNOWLEDGE
    search_fields = ["scenario", "findings"]
    ordering_fields = ["date"]

    class filterset_class(ContractFilterSetMixin):
        contract = django_filters.CharFilter(field_name="plan__contract__code", label="contract code")

        class Meta:
            model = Drill
            fields = {"plan": ["exact"], "date": ["gte", "lte"]}

    def get_queryset(self):
        return Drill.objects.restrict(self.request.user).select_related("plan__contract")

    def contract_of(self, obj):
        return obj.plan.contract

    def perform_create(self, serializer):
        self.check_manage(serializer.validated_data["plan"].contract)
        serializer.save(recorded_by=self.request.user)

    def perform_update(self, serializer):
        self.check_manage(serializer.instance.plan.contract)
        self.check_manage(serializer.validated_data.get("plan", serializer.instance.plan).contract)
        serializer.save()


# --- Consultations --------------------------------------------------------------------------------


class ConsultationSerializer(serializers.ModelSerializer):
    contract = ContractCodeField()
    # The contract's timely-reply rule applied to this question (seed 000: the same day).
    reply_due = serializers.DateTimeField(read_only=True, allow_null=True)
    late = serializers.SerializerMethodField()

    def get_late(self, row) -> bool:
        return row.reply_breached_at is not None

    class Meta:
        model = Consultation
        fields = [
            "id",
            "contract",
            "channel",
            "asker_name",
            "asker_unit",
            "question",
            "asked_at",
            "engineer",
            "answered",
            "replied_at",
            "answer",
            "reply_due",
            "late",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {
            "asked_at": {"validators": [plausible_moment]},
            "replied_at": {"validators": [plausible_moment]},
        }

    def get_fields(self):
        fields = super().get_fields()
        visible = Contract.objects.restrict(self.context["request"].user)
        fields["engineer"].queryset = services.vendor_engineers(visible)
        return fields

    def validate(self, attrs):
        def value(name):
            return attrs[name] if name in attrs else getattr(self.instance, name, None)

        errors = services.consultation_errors(
            value("contract"), value("engineer"), value("answered"), value("asked_at"), value("replied_at")
        )
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class RatesQuerySerializer(serializers.Serializer):
    contract = serializers.CharField()
    start = serializers.DateField()
    end = serializers.DateField()
    # Without it: the contract's own rule for consultations (seed 000: the same day), else 24 h.
    timely_hours = serializers.IntegerField(min_value=1, max_value=24 * 30, required=False)

    def validate(self, attrs):
        if attrs["end"] < attrs["start"]:
            raise serializers.ValidationError({"end": "The period cannot end before it starts."})
        return attrs


class EngineerRatesSerializer(serializers.Serializer):
    engineer_id = serializers.IntegerField(allow_null=True)
    engineer_name = serializers.CharField()
    asked = serializers.IntegerField()
    answered = serializers.IntegerField()
    timely = serializers.IntegerField()
    answer_rate = serializers.DecimalField(max_digits=4, decimal_places=1, allow_null=True)
    timely_rate = serializers.DecimalField(max_digits=4, decimal_places=1, allow_null=True)


class ConsultationViewSet(ContractOwnedViewSet):
    queryset = Consultation.objects.all()
    serializer_class = ConsultationSerializer
    manage_action = RECORD_CONSULTATION
    search_fields = ["question", "answer", "asker_name", "asker_unit"]
    ordering_fields = ["asked_at", "replied_at"]

    filterset_class = ConsultationFilterSet

    def get_queryset(self):
        return super().get_queryset().select_related("engineer")

    def perform_create(self, serializer):
        self.check_manage(serializer.validated_data["contract"])
        with transaction.atomic():
            serializer.save(recorded_by=self.request.user)
            serializer.instance = services.settle_consultation(serializer.instance, by=self.request.user)

    def perform_update(self, serializer):
        with transaction.atomic():
            super().perform_update(serializer)
            serializer.instance = services.settle_consultation(serializer.instance, by=self.request.user)

    @extend_schema(
        parameters=[RatesQuerySerializer],
        responses=EngineerRatesSerializer(many=True),
        # The action's own parameters, not the list's filters.
        filters=False,
    )
    @action(detail=False, filter_backends=[], pagination_class=None)
    def rates(self, request):
        """Seed 004's answer rate and timely-reply rate per engineer, both over all questions
        asked in the period (``start`` and ``end`` included); timely = within ``timely_hours``, or
        without it by the contract's rule for consultations (seed 000: the same day, 24:00 of the
        day asked; after the business day or on a non-working day, 24:00 of the next working
        day), else within 24 hours."""
        query = RatesQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        contract = get_object_or_404(Contract.objects.restrict(request.user), code=data["contract"])
        hours = data.get("timely_hours")
        term = services.consultation_term(contract) if hours is None else None
        rows = services.consultation_rates(contract, data["start"], data["end"], hours, term=term)
        return Response(EngineerRatesSerializer(rows, many=True).data)


# --- Complaints -----------------------------------------------------------------------------------


class ComplaintSerializer(serializers.ModelSerializer):
    contract = ContractCodeField()
    filed_by = serializers.StringRelatedField()
    decided_by = serializers.StringRelatedField(allow_null=True)
    answered_by = serializers.StringRelatedField(allow_null=True)

    class Meta:
        model = Complaint
        fields = [
            "id",
            "contract",
            "subject",
            "description",
            "filed_by",
            "filed_by_side",
            "against_side",
            "filed_at",
            "status",
            "decision_note",
            "decided_by",
            "decided_at",
            "answer",
            "answered_by",
            "answered_at",
        ]
        read_only_fields = [
            "filed_by_side",
            "against_side",
            "status",
            "decision_note",
            "decided_at",
            "answer",
            "answered_at",
        ]


class DecisionSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=[Complaint.Status.UPHELD, Complaint.Status.DISMISSED])
    note = serializers.CharField()


class ComplaintAnswerSerializer(serializers.Serializer):
    answer = serializers.CharField(max_length=5000)


class ComplaintViewSet(ContractOwnedViewSet):
    """Complaints are a record: filed once, decided once, never edited or deleted."""

    queryset = Complaint.objects.all()
    serializer_class = ComplaintSerializer
    manage_action = FILE_COMPLAINT
    http_method_names = ["get", "post", "head", "options"]
    search_fields = ["subject", "description"]
    ordering_fields = ["filed_at", "decided_at"]

    filterset_class = ComplaintFilterSet

    def get_queryset(self):
        return super().get_queryset().select_related("filed_by", "decided_by", "answered_by")

    def perform_create(self, serializer):
        data = serializer.validated_data
        self.check_manage(data["contract"])
        serializer.instance = services.file_complaint(
            data["contract"], self.request.user, data["subject"], data["description"]
        )

    @extend_schema(request=DecisionSerializer, responses=ComplaintSerializer)
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        """Uphold (valid, recorded) or dismiss an open complaint: the client's managers decide."""
        complaint = self.get_object()
        if not can(request.user, services.DECIDER_ACTION, complaint.contract):
            raise PermissionDenied("Only the client's managers decide complaints.")
        body = DecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with transaction.atomic():
            complaint = services.decide_complaint(complaint, request.user, **body.validated_data)
        return Response(self.get_serializer(complaint).data)

    @extend_schema(request=ComplaintAnswerSerializer, responses=ComplaintSerializer)
    @action(detail=True, methods=["post"])
    def answer(self, request, pk=None):
        """The answer of the side complained against (the vendor, when the client complains):
        once, while the complaint is open; the other side reads it on the complaint."""
        complaint = self.get_object()
        body = ComplaintAnswerSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        complaint = services.answer_complaint(complaint, request.user, body.validated_data["answer"])
        return Response(self.get_serializer(complaint).data)


router.register("knowledge-articles", KnowledgeArticleViewSet, basename="knowledge-article")
router.register("emergency-plans", EmergencyPlanViewSet, basename="emergency-plan")
router.register("drills", DrillViewSet, basename="drill")
router.register("consultations", ConsultationViewSet, basename="consultation")
router.register("complaints", ComplaintViewSet, basename="complaint")
