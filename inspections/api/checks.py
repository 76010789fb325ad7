"""Automated checks and what they found, over the API.

A check's password is written, never read back: ``has_password`` says whether one is stored.
The monitoring state (last result, failing since, the open incident) is the pipeline's to write.
A check runs once the client side approves it (``POST /checks/{id}/approve/``); an edit that
changes where it points, by someone who cannot approve, waits for approval again
(``inspections.targets``). ``admin_allowed`` is an administrator's to set.
"""

import django_filters
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, Throttled
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response

from contracts.api.base import ContractCodeField, ContractFilterSetMixin
from contracts.models import Asset
from contracts.scoping import is_administrator
from inspections import ondemand, targets
from inspections.api.base import FixedContractMixin, InspectionsViewSet
from inspections.models import AutomatedCheck, CheckResult, ResultStatus
from inspections.probes import kinds as probe_kinds
from om_portal.api import Conflict, ModelRulesMixin, router

MONITORING_FIELDS = ["last_status", "last_checked_at", "failing_since", "incident"]
APPROVAL_FIELDS = ["approval", "approved_by", "approved_at", "awaiting_approval", "paused_reason"]


# Inline in the schema: as a component it would be a second name for the results' status enum,
# which drf-spectacular cannot name without a settings override.
@extend_schema_field({"type": "string", "enum": [*ResultStatus.values, ""]})
class LastStatusField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=[*ResultStatus.choices, ("", "")], read_only=True, **kwargs)


def _options_schema() -> dict:
    """The options of every kind (inspections.probes.kinds), each saying which kinds take it."""
    properties: dict[str, dict] = {}
    for code, kind in probe_kinds.KINDS.items():
        for option in kind.options:
            entry = properties.setdefault(option.name, {**option.json_schema(), "x-kinds": []})
            entry["x-kinds"].append(code)
    for entry in properties.values():
        entry["description"] = "Kinds: " + ", ".join(entry["x-kinds"])
    return {
        "type": "object",
        "properties": properties,
        "description": "The kind's options and thresholds. Secret options (writeOnly) are kept "
        "with the password and never returned.",
    }


@extend_schema_field(_options_schema())
class OptionsField(serializers.JSONField):
    pass


class AutomatedCheckSerializer(FixedContractMixin, ModelRulesMixin, serializers.ModelSerializer):
    contract = ContractCodeField()
    options = OptionsField(required=False, label=_("options and thresholds"))
    port = serializers.IntegerField(min_value=1, max_value=65535, allow_null=True, required=False)
    timeout = serializers.FloatField(max_value=60, allow_null=True, required=False)
    confirm_failures = serializers.IntegerField(
        min_value=1,
        max_value=10,
        allow_null=True,
        required=False,
        help_text=_(
            "Probes in a row that must fail before an incident is opened; null: the portal's default."
        ),
    )
    confirm_recoveries = serializers.IntegerField(
        min_value=1,
        max_value=10,
        allow_null=True,
        required=False,
        help_text=_(
            "Probes in a row that must pass before a recovery is recorded; null: the portal's default."
        ),
    )
    password = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=200,
        style={"input_type": "password"},
        help_text=_("Database checks only. Left out on an update: the stored one stays; blank: none."),
    )
    has_password = serializers.SerializerMethodField()
    last_status = LastStatusField(help_text=_("The latest result; blank before the first run."))
    awaiting_approval = serializers.SerializerMethodField(
        help_text=_("True until the client side approves the check as it stands: it does not run.")
    )

    class Meta:
        model = AutomatedCheck
        fields = [
            "id",
            "contract",
            "asset",
            "name",
            "kind",
            "target",
            "port",
            "options",
            "password",
            "has_password",
            "timeout",
            "severity",
            "confirm_failures",
            "confirm_recoveries",
            "active",
            "admin_allowed",
            *APPROVAL_FIELDS,
            *MONITORING_FIELDS,
            "created_at",
            "updated_at",
        ]
        read_only_fields = [*MONITORING_FIELDS, *APPROVAL_FIELDS]

    def get_fields(self):
        fields = super().get_fields()
        # Another organisation's asset "does not exist"; another contract's is the model's 400.
        fields["asset"].queryset = Asset.objects.restrict(self.context["request"].user)
        return fields

    def validate_timeout(self, value):
        if value is not None and value <= 0:
            raise serializers.ValidationError(_("Give a number of seconds above zero."))
        return value

    def validate_admin_allowed(self, value):
        current = self.instance if self.instance is not None else AutomatedCheck()
        problem = targets.admin_allowance_problem(self.context["request"].user, current, value)
        if problem:
            raise serializers.ValidationError(problem)
        return value

    def validate(self, attrs):
        # An edit by someone else of a check an administrator allowed drops the allowance: it
        # was given to the target as it was.
        check, user = self.instance, self.context["request"].user
        retargeted = check is not None and any(
            getattr(check, name) != attrs[name] for name in targets.TARGET_FIELDS if name in attrs
        )
        if retargeted and check.admin_allowed and not is_administrator(user):
            attrs["admin_allowed"] = False
        if isinstance(attrs.get("options"), dict) and "password" not in attrs:
            # A kind's secret options (SNMP's community, keys) move from the options into the
            # password column on clean(): carry it, so that what clean() settled on is saved.
            attrs["password"] = check.password if check is not None else ""
        return super().validate(attrs)

    def get_has_password(self, check) -> bool:
        return bool(check.password)

    def get_awaiting_approval(self, check) -> bool:
        return targets.awaits_approval(check)


class RunRequestSerializer(serializers.Serializer):
    check = serializers.IntegerField()
    requested_at = serializers.DateTimeField()


class AutomatedCheckViewSet(InspectionsViewSet):
    """Checks bound to ledger assets: HTTP(S), TCP, ping, node_exporter metrics, a database login.

    ``options`` holds the kind's thresholds (e.g. ``{"expected_status": 200, "keyword": "ok"}``
    for HTTP, ``{"max_filesystem_used_pct": 85}`` for node_exporter, ``{"dbname": …, "user": …}``
    for PostgreSQL); a malformed target or a threshold of the wrong type is a 400 naming it.
    """

    queryset = AutomatedCheck.objects.select_related("contract", "asset")
    serializer_class = AutomatedCheckSerializer
    search_fields = ["name", "target", "asset__name"]
    ordering_fields = ["name", "kind", "last_status", "last_checked_at"]

    def perform_create(self, serializer):
        self.check_manage(serializer.validated_data["contract"])
        with transaction.atomic():
            check = serializer.save()
            targets.record_edit(check, self.request.user, before=None)

    def update(self, request, *args, **kwargs):
        # Who may not write is told so before anything about what they wrote.
        self.check_manage(self.contract_of(self.get_object()))
        return super().update(request, *args, **kwargs)

    def perform_update(self, serializer):
        self.check_manage(self.contract_of(serializer.instance))
        before = targets.signature(serializer.instance)
        with transaction.atomic():
            check = serializer.save()
            targets.record_edit(check, self.request.user, before=before)

    @extend_schema(request=None, responses=AutomatedCheckSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """The client side approves the check as it stands (its target, port and options): it runs
        from the next round. A client manager or an administrator of the contract."""
        check = self.get_object()
        if not targets.can_approve(request.user, check):
            raise PermissionDenied(_("Only the client side approves a check."))
        with transaction.atomic():
            targets.approve(check, request.user)
        return Response(self.get_serializer(check).data)

    @extend_schema(request=None, responses={202: RunRequestSerializer})
    @action(detail=True, methods=["post"])
    def run(self, request, pk=None):
        """Run the check now, on the probes queue; its result is a check result without a run
        (``GET /check-results/?check={id}``) and moves the check's state as a round's would. Who
        manages the contract's checks (else 403), an approved, active check (else 409), once per
        30 seconds (else 429 with Retry-After)."""
        check = self.get_object()
        try:
            with transaction.atomic():
                requested_at = ondemand.request_run(check, request.user)
        except DjangoPermissionDenied:
            raise PermissionDenied(_("Your role does not allow running this contract's checks.")) from None
        except ValidationError as error:
            raise Conflict(" ".join(error.messages)) from None
        except ondemand.TooSoon as soon:
            raise Throttled(wait=soon.retry_after) from None
        return Response(
            RunRequestSerializer({"check": check.pk, "requested_at": requested_at}).data, status=202
        )

    class filterset_class(ContractFilterSetMixin):
        failing = django_filters.BooleanFilter(field_name="failing_since", lookup_expr="isnull", exclude=True)

        class Meta:
            model = AutomatedCheck
            fields = ["contract", "asset", "kind", "active", "last_status", "severity", "failing"]


class CheckResultSerializer(serializers.ModelSerializer):
    contract = serializers.SlugRelatedField(slug_field="code", read_only=True)
    check = serializers.PrimaryKeyRelatedField(source="automated_check", read_only=True)
    check_name = serializers.CharField(source="automated_check.name", read_only=True)
    text = serializers.CharField(read_only=True, help_text=_("The message in the caller's language."))

    class Meta:
        model = CheckResult
        fields = [
            "id",
            "run",
            "contract",
            "check",
            "check_name",
            "status",
            "text",
            "message",
            "params",
            "values",
            "started_at",
            "duration_ms",
        ]
        read_only_fields = fields


class CheckResultFilterSet(ContractFilterSetMixin):
    check = django_filters.NumberFilter(field_name="automated_check")
    started_at = django_filters.IsoDateTimeFromToRangeFilter()
    status = django_filters.ChoiceFilter(choices=ResultStatus.choices)

    class Meta:
        model = CheckResult
        fields = ["contract", "run", "check", "status", "started_at"]


class ResultPagination(CursorPagination):
    """Keyset pages, newest first: a sweep of 10,000 targets a day adds millions of rows a year,
    and an offset page (or its COUNT) would walk them all."""

    ordering = ("-started_at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class CheckResultViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Every check's outcome in every run, with its measured ``values``; read-only."""

    serializer_class = CheckResultSerializer
    filterset_class = CheckResultFilterSet
    pagination_class = ResultPagination
    permission_classes = [permissions.IsAuthenticated]
    ordering_fields = []  # keyset pages fix the order

    def get_queryset(self):
        return CheckResult.objects.restrict(self.request.user).select_related("contract", "automated_check")


router.register("checks", AutomatedCheckViewSet, basename="check")
router.register("check-results", CheckResultViewSet, basename="check-result")
