from decimal import Decimal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from contracts import services, worktime
from contracts.api.base import (
    ContractCodeField,
    ContractFilterSetMixin,
    ContractOwnedViewSet,
    check_same_contract,
)
from contracts.api.calendar import DateRangeSerializer, RosterGapsSerializer, date_range
from contracts.api.penalties import PenaltySummarySerializer
from contracts.filters import ContractFilterSet
from contracts.models import (
    Contract,
    DutyShift,
    Milestone,
    Organization,
    ServiceItem,
    SLATerm,
    StaffAssignment,
    StaffPost,
)
from contracts.models.contract import CODE_FIXED
from contracts.penalties import penalty_summary
from contracts.scoping import MANAGE_CONTRACT, MANAGE_STAFF, can, can_create_contract, is_administrator
from om_portal.api import Conflict, ModelRulesMixin, drf_validation_error, router


class ContractSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:contract-detail", lookup_field="code")
    client = serializers.SlugRelatedField(
        slug_field="name", queryset=Organization.objects.filter(kind="client")
    )
    vendor = serializers.SlugRelatedField(
        slug_field="name", queryset=Organization.objects.filter(kind="vendor")
    )
    term_progress = serializers.SerializerMethodField()

    class Meta:
        model = Contract
        fields = [
            "url",
            "code",
            "title",
            "client",
            "vendor",
            "status",
            "signed_on",
            "starts_on",
            "ends_on",
            "total",
            "acceptance_method",
            "penalty_cap_percent",
            "sla_warning_percent",
            "business_day_starts",
            "business_day_ends",
            "onsite_on_non_working_days",
            "key_staff_change_needs_consent",
            "notes",
            "term_progress",
            "updated_at",
        ]

    def get_term_progress(self, contract) -> float | None:
        return contract.term_progress()

    def validate_code(self, code):
        instance = self.instance
        if instance is not None and code != instance.code and instance.status != Contract.Status.DRAFT:
            raise serializers.ValidationError(str(CODE_FIXED))
        return code

    def validate(self, attrs):
        starts = attrs.get("starts_on", getattr(self.instance, "starts_on", None))
        ends = attrs.get("ends_on", getattr(self.instance, "ends_on", None))
        if starts and ends and ends < starts:
            raise serializers.ValidationError({"ends_on": "The term cannot end before it starts."})
        return attrs


class ContractViewSet(viewsets.ModelViewSet):
    """Contracts the caller may see; a contract is addressed by its code.

    Client managers change their bureau's contracts; administrators any. A new contract's client
    must be an organisation where the caller is a client manager.
    """

    serializer_class = ContractSerializer
    lookup_field = "code"
    filterset_class = ContractFilterSet
    search_fields = ["code", "title"]
    ordering_fields = ["code", "starts_on", "ends_on", "total"]

    def get_queryset(self):
        return Contract.objects.restrict(self.request.user).select_related("client", "vendor")

    def perform_create(self, serializer):
        if not can_create_contract(self.request.user, serializer.validated_data["client"]):
            raise PermissionDenied("Only the client's managers and administrators create its contracts.")
        with transaction.atomic():
            serializer.save()

    def perform_update(self, serializer):
        if not can(self.request.user, MANAGE_CONTRACT, serializer.instance):
            raise PermissionDenied("Your role does not allow changing this contract.")
        # The parties are fixed at signing, as on the portal's form; an administrator may correct
        # a mistake. Else a bureau's manager could hand the contract, and its history, to another
        # bureau or another vendor.
        for party in ("client", "vendor"):
            new = serializer.validated_data.get(party, getattr(serializer.instance, party))
            if new != getattr(serializer.instance, party) and not is_administrator(self.request.user):
                raise serializers.ValidationError(
                    {party: "Only an administrator changes a contract's parties."}
                )
        with transaction.atomic():
            serializer.save()
            services.refresh_due_dates(serializer.instance)

    def perform_destroy(self, instance):
        if not can(self.request.user, MANAGE_CONTRACT, instance):
            raise PermissionDenied("Your role does not allow deleting this contract.")
        try:
            with transaction.atomic():
                instance.delete()
        except ProtectedError:
            # Its incidents, changes and reports are the record of the service: a 409, not a 500.
            raise Conflict(
                _("The contract has a history (incidents, reports...); it cannot be deleted.")
            ) from None

    @extend_schema(responses=PenaltySummarySerializer)
    @action(detail=True)
    def penalties(self, request, code=None):
        """What the contract's breaches cost by its clauses, capped, with one line per step."""
        return Response(PenaltySummarySerializer(penalty_summary(self.get_object())).data)

    @action(detail=True, url_path="price-list")
    def price_list(self, request, code=None):
        """The service items by category with subtotals, and whether they add up to the total."""
        result = services.price_list(self.get_object())
        return Response(
            {
                "categories": [
                    {
                        "category": c["category"],
                        "subtotal": f"{c['subtotal']:.2f}",
                        "items": ServiceItemSerializer(
                            c["items"], many=True, context={"request": request}
                        ).data,
                    }
                    for c in result.categories
                ],
                # Money as strings, like DRF's DecimalField: floats would round yuan.
                "priced_total": f"{result.priced_total:.2f}",
                "contract_total": f"{result.contract_total:.2f}",
                "difference": f"{result.difference:.2f}",
                "warning": result.warning,
            }
        )

    @extend_schema(parameters=[DateRangeSerializer], responses=RosterGapsSerializer)
    @action(detail=True, url_path="roster-gaps")
    def roster_gaps(self, request, code=None):
        """The weekends and holidays of ``?start=&end=`` (within the term) with nobody on site,
        where the contract needs somebody (seed 004: "周末、节假日…必须安排不少于1名工程师")."""
        contract = self.get_object()
        start, end = date_range(request)
        gaps = set(services.roster_gaps(contract, start, end))
        days = [day for day in worktime.calendar_days(start, end) if day["date"] in gaps] if gaps else []
        return Response(
            RosterGapsSerializer(
                {
                    "contract": contract.code,
                    "start": start,
                    "end": end,
                    "onsite_on_non_working_days": contract.onsite_on_non_working_days,
                    "count": len(days),
                    "gaps": days,
                }
            ).data
        )


class ServiceItemSerializer(serializers.ModelSerializer):
    contract = ContractCodeField()

    class Meta:
        model = ServiceItem
        fields = [
            "id",
            "contract",
            "category",
            "name",
            "description",
            "quantity",
            "unit",
            "unit_price",
            "amount",
            "position",
        ]

    def validate(self, attrs):
        def value(name):
            return attrs.get(name, getattr(self.instance, name, None))

        errors = ServiceItem.price_errors(value("quantity"), value("unit_price"), value("amount"))
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class SLATermSerializer(ModelRulesMixin, serializers.ModelSerializer):
    contract = ContractCodeField()

    class Meta:
        model = SLATerm
        fields = [
            "id",
            "contract",
            "severity",
            "condition",
            "clock",
            "target",
            "unit",
            "coverage",
            "penalty_clause",
            "note",
        ]

    def validate(self, attrs):
        check_same_contract(attrs, self.instance, "penalty_clause")
        return super().validate(attrs)  # the model's rules (a same-day target is 1)


class MilestoneSerializer(serializers.ModelSerializer):
    contract = ContractCodeField()
    value = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)
    payable = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)

    class Meta:
        model = Milestone
        fields = [
            "id",
            "contract",
            "name",
            "amount",
            "percent",
            "value",
            "trigger",
            "trigger_date",
            "offset",
            "offset_unit",
            "due_on",
            "status",
            "paid_on",
            "deduction",
            "payable",
            "position",
        ]
        read_only_fields = ["due_on"]

    def validate(self, attrs):
        def value(name):
            return attrs.get(name, getattr(self.instance, name, None))

        if value("amount") is None and value("percent") is None:
            raise serializers.ValidationError({"amount": "Give an amount or a share of the total."})
        if value("status") == Milestone.Status.PAID and not value("paid_on"):
            raise serializers.ValidationError({"paid_on": "A paid milestone needs the date it was paid."})
        # A deduction never exceeds the payment it is taken from (the payable would go negative).
        contract = value("contract")
        deduction = value("deduction") or Decimal(0)
        if contract is not None and deduction:
            amount = value("amount")
            payment = amount if amount is not None else (contract.total * value("percent") / 100)
            if deduction > payment.quantize(Decimal("0.01")):
                message = _("A deduction cannot exceed the payment (%(value)s).") % {"value": payment}
                raise serializers.ValidationError({"deduction": message})
        return attrs


class StaffPostSerializer(serializers.ModelSerializer):
    contract = ContractCodeField()

    class Meta:
        model = StaffPost
        fields = ["id", "contract", "name", "shift", "headcount", "place"]


class StaffAssignmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = StaffAssignment
        fields = [
            "id",
            "post",
            "person",
            "role",
            "starts_on",
            "ends_on",
            "replaces",
            "reason",
            "client_consent",
            "consent_note",
        ]
        read_only_fields = ["replaces"]

    def get_fields(self):
        fields = super().get_fields()
        fields["post"].queryset = StaffPost.objects.restrict(self.context["request"].user)
        return fields

    def validate(self, attrs):
        # The table's check constraint says the same; without this it is a 500, not a 400.
        starts = attrs.get("starts_on", getattr(self.instance, "starts_on", None))
        ends = attrs.get("ends_on", getattr(self.instance, "ends_on", None))
        if starts and ends and ends < starts:
            raise serializers.ValidationError({"ends_on": "The assignment cannot end before it starts."})
        self.validate_key_staff(attrs)
        return attrs

    def validate_key_staff(self, attrs):
        post = attrs.get("post", getattr(self.instance, "post", None))
        if post is None:
            return
        try:
            services.check_key_staff_change(
                post.contract,
                role=attrs.get("role", getattr(self.instance, "role", "")),
                person=attrs.get("person", getattr(self.instance, "person", "")),
                instance=self.instance,
                client_consent=attrs.get("client_consent", False),
            )
        except DjangoValidationError as error:
            raise drf_validation_error(error) from error


class ReplacementSerializer(serializers.Serializer):
    """A replacement, as the portal's form takes it: the successor from ``on``, the reason, and
    (seed 003's key roles) the client's consent."""

    person = serializers.CharField(max_length=100)
    on = serializers.DateField()
    reason = serializers.CharField(max_length=300)
    client_consent = serializers.BooleanField(default=False)
    consent_note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")

    def validate_on(self, value):
        # A contract year is counted from it: year 9999 would overflow.
        if not 1970 <= value.year <= 2099:
            raise serializers.ValidationError("Give a day between 1970 and 2099.")
        return value


class DutyShiftSerializer(serializers.ModelSerializer):
    contract = ContractCodeField()

    class Meta:
        model = DutyShift
        fields = [
            "id",
            "contract",
            "date",
            "person",
            "post",
            "starts_at",
            "ends_at",
            "on_site",
            "occasion",
            "phone",
            "note",
        ]

    def get_fields(self):
        fields = super().get_fields()
        fields["post"].queryset = StaffPost.objects.restrict(self.context["request"].user)
        return fields

    def validate(self, attrs):
        check_same_contract(attrs, self.instance, "post")
        return attrs


class ServiceItemViewSet(ContractOwnedViewSet):
    queryset = ServiceItem.objects.all()
    serializer_class = ServiceItemSerializer
    manage_action = MANAGE_CONTRACT
    search_fields = ["name", "category", "description"]

    class filterset_class(ContractFilterSetMixin):
        class Meta:
            model = ServiceItem
            fields = ["contract", "category"]


class SLATermViewSet(ContractOwnedViewSet):
    queryset = SLATerm.objects.all()
    serializer_class = SLATermSerializer
    manage_action = MANAGE_CONTRACT

    class filterset_class(ContractFilterSetMixin):
        class Meta:
            model = SLATerm
            fields = ["contract", "severity", "condition", "clock", "unit", "coverage"]


class MilestoneViewSet(ContractOwnedViewSet):
    queryset = Milestone.objects.all()
    serializer_class = MilestoneSerializer
    manage_action = MANAGE_CONTRACT
    ordering_fields = ["due_on", "position"]

    class filterset_class(ContractFilterSetMixin):
        class Meta:
            model = Milestone
            fields = {
                "contract": ["exact"],
                "status": ["exact"],
                "trigger": ["exact"],
                "due_on": ["gte", "lte"],
            }

    # The milestone and the due dates derived from it are saved together, or not at all.
    @transaction.atomic
    def perform_create(self, serializer):
        super().perform_create(serializer)
        services.refresh_due_dates(serializer.instance.contract)
        serializer.instance.refresh_from_db()

    @transaction.atomic
    def perform_update(self, serializer):
        super().perform_update(serializer)
        services.refresh_due_dates(serializer.instance.contract)
        serializer.instance.refresh_from_db()


class StaffPostViewSet(ContractOwnedViewSet):
    queryset = StaffPost.objects.all()
    serializer_class = StaffPostSerializer
    manage_action = MANAGE_STAFF

    class filterset_class(ContractFilterSetMixin):
        class Meta:
            model = StaffPost
            fields = ["contract", "shift"]


class StaffAssignmentViewSet(ContractOwnedViewSet):
    queryset = StaffAssignment.objects.all()
    serializer_class = StaffAssignmentSerializer
    manage_action = MANAGE_STAFF

    class filterset_class(ContractFilterSetMixin):
        contract = ContractFilterSetMixin.base_filters["contract"].__class__(
            field_name="post__contract__code"
        )

        class Meta:
            model = StaffAssignment
            fields = ["contract", "post", "role"]

    def get_queryset(self):
        return StaffAssignment.objects.restrict(self.request.user).select_related("post__contract")

    def contract_of(self, obj):
        return obj.post.contract

    def perform_create(self, serializer):
        self.check_manage(serializer.validated_data["post"].contract)
        with transaction.atomic():
            serializer.save()

    @extend_schema(request=ReplacementSerializer, responses={201: StaffAssignmentSerializer})
    @action(detail=True, methods=["post"])
    def replace(self, request, pk=None):
        """Replace the person of a current assignment, as the portal does (``replace_staff``):
        the same consent rule and the same counting of replacements towards a staffing clause."""
        assignment = self.get_object()
        self.check_manage(assignment.post.contract)
        body = ReplacementSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            successor = services.replace_staff(assignment, recorded_by=request.user, **body.validated_data)
        except DjangoValidationError as error:
            raise drf_validation_error(error, whole_key="detail") from error
        return Response(
            StaffAssignmentSerializer(successor, context=self.get_serializer_context()).data, status=201
        )


class DutyShiftViewSet(ContractOwnedViewSet):
    queryset = DutyShift.objects.all()
    serializer_class = DutyShiftSerializer
    manage_action = MANAGE_STAFF

    class filterset_class(ContractFilterSetMixin):
        class Meta:
            model = DutyShift
            fields = {
                "contract": ["exact"],
                "date": ["exact", "gte", "lte"],
                "on_site": ["exact"],
                "occasion": ["exact"],
            }


def _money():
    # As the view writes it, like DRF's DecimalField: a string in yuan with 2 places.
    return serializers.DecimalField(max_digits=16, decimal_places=2)


class PriceCategorySerializer(serializers.Serializer):
    category = serializers.CharField()
    subtotal = _money()
    items = ServiceItemSerializer(many=True)


class PriceListSerializer(serializers.Serializer):
    categories = PriceCategorySerializer(many=True)
    priced_total = _money()
    contract_total = _money()
    difference = _money()
    warning = serializers.CharField(allow_blank=True)


# Here, not on the action: the answer's items are ServiceItemSerializer's, defined after the view.
extend_schema_view(price_list=extend_schema(responses=PriceListSerializer))(ContractViewSet)

router.register("contracts", ContractViewSet, basename="contract")
router.register("service-items", ServiceItemViewSet, basename="service-item")
router.register("sla-terms", SLATermViewSet, basename="sla-term")
router.register("milestones", MilestoneViewSet, basename="milestone")
router.register("staff-posts", StaffPostViewSet, basename="staff-post")
router.register("staff-assignments", StaffAssignmentViewSet, basename="staff-assignment")
router.register("duty-shifts", DutyShiftViewSet, basename="duty-shift")
