"""Change requests in the portal: the list, a request's page with its approval steps and the
decisions the user may take, and the form that drafts one.

The rules are ``incidents.changes``'s: a ValidationError there becomes an error on the form the
user just sent, PermissionDenied a 403, and a request outside the user's contracts a 404.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from contracts.models import Contract
from contracts.scoping import REQUEST_CHANGE
from incidents import changes as services
from incidents.filters import ChangeRequestFilterSet
from incidents.models import ChangeRequest, Incident
from om_portal.filtering import list_filters

Status = ChangeRequest.Status
Step = ChangeRequest.Step
TEXTAREA = forms.Textarea(attrs={"rows": 3})


# --- Forms ----------------------------------------------------------------------------------------


class ChangeRequestForm(forms.ModelForm):
    """A draft's content. The contract is chosen among those where the user may request changes,
    and fixed once the draft exists."""

    class Meta:
        model = ChangeRequest
        fields = ["contract", "incident", "kind", "title", "description", "reason", "impact", "rollback_plan"]
        widgets = {name: TEXTAREA for name in ["description", "reason", "impact", "rollback_plan"]}
        help_texts = {
            "impact": gettext_lazy("Needed to submit: which systems and users are affected, and the risks."),
            "rollback_plan": gettext_lazy("Needed to submit: how the change is undone if it goes wrong."),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        contracts = Contract.objects.restrict(user, REQUEST_CHANGE)
        if self.instance.pk:
            del self.fields["contract"]
            contracts = contracts.filter(pk=self.instance.contract_id)
        else:
            self.fields["contract"].queryset = contracts
        # Open incidents only: a bureau has many thousands of closed ones. The linked one stays.
        incidents = Incident.objects.filter(contract__in=contracts).exclude(status=Incident.Status.CLOSED)
        linked = self.instance.incident_id or self.initial.get("incident")
        if linked:
            incidents = incidents | Incident.objects.filter(pk=linked, contract__in=contracts)
        self.fields["incident"].queryset = incidents.select_related("contract").order_by("-reported_at")


class DecisionForm(forms.Form):
    step = forms.ChoiceField(choices=Step.choices, widget=forms.HiddenInput, required=False)
    comment = forms.CharField(label=gettext_lazy("Comment"), widget=TEXTAREA, required=False)


class RejectForm(forms.Form):
    step = forms.ChoiceField(choices=Step.choices, widget=forms.HiddenInput, required=False)
    reason = forms.CharField(label=gettext_lazy("Reason for the rejection"), widget=TEXTAREA)


class ExecuteForm(forms.Form):
    note = forms.CharField(label=gettext_lazy("What was done"), widget=TEXTAREA)


# --- Pages ----------------------------------------------------------------------------------------


def _visible_change(request, pk) -> ChangeRequest:
    """The request if it is on one of the user's contracts; 404 otherwise (no existence leak)."""
    queryset = ChangeRequest.objects.restrict(request.user).select_related(
        "contract", "incident__contract", *(f"{who}_by" for who in services.PEOPLE)
    )
    return get_object_or_404(queryset, pk=pk)


def _decision(change, step, by, at, comment, waiting_status):
    if at:
        return {"state": "approved", "who": by, "when": at, "note": comment}
    if change.rejected_step == step:
        return {
            "state": "rejected",
            "who": change.rejected_by,
            "when": change.rejected_at,
            "note": change.rejection_reason,
        }
    return {"state": "waiting" if change.status == waiting_status else ""}


def _steps(change):
    """The four steps — requested, system administrator, head of IT, executed — for the page."""
    first = _decision(
        change, Step.FIRST, change.first_approved_by, change.first_approved_at, change.first_comment,
        Status.SUBMITTED,
    )  # fmt: skip
    second = _decision(
        change, Step.SECOND, change.second_approved_by, change.second_approved_at, change.second_comment,
        Status.FIRST_APPROVED,
    )  # fmt: skip
    executed = "done" if change.executed_at else ("waiting" if change.status == Status.APPROVED else "")
    return [
        {
            "label": _("Requested"),
            "state": "done" if change.submitted_at else "waiting",
            "who": change.requested_by,
            "when": change.submitted_at,
        },
        {"label": Step.FIRST.label, **first},
        {"label": Step.SECOND.label, **second},
        {
            "label": _("Executed"),
            "state": executed,
            "who": change.executed_by,
            "when": change.executed_at,
            "note": change.execution_note,
        },
    ]


def _render_detail(request, change, **forms_):
    step = change.pending_step
    context = {
        "change": change,
        "steps": _steps(change),
        "allowed": services.allowed_actions(change, request.user),
        "approve_form": forms_.get("approve") or DecisionForm(initial={"step": step}),
        "reject_form": forms_.get("reject") or RejectForm(initial={"step": step}),
        "execute_form": forms_.get("execute") or ExecuteForm(),
        "action_errors": forms_.get("errors", []),
        "section": "changes",
    }
    return render(request, "incidents/change_detail.html", context)


@login_required
def change_list(request):
    changes = ChangeRequest.objects.restrict(request.user).select_related("contract", "requested_by")
    filters = list_filters(request, ChangeRequestFilterSet, changes)
    page = Paginator(filters.rows, 50).get_page(request.GET.get("page"))
    can_add = Contract.objects.restrict(request.user, REQUEST_CHANGE).exists()
    contracts = Contract.objects.restrict(request.user).order_by("code")
    return render(
        request,
        "incidents/change_list.html",
        {"page": page, "filters": filters, "contracts": contracts, "can_add": can_add, "section": "changes"},
    )


@login_required
def change_detail(request, pk):
    return _render_detail(request, _visible_change(request, pk))


def _save_draft(request, form, change=None):
    """Create or update the draft from a valid form, and submit it when that button was pressed."""
    fields = dict(form.cleaned_data)
    submit_now = "submit" in request.POST
    try:
        if change is None:
            change = services.create(fields.pop("contract"), request.user, submit_now=submit_now, **fields)
        else:
            # One transaction: a draft that cannot be submitted keeps its old text, and the form
            # shows the user's new text with the reason.
            with transaction.atomic():
                services.update_draft(change, request.user, **fields)
                if submit_now:
                    services.submit(change, request.user)
    except ValidationError as error:
        form.add_error(None, error)
        return None
    messages.success(request, _("Change request submitted.") if submit_now else _("Draft saved."))
    return redirect(change)


@login_required
def change_add(request):
    # "Request a change" links from an incident or a contract page preset the form.
    initial = {}
    if request.GET.get("incident", "").isdigit():
        initial["incident"] = int(request.GET["incident"])
    if code := request.GET.get("contract"):
        # Among the contracts the user sees: another organisation's code presets nothing, as a
        # missing one does (the page showed which codes exist, issue 14).
        contracts = Contract.objects.restrict(request.user, REQUEST_CHANGE)
        initial["contract"] = contracts.filter(code=code).values_list("pk", flat=True).first()
    form = ChangeRequestForm(request.POST or None, user=request.user, initial=initial)
    if not form.fields["contract"].queryset.exists():
        raise PermissionDenied
    if request.method == "POST" and form.is_valid() and (response := _save_draft(request, form)):
        return response
    return render(
        request,
        "incidents/change_form.html",
        {"form": form, "title": _("New change request"), "section": "changes"},
    )


@login_required
def change_edit(request, pk):
    change = _visible_change(request, pk)
    if services.EDIT not in services.allowed_actions(change, request.user):
        raise PermissionDenied
    form = ChangeRequestForm(request.POST or None, instance=change, user=request.user)
    if request.method == "POST" and form.is_valid() and (response := _save_draft(request, form, change)):
        return response
    return render(
        request,
        "incidents/change_form.html",
        {"form": form, "change": change, "title": _("Edit change request"), "section": "changes"},
    )


# What each button sends: the form that reads it, and the service that acts on it.
ACTS = {
    services.SUBMIT: (None, lambda c, u, d: services.submit(c, u), gettext_lazy("Change request submitted.")),
    services.APPROVE: (
        DecisionForm,
        lambda c, u, d: services.approve(c, u, comment=d["comment"], step=d["step"]),
        gettext_lazy("Approved."),
    ),
    services.REJECT: (
        RejectForm,
        lambda c, u, d: services.reject(c, u, reason=d["reason"], step=d["step"]),
        gettext_lazy("Rejected."),
    ),
    services.EXECUTE: (
        ExecuteForm,
        lambda c, u, d: services.execute(c, u, note=d["note"]),
        gettext_lazy("Execution recorded."),
    ),
    services.CANCEL: (None, lambda c, u, d: services.cancel(c, u), gettext_lazy("Change request cancelled.")),
}


@login_required
@require_POST
def change_act(request, pk, verb):
    if verb not in ACTS:
        raise Http404
    change = _visible_change(request, pk)
    form_class, run, done = ACTS[verb]
    form = form_class(request.POST) if form_class else None
    if form is not None and not form.is_valid():
        return _render_detail(request, change, **{verb: form})
    try:
        run(change, request.user, form.cleaned_data if form else {})
    except ValidationError as error:
        if form is None:
            return _render_detail(request, change, errors=error.messages)
        form.add_error(None, error)
        return _render_detail(request, change, **{verb: form})
    messages.success(request, done)
    return redirect(change)


urlpatterns = [
    path("changes/", change_list, name="changes"),
    path("changes/add/", change_add, name="change-add"),
    path("changes/<int:pk>/", change_detail, name="change-detail"),
    path("changes/<int:pk>/edit/", change_edit, name="change-edit"),
    path("changes/<int:pk>/<slug:verb>/", change_act, name="change-act"),
]
