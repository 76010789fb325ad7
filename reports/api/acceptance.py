"""Acceptance packages (验收材料) over the API: the list and one package, a new package for the
term, a quarter or another period, the vendor's statement, both parties' sign-off, and the signed
PDF and the ZIP of originals once a worker has sealed them.

Reads go through ``restrict(user)``: another organisation's package is a 404. The rules (who may
act, in which state) are ``reports.acceptance``'s; a wrong role is a 403, a wrong state a 409
with the service's message, bad input a 400 with its field. Packages are not deleted over the
API: a signed one is the record of the acceptance.
"""

import django_filters
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.reverse import reverse

from contracts.api.base import ContractCodeField, ContractFilterSetMixin
from om_portal.api import Conflict, router
from reports import acceptance
from reports.api.base import DOWNLOAD_RENDERERS, PDFRenderer, WorkflowErrorsMixin, pdf_download
from reports.models import AcceptancePackage, ReportKind
from reports.services import NARRATIVE_MAX_CHARS

Scope = AcceptancePackage.Scope
Status = AcceptancePackage.Status


class ZIPRenderer(PDFRenderer):
    """Lets a client that asks for ``Accept: application/zip`` reach the archive (see PDFRenderer)."""

    media_type = "application/zip"
    format = "zip"


class FiguresSerializer(serializers.Serializer):
    """The headline figures of the package, as frozen at submission."""

    incidents = serializers.IntegerField()
    incidents_resolved = serializers.IntegerField()
    incidents_open = serializers.IntegerField()
    sla_attainment_percent = serializers.FloatField(allow_null=True)
    inspections_due = serializers.IntegerField()
    inspections_done = serializers.IntegerField()
    inspections_missed = serializers.IntegerField()
    inspection_completion_percent = serializers.FloatField(allow_null=True)
    breaches = serializers.IntegerField()
    penalty_total = serializers.CharField(help_text="Yuan, two decimals.")
    reports = serializers.IntegerField()
    reports_signed_off = serializers.IntegerField(help_text="Reports with a signed-off version.")


def figures(data: dict | None) -> dict | None:
    """The summary of a package's frozen figures; None before submission (nothing is frozen)."""
    if data is None:
        return None
    incidents, sla, inspections, breaches = (
        data["incidents"],
        data["sla"],
        data["inspections"],
        data["breaches"],
    )
    return {
        "incidents": incidents["total"],
        "incidents_resolved": incidents["resolved"],
        "incidents_open": incidents["open"],
        "sla_attainment_percent": sla["attainment_percent"],
        "inspections_due": inspections["due"],
        "inspections_done": inspections["done"],
        "inspections_missed": inspections["missed"],
        "inspection_completion_percent": inspections["completion_percent"],
        "breaches": breaches["count"],
        "penalty_total": breaches["penalty_total"],
        "reports": len(data["reports"]),
        "reports_signed_off": sum(1 for report in data["reports"] if report["version"]),
    }


class PackageLinksSerializer(serializers.Serializer):
    self = serializers.URLField()
    pdf = serializers.URLField(allow_null=True)
    archive = serializers.URLField(allow_null=True)


class PackageListSerializer(serializers.ModelSerializer):
    """A package in a list: its period, where it stands, and where to read more."""

    contract = serializers.SlugRelatedField(slug_field="code", read_only=True)
    scope_label = serializers.CharField(source="get_scope_display", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    conclusion_label = serializers.CharField(source="get_conclusion_display", read_only=True)
    submitted_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    signed_off_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    links = serializers.SerializerMethodField()

    class Meta:
        model = AcceptancePackage
        fields = [
            "id",
            "contract",
            "scope",
            "scope_label",
            "period_start",
            "period_end",
            "status",
            "status_label",
            "conclusion",
            "conclusion_label",
            "submitted_by",
            "submitted_at",
            "signed_off_by",
            "signed_off_at",
            "sha256",
            "sealed_at",
            "seal_error",
            "links",
        ]
        read_only_fields = fields

    @extend_schema_field(PackageLinksSerializer)
    def get_links(self, package):
        request = self.context["request"]
        kwargs = {"pk": package.pk}
        # The files exist once a worker has sealed the signed-off package.
        sealed = package.sealed_at is not None
        return {
            "self": reverse("api:acceptance-package-detail", kwargs=kwargs, request=request),
            "pdf": reverse("api:acceptance-package-pdf", kwargs=kwargs, request=request) if sealed else None,
            "archive": reverse("api:acceptance-package-archive", kwargs=kwargs, request=request)
            if sealed
            else None,
        }


class MissingReportSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ReportKind.choices)
    kind_label = serializers.CharField()
    period_start = serializers.DateField()
    period_end = serializers.DateField()


class UnsignedReportSerializer(MissingReportSerializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    status_label = serializers.CharField()


class PackageGapsSerializer(serializers.Serializer):
    """What the period lacks before it can be accepted; sign-off refuses a period not over."""

    period_over = serializers.BooleanField()
    reports_not_signed_off = UnsignedReportSerializer(many=True)
    missing_reports = MissingReportSerializer(many=True, help_text="Required, period ended, none made.")
    complete = serializers.BooleanField()


class PackageSerializer(PackageListSerializer):
    """One package: the list's fields, the form's text, the frozen figures, and what the period
    lacks (until it is signed off)."""

    figures = serializers.SerializerMethodField()
    gaps = serializers.SerializerMethodField()

    class Meta(PackageListSerializer.Meta):
        fields = [
            *PackageListSerializer.Meta.fields,
            "vendor_statement",
            "client_opinion",
            "review_comment",
            "figures",
            "gaps",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(FiguresSerializer(allow_null=True))
    def get_figures(self, package):
        return figures(package.data)

    @extend_schema_field(PackageGapsSerializer(allow_null=True))
    def get_gaps(self, package):
        if package.status == Status.SIGNED_OFF:
            return None
        return PackageGapsSerializer(acceptance.package_gaps(package)).data


class PackageCreateSerializer(serializers.ModelSerializer):
    contract = ContractCodeField()
    scope = serializers.ChoiceField(choices=Scope.choices)
    period_start = serializers.DateField(
        required=False, allow_null=True, help_text="Left out for the whole term."
    )
    period_end = serializers.DateField(
        required=False, allow_null=True, help_text="Left out for the whole term."
    )

    class Meta:
        model = AcceptancePackage
        fields = ["contract", "scope", "period_start", "period_end"]
        # reports.acceptance.create_package refuses a duplicate period, naming the field.
        validators = []

    # The rules on the period (a term's dates, one of its quarters) are create_package's.


class StatementSerializer(serializers.Serializer):
    # The same bound as a section of a report's narrative: the form prints it on one page or two.
    vendor_statement = serializers.CharField(allow_blank=True, max_length=NARRATIVE_MAX_CHARS)


# The actions' bodies as the schema shows them; the views read them with _text, so that the
# service checks the role before the content (a vendor's sign-off is a 403 whatever it says).
class PackageReturnSerializer(serializers.Serializer):
    comment = serializers.CharField(help_text="What needs changing.")


class PackageSignOffSerializer(serializers.Serializer):
    conclusion = serializers.ChoiceField(choices=AcceptancePackage.Conclusion.choices)
    opinion = serializers.CharField(required=False, allow_blank=True, default="")


class PackageFilterSet(ContractFilterSetMixin):
    status = django_filters.ChoiceFilter(choices=Status.choices)
    scope = django_filters.ChoiceFilter(choices=Scope.choices)

    class Meta:
        model = AcceptancePackage
        fields = ["contract", "status", "scope"]


def _text(request, name: str) -> str:
    """A text field of the body, "" when absent; the service judges its content, after the role."""
    value = request.data.get(name, "") if hasattr(request.data, "get") else ""
    if not isinstance(value, str):
        raise ValidationError({name: [_("Write this as text.")]})
    return value


class AcceptancePackageViewSet(
    WorkflowErrorsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """A contract's acceptance packages and their way from draft to signed off and sealed."""

    serializer_class = PackageSerializer
    filterset_class = PackageFilterSet
    permission_classes = [permissions.IsAuthenticated]
    ordering_fields = ["period_start", "period_end", "status", "signed_off_at"]

    def get_queryset(self):
        packages = AcceptancePackage.objects.restrict(self.request.user).select_related(
            "contract", "submitted_by", "signed_off_by"
        )
        if self.action == "list":
            # The list shows no figures: a term's frozen data lists every incident of the year.
            return packages.defer("data", "vendor_statement", "client_opinion", "review_comment")
        return packages

    def get_serializer_class(self):
        return PackageListSerializer if self.action == "list" else PackageSerializer

    def _detail(self, package: AcceptancePackage, status_code=status.HTTP_200_OK) -> Response:
        # Read again through the scoped queryset: the services worked on their own copy.
        fresh = self.get_queryset().get(pk=package.pk)
        return Response(self.get_serializer(fresh).data, status=status_code)

    @extend_schema(request=PackageCreateSerializer, responses={201: PackageSerializer})
    def create(self, request, *args, **kwargs):
        form = PackageCreateSerializer(data=request.data, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        data = form.validated_data
        try:
            with transaction.atomic():
                package = acceptance.create_package(
                    data["contract"],
                    data["scope"],
                    data.get("period_start"),
                    data.get("period_end"),
                    by=request.user,
                )
        except IntegrityError:
            # Two requests for the same period at once: the unique constraint let one through.
            raise ValidationError(
                {"period_start": [_("This period already has an acceptance package.")]}
            ) from None
        return self._detail(package, status.HTTP_201_CREATED)

    @extend_schema(request=StatementSerializer, responses=PackageSerializer)
    def partial_update(self, request, *args, **kwargs):
        package = self.get_object()
        data = request.data if hasattr(request.data, "keys") else {}
        others = sorted(set(data.keys()) - {"vendor_statement"})
        if others:
            message = _(
                "Only the vendor's statement can be changed; the rest comes from the data and the workflow."
            )
            raise ValidationError({name: [message] for name in others})
        form = StatementSerializer(data=data)
        form.is_valid(raise_exception=True)
        package = acceptance.update_form(
            package, by=request.user, vendor_statement=form.validated_data["vendor_statement"]
        )
        return self._detail(package)

    @extend_schema(request=None, responses=PackageSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """The vendor manager signs the form; the figures are frozen as they are now."""
        return self._detail(acceptance.submit_package(self.get_object(), by=request.user))

    @extend_schema(request=PackageReturnSerializer, responses=PackageSerializer)
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_to_vendor(self, request, pk=None):
        package = self.get_object()
        return self._detail(
            acceptance.return_package(package, by=request.user, comment=_text(request, "comment"))
        )

    @extend_schema(request=PackageSignOffSerializer, responses=PackageSerializer)
    @action(detail=True, methods=["post"], url_path="sign-off", url_name="sign-off")
    def sign_off(self, request, pk=None):
        """The client manager signs off; a worker then renders, signs and archives the package."""
        package = acceptance.sign_off_package(
            self.get_object(),
            by=request.user,
            conclusion=_text(request, "conclusion"),
            opinion=_text(request, "opinion"),
        )
        return self._detail(package)

    def _sealed(self) -> AcceptancePackage:
        package = self.get_object()
        if package.status != Status.SIGNED_OFF:
            raise Conflict(_("The package is not signed off: there is no signed package yet."))
        if package.sealed_at is None:
            raise Conflict(_("The signed package is still being sealed; try again in a moment."))
        return package

    @extend_schema(
        responses={
            (200, "application/pdf"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The signed PDF: the form, the summary and the reports."
            ),
            404: OpenApiResponse(description="Not yours."),
            409: OpenApiResponse(description="Not signed off, or still being sealed."),
        }
    )
    @action(detail=True, methods=["get"], renderer_classes=DOWNLOAD_RENDERERS)
    def pdf(self, request, pk=None):
        return pdf_download(self._sealed().pdf, request=request, obj=self._sealed())

    @extend_schema(
        responses={
            (200, "application/zip"): OpenApiResponse(
                OpenApiTypes.BINARY,
                description="The originals: the signed PDF, the reports' signed PDFs, the inspection ledger.",
            ),
            404: OpenApiResponse(description="Not yours."),
            409: OpenApiResponse(description="Not signed off, or still being sealed."),
        }
    )
    @action(detail=True, methods=["get"], renderer_classes=[JSONRenderer, ZIPRenderer])
    def archive(self, request, pk=None):
        response = pdf_download(self._sealed().archive, request=request, obj=self._sealed())
        # pdf_download streams and names any stored file; this one is a ZIP.
        response["Content-Type"] = ZIPRenderer.media_type
        return response


router.register("acceptance-packages", AcceptancePackageViewSet, basename="acceptance-package")
