from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from contracts.checks import contracts_beyond_calendar, last_known_year
from contracts.models import Contract
from contracts.scoping import is_administrator
from reports.dashboard import dashboard_charts, dashboard_data


@login_required
def dashboard(request):
    """The home page: the user's contracts at a glance, from a constant number of queries."""
    visible = Contract.objects.restrict(request.user).select_related("client", "vendor")
    # Read once: the count, the active list and the dashboard's figures all come from this list.
    contracts = list(visible)
    board = dashboard_data(request.user, contracts)
    return render(
        request,
        "home.html",
        {
            "active_contracts": [c for c in contracts if c.status == Contract.Status.ACTIVE],
            "contract_count": len(contracts),
            # Only those who can enter the missing schedule are warned here; the others see a
            # quiet note on the affected contract's page.
            "beyond_calendar": contracts_beyond_calendar(visible) if is_administrator(request.user) else [],
            "last_known_year": last_known_year(),
            "board": board,
            "charts": dashboard_charts(board),
        },
    )
