"""Each list of the incidents app as an Excel workbook: the rows the list page shows (the user's,
through ``restrict``; filtered by the model's filterset from the same query string), every page
of them, on the audit trail as a download."""

from django.contrib.auth.decorators import login_required
from django.urls import path
from django.views.decorators.http import require_GET

from contracts.models import Contract
from incidents import exports
from incidents.filters import (
    ConsultationFilterSet,
    IncidentFilterSet,
    ServiceRecordFilterSet,
    WorkLogFilterSet,
)
from incidents.models import Consultation, Incident, ServiceRecord, WorkLogEntry
from om_portal.filtering import list_filters
from om_portal.spreadsheets import list_export


def _export(request, what, model, filterset_class, build_sheet):
    rows = list_filters(request, filterset_class, model.objects.restrict(request.user)).rows
    # One contract chosen (and visible): the file and the audit line name it.
    code = request.GET.get("contract", "")
    contract = Contract.objects.restrict(request.user).filter(code=code).first() if code else None
    stem = f"{contract.code}-{what}" if contract else what
    return list_export(request, what, [build_sheet(rows)], stem, contract=contract)


@login_required
@require_GET
def incidents_export(request):
    return _export(request, "incidents", Incident, IncidentFilterSet, exports.incidents_sheet)


@login_required
@require_GET
def worklog_export(request):
    return _export(request, "worklog", WorkLogEntry, WorkLogFilterSet, exports.worklog_sheet)


@login_required
@require_GET
def records_export(request):
    return _export(request, "service-records", ServiceRecord, ServiceRecordFilterSet, exports.records_sheet)


@login_required
@require_GET
def consultations_export(request):
    return _export(request, "consultations", Consultation, ConsultationFilterSet, exports.consultations_sheet)


urlpatterns = [
    path("export.xlsx", incidents_export, name="export"),
    path("worklog/export.xlsx", worklog_export, name="worklog-export"),
    path("records/export.xlsx", records_export, name="records-export"),
    path("consultations/export.xlsx", consultations_export, name="consultations-export"),
]
