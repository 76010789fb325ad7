"""Incidents in the portal: the list, reporting one, its page with the clocks and the timeline,
one-tap actions; the work log and the service record sheets."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from contracts.models import Contract, Severity
from contracts.scoping import HANDLE_INCIDENT, MANAGE_KNOWLEDGE, REPORT_INCIDENT, REQUEST_CHANGE, can
from incidents import services
from incidents.filters import IncidentFilterSet, ServiceRecordFilterSet, WorkLogFilterSet
from incidents.forms import (
    AssignForm,
    IncidentForm,
    ReclassifyForm,
    ResolveForm,
    ServiceRecordForm,
    WorkLogForm,
)
from incidents.models import Incident, ServiceRecord, WorkLogEntry
from om_portal.filtering import list_filters

PAGE = 50


@login_required
def incident_list(request):
    incidents = Incident.objects.restrict(request.user).select_related("contract")
    filters = list_filters(request, IncidentFilterSet, incidents)
    page = Paginator(filters.rows, PAGE).get_page(request.GET.get("page"))
    contracts = Contract.objects.restrict(request.user).order_by("code")
    return render(
        request,
        "incidents/incident_list.html",
        {
            "page": page,
            "contracts": contracts,
            "severities": Severity.choices,
            "statuses": Incident.Status.choices,
            "can_report": Contract.objects.restrict(request.user, REPORT_INCIDENT).exists(),
            "section": "incidents",
            "now": timezone.now(),
        },
    )


@login_required
def incident_add(request):
    contracts = Contract.objects.restrict(request.user, REPORT_INCIDENT).order_by("code")
    code = request.GET.get("contract") or request.POST.get("contract")
    if not code and contracts.count() == 1:
        code = contracts.first().code
    if not code:
        return render(
            request, "incidents/pick_contract.html", {"contracts": contracts, "section": "incidents"}
        )
    contract = get_object_or_404(contracts, code=code)
    form = IncidentForm(request.POST or None, contract=contract)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if v not in (None, "") or k == "condition"}
        handlers = data.pop("handlers", [])
        try:
            incident = services.report_incident(contract, by=request.user, handlers=handlers, **data)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Incident %(number)s reported.") % {"number": incident.number})
            return redirect(incident)
    return render(
        request, "incidents/incident_form.html", {"form": form, "contract": contract, "section": "incidents"}
    )


def _add_errors(form, error):
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


@login_required
def incident_detail(request, pk):
    incident = get_object_or_404(
        Incident.objects.restrict(request.user).select_related("contract", "asset"), pk=pk
    )
    now = timezone.now()
    clocks = services.clocks_of(incident)
    can_assign = services.may_assign(incident, request.user)
    # The buttons come from the workflow: the actions this user may take in this state. The
    # rights are the request's (one query), however many actions are asked about.
    actions = services.WORKFLOW.actions_for(incident, request.user)
    return render(
        request,
        "incidents/incident_detail.html",
        {
            "incident": incident,
            "clocks": [(clock, clock.state(now)) for clock in clocks.values()],
            "events": incident.events.select_related("actor"),
            "handlers": incident.handlers.all(),
            # Pausing a clock and reopening ask why: a small form each, the reason required.
            "actions": [(a.name, a.label, a.needs_reason) for a in actions if a.button],
            "can_resolve": any(a.name == "resolve" for a in actions),
            "can_dispatch": can(request.user, HANDLE_INCIDENT, incident.contract)
            and incident.is_open
            and not incident.needs_onsite,
            "can_comment": can(request.user, REPORT_INCIDENT, incident.contract),
            # Offered only to who may use it (the administrator and the auditor met a 403).
            "can_request_change": can(request.user, REQUEST_CHANGE, incident.contract),
            "can_write_article": incident.status in (Incident.Status.RESOLVED, Incident.Status.CLOSED)
            and can(request.user, MANAGE_KNOWLEDGE, incident.contract),
            "resolve_form": ResolveForm(),
            "can_reclassify": can(request.user, services.RECLASSIFY_INCIDENT, incident.contract),
            "can_assign": can_assign,
            "assign_form": AssignForm(
                contract=incident.contract, initial={"handlers": [u.pk for u in incident.handlers.all()]}
            )
            if can_assign
            else None,
            "breaches": services.incident_breaches(incident),
            "reclassify_form": ReclassifyForm(
                initial={field: getattr(incident, field) for field in ("severity", "kind", "condition")}
            ),
            "section": "incidents",
            "now": now,
        },
    )


@login_required
@require_POST
def incident_action(request, pk, action):
    incident = get_object_or_404(Incident.objects.restrict(request.user), pk=pk)
    try:
        if action == "dispatch":
            services.dispatch(incident, by=request.user)
        elif action == "comment":
            services.comment(incident, request.POST.get("note", ""), by=request.user)
        elif action == "resolve":
            form = ResolveForm(request.POST)
            if not form.is_valid():
                raise ValidationError(form.errors.as_data())
            services.transition(
                incident, "resolve", by=request.user, note=request.POST.get("note", ""), **form.cleaned_data
            )
        elif action == "assign":
            services.require_assign(incident, request.user)
            form = AssignForm(request.POST, contract=incident.contract)
            if not form.is_valid():
                raise ValidationError(form.errors.as_data())
            services.assign(
                incident, form.cleaned_data["handlers"], by=request.user, note=form.cleaned_data["note"]
            )
        elif action == "reclassify":
            form = ReclassifyForm(request.POST)
            if not form.is_valid():
                raise ValidationError(form.errors.as_data())
            data = form.cleaned_data
            services.reclassify(
                incident,
                by=request.user,
                severity=data["severity"],
                kind=data["kind"],
                condition=data["condition"],
                note=data["reason"],
            )
        elif action in services.WORKFLOW:
            services.transition(incident, action, by=request.user, note=request.POST.get("note", ""))
        else:
            raise ValidationError(_("Unknown action."))
    except PermissionDenied:
        raise
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Done."))
    return redirect(incident)


# --- Work log and service record sheets ---------------------------------------------------------


def _contract_from_query(request, right):
    contracts = Contract.objects.restrict(request.user, right).order_by("code")
    code = request.GET.get("contract") or request.POST.get("contract")
    if not code:
        return None, contracts
    return get_object_or_404(Contract.objects.restrict(request.user), code=code), contracts


@login_required
def worklog(request):
    entries = WorkLogEntry.objects.restrict(request.user).select_related("contract", "incident")
    entries = list_filters(request, WorkLogFilterSet, entries).rows
    page = Paginator(entries, PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "incidents/worklog_list.html",
        {
            "page": page,
            "contracts": Contract.objects.restrict(request.user).order_by("code"),
            "categories": WorkLogEntry.Category.choices,
            "section": "worklog",
        },
    )


@login_required
def worklog_add(request):
    contract, contracts = _contract_from_query(request, REPORT_INCIDENT)
    if contract is None:
        return render(request, "incidents/pick_contract.html", {"contracts": contracts, "section": "worklog"})
    if not can(request.user, REPORT_INCIDENT, contract):
        raise PermissionDenied
    form = WorkLogForm(request.POST or None, contract=contract, initial={"date": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        entry = form.save(commit=False)
        entry.created_by = request.user
        entry.save()
        messages.success(request, _("Work logged."))
        return redirect("incidents:worklog")
    return render(
        request,
        "incidents/simple_form.html",
        {"form": form, "contract": contract, "title": _("Log work"), "section": "worklog"},
    )


@login_required
def records(request):
    sheets = ServiceRecord.objects.restrict(request.user).select_related(
        "contract", "engineer", "confirmed_by"
    )
    sheets = list_filters(request, ServiceRecordFilterSet, sheets).rows
    page = Paginator(sheets, PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "incidents/record_list.html",
        {
            "page": page,
            "contracts": Contract.objects.restrict(request.user).order_by("code"),
            "section": "records",
        },
    )


@login_required
def record_add(request):
    contract, contracts = _contract_from_query(request, HANDLE_INCIDENT)
    if contract is None:
        return render(request, "incidents/pick_contract.html", {"contracts": contracts, "section": "records"})
    if not can(request.user, HANDLE_INCIDENT, contract):
        raise PermissionDenied
    initial = {}
    if request.GET.get("incident"):
        # Not a number is a missing incident (it was a 500).
        wanted = request.GET["incident"]
        if not (wanted.isascii() and wanted.isdigit()):
            raise Http404
        incident = get_object_or_404(contract.incidents, pk=wanted)
        initial = {"incident": incident, "task": incident.title, "started_at": incident.reported_at}
    form = ServiceRecordForm(request.POST or None, contract=contract, engineer=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        sheet = form.save()
        messages.success(request, _("Service record sheet saved."))
        return redirect("incidents:record-detail", pk=sheet.pk)
    return render(
        request,
        "incidents/simple_form.html",
        {"form": form, "contract": contract, "title": _("New service record sheet"), "section": "records"},
    )


@login_required
def record_detail(request, pk):
    sheet = get_object_or_404(
        ServiceRecord.objects.restrict(request.user).select_related(
            "contract__client", "contract__vendor", "engineer"
        ),
        pk=pk,
    )
    can_confirm = sheet.confirmed_at is None
    try:
        services.check_confirm_record(sheet, request.user)
    except PermissionDenied:
        can_confirm = False
    return render(
        request,
        "incidents/record_detail.html",
        {"sheet": sheet, "can_confirm": can_confirm, "section": "records"},
    )


@login_required
@require_POST
def record_confirm(request, pk):
    """The client confirms the sheet (seed 002: the client inspects at will and accepts in writing)."""
    sheet = get_object_or_404(ServiceRecord.objects.restrict(request.user).select_related("contract"), pk=pk)
    if services.confirm_record(sheet, by=request.user, feedback=request.POST.get("feedback", "")):
        messages.success(request, _("Confirmed."))
    else:
        messages.error(request, _("This sheet was confirmed already."))
    return redirect("incidents:record-detail", pk=pk)


urlpatterns = [
    path("", incident_list, name="list"),
    path("add/", incident_add, name="add"),
    path("<int:pk>/", incident_detail, name="detail"),
    path("<int:pk>/<slug:action>/", incident_action, name="action"),
    path("worklog/", worklog, name="worklog"),
    path("worklog/add/", worklog_add, name="worklog-add"),
    path("records/", records, name="records"),
    path("records/add/", record_add, name="record-add"),
    path("records/<int:pk>/", record_detail, name="record-detail"),
    path("records/<int:pk>/confirm/", record_confirm, name="record-confirm"),
]
