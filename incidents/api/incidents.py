"""Incidents, their timeline, the work log and service record sheets in the API."""

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response

from contracts.api.base import ContractCodeField, ContractOwnedViewSet
from contracts.models import Asset, Severity, SLATerm
from contracts.scoping import HANDLE_INCIDENT, REPORT_INCIDENT
from incidents import services
from incidents.filters import IncidentFilterSet, ServiceRecordFilterSet, WorkLogFilterSet
from incidents.models import Incident, IncidentEvent, IncidentKind, ServiceRecord, WorkLogEntry
from incidents.models.incident import CLOCK_FIELDS, WORKFLOW_FIELDS
from om_portal.api import router
from om_portal.validators import plausible_moment


class EventSerializer(serializers.ModelSerializer):
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = IncidentEvent
        fields = ["at", "kind", "actor", "from_value", "to_value", "note"]


class IncidentSerializer(serializers.ModelSerializer):
    contract = ContractCodeField()
    number = serializers.CharField(read_only=True)
    handlers = serializers.SlugRelatedField(slug_field="username", many=True, read_only=True)
    handler_usernames = serializers.ListField(child=serializers.CharField(), write_only=True, required=False)
    asset = serializers.PrimaryKeyRelatedField(queryset=Asset.objects.all(), required=False, allow_null=True)
    # The earliest deadline of a running clock is ``next_deadline``; the moment the checker
    # warns of it (a share of the target's time) is this.
    next_warning = serializers.DateTimeField(source="next_warning_at", read_only=True, allow_null=True)
    outside_term = serializers.BooleanField(
        read_only=True, help_text="Reported outside the contract's term: no clock runs."
    )

    class Meta:
        model = Incident
        fields = [
            "id",
            "number",
            "contract",
            "asset",
            "title",
            "description",
            "severity",
            "kind",
            "condition",
            "source",
            "reporter_name",
            "reporter_unit",
            "handlers",
            "handler_usernames",
            "needs_onsite",
            "status",
            "reported_at",
            "resolved_at",
            "cause",
            "impact",
            "method",
            "result",
            "closed_at",
            "response_due",
            "arrival_due",
            "resolution_due",
            "responded_at",
            "arrived_at",
            "next_deadline",
            "next_warning",
            "outside_term",
            "response_breached_at",
            "arrival_breached_at",
            "resolution_breached_at",
            "created_at",
        ]
        read_only_fields = [*WORKFLOW_FIELDS, *CLOCK_FIELDS]
        extra_kwargs = {"reported_at": {"required": False, "validators": [plausible_moment]}}

    def get_fields(self):
        fields = super().get_fields()
        # Only assets the caller can see: another organisation's asset id "does not exist".
        fields["asset"].queryset = Asset.objects.restrict(self.context["request"].user)
        return fields


class TransitionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=[*services.WORKFLOW.actions, "dispatch"])
    at = serializers.DateTimeField(required=False, validators=[plausible_moment])
    note = serializers.CharField(required=False, allow_blank=True, default="")
    cause = serializers.CharField(required=False, allow_blank=True, default="")
    impact = serializers.CharField(required=False, allow_blank=True, default="")
    method = serializers.CharField(required=False, allow_blank=True, default="")
    result = serializers.CharField(required=False, allow_blank=True, default="")


class AssignSerializer(serializers.Serializer):
    """The vendor manager's choice of the incident's handlers: the vendor's engineers, by
    account name (an empty list leaves it unassigned)."""

    handler_usernames = serializers.ListField(
        child=serializers.CharField(max_length=150), allow_empty=True, max_length=50
    )
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class ReclassifySerializer(serializers.Serializer):
    """The client's correction of an incident's severity, kind or SLA condition (one or more),
    with the reason; the clocks follow from the report under the new terms."""

    severity = serializers.ChoiceField(choices=Severity.choices, required=False)
    kind = serializers.ChoiceField(choices=IncidentKind.choices, required=False)
    condition = serializers.ChoiceField(choices=SLATerm.Condition.choices, required=False, allow_blank=True)
    reason = serializers.CharField(allow_blank=False, max_length=2000)

    def validate(self, attrs):
        if not {"severity", "kind", "condition"} & set(attrs):
            raise serializers.ValidationError("Give a new severity, kind or condition.")
        unknown = set(self.initial_data) - set(self.fields) if hasattr(self.initial_data, "keys") else set()
        if unknown:
            message = "Only severity, kind and condition can change, with a reason."
            raise serializers.ValidationError({name: [message] for name in sorted(unknown)})
        return attrs


class ClockSerializer(serializers.Serializer):
    name = serializers.CharField()
    state = serializers.CharField()
    due_at = serializers.DateTimeField(allow_null=True)
    warn_at = serializers.DateTimeField(allow_null=True)
    met_at = serializers.DateTimeField(allow_null=True)
    paused = serializers.BooleanField()
    target = serializers.CharField(allow_null=True)


class IncidentPagination(CursorPagination):
    """Keyset pages, newest first: every page of a million incidents costs the same, and no
    COUNT(*) runs over the whole table (an offset page walks every row before it)."""

    ordering = ("-reported_at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class IncidentViewSet(
    mixins.CreateModelMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Incidents of the caller's contracts. Reporting opens the clocks; the workflow moves through
    ``POST …/{id}/transition/``; the clocks are derived, never written directly."""

    serializer_class = IncidentSerializer
    filterset_class = IncidentFilterSet
    pagination_class = IncidentPagination
    ordering_fields = []  # keyset pages fix the order (newest first)
    search_fields = ["title", "description", "reporter_name"]

    def get_queryset(self):
        return (
            Incident.objects.restrict(self.request.user)
            .select_related("contract")
            .prefetch_related("handlers")
        )

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        contract = data.pop("contract")
        usernames = data.pop("handler_usernames", [])
        handlers = list(services.vendor_people(contract).filter(username__in=usernames))
        unknown = set(usernames) - {u.username for u in handlers}
        if unknown:
            names = ", ".join(sorted(unknown))
            message = _("%(names)s is not an engineer of this contract's vendor.") % {"names": names}
            raise ValidationError({"handler_usernames": [message]})
        serializer.instance = services.report_incident(
            contract, by=self.request.user, handlers=handlers, **data
        )

    @extend_schema(request=TransitionSerializer, responses=IncidentSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        """acknowledge, arrive, wait_client / wait_other_unit / wait_finance, resume, resolve (with
        cause, method and result), close, reopen, dispatch."""
        incident = self.get_object()
        form = TransitionSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        if data["action"] == "dispatch":
            incident = services.dispatch(incident, by=request.user, at=data.get("at"), note=data["note"])
        else:
            resolution = {k: data[k] for k in services.RESOLUTION_FIELDS}
            incident = services.transition(
                incident,
                data["action"],
                by=request.user,
                at=data.get("at"),
                note=data["note"],
                **resolution,
            )
        return Response(IncidentSerializer(incident, context=self.get_serializer_context()).data)

    @extend_schema(request=AssignSerializer, responses=IncidentSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        """Name the incident's handlers among the vendor's engineers (the vendor manager): on the
        timeline and the audit trail; only while the incident is open."""
        incident = self.get_object()
        services.require_assign(incident, request.user)
        form = AssignSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        usernames = form.validated_data["handler_usernames"]
        handlers = list(services.vendor_people(incident.contract).filter(username__in=usernames))
        unknown = set(usernames) - {u.username for u in handlers}
        if unknown:
            names = ", ".join(sorted(unknown))
            message = _("%(names)s is not an engineer of this contract's vendor.") % {"names": names}
            raise ValidationError({"handler_usernames": [message]})
        incident = services.assign(incident, handlers, by=request.user, note=form.validated_data["note"])
        return Response(IncidentSerializer(incident, context=self.get_serializer_context()).data)

    def _reclassify(self, request):
        incident = self.get_object()
        form = ReclassifySerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        incident = services.reclassify(
            incident,
            by=request.user,
            severity=data.get("severity"),
            kind=data.get("kind"),
            condition=data.get("condition"),
            note=data["reason"],
        )
        return Response(IncidentSerializer(incident, context=self.get_serializer_context()).data)

    @extend_schema(request=ReclassifySerializer, responses=IncidentSerializer)
    @action(detail=True, methods=["post"])
    def reclassify(self, request, pk=None):
        """Change the severity, kind or SLA condition (the client's staff and managers), with a
        reason: on the timeline, the clocks recomputed from the report under the new terms, a
        breach they show met withdrawn."""
        return self._reclassify(request)

    @extend_schema(request=ReclassifySerializer, responses=IncidentSerializer)
    def partial_update(self, request, pk=None):
        """The same as ``reclassify``: only severity, kind and condition change, with a reason."""
        return self._reclassify(request)

    # A plain list: without pagination_class=None the schema shows the incident list's page.
    @extend_schema(responses=ClockSerializer(many=True))
    @action(detail=True, pagination_class=None)
    def clocks(self, request, pk=None):
        """The three clocks recomputed from the timeline now (the evidence in a dispute)."""
        incident = self.get_object()
        now = timezone.now()
        rows = [
            {
                "name": clock.name,
                "state": clock.state(now),
                "due_at": clock.due_at,
                "warn_at": clock.warn_at,
                "met_at": clock.met_at,
                "paused": clock.paused,
                "target": str(clock.term) if clock.term else None,
            }
            for clock in services.clocks_of(incident).values()
        ]
        return Response(ClockSerializer(rows, many=True).data)

    @extend_schema(responses=EventSerializer(many=True))
    @action(detail=True, pagination_class=None)
    def timeline(self, request, pk=None):
        incident = self.get_object()
        return Response(EventSerializer(incident.events.select_related("actor"), many=True).data)


class WorkLogSerializer(serializers.ModelSerializer):
    contract = ContractCodeField()

    class Meta:
        model = WorkLogEntry
        fields = [
            "id",
            "contract",
            "incident",
            "category",
            "date",
            "initiator",
            "handler",
            "handling",
            "feedback",
        ]

    def validate(self, attrs):
        incident, contract = (
            attrs.get("incident"),
            attrs.get("contract") or getattr(self.instance, "contract", None),
        )
        if incident is not None and incident.contract_id != contract.pk:
            raise ValidationError({"incident": "The incident belongs to another contract."})
        return attrs


class WorkLogViewSet(ContractOwnedViewSet):
    queryset = WorkLogEntry.objects.all()
    serializer_class = WorkLogSerializer
    manage_action = REPORT_INCIDENT

    filterset_class = WorkLogFilterSet

    def perform_create(self, serializer):
        self.check_manage(serializer.validated_data["contract"])
        serializer.save(created_by=self.request.user)


class ServiceRecordSerializer(serializers.ModelSerializer):
    contract = ContractCodeField()
    engineer = serializers.SlugRelatedField(slug_field="username", read_only=True)
    confirmed_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = ServiceRecord
        fields = [
            "id",
            "contract",
            "incident",
            "started_at",
            "ended_at",
            "place",
            "requester",
            "task",
            "work_done",
            "parts_used",
            "result",
            "engineer",
            "confirmed_by",
            "confirmed_at",
            "client_feedback",
        ]
        read_only_fields = ["confirmed_at", "client_feedback"]
        extra_kwargs = {
            "started_at": {"validators": [plausible_moment]},
            "ended_at": {"validators": [plausible_moment]},
        }

    def validate(self, attrs):
        def value(name):
            return attrs.get(name, getattr(self.instance, name, None))

        if value("started_at") and value("ended_at") and value("ended_at") < value("started_at"):
            raise ValidationError({"ended_at": "The task cannot end before it starts."})
        incident = value("incident")
        if incident is not None and incident.contract_id != value("contract").pk:
            raise ValidationError({"incident": "The incident belongs to another contract."})
        return attrs


class ServiceRecordViewSet(ContractOwnedViewSet):
    queryset = ServiceRecord.objects.all()
    serializer_class = ServiceRecordSerializer
    manage_action = HANDLE_INCIDENT

    filterset_class = ServiceRecordFilterSet

    def perform_create(self, serializer):
        self.check_manage(serializer.validated_data["contract"])
        serializer.save(engineer=self.request.user)

    def perform_update(self, serializer):
        if serializer.instance.confirmed_at is not None:
            raise PermissionDenied("A sheet the client has confirmed cannot change.")
        super().perform_update(serializer)


router.register("incidents", IncidentViewSet, basename="incident")
router.register("work-log", WorkLogViewSet, basename="work-log-entry")
router.register("service-records", ServiceRecordViewSet, basename="service-record")
