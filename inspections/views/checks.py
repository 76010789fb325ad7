"""An automated check's own page: where it points, its state, its latest results, and "run now"
for those who manage the contract's checks (``inspections.ondemand``). The result arrives from a
probes worker; the page shows it once reloaded."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from contracts.scoping import VIEW
from contracts.views.contracts import TABS, visible_contract
from inspections import ondemand, targets
from inspections.models import AutomatedCheck

RESULTS_SHOWN = 20


def _visible_check(request, code, pk):
    contract = visible_contract(request, code)
    checks = AutomatedCheck.objects.restrict(request.user, VIEW).filter(contract=contract)
    check = get_object_or_404(checks.select_related("contract", "asset", "incident__contract"), pk=pk)
    return contract, check


@login_required
@require_GET
def check_detail(request, code, pk):
    contract, check = _visible_check(request, code, pk)
    # The newest first, by the (check, started_at) index.
    results = list(check.results.select_related("run__slot")[:RESULTS_SHOWN])
    return render(
        request,
        "inspections/manage/check_detail.html",
        {
            "contract": contract,
            "check": check,
            "tabs": TABS,
            "back": reverse("inspections:contract", kwargs={"code": contract.code}),
            "results": results,
            "runnable": targets.is_runnable(check),
            "awaits_approval": targets.awaits_approval(check),
            "can_run": ondemand.may_run_now(request.user, check),
            "pending": ondemand.pending(check, results[0] if results else None),
        },
    )


@login_required
@require_POST
def check_run(request, code, pk):
    """Run the check now: 403 for a role that does not manage checks; a message when it may not
    run or was asked for moments ago."""
    contract, check = _visible_check(request, code, pk)
    try:
        with transaction.atomic():
            ondemand.request_run(check, request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except ondemand.TooSoon as soon:
        messages.error(
            request,
            _("This check was asked to run moments ago; ask again in %(seconds)s seconds.")
            % {"seconds": soon.retry_after},
        )
    else:
        messages.success(
            request, _("The check is running; reload this page in a few seconds for its result.")
        )
    return redirect("inspections:automated-check", code=contract.code, pk=check.pk)


urlpatterns = [
    path("contract/<slug:code>/checks/<int:pk>/", check_detail, name="automated-check"),
    path("contract/<slug:code>/checks/<int:pk>/run/", check_run, name="automated-check-run"),
]
