"""Warn when an active contract runs into a year whose official working days are not known yet.

Deadlines in working days (payments, resolutions, reports) are only as good as the calendar: the
State Council announces a year's holidays and swapped weekends (调休) late in the year before, and
until the ``holidays`` package or an administrator records them the deadlines are estimates.
"""

import datetime as dt

from django.core.checks import Warning, register
from django.db import DatabaseError
from django.utils.translation import gettext as _


def last_known_year() -> int:
    from contracts.worktime import known_years

    return max(known_years())


def contracts_beyond_calendar(queryset=None):
    """Active contracts ending after the last year with a known official calendar, by end date.

    Pass a queryset (e.g. ``Contract.objects.restrict(user)``) to narrow the search; each
    contract's unknown years are ``last_known_year() + 1`` to ``ends_on.year``.
    """
    from contracts.models import Contract

    if queryset is None:
        queryset = Contract.objects.all()
    last_day = dt.date(last_known_year(), 12, 31)
    return queryset.filter(status=Contract.Status.ACTIVE, ends_on__gt=last_day).order_by("ends_on", "code")


def describe(contract, last_year: int) -> str:
    """One line naming the contract and the years to enter, for messages and warnings."""
    first_missing, end_year = last_year + 1, contract.ends_on.year
    years = str(end_year) if first_missing == end_year else f"{first_missing}–{end_year}"
    return _(
        "Contract %(code)s runs until %(ends_on)s, but China's official working-day calendar "
        "is known only up to %(last)s: enter the schedule of %(years)s."
    ) % {"code": contract.code, "ends_on": contract.ends_on, "last": last_year, "years": years}


@register()
def check_contracts_beyond_calendar(app_configs=None, **kwargs):
    if app_configs is not None and not any(config.name == "contracts" for config in app_configs):
        return []
    try:
        last_year = last_known_year()
        contracts = list(contracts_beyond_calendar())
    except DatabaseError:
        # Before migrate (or without a database at all) there is nothing to check yet.
        return []
    return [
        Warning(
            describe(contract, last_year),
            hint=_(
                "Enter the official holidays and swapped working days in the admin as calendar days, "
                "then mark each year complete as a calendar year."
            ),
            obj=contract,
            id="contracts.W001",
        )
        for contract in contracts
    ]
