"""The auditor's search of the audit trail (/audit/).

Separation of duties: the trail is read by auditors, not by the administrators whose acts it
records. An auditor sees the lines about the contracts of their organisations and the lines of
their organisations' members; a superuser (the installation's owner) sees every line. Nobody can
change or delete a line here or anywhere else (om_portal.audit). A CSV download of a search is
itself a line of the trail.
"""

import datetime as dt
import io

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from contracts.models import Contract, Membership, Role
from om_portal import audit, spreadsheets
from om_portal.models import AuditEntry

PAGE_SIZE = 50
CSV_LIMIT = 50_000


def visible_lines(user):
    """The audit lines ``user`` may read, or None when they may read none (not an auditor)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if user.is_superuser:
        return AuditEntry.objects.all()
    organizations = Membership.objects.filter(user=user, role=Role.AUDITOR).values("organization_id")
    if not organizations.exists():
        return None
    contracts = Contract.objects.filter(Q(client__in=organizations) | Q(vendor__in=organizations)).values(
        "code"
    )
    members = Membership.objects.filter(organization__in=organizations).values("user_id")
    return AuditEntry.objects.filter(Q(contract_code__in=contracts) | Q(user_id__in=members))


class SearchForm(forms.Form):
    start = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    username = forms.CharField(label=_("User"), required=False, max_length=150)
    action = forms.CharField(label=_("Action"), required=False, max_length=40)
    contract = forms.CharField(label=_("Contract"), required=False, max_length=40)
    outcome = forms.ChoiceField(
        label=_("Outcome"), required=False, choices=[("", "—"), *AuditEntry.Outcome.choices]
    )

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", _("The period cannot end before it starts."))
        return data

    def filter(self, lines):
        data = self.cleaned_data
        if data.get("start"):
            lines = lines.filter(at__gte=_midnight(data["start"]))
        if data.get("end"):
            lines = lines.filter(at__lt=_midnight(data["end"] + dt.timedelta(days=1)))
        for name, lookup in (("username", "username"), ("action", "action"), ("contract", "contract_code")):
            if data.get(name):
                lines = lines.filter(**{lookup: data[name]})
        if data.get("outcome"):
            lines = lines.filter(outcome=data["outcome"])
        return lines


def _midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time()))


@login_required
@require_GET
def audit_search(request):
    lines = visible_lines(request.user)
    if lines is None:
        raise PermissionDenied(_("Only auditors read the audit trail."))
    form = SearchForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return render(request, "contracts/audit.html", {"form": form, "page": None}, status=400)
    if form.is_bound:
        lines = form.filter(lines)
    lines = lines.order_by("-pk")
    if request.GET.get("format") == "csv":
        return _csv(request, lines)
    page = Paginator(lines, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "contracts/audit.html", {"form": form, "page": page})


def _csv(request, lines) -> HttpResponse:
    out = io.StringIO()
    writer = spreadsheets.csv_writer(out)  # formula-like text is quoted
    writer.writerow(
        [
            "id",
            "time",
            "user",
            "action",
            "object type",
            "object id",
            "object",
            "contract",
            "outcome",
            "address",
            "detail",
        ]
    )
    count = 0
    for line in lines[:CSV_LIMIT].iterator(chunk_size=2000):
        writer.writerow(
            [
                line.pk,
                timezone.localtime(line.at).isoformat(timespec="seconds"),
                line.username,
                line.action,
                line.object_type,
                line.object_id,
                line.object_repr,
                line.contract_code,
                line.outcome,
                line.address or "",
                line.detail,
            ]
        )
        count += 1
    audit.record_export(
        request, "audit_trail", detail={"lines": count, "query": request.GET.urlencode()[:500]}
    )
    filename = f"audit-{timezone.localdate():%Y%m%d}.csv"
    # A BOM so that Excel, which the bureau opens CSVs with, reads the Chinese as UTF-8.
    return HttpResponse(
        "\ufeff" + out.getvalue(),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": content_disposition_header(True, filename)},
    )
