"""The one-year LPR that administrators enter, and a build contract's timeline (seed 001).

``lpr-rates`` is public knowledge, not contract data: every signed-in user reads it, only an
administrator writes it. ``build-timelines`` follows the contract's scoping: the client side
(MANAGE_CONTRACT) enters the dates and periods; the deadlines and the warranty's end are derived.
"""

from django.utils.translation import gettext_lazy as _
from rest_framework import permissions, serializers, viewsets

from contracts import services
from contracts.api.base import ContractFilterSetMixin, ContractOwnedViewSet
from contracts.models import BuildTimeline, LoanPrimeRate
from contracts.scoping import MANAGE_CONTRACT, is_administrator
from contracts.settlement import timeline_of
from om_portal.api import router


class AdministratorWrites(permissions.BasePermission):
    message = _("Only an administrator enters loan prime rates.")

    def has_permission(self, request, view):
        if request.method in permissions.SAFE_METHODS:
            return True
        return is_administrator(request.user)


class LoanPrimeRateSerializer(serializers.ModelSerializer):
    class Meta:
        model = LoanPrimeRate
        fields = ["id", "effective_on", "one_year_percent", "source"]


class LoanPrimeRateViewSet(viewsets.ModelViewSet):
    """One-year LPR values by the date they are in force from (seed 003's late-payment rate)."""

    permission_classes = [permissions.IsAuthenticated, AdministratorWrites]
    queryset = LoanPrimeRate.objects.all()
    serializer_class = LoanPrimeRateSerializer
    filterset_fields = {"effective_on": ["gte", "lte"]}
    ordering_fields = ["effective_on"]
    lookup_field = "effective_on"


class BuildTimelineSerializer(serializers.ModelSerializer):
    contract = serializers.CharField(source="contract.code", read_only=True)
    build_due_on = serializers.SerializerMethodField()
    initial_acceptance_due_on = serializers.SerializerMethodField()
    trial_run_problems = serializers.SerializerMethodField()
    trial_run_ends_on = serializers.SerializerMethodField()
    final_acceptance_due_on = serializers.SerializerMethodField()
    warranty_ends_on = serializers.SerializerMethodField()

    class Meta:
        model = BuildTimeline
        fields = [
            "id",
            "contract",
            "build_days",
            "initial_acceptance_days",
            "trial_run_days",
            "trial_extension_days",
            "final_acceptance_days",
            "warranty_years",
            "build_done_on",
            "initial_acceptance_on",
            "final_acceptance_on",
            "build_due_on",
            "initial_acceptance_due_on",
            "trial_run_problems",
            "trial_run_ends_on",
            "final_acceptance_due_on",
            "warranty_ends_on",
        ]

    def _derived(self, obj):
        cache = self.context.setdefault("timelines", {})
        if obj.pk not in cache:
            cache[obj.pk] = timeline_of(obj.contract)
        return cache[obj.pk]

    def get_build_due_on(self, obj) -> str | None:
        return self._derived(obj).build_due_on

    def get_initial_acceptance_due_on(self, obj) -> str | None:
        return self._derived(obj).initial_acceptance_due_on

    def get_trial_run_problems(self, obj) -> int:
        return self._derived(obj).problems

    def get_trial_run_ends_on(self, obj) -> str | None:
        return self._derived(obj).trial_run_ends_on

    def get_final_acceptance_due_on(self, obj) -> str | None:
        return self._derived(obj).final_acceptance_due_on

    def get_warranty_ends_on(self, obj) -> str | None:
        return self._derived(obj).warranty_ends_on

    def validate(self, attrs):
        def value(name):
            return attrs.get(name, getattr(self.instance, name, None))

        # The table's check constraints say the same; without this it is a 500, not a 400.
        built, initial, final = (
            value("build_done_on"),
            value("initial_acceptance_on"),
            value("final_acceptance_on"),
        )
        if built and initial and initial < built:
            raise serializers.ValidationError(
                {"initial_acceptance_on": _("The initial acceptance cannot come before the build is done.")}
            )
        if initial and final and final < initial:
            raise serializers.ValidationError(
                {"final_acceptance_on": _("The final acceptance cannot come before the initial acceptance.")}
            )
        contract = value("contract")
        if (
            self.instance is None
            and contract is not None
            and BuildTimeline.objects.filter(contract=contract).exists()
        ):
            raise serializers.ValidationError({"contract": _("This contract already has a build timeline.")})
        return attrs


class BuildTimelineFilterSet(ContractFilterSetMixin):
    class Meta:
        model = BuildTimeline
        fields = ["contract"]


class BuildTimelineViewSet(ContractOwnedViewSet):
    """A contract's timeline comes with the contract (the seed loader, the admin): the API reads it
    and lets the client side enter its dates; it neither creates nor deletes one."""

    http_method_names = ["get", "put", "patch", "head", "options"]
    queryset = BuildTimeline.objects.all()
    serializer_class = BuildTimelineSerializer
    manage_action = MANAGE_CONTRACT
    filterset_class = BuildTimelineFilterSet

    def perform_update(self, serializer):
        super().perform_update(serializer)
        # The acceptance dates start the milestones that wait on them (seed 001: 30 working days).
        services.refresh_due_dates(serializer.instance.contract)


router.register("lpr-rates", LoanPrimeRateViewSet, basename="lpr-rate")
router.register("build-timelines", BuildTimelineViewSet, basename="build-timeline")
