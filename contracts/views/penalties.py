"""The breach ledger in the portal: entering a breach by hand, waiving one, deducting the total,
exporting it."""

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from contracts import exports
from contracts.forms import BreachForm, WaiveForm
from contracts.penalties import deduct_from_milestones, penalty_summary, record_breach, waive_breach
from contracts.scoping import MANAGE_PENALTIES, can
from contracts.views.contracts import ledger_rows, render_tab, visible_contract
from om_portal.spreadsheets import list_export


def _managed_contract(request, code):
    contract = visible_contract(request, code)
    if not can(request.user, MANAGE_PENALTIES, contract):
        raise PermissionDenied
    return contract


@login_required
def breach_add(request, code):
    contract = _managed_contract(request, code)
    form = BreachForm(request.POST or None, contract=contract)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                record_breach(
                    contract,
                    data["clause"].kind,
                    occurred_at=data["occurred_at"],
                    source="manual",
                    days_late=data["days_late"],
                    overdue_amount=data["overdue_amount"],
                    note=data["note"],
                    recorded_by=request.user,
                )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("Breach recorded."))
            return redirect("contracts:penalties", code=contract.code)
    return render_tab(
        request,
        contract,
        "penalties",
        "contracts/part_form.html",
        form=form,
        title=_("Record a breach"),
        back=f"{contract.get_absolute_url()}penalties/",
    )


@login_required
@require_POST
def breach_waive(request, code, pk):
    contract = _managed_contract(request, code)
    breach = get_object_or_404(contract.breaches, pk=pk)
    form = WaiveForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(form.errors.get("reason") or _("Give the reason for waiving the breach."))
        waive_breach(breach, by=request.user, reason=form.cleaned_data["reason"])
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Breach waived."))
    return redirect("contracts:penalties", code=contract.code)


@login_required
@require_POST
def deduct_penalties(request, code):
    """Spread the vendor's penalty total over the unpaid milestones (seed 001 allows it)."""
    contract = _managed_contract(request, code)
    deducted = sum((amount for _milestone, amount in deduct_from_milestones(contract)), Decimal(0))
    messages.success(
        request,
        _("Penalties of ¥%(amount)s deducted from unpaid milestones.") % {"amount": f"{deducted:,.2f}"},
    )
    return redirect("contracts:milestones", code=contract.code)


@login_required
@require_GET
def breach_export(request, code):
    """The penalties tab as a workbook: the ledger's rows by the tab's filters, and each clause's
    amount with the contract's totals."""
    contract = visible_contract(request, code)
    sheets = [
        exports.breaches_sheet(ledger_rows(request, contract)),
        exports.penalties_sheet(summary := penalty_summary(contract)),
        exports.totals_sheet(summary),
    ]
    return list_export(request, "breaches", sheets, f"{contract.code}-breaches", contract=contract)
