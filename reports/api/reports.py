"""Reports over the API: the list and one report, a report on demand, the vendor's narrative, the
sign-off workflow's actions, the build's progress and the draft PDF.

Reads go through ``restrict(user)``: another organisation's report is a 404. The rules (who may
act, in which state) are ``reports.services``'; a wrong role is a 403, a wrong state a 409 with
the service's message, bad input a 400 with its field. Reports are not deleted over the API: a
period's report is a deliverable, and the beat would make a missing one again.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.reverse import reverse

from contracts.api.base import ContractCodeField
from om_portal.api import router
from reports import kinds, services
from reports.api.base import DOWNLOAD_RENDERERS, WorkflowErrorsMixin, pdf_download
from reports.filters import ReportFilterSet
from reports.models import BuildState, Report, ReportVersion


class ProgressSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=BuildState.choices)
    label = serializers.CharField()
    percent = serializers.IntegerField(min_value=0, max_value=100)
    error = serializers.CharField(allow_blank=True)


class SectionSerializer(serializers.Serializer):
    key = serializers.CharField()
    heading = serializers.CharField()


class ReportLinksSerializer(serializers.Serializer):
    self = serializers.URLField()
    progress = serializers.URLField()
    draft_pdf = serializers.URLField(allow_null=True)


class VersionSummarySerializer(serializers.ModelSerializer):
    signed_off_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    detail = serializers.SerializerMethodField()
    pdf = serializers.SerializerMethodField()

    class Meta:
        model = ReportVersion
        fields = [
            "id",
            "number",
            "signed_off_by",
            "signed_off_at",
            "sealed_at",
            "sha256",
            "detail",
            "pdf",
            "reissued_at",
            "reissue_reason",
        ]
        read_only_fields = fields

    def get_detail(self, version) -> str:
        return reverse(
            "api:report-version-detail", kwargs={"pk": version.pk}, request=self.context["request"]
        )

    @extend_schema_field(OpenApiTypes.URI)
    def get_pdf(self, version) -> str | None:
        # A version's PDF exists once a worker has sealed it.
        if version.sealed_at is None:
            return None
        return reverse("api:report-version-pdf", kwargs={"pk": version.pk}, request=self.context["request"])


class ReportListSerializer(serializers.ModelSerializer):
    """A report in a list: what it is, where it stands, and where to read more."""

    contract = serializers.SlugRelatedField(slug_field="code", read_only=True)
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    late = serializers.SerializerMethodField()
    links = serializers.SerializerMethodField()

    class Meta:
        model = Report
        fields = [
            "id",
            "contract",
            "kind",
            "kind_label",
            "period_start",
            "period_end",
            "due_on",
            "late",
            "late_flagged_at",
            "status",
            "status_label",
            "version",
            "build_state",
            "build_progress",
            "built_at",
            "submitted_at",
            "reviewed_at",
            "links",
        ]
        read_only_fields = fields

    def get_late(self, report) -> bool:
        return services.is_late(report, timezone.localdate())

    @extend_schema_field(ReportLinksSerializer)
    def get_links(self, report):
        request = self.context["request"]
        kwargs = {"pk": report.pk}
        return {
            "self": reverse("api:report-detail", kwargs=kwargs, request=request),
            "progress": reverse("api:report-progress", kwargs=kwargs, request=request),
            "draft_pdf": reverse("api:report-draft-pdf", kwargs=kwargs, request=request)
            if report.draft_pdf
            else None,
        }


class ReportSerializer(ReportListSerializer):
    """One report: the list's fields, the narrative with its sections, the build, the review and
    the signed-off versions."""

    narrative = serializers.DictField(child=serializers.CharField(), read_only=True)
    sections = serializers.SerializerMethodField()
    submitted_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    reviewed_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    versions = VersionSummarySerializer(many=True, read_only=True)

    class Meta(ReportListSerializer.Meta):
        fields = [
            *ReportListSerializer.Meta.fields,
            "narrative",
            "sections",
            "build_error",
            "submitted_by",
            "first_submitted_at",
            "reviewed_by",
            "review_comment",
            "created_at",
            "updated_at",
            "versions",
        ]
        read_only_fields = fields

    @extend_schema_field(SectionSerializer(many=True))
    def get_sections(self, report):
        # The narrative's keys a report of this kind accepts, in print order.
        return [{"key": key, "heading": str(heading)} for key, heading in kinds.get(report.kind).narrative]


class ReportCreateSerializer(serializers.ModelSerializer):
    contract = ContractCodeField()

    class Meta:
        model = Report
        fields = ["contract", "kind", "period_start", "period_end"]
        # services.create_report checks the period and refuses a duplicate, naming the field.
        validators = []


class NarrativeSerializer(serializers.Serializer):
    """The sections to change, by key; sections left out keep their text."""

    narrative = serializers.DictField(child=serializers.CharField(allow_blank=True))


class ReturnSerializer(serializers.Serializer):
    comment = serializers.CharField(help_text="What needs changing.")


class SignOffSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class ReissueSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, help_text="Why the signed-off report is reopened.")


def _comment(request) -> str:
    comment = request.data.get("comment", "") if hasattr(request.data, "get") else ""
    if not isinstance(comment, str):
        raise ValidationError({"comment": [_("Write the comment as text.")]})
    return comment


class ReportViewSet(
    WorkflowErrorsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Each period's report of a contract and its way from draft to signed off."""

    serializer_class = ReportSerializer
    filterset_class = ReportFilterSet
    permission_classes = [permissions.IsAuthenticated]
    ordering_fields = ["period_start", "period_end", "due_on", "status"]

    def get_queryset(self):
        reports = Report.objects.restrict(self.request.user).select_related("contract")
        if self.action == "list":
            # The list shows neither the figures nor the narrative: up to 20,000 characters a section.
            return reports.defer("data", "narrative")
        versions = ReportVersion.objects.select_related("signed_off_by").order_by("number")
        return (
            reports.defer("data")
            .select_related("submitted_by", "reviewed_by")
            .prefetch_related(Prefetch("versions", versions))
        )

    def get_serializer_class(self):
        return ReportListSerializer if self.action == "list" else ReportSerializer

    def _detail(self, report: Report, status_code=status.HTTP_200_OK) -> Response:
        # Read again through the scoped queryset: the services worked on their own copy.
        fresh = self.get_queryset().get(pk=report.pk)
        return Response(self.get_serializer(fresh).data, status=status_code)

    @extend_schema(request=ReportCreateSerializer, responses={201: ReportSerializer})
    def create(self, request, *args, **kwargs):
        form = ReportCreateSerializer(data=request.data, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        data = form.validated_data
        try:
            with transaction.atomic():
                report = services.create_report(
                    data["contract"], data["kind"], data["period_start"], data["period_end"], by=request.user
                )
        except IntegrityError:
            # Two requests for the same period at once: the unique constraint let one through.
            raise ValidationError(
                {"period_start": [_("This contract already has that report for this period.")]}
            ) from None
        return self._detail(report, status.HTTP_201_CREATED)

    @extend_schema(request=NarrativeSerializer, responses=ReportSerializer)
    def partial_update(self, request, *args, **kwargs):
        report = self.get_object()
        data = request.data if hasattr(request.data, "keys") else {}
        others = sorted(set(data.keys()) - {"narrative"})
        if others:
            message = _("Only the narrative can be changed; the rest comes from the data and the workflow.")
            raise ValidationError({name: [message] for name in others})
        if "narrative" not in data:
            raise ValidationError({"narrative": [_("This field is required.")]})
        try:
            report = services.update_narrative(report, data["narrative"], by=request.user)
        except DjangoValidationError as error:
            # Errors by section are the narrative's: nest them under it, like a nested serializer's.
            errors = error.message_dict
            raise ValidationError(errors if set(errors) == {"narrative"} else {"narrative": errors}) from None
        return self._detail(report)

    @extend_schema(request=None, responses={202: ProgressSerializer})
    @action(detail=True, methods=["post"])
    def build(self, request, pk=None):
        """Queue a build of the figures and the draft PDF; a build under way is left to finish."""
        report = self.get_object()
        services.request_build(report, by=request.user)
        return Response(services.progress_of(report), status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses=ProgressSerializer)
    @action(detail=True, methods=["get"])
    def progress(self, request, pk=None):
        return Response(services.progress_of(self.get_object()))

    @extend_schema(request=None, responses=ReportSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        return self._detail(services.submit(self.get_object(), by=request.user))

    @extend_schema(request=ReturnSerializer, responses=ReportSerializer)
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_to_vendor(self, request, pk=None):
        report = self.get_object()
        return self._detail(services.return_report(report, by=request.user, comment=_comment(request)))

    @extend_schema(request=SignOffSerializer, responses=ReportSerializer)
    @action(detail=True, methods=["post"], url_path="sign-off", url_name="sign-off")
    def sign_off(self, request, pk=None):
        report = self.get_object()
        services.sign_off(report, by=request.user, comment=_comment(request))
        return self._detail(report)

    @extend_schema(request=ReissueSerializer, responses=ReportSerializer)
    @action(detail=True, methods=["post"])
    def reissue(self, request, pk=None):
        """Reopen a signed-off report as its next version, with the reason (a 400 without)."""
        report = self.get_object()
        reason = request.data.get("reason", "") if hasattr(request.data, "get") else ""
        if not isinstance(reason, str):
            raise ValidationError({"reason": [_("Write the reason as text.")]})
        return self._detail(services.reissue(report, by=request.user, reason=reason[:2000]))

    @extend_schema(
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The draft PDF."),
            404: OpenApiResponse(description="Not built yet, or not yours."),
        }
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="draft-pdf",
        url_name="draft-pdf",
        renderer_classes=DOWNLOAD_RENDERERS,
    )
    def draft_pdf(self, request, pk=None):
        report = self.get_object()
        if not report.draft_pdf:
            raise Http404
        return pdf_download(report.draft_pdf, request=request, obj=report)


router.register("reports", ReportViewSet, basename="report")
