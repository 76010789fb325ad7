"""The reports pages: the list, a report on demand, one report with its build progress, the
vendor's narrative, the sign-off actions, and the PDFs.

Every lookup starts from ``restrict(request.user)``: another organisation's report is a 404. The
rules (who may act, in which state) are the services'; a refusal comes back as a message.
"""

import re
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from contracts.models import Contract
from contracts.scoping import BUILD_REPORT, SIGN_OFF_REPORT, VIEW, WRITE_REPORT, can
from om_portal import audit
from om_portal.filtering import list_filters
from reports import kinds, services
from reports.filters import ReportFilterSet
from reports.forms import CommentForm, NarrativeForm, NewReportForm
from reports.models import BuildState, Report, ReportKind, ReportVersion
from reports.services import ReportConflict

PAGE_SIZE = 50


@login_required
@require_GET
def index(request):
    reports = Report.objects.restrict(request.user, VIEW).select_related("contract")
    contracts = list(Contract.objects.restrict(request.user, VIEW).order_by("code"))
    # What the selects show as chosen, as typed (a value the filterset refused keeps its message).
    filters = {
        "contract": request.GET.get("contract", ""),
        "kind": request.GET.get("kind", ""),
        "status": request.GET.get("status", ""),
    }
    reports = list_filters(request, ReportFilterSet, reports).rows
    page = Paginator(reports.order_by("-period_end", "contract__code", "kind"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    buildable = list(Contract.objects.restrict(request.user, BUILD_REPORT).order_by("code"))
    return render(
        request,
        "reports/index.html",
        {
            "page": page,
            "contracts": contracts,
            "filters": filters,
            "kinds": ReportKind.choices,
            "statuses": Report.Status.choices,
            "new_form": NewReportForm(contracts=buildable) if buildable else None,
        },
    )


@login_required
@require_POST
def create(request):
    buildable = list(Contract.objects.restrict(request.user, BUILD_REPORT).order_by("code"))
    form = NewReportForm(request.POST, contracts=buildable)
    if form.is_valid():
        data = form.cleaned_data
        existing = Report.objects.filter(
            contract=data["contract"], kind=data["kind"], period_start=data["period_start"]
        ).first()
        if existing:
            messages.info(request, _("That report exists already."))
            return redirect(existing)
        try:
            report = services.create_report(
                data["contract"], data["kind"], data["period_start"], data["period_end"], by=request.user
            )
            services.request_build(report, by=request.user)
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            return redirect(report)
    return render(request, "reports/new.html", {"form": form}, status=400)


def _report(request, pk) -> Report:
    return get_object_or_404(
        Report.objects.restrict(request.user, VIEW).select_related(
            "contract__client", "contract__vendor", "submitted_by", "reviewed_by"
        ),
        pk=pk,
    )


@login_required
@require_GET
def detail(request, pk):
    report = _report(request, pk)
    contract = report.contract
    may = {
        "build": can(request.user, BUILD_REPORT, contract),
        "write": can(request.user, WRITE_REPORT, contract),
        "sign_off": can(request.user, SIGN_OFF_REPORT, contract),
    }
    # The workflow's buttons: what this user may do to the report in its state now.
    allowed = {act.name for act in services.WORKFLOW.actions_for(report, request.user)}
    return render(
        request,
        "reports/detail.html",
        {
            "report": report,
            "contract": contract,
            "may": may,
            "allowed": allowed,
            "sections": [
                (heading, report.narrative.get(key, "")) for key, heading in kinds.get(report.kind).narrative
            ],
            "narrative_form": NarrativeForm(initial=report.narrative, kind=report.kind),
            "comment_form": CommentForm(),
            "versions": report.versions.select_related("signed_off_by", "reissued_by").order_by("-number"),
            "building": report.build_state in (BuildState.QUEUED, BuildState.RUNNING),
        },
    )


@login_required
@require_POST
def narrative(request, pk):
    report = _report(request, pk)
    form = NarrativeForm(request.POST, kind=report.kind)
    if form.is_valid():
        try:
            services.update_narrative(report, form.cleaned_data, by=request.user)
        except (ReportConflict, PermissionDenied, ValidationError) as error:
            messages.error(request, refusal(error))
        else:
            messages.success(request, _("The narrative is saved."))
    else:
        messages.error(
            request, _("The narrative was not saved: %(errors)s") % {"errors": form.errors.as_text()}
        )
    return redirect(report)


ACTIONS = {
    "build": lambda report, user, comment: services.request_build(report, by=user),
    "submit": lambda report, user, comment: services.submit(report, by=user),
    "return": lambda report, user, comment: services.return_report(report, by=user, comment=comment),
    "sign_off": lambda report, user, comment: services.sign_off(report, by=user, comment=comment),
    "reissue": lambda report, user, comment: services.reissue(report, by=user, reason=comment),
}
DONE = {
    "build": gettext_lazy("Building the report…"),
    "submit": gettext_lazy("The report is submitted to the client."),
    "return": gettext_lazy("The report is returned to the vendor."),
    "sign_off": gettext_lazy("The report is signed off; its signed PDF is being prepared."),
    "reissue": gettext_lazy("The report is reopened as a new version."),
}


@login_required
@require_POST
def act(request, pk, action):
    if action not in ACTIONS:
        raise Http404
    report = _report(request, pk)
    form = CommentForm(request.POST)
    comment = form.cleaned_data["comment"] if form.is_valid() else ""
    try:
        ACTIONS[action](report, request.user, comment)
    except (ReportConflict, PermissionDenied, ValidationError) as error:
        messages.error(request, refusal(error))
    else:
        messages.success(request, str(DONE[action]))
    return redirect(report)


def refusal(error) -> str:
    """What a service's refusal says to the user, as one message."""
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error) or _("You may not do this.")


@login_required
@require_GET
def progress(request, pk):
    return JsonResponse(services.progress_of(_report(request, pk)))


def attachment(request, obj, file, name: str, content_type: str = "application/pdf") -> FileResponse:
    """A stored file as a download, named in the user's language with an ASCII fallback; the
    download is on the audit trail."""
    ascii_name = re.sub(r"[^A-Za-z0-9._-]+", "_", name)
    try:
        handle = file.storage.open(file.name, "rb")
    except FileNotFoundError:
        # The row names a file the storage no longer has: absent, not a server error.
        raise Http404 from None
    audit.record_export(request, file.field.name, obj=obj)
    response = FileResponse(handle, content_type=content_type, as_attachment=True)
    response["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"
    )
    return response


def pdf_name(report: Report, version: int, *, draft: bool) -> str:
    suffix = "-draft" if draft else ""
    kind = report.get_kind_display()
    return f"{report.contract.code}-{kind}-{report.period_start:%Y%m%d}-v{version}{suffix}.pdf"


@login_required
@require_GET
def draft_pdf(request, pk):
    report = _report(request, pk)
    if not report.draft_pdf:
        raise Http404
    return attachment(request, report, report.draft_pdf, pdf_name(report, report.version, draft=True))


@login_required
@require_GET
def version_pdf(request, pk, number):
    version = get_object_or_404(
        ReportVersion.objects.restrict(request.user, VIEW).select_related("report__contract"),
        report_id=pk,
        number=number,
    )
    if not version.sealed_at:
        messages.info(request, _("The signed PDF is still being prepared; try again in a moment."))
        return redirect(version.report)
    return attachment(request, version, version.pdf, pdf_name(version.report, version.number, draft=False))
