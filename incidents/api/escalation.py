"""Escalation policies with their steps, written whole: a policy and its steps in one request, one
transaction (``incidents.escalation.save_policy``). A step's errors come back under its index in
``steps``, as DRF gives its own (``{"steps": {"1": {"after_minutes": [...]}}}``)."""

from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.settings import api_settings

from contracts.api.base import ContractCodeField, ContractOwnedViewSet
from contracts.scoping import MANAGE_CONTRACT
from incidents import escalation
from incidents.filters import EscalationPolicyFilterSet
from incidents.models import EscalationPolicy, EscalationStep
from om_portal.api import ModelRulesMixin, router


class EscalationStepSerializer(serializers.ModelSerializer):
    class Meta:
        model = EscalationStep
        fields = ["after_minutes", "notify"]


class EscalationPolicySerializer(ModelRulesMixin, serializers.ModelSerializer):
    contract = ContractCodeField()
    steps = EscalationStepSerializer(many=True)

    class Meta:
        model = EscalationPolicy
        fields = ["id", "contract", "severity", "active", "note", "steps", "created_at", "updated_at"]
        # The one-per-severity rule is checked in validate(), under the severity field.
        validators = []

    def validate_contract(self, contract):
        if self.instance is not None and contract != self.instance.contract:
            raise serializers.ValidationError(_("The contract cannot change; create a new one instead."))
        return contract

    def validate(self, attrs):
        attrs = super().validate(attrs)
        contract = attrs.get("contract") or self.instance.contract
        severity = attrs.get("severity", getattr(self.instance, "severity", None))
        others = EscalationPolicy.objects.filter(contract=contract, severity=severity)
        if self.instance is not None:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise serializers.ValidationError(
                {"severity": [_("This contract has a policy for this severity already.")]}
            )
        if "steps" in attrs:
            steps = [(step["after_minutes"], step["notify"]) for step in attrs["steps"]]
            whole, single = escalation.step_errors(steps)
            if single:
                errors = {index: {"after_minutes": [message]} for index, message in single.items()}
                if not api_settings.LIST_SERIALIZER_ERRORS_AS_DICT:
                    errors = [errors.get(index, {}) for index in range(len(steps))]
                raise serializers.ValidationError({"steps": errors})
            if whole:
                raise serializers.ValidationError({"steps": whole})
        return attrs

    def create(self, validated_data):
        steps = validated_data.pop("steps")
        policy = EscalationPolicy(**validated_data)
        escalation.save_policy(policy, [(s["after_minutes"], s["notify"]) for s in steps])
        return policy

    def update(self, policy, validated_data):
        steps = validated_data.pop("steps", None)
        for name, value in validated_data.items():
            setattr(policy, name, value)
        if steps is None:
            steps = list(policy.steps.values_list("after_minutes", "notify"))
        else:
            steps = [(s["after_minutes"], s["notify"]) for s in steps]
        escalation.save_policy(policy, steps)
        # The representation lists the steps as saved, in their order.
        policy._prefetched_objects_cache = {}
        return policy


class EscalationPolicyViewSet(ContractOwnedViewSet):
    """Per contract and severity: whom to tell, and when, while an incident is not acknowledged.

    ``steps`` (at least one, at most ten, each at its own minute) replaces the policy's steps when
    given. Minutes count from the report in the clock mode of the incident's response term.
    Reading needs sight of the contract; writing, the right to manage it (client manager,
    administrator).
    """

    queryset = EscalationPolicy.objects.all()
    serializer_class = EscalationPolicySerializer
    manage_action = MANAGE_CONTRACT
    filterset_class = EscalationPolicyFilterSet
    ordering_fields = ["severity", "updated_at"]

    def get_queryset(self):
        return super().get_queryset().prefetch_related("steps")

    def perform_destroy(self, instance):
        self.check_manage(self.contract_of(instance))
        escalation.delete_policy(instance)


router.register("escalation-policies", EscalationPolicyViewSet, basename="escalation-policy")
