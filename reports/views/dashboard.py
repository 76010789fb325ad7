from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from contracts.checks import contracts_beyond_calendar, last_known_year
from contracts.models import Contract


@login_required
def dashboard(request):
    """The home page: the user's contracts at a glance (the Reports issue adds the figures)."""
    contracts = Contract.objects.restrict(request.user).select_related("client", "vendor")
    return render(
        request,
        "home.html",
        {
            "active_contracts": contracts.filter(status=Contract.Status.ACTIVE),
            "contract_count": contracts.count(),
            "beyond_calendar": contracts_beyond_calendar(contracts),
            "last_known_year": last_known_year(),
        },
    )
