"""The administrator's pages (系统管理): the working-day calendar, year by year.

The administrator (and a superuser) only: everyone else gets a 403, as for the accounts pages.
The rules are in ``contracts.schedule``; these pages show and ask.
"""

import functools

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from contracts import schedule, worktime
from contracts.administration_forms import DeadlineForm, NoticeSourceForm, notice_formset
from contracts.checks import contracts_beyond_calendar, describe, last_known_year
from contracts.models import CalendarYear
from contracts.scoping import is_administrator

# The month grids' column heads (一 二 三 … in Chinese).
WEEKDAYS = [
    pgettext_lazy("calendar weekday", "Mo"),
    pgettext_lazy("calendar weekday", "Tu"),
    pgettext_lazy("calendar weekday", "We"),
    pgettext_lazy("calendar weekday", "Th"),
    pgettext_lazy("calendar weekday", "Fr"),
    pgettext_lazy("calendar weekday", "Sa"),
    pgettext_lazy("calendar weekday", "Su"),
]
# Blank rows under the entered ones: a notice has seven holidays, and a spare or two.
BLANK_ROWS = 3
MIN_ROWS = 8


def administrator_required(view):
    """The administrator's pages: signed in (else the login page), an administrator (else 403)."""

    @login_required
    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if not is_administrator(request.user):
            raise PermissionDenied(_("Only administrators manage the portal's settings."))
        return view(request, *args, **kwargs)

    return wrapped


def _year(value: str) -> int:
    year = int(value)
    if not schedule.FIRST_YEAR <= year <= schedule.LAST_YEAR:
        raise Http404
    return year


@administrator_required
def index(request):
    """What the administrator looks after: the years of the calendar and the contracts that run
    past the last one known."""
    this_year = timezone.localdate().year
    completed = {entry.year: entry for entry in CalendarYear.objects.all()}
    years = [
        {"year": year, "status": schedule.year_status(year), "entry": completed.get(year)}
        for year in range(this_year - 1, this_year + 3)
    ]
    last_year = last_known_year()
    beyond = [describe(contract, last_year) for contract in contracts_beyond_calendar()]
    return render(
        request,
        "contracts/administration/index.html",
        {"years": years, "beyond": beyond, "last_year": last_year, "section": "calendar"},
    )


@administrator_required
def year_view(request, year):
    year = _year(year)
    deadline_form = DeadlineForm(request.GET if "start" in request.GET else None)
    deadline = None
    if deadline_form.is_valid():
        start, days = deadline_form.cleaned_data["start"], deadline_form.cleaned_data["days"]
        if schedule.FIRST_YEAR <= start.year < schedule.LAST_YEAR:
            deadline = worktime.add_working_days(start, days)
        else:
            deadline_form.add_error("start", _("Give a day between 1970 and 2098."))
    return render(
        request,
        "contracts/administration/calendar_year.html",
        {
            "deadline_form": deadline_form if deadline_form.is_bound else DeadlineForm(),
            "deadline": deadline,
            "year": year,
            # The years either side, where there is one to show.
            "previous_year": year - 1 if year > schedule.FIRST_YEAR else None,
            "next_year": year + 1 if year < schedule.LAST_YEAR else None,
            "months": schedule.year_months(year),
            "status": schedule.year_status(year),
            "entry": CalendarYear.objects.filter(year=year).first(),
            "weekdays": WEEKDAYS,
            "notice": schedule.notice_of(year),
            "section": "calendar",
        },
    )


def _initial(year):
    return [
        {"name": row.name, "first": row.first, "last": row.last, "makeup": row.makeup}
        for row in schedule.notice_of(year)
    ]


@administrator_required
@require_http_methods(["GET", "POST"])
def notice(request, year):
    """The year's notice in one form: every holiday's days off and make-up working days."""
    year = _year(year)
    initial = _initial(year)
    extra = max(BLANK_ROWS, MIN_ROWS - len(initial))
    formset_class = notice_formset(extra)
    entry = CalendarYear.objects.filter(year=year).first()
    source_form = NoticeSourceForm(request.POST or None, initial={"source": entry.source if entry else ""})
    formset = formset_class(request.POST or None, initial=initial, year=year, prefix="rows")
    if request.method == "POST" and formset.is_valid() and source_form.is_valid():
        try:
            counts = schedule.save_notice(
                year, formset.rows(), by=request.user, source=source_form.cleaned_data["source"]
            )
        except ValidationError as error:
            formset._non_form_errors = formset.error_class(error.messages)
        else:
            messages.success(
                request,
                _("The calendar of %(year)s is saved: %(off)s days off, %(makeup)s make-up working days.")
                % {"year": year, "off": counts["days_off"], "makeup": counts["makeup_days"]},
            )
            return redirect("administration:calendar-year", year=year)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "contracts/administration/calendar_notice.html",
        {
            "year": year,
            "formset": formset,
            "source_form": source_form,
            "status": schedule.year_status(year),
            "section": "calendar",
        },
        status=status,
    )


@administrator_required
@require_POST
def complete(request, year):
    year = _year(year)
    form = NoticeSourceForm(request.POST)
    source = form.cleaned_data["source"] if form.is_valid() else ""
    try:
        schedule.mark_complete(year, by=request.user, source=source)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return _calendar_page(request, year, status=400)
    messages.success(
        request,
        _("%(year)s is marked complete: its deadlines count on the schedule entered.") % {"year": year},
    )
    return redirect("administration:calendar-year", year=year)


def _calendar_page(request, year, status):
    response = year_view(request, str(year))
    response.status_code = status
    return response


@administrator_required
@require_POST
def reopen(request, year):
    year = _year(year)
    if schedule.reopen(year, by=request.user):
        messages.success(
            request,
            _("%(year)s is no longer marked complete: the days not entered are estimates again.")
            % {"year": year},
        )
    return redirect("administration:calendar-year", year=year)
