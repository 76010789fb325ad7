"""The pages that manage a contract's inspections: one page with its schedules, heightened
periods, checklists and automated checks, and the forms that add, edit and deactivate them.

Anyone who may see the contract sees the page; writing needs MANAGE_INSPECTIONS on it (403).
A contract or an object out of the user's scope is a 404. A saved schedule or period takes
effect at once: the slots of the next two days are materialised again right after the save.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.db.models import Case, Count, IntegerField, Value, When
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from contracts.models import Contract
from contracts.scoping import MANAGE_CONTRACT, MANAGE_INSPECTIONS, VIEW, can
from contracts.views.contracts import TABS, visible_contract
from inspections import schedules, targets
from inspections.manage_forms import (
    CheckForm,
    ChecklistForm,
    NetworkForm,
    PeriodForm,
    ScheduleForm,
    item_formset,
)
from inspections.models import (
    AllowedNetwork,
    AutomatedCheck,
    ChecklistTemplate,
    HeightenedPeriod,
    InspectionSchedule,
    ResultStatus,
)
from inspections.probes import kinds as probe_kinds

UPCOMING_DAYS = 7
SLOTS_SHOWN = 3
CHECKS_PER_PAGE = 50
PAST_PERIODS_SHOWN = 10
# How far ahead a change is materialised at once; the beat takes care of the days after.
MATERIALISE_AHEAD = dt.timedelta(days=2)
FAILING = [ResultStatus.FAILED, ResultStatus.TIMEOUT, ResultStatus.ERROR]

# The objects with an "active" switch, by the name their URLs use.
SWITCHABLE = {
    "schedules": InspectionSchedule,
    "checklists": ChecklistTemplate,
    "checks": AutomatedCheck,
}


# --- Access -------------------------------------------------------------------------------------


def managed_contract(request, code) -> Contract:
    """The contract if the user may manage its inspections: 404 out of scope, 403 without the right."""
    contract = visible_contract(request, code)
    if not can(request.user, MANAGE_INSPECTIONS, contract):
        raise PermissionDenied
    return contract


def owned(request, model, contract, pk):
    """One of the contract's objects, or None for a new one; 404 when it is not the contract's."""
    if pk is None:
        return None
    objects = model.objects.restrict(request.user, MANAGE_INSPECTIONS).filter(contract=contract)
    return get_object_or_404(objects, pk=pk)


def refresh_slots():
    now = timezone.now()
    schedules.materialise_slots(now, now + MATERIALISE_AHEAD, now=now)


def page_url(contract) -> str:
    return reverse("inspections:contract", kwargs={"code": contract.code})


# --- The contract's inspections page ------------------------------------------------------------


@dataclass
class Upcoming:
    """The next slots of a schedule (or of a period's own rounds) in the coming week."""

    first: list
    more: int

    @classmethod
    def of(cls, slots) -> "Upcoming":
        return cls(slots[:SLOTS_SHOWN], max(0, len(slots) - SLOTS_SHOWN))


def _period_rows(request, contract, today, period_slots):
    periods = list(
        HeightenedPeriod.objects.restrict(request.user, VIEW)
        .filter(contracts=contract)
        .prefetch_related("contracts")
        .order_by("-starts_on", "name")
    )
    contract_ids = {c.pk for period in periods for c in period.contracts.all()}
    visible = set(
        Contract.objects.restrict(request.user, VIEW).filter(pk__in=contract_ids).values_list("pk", flat=True)
    )
    managed = set(
        Contract.objects.restrict(request.user, MANAGE_INSPECTIONS)
        .filter(pk__in=contract_ids)
        .values_list("pk", flat=True)
    )
    current, past = [], []
    for period in periods:
        members = list(period.contracts.all())
        others = [c for c in members if c.pk != contract.pk]
        row = {
            "period": period,
            # Codes of contracts the user cannot see are not shown, only counted.
            "others": [c for c in others if c.pk in visible],
            "hidden": sum(1 for c in others if c.pk not in visible),
            "editable": all(c.pk in managed for c in members),
            "on": period.covers(today),
            "time_to_do": _hours_text(period.grace),
            "upcoming": Upcoming.of(period_slots.get(period.pk, [])),
        }
        (current if period.ends_on >= today else past).append(row)
    return current, past[:PAST_PERIODS_SHOWN], len(past)


def _hours_text(duration) -> str:
    hours = duration.total_seconds() / 3600
    return _("%(hours)s h") % {"hours": f"{hours:g}"}


def _time_to_do(schedule) -> str:
    if schedule.kind == InspectionSchedule.Kind.MONTHLY_WORKING_DAY:
        return _("until the end of business on the N-th working day")
    if schedule.grace is None:
        return _("until the next slot")
    return _hours_text(schedule.grace)


def _options_summary(check) -> str:
    """The check's options as a person reads them: each by its label ("时延上限（毫秒）：800"), a
    choice by its label, yes or no; never the JSON's keys (``max_latency_ms=800``)."""
    options = check.options if isinstance(check.options, dict) else {}
    known = probe_kinds.all_options()
    parts = []
    for name, value in options.items():
        option = known.get(name)
        if option is None:
            parts.append(f"{name}={value}")
            continue
        if isinstance(value, bool):
            value = _("Yes") if value else _("No")
        elif option.choices:
            value = _(dict(option.choices).get(value, value))
        parts.append(f"{_(option.label)}：{value}")
    return " · ".join(parts)


@login_required
@require_GET
def contract_inspections(request, code):
    contract = visible_contract(request, code)
    user = request.user
    now, today = timezone.now(), timezone.localdate()

    # The week ahead, computed (not read from the slot rows) so that the days not yet
    # materialised show too.
    by_schedule, by_period = defaultdict(list), defaultdict(list)
    for slot in schedules.slots_between(contract, now, now + dt.timedelta(days=UPCOMING_DAYS)):
        if slot.schedule is not None:
            by_schedule[slot.schedule.pk].append(slot)
        else:
            by_period[slot.period.pk].append(slot)
    schedule_list = list(InspectionSchedule.objects.restrict(user, VIEW).filter(contract=contract))
    schedule_rows = [
        {"schedule": s, "upcoming": Upcoming.of(by_schedule.get(s.pk, [])), "time_to_do": _time_to_do(s)}
        for s in schedule_list
    ]

    checklists = list(
        ChecklistTemplate.objects.restrict(user, VIEW)
        .filter(contract=contract)
        .annotate(item_count=Count("items"))
        .order_by("-active", "name")
    )
    active_keys = {t.key for t in checklists if t.active}
    used_by = defaultdict(list)
    for schedule in schedule_list:
        if schedule.checklist_kind:
            used_by[schedule.checklist_kind].append(schedule)
    checklist_rows = [(t, used_by.get(t.key, [])) for t in checklists]
    # A schedule naming a checklist that does not exist (or is inactive) gives engineers nothing
    # to tick: worth saying on the page.
    orphans = [
        s for s in schedule_list if s.active and s.checklist_kind and s.checklist_kind not in active_keys
    ]

    checks = (
        AutomatedCheck.objects.restrict(user, VIEW)
        .filter(contract=contract)
        .select_related("asset", "incident__contract")
        .annotate(
            failing=Case(
                When(last_status__in=FAILING, then=Value(0)), default=Value(1), output_field=IntegerField()
            )
        )
        .order_by("-active", "failing", "name")
    )
    check_page = Paginator(checks, CHECKS_PER_PAGE).get_page(request.GET.get("page"))
    check_rows = [(check, _options_summary(check)) for check in check_page.object_list]
    for check, _summary in check_rows:
        check.awaits_approval = targets.awaits_approval(check)

    current_periods, past_periods, past_count = _period_rows(request, contract, today, by_period)
    return render(
        request,
        "inspections/manage/contract.html",
        {
            "contract": contract,
            "tabs": TABS,
            "can_manage": can(user, MANAGE_INSPECTIONS, contract),
            "can_approve": can(user, MANAGE_CONTRACT, contract),
            "networks": AllowedNetwork.objects.restrict(user, VIEW).filter(contract=contract),
            "schedule_rows": schedule_rows,
            "current_periods": current_periods,
            "past_periods": past_periods,
            "past_count": past_count,
            "checklist_rows": checklist_rows,
            "orphans": orphans,
            "page": check_page,
            "check_rows": check_rows,
            "upcoming_days": UPCOMING_DAYS,
        },
    )


# --- Saving -------------------------------------------------------------------------------------


def _save(request, contract, form, save, *, slots: bool, then=None):
    """Run ``save`` in one transaction; a redirect (to ``then(saved)``, else the contract's
    inspections page) when it worked, None when a concurrent write won a constraint (the form
    then says so)."""
    try:
        with transaction.atomic():
            saved = save()
    except IntegrityError:
        # Checked by the form already; this is another user saving the same name meanwhile, or
        # an answer arriving for an item being removed.
        form.add_error(
            None, _("Someone else changed this contract’s inspections meanwhile; check and save again.")
        )
        return None
    if slots:
        refresh_slots()
    messages.success(request, _("Saved."))
    return redirect(then(saved) if then else page_url(contract))


def _form_page(request, contract, template, **context):
    return render(
        request,
        template,
        {"contract": contract, "tabs": TABS, "back": page_url(contract), **context},
    )


def _title(obj, thing) -> str:
    return (_("Edit %(thing)s") if obj is not None else _("Add %(thing)s")) % {"thing": thing}


@login_required
@require_http_methods(["GET", "POST"])
def schedule_edit(request, code, pk=None):
    contract = managed_contract(request, code)
    schedule = owned(request, InspectionSchedule, contract, pk)
    form = ScheduleForm(request.POST or None, instance=schedule, contract=contract)
    if request.method == "POST" and form.is_valid():
        response = _save(request, contract, form, form.save, slots=True)
        if response:
            return response
    return _form_page(
        request,
        contract,
        "inspections/manage/form.html",
        form=form,
        title=_title(schedule, _("inspection schedule")),
    )


@login_required
@require_http_methods(["GET", "POST"])
def period_edit(request, code, pk=None):
    contract = managed_contract(request, code)
    period = None
    if pk is not None:
        periods = HeightenedPeriod.objects.restrict(request.user, MANAGE_INSPECTIONS).filter(
            contracts=contract
        )
        period = get_object_or_404(periods, pk=pk)
        # Its dates and times are every listed contract's: changing them needs the right on all.
        managed = Contract.objects.restrict(request.user, MANAGE_INSPECTIONS)
        if period.contracts.exclude(pk__in=managed.values("pk")).exists():
            raise PermissionDenied
    initial = None if period else {"contracts": [contract.pk]}
    form = PeriodForm(request.POST or None, instance=period, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        response = _save(request, contract, form, form.save, slots=True)
        if response:
            return response
    return _form_page(
        request,
        contract,
        "inspections/manage/form.html",
        form=form,
        title=_title(period, _("heightened-security period")),
    )


@login_required
@require_POST
def period_withdraw(request, code, pk):
    """Take this contract out of a period (the period goes on for the others): its rounds from
    now on follow the contract's own schedules again."""
    contract = managed_contract(request, code)
    periods = HeightenedPeriod.objects.restrict(request.user, MANAGE_INSPECTIONS).filter(contracts=contract)
    period = get_object_or_404(periods, pk=pk)
    with transaction.atomic():
        period.contracts.remove(contract)
    refresh_slots()
    with transaction.atomic():
        # A period left with no contract and no slot is an empty shell: gone. One with slots
        # stays, as the origin of rounds already done or missed.
        if not period.contracts.exists() and not period.slots.exists():
            period.delete()
    messages.success(
        request,
        _("%(contract)s no longer follows “%(period)s”.")
        % {"contract": contract.code, "period": period.name},
    )
    return redirect(page_url(contract))


@login_required
@require_http_methods(["GET", "POST"])
def checklist_edit(request, code, pk=None):
    contract = managed_contract(request, code)
    template = owned(request, ChecklistTemplate, contract, pk) or ChecklistTemplate(contract=contract)
    old_key = template.key if template.pk else None  # the form rewrites the instance while validating
    data = request.POST if request.method == "POST" else None
    form = ChecklistForm(data, instance=template, contract=contract)
    formset = item_formset(template, contract, data)
    if data is not None:
        valid = form.is_valid()
        valid = formset.is_valid() and valid  # both validated: every error shows at once

        def save():
            saved = form.save()
            formset.instance = saved
            formset.save_in_order()
            if old_key and saved.key != old_key:
                # The schedules that named the checklist by its key keep following it.
                InspectionSchedule.objects.filter(contract=contract, checklist_kind=old_key).update(
                    checklist_kind=saved.key
                )
            return saved

        def then(saved):
            # "Save and add more items": back to the form, with fresh blank rows.
            if "more" in request.POST:
                return reverse("inspections:checklist-edit", kwargs={"code": contract.code, "pk": saved.pk})
            return page_url(contract)

        if valid:
            response = _save(request, contract, form, save, slots=False, then=then)
            if response:
                return response
    return _form_page(
        request,
        contract,
        "inspections/manage/checklist_form.html",
        form=form,
        formset=formset,
        title=_title(template if template.pk else None, _("checklist")),
    )


@login_required
@require_http_methods(["GET", "POST"])
def check_edit(request, code, pk=None):
    contract = managed_contract(request, code)
    check = owned(request, AutomatedCheck, contract, pk)
    before = targets.signature(check) if check is not None else None
    form = CheckForm(request.POST or None, instance=check, contract=contract, user=request.user)

    def save():
        saved = form.save()
        targets.record_edit(saved, request.user, before=before)
        return saved

    if request.method == "POST" and form.is_valid():
        response = _save(request, contract, form, save, slots=False)
        if response:
            return response
    return _form_page(
        request,
        contract,
        "inspections/manage/check_form.html",
        form=form,
        title=_title(check, _("automated check")),
        has_assets=contract.assets.exists(),
    )


@login_required
@require_POST
def check_approve(request, code, pk):
    """The client side approves a check as it stands: it runs from the next round."""
    contract = visible_contract(request, code)
    check = get_object_or_404(AutomatedCheck.objects.restrict(request.user, VIEW), contract=contract, pk=pk)
    if not targets.can_approve(request.user, check):
        raise PermissionDenied
    with transaction.atomic():
        targets.approve(check, request.user)
    messages.success(
        request, _("“%(name)s” is approved; it runs from the next round.") % {"name": check.name}
    )
    return redirect(page_url(contract))


def _network_contract(request, code) -> Contract:
    contract = visible_contract(request, code)
    if not can(request.user, MANAGE_CONTRACT, contract):
        raise PermissionDenied
    return contract


@login_required
@require_POST
def network_add(request, code):
    """The client side allows a network to the contract's checks."""
    contract = _network_contract(request, code)
    form = NetworkForm(request.POST, contract=contract)
    if form.is_valid():
        try:
            with transaction.atomic():
                form.save()
        except IntegrityError:  # the same network added meanwhile
            messages.error(request, _("This network is allowed already."))
        else:
            messages.success(
                request, _("Checks may now reach %(network)s.") % {"network": form.instance.network}
            )
    else:
        problems = [message for messages_ in form.errors.values() for message in messages_]
        messages.error(request, " ".join(problems))
    return redirect(page_url(contract))


@login_required
@require_POST
def network_delete(request, code, pk):
    contract = _network_contract(request, code)
    network = get_object_or_404(AllowedNetwork.objects.restrict(request.user, VIEW), contract=contract, pk=pk)
    network.delete()
    messages.success(request, _("Checks may no longer reach %(network)s.") % {"network": network.network})
    return redirect(page_url(contract))


@login_required
@require_POST
def set_active(request, code, part, pk):
    """Deactivate (or reactivate) a schedule, checklist or check; nothing is deleted, since
    slots, runs and results refer to them."""
    model = SWITCHABLE.get(part)
    if model is None:
        raise Http404
    contract = managed_contract(request, code)
    obj = owned(request, model, contract, pk)
    active = request.POST.get("active") == "1"
    with transaction.atomic():
        obj.active = active
        obj.save(update_fields=["active", "updated_at"])
    if model is InspectionSchedule:
        refresh_slots()
    messages.success(
        request,
        (_("“%(name)s” is active.") if active else _("“%(name)s” is deactivated.")) % {"name": obj.name},
    )
    return redirect(page_url(contract))


urlpatterns = [
    path("contract/<slug:code>/", contract_inspections, name="contract"),
    path("contract/<slug:code>/schedules/add/", schedule_edit, name="schedule-add"),
    path("contract/<slug:code>/schedules/<int:pk>/edit/", schedule_edit, name="schedule-edit"),
    path("contract/<slug:code>/periods/add/", period_edit, name="period-add"),
    path("contract/<slug:code>/periods/<int:pk>/edit/", period_edit, name="period-edit"),
    path("contract/<slug:code>/periods/<int:pk>/withdraw/", period_withdraw, name="period-withdraw"),
    path("contract/<slug:code>/checklists/add/", checklist_edit, name="checklist-add"),
    path("contract/<slug:code>/checklists/<int:pk>/edit/", checklist_edit, name="checklist-edit"),
    path("contract/<slug:code>/checks/add/", check_edit, name="automated-check-add"),
    path("contract/<slug:code>/checks/<int:pk>/edit/", check_edit, name="automated-check-edit"),
    path("contract/<slug:code>/checks/<int:pk>/approve/", check_approve, name="automated-check-approve"),
    path("contract/<slug:code>/networks/add/", network_add, name="network-add"),
    path("contract/<slug:code>/networks/<int:pk>/delete/", network_delete, name="network-delete"),
    path("contract/<slug:code>/<slug:part>/<int:pk>/active/", set_active, name="set-active"),
]
