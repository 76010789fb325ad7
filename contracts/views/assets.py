"""The asset ledger (台账) of a contract: the list, its export and its import."""

from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from contracts import assets_io
from contracts.filters import AssetFilterSet
from contracts.models import Asset
from contracts.scoping import MANAGE_ASSETS, can
from contracts.views.contracts import render_tab, visible_contract
from om_portal import audit
from om_portal.filtering import filtered, list_filters

PAGE_SIZE = 50
# The list's columns; the host column shows the port as well.
LIST_COLUMNS = ["kind", "name", "system", "security_zone", "host", "os_version", "quantity", "status"]
EXPORT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


def _filtered_assets(request, contract, *, on_page=True):
    """The contract's assets by the ledger's filters (the API's filterset). A download has no page
    to say a bad value on: it leaves that filter out silently, as the list does with a message."""
    assets = Asset.objects.restrict(request.user).filter(contract=contract)
    if on_page:
        assets = list_filters(request, AssetFilterSet, assets).rows
    else:
        assets = filtered(AssetFilterSet(request.GET, queryset=assets, request=request))
    kind, status = request.GET.get("kind", ""), request.GET.get("status", "")
    return assets, {"kind": kind, "status": status, "q": request.GET.get("q", "").strip()}


@login_required
@require_GET
def asset_list(request, code):
    contract = visible_contract(request, code)
    assets, filters = _filtered_assets(request, contract)
    page = Paginator(assets, PAGE_SIZE).get_page(request.GET.get("page"))
    return render_tab(
        request,
        contract,
        "assets",
        "contracts/asset_list.html",
        page=page,
        filters=filters,
        filtered=any(filters.values()),
        kinds=Asset.Kind.choices,
        statuses=Asset.Status.choices,
        labels={key: Asset._meta.get_field(key).verbose_name for key in LIST_COLUMNS},
    )


@login_required
@require_GET
def asset_export(request, code, fmt):
    if fmt not in EXPORT_TYPES:
        raise Http404
    contract = visible_contract(request, code)
    # The export follows the list's filters, so what is on screen is what is downloaded.
    assets, _filters = _filtered_assets(request, contract, on_page=False)
    body = assets_io.export_assets(assets, fmt)
    audit.record_export(request, "assets", contract=contract, detail={"format": fmt})
    # The code is a slug already; the filename still goes through the header's own encoding.
    filename = f"{contract.code}-assets-{timezone.localdate():%Y%m%d}.{fmt}"
    return HttpResponse(
        body,
        content_type=EXPORT_TYPES[fmt],
        headers={"Content-Disposition": content_disposition_header(True, filename)},
    )


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )
    mode = forms.ChoiceField(
        label=gettext_lazy("Mode"),
        choices=[
            ("upsert", gettext_lazy("Add new assets and update those with the same kind and name")),
            ("add", gettext_lazy("Only add new assets; an asset already in the ledger is an error")),
        ],
        initial="upsert",
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        limit = filesizeformat(settings.ASSET_IMPORT_MAX_BYTES)
        self.fields["file"].help_text = _(
            "An .xlsx or .csv file of at most %(size)s, with the columns of the export."
        ) % {"size": limit}

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if Path(upload.name).suffix.lower() not in (".xlsx", ".csv"):
            raise forms.ValidationError(_("Only .xlsx and .csv files can be imported."))
        limit = settings.ASSET_IMPORT_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                _("The file is %(size)s; the largest file accepted is %(limit)s.")
                % {"size": filesizeformat(upload.size), "limit": filesizeformat(limit)}
            )
        return upload


@login_required
@require_http_methods(["GET", "POST"])
def asset_import(request, code):
    contract = visible_contract(request, code)
    if not can(request.user, MANAGE_ASSETS, contract):
        raise PermissionDenied
    form = ImportForm(request.POST, request.FILES) if request.method == "POST" else ImportForm()
    result = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        result = assets_io.import_assets(contract, upload, upload.name, mode=form.cleaned_data["mode"])
        if result.ok:
            messages.success(
                request,
                _("Imported %(name)s: %(created)s added, %(updated)s updated, %(unchanged)s unchanged.")
                % {
                    "name": upload.name,
                    "created": result.created,
                    "updated": result.updated,
                    "unchanged": result.unchanged,
                },
            )
            return redirect("contracts:assets", code=contract.code)
    response = render_tab(
        request,
        contract,
        "assets",
        "contracts/asset_import.html",
        form=form,
        result=result,
        columns=assets_io.COLUMNS,
    )
    if request.method == "POST":
        response.status_code = 400  # the file was refused, for the reasons on the page
    return response
