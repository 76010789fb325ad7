"""Acceptance packages in the portal: a contract's packages, one package with its form and the
parties' sign-off, and the signed PDF and the ZIP of originals that managers download."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from contracts.models import Contract
from contracts.scoping import BUILD_REPORT, VIEW, WRITE_REPORT, can
from reports import acceptance
from reports.models import AcceptancePackage
from reports.services import ReportConflict
from reports.views.reports import attachment, refusal


class NewPackageForm(forms.Form):
    period = forms.ChoiceField(label=gettext_lazy("Period"))

    def __init__(self, *args, contract, **kwargs):
        super().__init__(*args, **kwargs)
        choices = []
        if contract.starts_on and contract.ends_on:
            choices.append((f"term:{contract.starts_on}:{contract.ends_on}", _("The whole term")))
        for start, end in acceptance.quarters(contract):
            choices.append(
                (f"quarter:{start}:{end}", _("Quarter %(start)s – %(end)s") % {"start": start, "end": end})
            )
        self.fields["period"].choices = choices


class SignOffForm(forms.Form):
    conclusion = forms.ChoiceField(
        label=gettext_lazy("Conclusion"),
        choices=AcceptancePackage.Conclusion.choices,
        widget=forms.RadioSelect,
    )
    opinion = forms.CharField(
        label=gettext_lazy("Client's opinion"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )


def _contract(request, code) -> Contract:
    return get_object_or_404(Contract.objects.restrict(request.user, VIEW), code=code)


def _package(request, pk) -> AcceptancePackage:
    return get_object_or_404(
        AcceptancePackage.objects.restrict(request.user, VIEW).select_related(
            "contract__client", "contract__vendor", "submitted_by", "signed_off_by"
        ),
        pk=pk,
    )


@login_required
@require_GET
def contract_packages(request, code):
    contract = _contract(request, code)
    may_create = can(request.user, BUILD_REPORT, contract)
    return render(
        request,
        "reports/acceptance_list.html",
        {
            "contract": contract,
            "packages": contract.acceptance_packages.select_related("signed_off_by").order_by(
                "-period_start"
            ),
            "form": NewPackageForm(contract=contract) if may_create else None,
        },
    )


@login_required
@require_POST
def create(request, code):
    contract = _contract(request, code)
    form = NewPackageForm(request.POST, contract=contract)
    if not form.is_valid():
        messages.error(request, _("Choose a period of the term."))
        return redirect("reports:acceptance-list", code=contract.code)
    scope, start, end = form.cleaned_data["period"].split(":")
    try:
        package = acceptance.create_package(
            contract, scope, forms.DateField().clean(start), forms.DateField().clean(end), by=request.user
        )
    except (PermissionDenied, ValidationError) as error:
        messages.error(request, refusal(error))
        return redirect("reports:acceptance-list", code=contract.code)
    return redirect(package)


@login_required
@require_GET
def detail(request, pk):
    package = _package(request, pk)
    contract = package.contract
    preview = package.data
    if preview is None and package.status in acceptance.EDITABLE:
        preview = acceptance.package_data(contract, package.period_start, package.period_end)
    return render(
        request,
        "reports/acceptance.html",
        {
            "package": package,
            "contract": contract,
            "data": preview or {},
            # Shown before anyone signs: what the period still lacks.
            "gaps": acceptance.package_gaps(package) if package.status != package.Status.SIGNED_OFF else None,
            "may_write": can(request.user, WRITE_REPORT, contract),
            # The workflow's buttons: what this user may do to the package in its state now.
            "allowed": {act.name for act in acceptance.WORKFLOW.actions_for(package, request.user)},
            "sign_off_form": SignOffForm(),
        },
    )


@login_required
@require_POST
def act(request, pk, action):
    package = _package(request, pk)
    user, post = request.user, request.POST
    try:
        if action == "statement":
            acceptance.update_form(package, by=user, vendor_statement=post.get("vendor_statement", ""))
            done = _("The statement is saved.")
        elif action == "submit":
            acceptance.update_form(package, by=user, vendor_statement=post.get("vendor_statement", ""))
            acceptance.submit_package(package, by=user)
            done = _("The package is signed for the vendor and submitted to the client.")
        elif action == "return":
            acceptance.return_package(package, by=user, comment=post.get("opinion", ""))
            done = _("The package is returned to the vendor.")
        elif action == "sign_off":
            form = SignOffForm(post)
            if not form.is_valid():
                raise ValidationError(_("Choose the conclusion of the acceptance."))
            acceptance.sign_off_package(
                package,
                by=user,
                conclusion=form.cleaned_data["conclusion"],
                opinion=form.cleaned_data["opinion"],
            )
            done = _("The acceptance is signed off; the signed package is being prepared.")
        else:
            raise Http404
    except (ReportConflict, PermissionDenied, ValidationError) as error:
        messages.error(request, refusal(error))
    else:
        messages.success(request, done)
    return redirect(package)


@login_required
@require_GET
def download(request, pk, what):
    package = _package(request, pk)
    if not package.sealed_at:
        messages.info(request, _("The signed package is still being prepared; try again in a moment."))
        return redirect(package)
    period = f"{package.period_start:%Y%m%d}-{package.period_end:%Y%m%d}"
    if what == "pdf":
        return attachment(
            request, package, package.pdf, f"{package.contract.code}-验收材料-{period}.pdf", "application/pdf"
        )
    return attachment(
        request, package, package.archive, f"{package.contract.code}-验收材料-{period}.zip", "application/zip"
    )
