"""The contract's Escalation tab: its policies (whom to tell, and when, while an incident is not
acknowledged), and the form that adds or changes one with its steps.

Anyone who may see the contract sees the tab; changing a policy needs MANAGE_CONTRACT on it (the
client's manager, the administrator: the vendor reads it). Out of scope is a 404.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from contracts.models import Severity
from contracts.scoping import MANAGE_CONTRACT, can
from contracts.views.contracts import render_tab, visible_contract
from incidents import escalation
from incidents.filters import EscalationPolicyFilterSet
from incidents.models import EscalationPolicy, EscalationStep, EscalationTarget
from incidents.models.escalation import MAX_STEP_MINUTES, MAX_STEPS
from om_portal.filtering import list_filters

TAB = "escalation"


class PolicyForm(forms.ModelForm):
    class Meta:
        model = EscalationPolicy
        fields = ["severity", "active", "note"]

    def __init__(self, *args, contract, **kwargs):
        super().__init__(*args, **kwargs)
        self.contract = contract

    def clean_severity(self):
        severity = self.cleaned_data["severity"]
        others = EscalationPolicy.objects.filter(contract=self.contract, severity=severity)
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise forms.ValidationError(_("This contract has a policy for this severity already."))
        return severity


class StepForm(forms.Form):
    after_minutes = forms.IntegerField(
        label=gettext_lazy("Minutes after the report"), min_value=1, max_value=MAX_STEP_MINUTES
    )
    notify = forms.ChoiceField(label=gettext_lazy("Notify"), choices=EscalationTarget.choices)


class BaseStepFormSet(forms.BaseFormSet):
    def steps(self) -> list[tuple[int, str]]:
        return [
            (form.cleaned_data["after_minutes"], form.cleaned_data["notify"]) for form in self.kept_forms()
        ]

    def kept_forms(self):
        # A blank extra row has no cleaned data; a row ticked "Delete" is left out.
        return [form for form in self.forms if form.cleaned_data and not form.cleaned_data.get("DELETE")]

    def clean(self):
        if any(self.errors):
            return
        kept = self.kept_forms()
        whole, single = escalation.step_errors(
            [(form.cleaned_data["after_minutes"], form.cleaned_data["notify"]) for form in kept]
        )
        for index, message in single.items():
            kept[index].add_error("after_minutes", message)
        if whole:
            raise forms.ValidationError(whole)


StepFormSet = forms.formset_factory(
    StepForm, formset=BaseStepFormSet, extra=2, can_delete=True, max_num=MAX_STEPS, absolute_max=50
)


def managed_contract(request, code):
    contract = visible_contract(request, code)
    if not can(request.user, MANAGE_CONTRACT, contract):
        raise PermissionDenied
    return contract


def tab_url(contract) -> str:
    return reverse("incidents:escalation", kwargs={"code": contract.code})


@login_required
@require_GET
def policy_list(request, code):
    contract = visible_contract(request, code)
    policies = (
        EscalationPolicy.objects.restrict(request.user)
        .filter(contract=contract)
        .prefetch_related(Prefetch("steps", EscalationStep.objects.order_by("after_minutes")))
    )
    filters = list_filters(request, EscalationPolicyFilterSet, policies)
    rows = []
    for policy in filters.rows:
        previous, steps = 0, []
        for step in policy.steps.all():
            steps.append((step, step.after_minutes - previous))
            previous = step.after_minutes
        rows.append((policy, steps))
    return render_tab(
        request,
        contract,
        TAB,
        "incidents/escalation_list.html",
        rows=rows,
        filters=filters,
        can_edit=can(request.user, MANAGE_CONTRACT, contract),
        severities=Severity.choices,
    )


@login_required
@require_http_methods(["GET", "POST"])
def policy_edit(request, code, pk=None):
    contract = managed_contract(request, code)
    policy = EscalationPolicy(contract=contract)
    if pk is not None:
        owned = EscalationPolicy.objects.restrict(request.user, MANAGE_CONTRACT).filter(contract=contract)
        policy = get_object_or_404(owned, pk=pk)
    steps = policy.steps.all() if pk else []
    initial = [{"after_minutes": s.after_minutes, "notify": s.notify} for s in steps]
    data = request.POST if request.method == "POST" else None
    form = PolicyForm(data, instance=policy, contract=contract)
    formset = StepFormSet(data, initial=initial, prefix="steps")
    if data is not None:
        valid = form.is_valid()
        valid = formset.is_valid() and valid  # both validated: every error shows at once
        if valid:
            try:
                escalation.save_policy(form.save(commit=False), formset.steps())
            except IntegrityError:
                # Checked by the form; another user saved the same severity meanwhile.
                form.add_error(
                    None, _("Someone else changed this contract’s policies meanwhile; check and save again.")
                )
            else:
                messages.success(request, _("Saved."))
                return redirect(tab_url(contract))
    title = _("Edit escalation policy") if pk else _("Add escalation policy")
    return render_tab(
        request,
        contract,
        TAB,
        "incidents/escalation_form.html",
        form=form,
        formset=formset,
        title=title,
        back=tab_url(contract),
        policy=policy if pk else None,
    )


@login_required
@require_POST
def policy_delete(request, code, pk):
    contract = managed_contract(request, code)
    owned = EscalationPolicy.objects.restrict(request.user, MANAGE_CONTRACT).filter(contract=contract)
    escalation.delete_policy(get_object_or_404(owned, pk=pk))
    messages.success(request, _("Deleted."))
    return redirect(tab_url(contract))


urlpatterns = [
    path("contract/<slug:code>/escalation/", policy_list, name="escalation"),
    path("contract/<slug:code>/escalation/add/", policy_edit, name="escalation-add"),
    path("contract/<slug:code>/escalation/<int:pk>/edit/", policy_edit, name="escalation-edit"),
    path("contract/<slug:code>/escalation/<int:pk>/delete/", policy_delete, name="escalation-delete"),
]
