"""Change requests over the API: read and create within scope; each decision is a POST action.

The rules live in ``incidents.changes``: an illegal transition there is a ValidationError (400
with its message here), a role without the right is PermissionDenied (403, which DRF maps), and a
request outside the user's contracts is not in the queryset (404).
"""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from contracts.api.base import ContractCodeField, ContractOwnedViewSet
from contracts.scoping import REQUEST_CHANGE
from incidents import changes as services
from incidents.filters import ChangeRequestFilterSet
from incidents.models import ChangeRequest, Incident
from om_portal.api import router

WRITABLE = ["contract", "incident", "kind", "title", "description", "reason", "impact", "rollback_plan"]
USER_FIELDS = [f"{who}_by" for who in services.PEOPLE]


class ScopedIncidentField(serializers.PrimaryKeyRelatedField):
    """An incident by id, among those the caller can see: another organisation's does not exist."""

    def get_queryset(self):
        return Incident.objects.restrict(self.context["request"].user)


def _username(allow_null=True):
    # Null until the step is taken (only the requester is always there).
    return serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=allow_null)


def _step():
    return serializers.ChoiceField(
        choices=ChangeRequest.Step.choices,
        required=False,
        allow_blank=True,
        help_text="The step the caller means to decide; if the request has moved on, a 400.",
    )


class ChangeRequestSerializer(serializers.ModelSerializer):
    contract = ContractCodeField()
    incident = ScopedIncidentField(required=False, allow_null=True)
    number = serializers.CharField(read_only=True)
    # A plain string: as an enum it would be a second schema name for the "step" choices.
    rejected_step = serializers.CharField(
        read_only=True, help_text='"first", "second", or "" if not rejected.'
    )
    # People by username, not by an id the caller cannot look up.
    requested_by = _username(allow_null=False)
    first_approved_by = _username()
    second_approved_by = _username()
    rejected_by = _username()
    executed_by = _username()
    cancelled_by = _username()

    class Meta:
        model = ChangeRequest
        writable = [
            "contract",
            "incident",
            "kind",
            "title",
            "description",
            "reason",
            "impact",
            "rollback_plan",
        ]
        fields = [
            "id",
            "number",
            *WRITABLE,
            "status",
            "requested_by",
            "requested_at",
            "submitted_at",
            "first_approved_by",
            "first_approved_at",
            "first_comment",
            "second_approved_by",
            "second_approved_at",
            "second_comment",
            "rejected_step",
            "rejected_by",
            "rejected_at",
            "rejection_reason",
            "executed_by",
            "executed_at",
            "execution_note",
            "cancelled_by",
            "cancelled_at",
            "updated_at",
        ]
        # Only the services move a request along: its decisions are never written directly.
        read_only_fields = [name for name in fields if name not in WRITABLE]


class ChangeDecisionSerializer(serializers.Serializer):
    step = _step()
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class ChangeRejectSerializer(serializers.Serializer):
    step = _step()
    # Not required here: the service's own message ("give the reason...") is the clearer 400.
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class ChangeExecuteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", help_text="What was done.")


class ChangeRequestViewSet(ContractOwnedViewSet):
    queryset = ChangeRequest.objects.all()
    serializer_class = ChangeRequestSerializer
    manage_action = REQUEST_CHANGE
    filterset_class = ChangeRequestFilterSet
    search_fields = ["title", "description"]
    ordering_fields = ["requested_at", "submitted_at", "status"]
    # No PUT, PATCH or DELETE: a request changes only through its actions, and stays as evidence.
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self):
        return super().get_queryset().select_related(*USER_FIELDS)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = services.create(data.pop("contract"), self.request.user, **data)

    def _act(self, request, form_class, run):
        change = self.get_object()
        form = form_class(data=request.data)
        form.is_valid(raise_exception=True)
        run(change, request.user, form.validated_data)
        return Response(self.get_serializer(change).data)

    @extend_schema(request=None, responses=ChangeRequestSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        return self._act(request, serializers.Serializer, lambda c, u, d: services.submit(c, u))

    @extend_schema(request=ChangeDecisionSerializer, responses=ChangeRequestSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._act(
            request,
            ChangeDecisionSerializer,
            lambda c, u, d: services.approve(c, u, comment=d["comment"], step=d.get("step", "")),
        )

    @extend_schema(request=ChangeRejectSerializer, responses=ChangeRequestSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._act(
            request,
            ChangeRejectSerializer,
            lambda c, u, d: services.reject(c, u, reason=d["reason"], step=d.get("step", "")),
        )

    @extend_schema(request=ChangeExecuteSerializer, responses=ChangeRequestSerializer)
    @action(detail=True, methods=["post"])
    def execute(self, request, pk=None):
        return self._act(
            request, ChangeExecuteSerializer, lambda c, u, d: services.execute(c, u, note=d["note"])
        )

    @extend_schema(request=None, responses=ChangeRequestSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return self._act(request, serializers.Serializer, lambda c, u, d: services.cancel(c, u))


router.register("change-requests", ChangeRequestViewSet, basename="change-request")
