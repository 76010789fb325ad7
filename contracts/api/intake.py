"""Contract intake for scripts (a bureau's archive migrated file by file): upload a contract's
file (202, read in a worker), poll its status, read its proposals, accept the reviewed ones
(201 with the new contract's code; 400 with the errors by proposal and field, nothing saved).

Only the roles that may create contracts, for their bureaus (``contract_clients``): a vendor's
account gets 403 on the list and the upload, 404 on any upload's own routes, as does another
bureau's manager.
"""

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from contracts.intake import codec, flow
from contracts.intake.accept import MAX_PROPOSALS, IntakeRejected, accept
from contracts.models import ContractUpload, Organization
from contracts.scoping import contract_clients
from om_portal.api import router


class MayEnterContracts(permissions.BasePermission):
    message = _("Your role does not allow entering contracts.")

    def has_permission(self, request, view):
        return contract_clients(request.user).exists()


def plain(value):
    """A proposal's value as JSON: amounts as decimal strings, dates in ISO 8601."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


class ProposalSerializer(serializers.Serializer):
    group = serializers.CharField(max_length=50, help_text="The contract tab it belongs to.")
    field = serializers.CharField(max_length=50, help_text="The field: client, total, milestone, sla_term...")
    value = serializers.JSONField(
        help_text="A plain value, or an object for a part (milestone, service_item, sla_term, "
        "penalty_clause, staff_post...). Amounts as decimal strings, dates as YYYY-MM-DD."
    )
    start = serializers.IntegerField(min_value=0, help_text="The span in the text: [start, end).")
    end = serializers.IntegerField(min_value=0)
    confidence = serializers.FloatField(required=False, allow_null=True)
    rule = serializers.CharField(max_length=100, required=False, allow_blank=True)


class ConflictSerializer(serializers.Serializer):
    field = serializers.CharField()
    values = serializers.ListField(child=serializers.JSONField())
    spans = serializers.ListField(child=serializers.ListField(child=serializers.IntegerField()))


class ContractUploadSerializer(serializers.ModelSerializer):
    client = serializers.PrimaryKeyRelatedField(read_only=True)
    contract = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    percent = serializers.IntegerField(read_only=True)

    class Meta:
        model = ContractUpload
        fields = [
            "id",
            "client",
            "filename",
            "sha256",
            "size",
            "kind",
            "status",
            "reason",
            "percent",
            "page",
            "pages",
            "created",
            "contract",
        ]
        read_only_fields = fields


class ContractUploadDetailSerializer(ContractUploadSerializer):
    text = serializers.CharField(read_only=True)
    proposals = serializers.SerializerMethodField()
    conflicts = serializers.SerializerMethodField()

    class Meta(ContractUploadSerializer.Meta):
        fields = [*ContractUploadSerializer.Meta.fields, "text", "proposals", "conflicts"]
        read_only_fields = fields

    def get_proposals(self, obj) -> list[dict]:
        return [plain(codec.load_proposal(p)) for p in obj.proposals]

    def get_conflicts(self, obj) -> list[dict]:
        return [plain(codec.load_conflict(c)) for c in obj.conflicts]


class UploadSerializer(serializers.Serializer):
    client = serializers.PrimaryKeyRelatedField(
        queryset=Organization.objects.none(),
        help_text="The bureau the contract is entered for (one the user may enter contracts for).",
    )
    file = serializers.FileField(help_text="The contract: .txt, .docx or .pdf (a scan is read by OCR).")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["client"].queryset = contract_clients(request.user)

    def validate_file(self, uploaded):
        try:
            flow.check_file(uploaded.name, uploaded.size)
        except ValidationError as error:
            raise serializers.ValidationError(error.message_dict["file"]) from None
        return uploaded


class AcceptSerializer(serializers.Serializer):
    code = serializers.SlugField(max_length=40, help_text="The new contract's code.")
    proposals = ProposalSerializer(
        many=True, max_length=MAX_PROPOSALS, help_text="The proposals to accept, as reviewed."
    )


ACCEPTED = inline_serializer(
    "IntakeAccepted", {"contract": serializers.CharField(), "url": serializers.CharField()}
)
REJECTED = inline_serializer(
    "IntakeRejected",
    {
        "code": serializers.ListField(child=serializers.CharField(), required=False),
        "contract": serializers.DictField(required=False),
        "proposals": serializers.DictField(required=False, help_text="index → field → messages"),
        "other": serializers.ListField(child=serializers.CharField(), required=False),
    },
)


class ContractUploadViewSet(
    mixins.CreateModelMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Uploaded contracts being read, reviewed and accepted (contract intake)."""

    permission_classes = [permissions.IsAuthenticated]
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    queryset = ContractUpload.objects.none()

    def get_permissions(self):
        # The list and an upload need the right; an upload's own routes are scoped by the
        # queryset instead: another's upload, or any for a vendor, is a 404.
        extra = [MayEnterContracts()] if self.action in ("list", "create") else []
        return [*super().get_permissions(), *extra]

    def get_queryset(self):
        uploads = flow.uploads_for(self.request.user).select_related("contract")
        return uploads.defer("text", "proposals", "conflicts") if self.action == "list" else uploads

    def get_serializer_class(self):
        if self.action == "create":
            return UploadSerializer
        if self.action == "accept":
            return AcceptSerializer
        if self.action == "retrieve":
            return ContractUploadDetailSerializer
        return ContractUploadSerializer

    @extend_schema(
        request={"multipart/form-data": UploadSerializer}, responses={202: ContractUploadSerializer}
    )
    def create(self, request, *args, **kwargs):
        serializer = UploadSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        upload = flow.create_upload(
            client=serializer.validated_data["client"],
            uploaded_file=serializer.validated_data["file"],
            by=request.user,
        )
        return Response(ContractUploadSerializer(upload).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        request=None,
        responses=inline_serializer(
            "IntakeStatus",
            {
                "id": serializers.IntegerField(),
                "status": serializers.ChoiceField(choices=ContractUpload.Status.choices),
                "label": serializers.CharField(),
                "reason": serializers.CharField(),
                "percent": serializers.IntegerField(),
                "page": serializers.IntegerField(),
                "pages": serializers.IntegerField(),
                "kind": serializers.CharField(),
                "contract": serializers.CharField(allow_null=True),
            },
        ),
    )
    @action(detail=True, methods=["get"], url_path="status", url_name="status")
    def reading_status(self, request, pk=None):
        return Response(flow.status_of(self.get_object()))

    @extend_schema(request=None, responses={202: ContractUploadSerializer, 409: None})
    @action(detail=True, methods=["post"], url_path="read-again", url_name="read-again")
    def read_again(self, request, pk=None):
        """Read again a file that failed, or that never left the queue (the broker was down)."""
        upload = self.get_object()
        if not flow.requeue(upload, by=request.user):
            return Response(
                {"detail": _("Only a file that failed or still waits can be read again.")},
                status=status.HTTP_409_CONFLICT,
            )
        upload.refresh_from_db()
        return Response(ContractUploadSerializer(upload).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=AcceptSerializer, responses={201: ACCEPTED, 400: REJECTED})
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        upload = self.get_object()
        serializer = AcceptSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            contract = accept(
                upload,
                [dict(p) for p in serializer.validated_data["proposals"]],
                code=serializer.validated_data["code"],
                by=request.user,
            )
        except IntakeRejected as rejected:
            errors = dict(rejected.errors)
            if "proposals" in errors:
                errors["proposals"] = {str(k): v for k, v in errors["proposals"].items()}
            return Response(errors, status=status.HTTP_400_BAD_REQUEST)
        return Response(
            {"contract": contract.code, "url": contract.get_absolute_url()}, status=status.HTTP_201_CREATED
        )


router.register("contract-uploads", ContractUploadViewSet, basename="contract-upload")
