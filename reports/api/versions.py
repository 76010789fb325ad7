"""Signed-off versions of reports, read-only, and their sealed PDFs.

A version exists from the moment of sign-off; its PDF from the moment a worker has rendered,
signed and hashed it (``sealed_at``). Until then a download is a 409: the file is coming.
"""

import django_filters
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.reverse import reverse

from contracts.api.base import ContractFilterSetMixin
from om_portal.api import Conflict, router
from reports.api.base import DOWNLOAD_RENDERERS, pdf_download
from reports.models import ReportVersion


class ReportVersionSerializer(serializers.ModelSerializer):
    contract = serializers.CharField(source="report.contract.code", read_only=True)
    kind = serializers.CharField(source="report.kind", read_only=True)
    period_start = serializers.DateField(source="report.period_start", read_only=True)
    period_end = serializers.DateField(source="report.period_end", read_only=True)
    submitted_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    signed_off_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    pdf = serializers.SerializerMethodField()

    class Meta:
        model = ReportVersion
        fields = [
            "id",
            "report",
            "contract",
            "kind",
            "period_start",
            "period_end",
            "number",
            "submitted_by",
            "submitted_at",
            "signed_off_by",
            "signed_off_at",
            "sha256",
            "sealed_at",
            "pdf",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_pdf(self, version) -> str | None:
        if version.sealed_at is None:
            return None
        return reverse("api:report-version-pdf", kwargs={"pk": version.pk}, request=self.context["request"])


class ReportVersionFilterSet(ContractFilterSetMixin):
    contract = django_filters.CharFilter(field_name="report__contract__code", label="contract code")
    report = django_filters.NumberFilter(field_name="report_id", label="report id")
    sealed = django_filters.BooleanFilter(field_name="sealed_at", lookup_expr="isnull", exclude=True)

    class Meta:
        model = ReportVersion
        fields = ["contract", "report", "number", "sealed"]


class ReportVersionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """What the client signed off, version by version; frozen."""

    serializer_class = ReportVersionSerializer
    filterset_class = ReportVersionFilterSet
    permission_classes = [permissions.IsAuthenticated]
    ordering_fields = ["signed_off_at", "number"]

    def get_queryset(self):
        return (
            ReportVersion.objects.restrict(self.request.user)
            .select_related("report__contract", "submitted_by", "signed_off_by")
            # The frozen figures and narrative are the PDF's business: not read for a listing.
            .defer("data", "narrative")
        )

    @extend_schema(
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The signed PDF."),
            404: OpenApiResponse(description="Not yours."),
            409: OpenApiResponse(description="Still being sealed; try again in a moment."),
        }
    )
    @action(detail=True, methods=["get"], renderer_classes=DOWNLOAD_RENDERERS)
    def pdf(self, request, pk=None):
        version = self.get_object()
        if version.sealed_at is None:
            raise Conflict(_("The signed PDF is still being sealed; try again in a moment."))
        return pdf_download(version.pdf, request=request, obj=version)


router.register("report-versions", ReportVersionViewSet, basename="report-version")
