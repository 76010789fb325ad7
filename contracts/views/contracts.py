"""The contract list, the contract page's tabs, and the forms that edit a contract's parts."""

import datetime as dt
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import F, ProtectedError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from contracts import obligations, services, settlement, worktime
from contracts.checks import contracts_beyond_calendar, last_known_year
from contracts.filters import BreachFilterSet, ContractFilterSet
from contracts.forms import (
    AssetForm,
    ContractForm,
    DutyShiftForm,
    MilestoneForm,
    NewContractForm,
    PenaltyClauseForm,
    ReplacementForm,
    ServiceItemForm,
    SLATermForm,
    StaffAssignmentForm,
    StaffPostForm,
)
from contracts.intake.sources import field_sources, term_sources
from contracts.models import (
    Asset,
    Breach,
    Contract,
    DutyShift,
    Milestone,
    PenaltyClause,
    ServiceItem,
    SLATerm,
    StaffAssignment,
    StaffPost,
)
from contracts.penalties import adopt_unpriced_breaches, penalty_summary
from contracts.scoping import (
    MANAGE_ASSETS,
    MANAGE_CONTRACT,
    MANAGE_PENALTIES,
    MANAGE_STAFF,
    can,
    contract_clients,
    is_administrator,
)
from contracts.tabs import registered_tabs
from om_portal.filtering import list_filters

TABS = [
    ("overview", gettext_lazy("Overview"), "contracts:detail"),
    ("items", gettext_lazy("Service items"), "contracts:items"),
    ("sla", gettext_lazy("SLA terms"), "contracts:sla"),
    ("penalties", gettext_lazy("Penalties"), "contracts:penalties"),
    ("milestones", gettext_lazy("Milestones"), "contracts:milestones"),
    ("staff", gettext_lazy("Staff and rosters"), "contracts:staff"),
    ("assets", gettext_lazy("Assets"), "contracts:assets"),
]


def visible_contract(request, code) -> Contract:
    """The contract by code if the user may see it; 404 otherwise (never 403: no existence leak)."""
    return get_object_or_404(
        Contract.objects.restrict(request.user).select_related("client", "vendor"), code=code
    )


def ledger_rows(request, contract):
    """The contract's breaches the user may see, by the ledger's filters (the API's too)."""
    breaches = Breach.objects.restrict(request.user).filter(contract=contract)
    return list_filters(request, BreachFilterSet, breaches).rows


def render_tab(request, contract, tab, template, **context):
    rights = {
        "can_manage_contract": can(request.user, MANAGE_CONTRACT, contract),
        "can_manage_staff": can(request.user, MANAGE_STAFF, contract),
        "can_manage_penalties": can(request.user, MANAGE_PENALTIES, contract),
        "can_manage_assets": can(request.user, MANAGE_ASSETS, contract),
    }
    tabs = [*TABS, *registered_tabs()]
    return render(request, template, {"contract": contract, "tabs": tabs, "tab": tab, **rights, **context})


@login_required
def contract_list(request):
    contracts = Contract.objects.restrict(request.user).select_related("client", "vendor")
    filters = ContractFilterSet(request.GET, queryset=contracts)
    page = Paginator(filters.qs, 50).get_page(request.GET.get("page"))
    can_add = contract_clients(request.user).exists()
    return render(
        request, "contracts/contract_list.html", {"page": page, "filters": filters, "can_add": can_add}
    )


@login_required
def contract_add(request):
    """A new contract, entered by a client bureau's manager (for that bureau) or an administrator."""
    form = NewContractForm(request.POST or None, user=request.user)
    if not form.fields["client"].queryset.exists():
        raise PermissionDenied
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            contract = form.save()
        messages.success(request, _("Contract %(code)s created.") % {"code": contract.code})
        return redirect(contract)
    return render(request, "contracts/contract_add.html", {"form": form})


@login_required
def contract_detail(request, code):
    contract = visible_contract(request, code)
    today = timezone.localdate()
    return render_tab(
        request,
        contract,
        "overview",
        "contracts/tab_overview.html",
        progress=contract.term_progress(),
        sla_terms=contract.sla_terms.all(),
        price=services.price_list(contract),
        upcoming=contract.milestones.exclude(status=Milestone.Status.PAID)
        .select_related("contract")
        .order_by(F("due_on").asc(nulls_last=True), "position")[:3],
        today=today,
        roster_gaps=services.roster_gaps(contract, today, today + dt.timedelta(days=30)),
        beyond_calendar=contracts_beyond_calendar(Contract.objects.filter(pk=contract.pk)),
        last_known_year=last_known_year(),
        termination_rights=settlement.termination_rights(contract),
        timeline=settlement.timeline_of(contract),
        calendar_can_act=is_administrator(request.user),
        field_sources=field_sources(contract),
    )


@login_required
def contract_items(request, code):
    contract = visible_contract(request, code)
    return render_tab(
        request,
        contract,
        "items",
        "contracts/tab_items.html",
        price=services.price_list(contract),
        sources=term_sources(contract),
    )


@login_required
def contract_sla(request, code):
    contract = visible_contract(request, code)
    terms = contract.sla_terms.select_related("penalty_clause")
    return render_tab(
        request, contract, "sla", "contracts/tab_sla.html", terms=terms, sources=term_sources(contract)
    )


@login_required
def contract_penalties(request, code):
    contract = visible_contract(request, code)
    breaches = ledger_rows(request, contract).select_related("clause").order_by("-occurred_at", "-pk")
    page = Paginator(breaches, 50).get_page(request.GET.get("page"))
    return render_tab(
        request,
        contract,
        "penalties",
        "contracts/tab_penalties.html",
        clauses=contract.penalty_clauses.all(),
        summary=penalty_summary(contract),
        page=page,
        # The kinds this ledger holds, for the filter: one row each.
        breach_kinds=[
            (kind, obligations.label(kind))
            for kind in contract.breaches.order_by("kind").values_list("kind", flat=True).distinct()
        ],
        breach_sources=Breach.Source.choices,
        filtered=any(value for key, value in request.GET.items() if key != "page"),
        sources=term_sources(contract),
    )


@login_required
def contract_milestones(request, code):
    contract = visible_contract(request, code)
    milestones = contract.milestones.select_related("contract")
    return render_tab(
        request,
        contract,
        "milestones",
        "contracts/tab_milestones.html",
        milestones=milestones,
        today=timezone.localdate(),
        percent_total=services.milestone_percent_total(contract),
        sources=term_sources(contract),
    )


@login_required
def contract_staff(request, code):
    contract = visible_contract(request, code)
    today = timezone.localdate()
    start = today - dt.timedelta(days=7)
    return render_tab(
        request,
        contract,
        "staff",
        "contracts/tab_staff.html",
        posts=services.staff_summary(contract, today),
        assignments=StaffAssignment.objects.filter(post__contract=contract).select_related(
            "post", "replaces"
        ),
        shifts=contract.duty_shifts.filter(date__gte=start).select_related("post")[:100],
        roster_gaps=services.roster_gaps(contract, today, today + dt.timedelta(days=60)),
        non_working_days=[
            today + dt.timedelta(days=n)
            for n in range(14)
            if not worktime.is_working_day(today + dt.timedelta(days=n))
        ],
        sources=term_sources(contract),
    )


@login_required
def contract_edit(request, code):
    contract = visible_contract(request, code)
    if not can(request.user, MANAGE_CONTRACT, contract):
        raise PermissionDenied
    form = ContractForm(request.POST or None, instance=contract)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            form.save()
            services.refresh_due_dates(contract)
        messages.success(request, _("Contract saved."))
        return redirect(contract)
    return render_tab(
        request,
        contract,
        "overview",
        "contracts/part_form.html",
        form=form,
        title=_("Edit contract"),
        back=contract.get_absolute_url(),
    )


# --- A contract's parts: one set of views for service items, SLA terms, milestones, staff... ------


@dataclass(frozen=True)
class Part:
    model: type
    form: type
    action: str
    tab: str
    title: str
    contract_path: str = "contract"


PARTS = {
    "items": Part(
        ServiceItem, ServiceItemForm, MANAGE_CONTRACT, "contracts:items", gettext_lazy("service item")
    ),
    "sla": Part(SLATerm, SLATermForm, MANAGE_CONTRACT, "contracts:sla", gettext_lazy("SLA term")),
    "milestones": Part(
        Milestone, MilestoneForm, MANAGE_CONTRACT, "contracts:milestones", gettext_lazy("milestone")
    ),
    "posts": Part(StaffPost, StaffPostForm, MANAGE_STAFF, "contracts:staff", gettext_lazy("staff post")),
    "assignments": Part(
        StaffAssignment,
        StaffAssignmentForm,
        MANAGE_STAFF,
        "contracts:staff",
        gettext_lazy("staff assignment"),
        contract_path="post__contract",
    ),
    "shifts": Part(DutyShift, DutyShiftForm, MANAGE_STAFF, "contracts:staff", gettext_lazy("duty shift")),
    "assets": Part(Asset, AssetForm, MANAGE_ASSETS, "contracts:assets", gettext_lazy("asset")),
    "clauses": Part(
        PenaltyClause,
        PenaltyClauseForm,
        MANAGE_CONTRACT,
        "contracts:penalties",
        gettext_lazy("penalty clause"),
    ),
}


def _part(request, code, part_name, pk=None):
    part = PARTS.get(part_name)
    if part is None:
        raise Http404
    contract = visible_contract(request, code)
    if not can(request.user, part.action, contract):
        raise PermissionDenied
    obj = None
    if pk is not None:
        obj = get_object_or_404(part.model.objects.filter(**{part.contract_path: contract}), pk=pk)
    return part, contract, obj


@login_required
def part_edit(request, code, part_name, pk=None):
    part, contract, obj = _part(request, code, part_name, pk)
    form = part.form(request.POST or None, instance=obj, contract=contract)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            saved = form.save()
            if part.model is Milestone:
                services.refresh_due_dates(contract)
            if part.model is PenaltyClause:
                # Breaches recorded before their clause existed are priced from now on.
                adopt_unpriced_breaches(saved)
        messages.success(request, _("Saved."))
        return redirect(part.tab, code=contract.code)
    heading = _("Edit %(thing)s") if obj else _("Add %(thing)s")
    return render_tab(
        request,
        contract,
        part.tab.split(":")[1],
        "contracts/part_form.html",
        form=form,
        title=heading % {"thing": part.title},
        back=reverse(part.tab, kwargs={"code": contract.code}),
        delete_url=reverse("contracts:part-delete", args=[contract.code, part_name, obj.pk]) if obj else "",
    )


@login_required
def part_delete(request, code, part_name, pk):
    part, contract, obj = _part(request, code, part_name, pk)
    if request.method == "POST":
        try:
            with transaction.atomic():
                obj.delete()
        except ProtectedError:
            # A clause with breaches recorded under it, say: the ledger keeps it (not a 500).
            messages.error(request, _("Records refer to this; it cannot be deleted."))
        else:
            messages.success(request, _("Deleted."))
        return redirect(part.tab, code=contract.code)
    return render_tab(
        request, contract, part.tab.split(":")[1], "contracts/part_delete.html", obj=obj, title=_("Delete")
    )


@login_required
@require_POST
def assignment_replace(request, code, pk):
    _ignored, contract, assignment = _part(request, code, "assignments", pk)
    form = ReplacementForm(request.POST)
    if form.is_valid():
        try:
            services.replace_staff(assignment, recorded_by=request.user, **form.cleaned_data)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Replacement recorded."))
    else:
        for field, errors in form.errors.items():
            messages.error(
                request, f"{form.fields[field].label if field in form.fields else ''}: {' '.join(errors)}"
            )
    return redirect("contracts:staff", code=contract.code)
