"""The inspection ledger of a contract and period: on screen, and as an .xlsx download.

/inspections/ledger/?contract=CODE&from=YYYY-MM-DD&to=YYYY-MM-DD[&format=xlsx]; without them, the
first of the user's contracts and this month. A contract the user cannot see is a 404.
"""

import datetime as dt
import re
from urllib.parse import quote

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from contracts.models import Contract
from contracts.scoping import VIEW
from inspections import ledger
from om_portal import audit

PAGE_SIZE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class LedgerForm(forms.Form):
    contract = forms.ChoiceField(label=gettext_lazy("Contract"))

    def __init__(self, data, contracts):
        super().__init__(data)
        self.fields["contract"].choices = [(c.code, f"{c.code} {c.title}") for c in contracts]
        # "from" is a keyword in Python: the fields are added by name.
        self.fields["from"] = forms.DateField(
            label=gettext_lazy("From"), widget=forms.DateInput(attrs={"type": "date"})
        )
        self.fields["to"] = forms.DateField(
            label=gettext_lazy("To"), widget=forms.DateInput(attrs={"type": "date"})
        )

    def clean(self):
        data = super().clean()
        start, end = data.get("from"), data.get("to")
        if start and end:
            if end < start:
                self.add_error("to", _("The period cannot end before it starts."))
            elif (end - start).days + 1 > ledger.MAX_DAYS:
                self.add_error(
                    "to", _("Choose a period of at most %(days)d days.") % {"days": ledger.MAX_DAYS}
                )
        return data


def _this_month(today: dt.date) -> tuple[dt.date, dt.date]:
    first = today.replace(day=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    return first, following - dt.timedelta(days=1)


def filename(contract: Contract, start: dt.date, end: dt.date) -> tuple[str, str]:
    """The download's name in the user's language, and an ASCII one for clients without RFC 6266."""
    period = f"{start:%Y%m%d}-{end:%Y%m%d}"
    # Path separators, quotes and control characters have no place in a file name.
    name = re.sub(
        r'[\\/:*?"<>|\x00-\x1f\x7f]+', "_", f"{_('Inspection ledger')}-{contract.code}-{period}.xlsx"
    )
    ascii_name = re.sub(r"[^A-Za-z0-9._-]+", "_", f"inspection-ledger-{contract.code}-{period}.xlsx")
    return name, ascii_name


def _attachment(body: bytes, name: str, ascii_name: str) -> HttpResponse:
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"
    return HttpResponse(body, content_type=XLSX, headers={"Content-Disposition": disposition})


@login_required
@require_GET
def ledger_view(request):
    contracts = list(Contract.objects.restrict(request.user, VIEW).order_by("code"))
    code = request.GET.get("contract")
    by_code = {c.code: c for c in contracts}
    if code and code not in by_code:
        raise Http404  # out of scope: as if it did not exist
    if not contracts:
        return render(request, "inspections/ledger.html", {"form": None, "rows": []})
    start, end = _this_month(timezone.localdate())
    data = {"contract": contracts[0].code, "from": start.isoformat(), "to": end.isoformat()}
    data.update({key: request.GET[key] for key in data if request.GET.get(key)})
    form = LedgerForm(data, contracts)
    context = {"form": form, "rows": []}
    if not form.is_valid():
        return render(request, "inspections/ledger.html", context, status=400)
    contract = by_code[form.cleaned_data["contract"]]
    start, end = form.cleaned_data["from"], form.cleaned_data["to"]
    if request.GET.get("format") == "xlsx":
        body = ledger.export_xlsx(contract, start, end, ledger.ledger_rows(contract, start, end))
        audit.record_export(
            request, "inspection_ledger", contract=contract, detail={"from": str(start), "to": str(end)}
        )
        return _attachment(body, *filename(contract, start, end))
    page = Paginator(ledger.slots_in(contract, start, end), PAGE_SIZE).get_page(request.GET.get("page"))
    context.update(
        contract=contract,
        start=start,
        end=end,
        title=ledger.title(contract, start, end),
        page=page,
        rows=ledger.build_rows(contract, list(page.object_list)),
        headers=[label for label, _width in ledger.columns()],
    )
    return render(request, "inspections/ledger.html", context)


urlpatterns = [path("ledger/", ledger_view, name="ledger")]
