"""Contract intake's pages: upload a contract's file, watch it being read, review and accept the
proposals; and, once accepted, the original text with a term's sentence marked."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from contracts.intake import codec, flow, review
from contracts.intake.accept import IntakeRejected, accept
from contracts.models import Contract, ContractUpload
from contracts.scoping import contract_clients
from om_portal import audit


class UploadForm(forms.Form):
    client = forms.ModelChoiceField(label=gettext_lazy("Client"), queryset=None)
    file = forms.FileField(
        label=gettext_lazy("Contract file (.txt, .docx or .pdf)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".txt,.docx,.pdf"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        clients = contract_clients(user)
        self.fields["client"].queryset = clients
        if len(clients[:2]) == 1:
            self.fields["client"].initial = clients[0]

    def clean_file(self):
        uploaded = self.cleaned_data["file"]
        try:
            flow.check_file(uploaded.name, uploaded.size)
        except ValidationError as error:
            raise forms.ValidationError(error.message_dict["file"]) from None
        return uploaded


def _require_intake(request):
    # The roles that may create contracts (contract_add's guard); a vendor's account never.
    if not contract_clients(request.user).exists():
        raise PermissionDenied


def _upload(request, pk) -> ContractUpload:
    # Scoped like a contract: an upload the user may not review is absent (404), never a 403
    # that tells it exists; a vendor's account finds none.
    return get_object_or_404(flow.uploads_for(request.user).select_related("client", "contract"), pk=pk)


@login_required
def intake_upload(request):
    _require_intake(request)
    form = UploadForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        upload = flow.create_upload(
            client=form.cleaned_data["client"], uploaded_file=form.cleaned_data["file"], by=request.user
        )
        return redirect("contracts:intake-review", pk=upload.pk)
    uploads = flow.uploads_for(request.user).select_related("client", "contract").defer("text")[:30]
    return render(request, "contracts/intake_upload.html", {"form": form, "uploads": uploads})


@login_required
def intake_status(request, pk):
    return JsonResponse(flow.status_of(_upload(request, pk)))


@login_required
def intake_review(request, pk):
    upload = _upload(request, pk)
    context = {"upload": upload, "status": flow.status_of(upload)}
    if upload.status != ContractUpload.Status.READY:
        return render(request, "contracts/intake_review.html", context)
    proposals = [codec.load_proposal(p) for p in upload.proposals]
    conflicts = [codec.load_conflict(c) for c in upload.conflicts]
    errors, kept, code = {}, None, ""
    if request.method == "POST":
        code = request.POST.get("code", "").strip()[:40]
        chosen, indexes = review.posted(request.POST, proposals)
        try:
            contract = accept(upload, chosen, code=code, by=request.user)
        except IntakeRejected as rejected:
            context["errors"] = rejected.errors
            errors = {indexes[i]: found for i, found in rejected.errors.get("proposals", {}).items()}
            kept = set(indexes)
            proposals = [
                {**p, "value": _edited(request.POST, i, p["value"])} for i, p in enumerate(proposals)
            ]
        else:
            messages.success(
                request, _("Contract %(code)s created from the upload.") % {"code": contract.code}
            )
            return redirect(contract)
    rows = review.rows(proposals, upload.text, errors, kept)
    spans = [(p["start"], p["end"], str(i)) for i, p in enumerate(proposals)]
    spans += [(s, e, f"c{n}") for n, c in enumerate(conflicts) for s, e in c["spans"]]
    context.update(
        groups=review.grouped(rows),
        segments=review.segments(upload.text, spans),
        conflicts=[
            {
                "label": review.field_label(c["field"]),
                "values": [review.as_text(v) for v in c["values"]],
                "anchors": [f"c{n}"],
            }
            for n, c in enumerate(conflicts)
        ],
        code=code,
    )
    return render(request, "contracts/intake_review.html", context, status=400 if errors or kept else 200)


@login_required
@require_POST
def intake_retry(request, pk):
    """Read a file again that failed (a program installed since) or never left the queue."""
    upload = _upload(request, pk)
    if flow.requeue(upload, by=request.user):
        messages.success(request, _("The file will be read again."))
    else:
        messages.error(request, _("Only a file that failed or still waits can be read again."))
    return redirect("contracts:intake-review", pk=upload.pk)


def _edited(post, index, value):
    """The row as the person left it, to show again with the errors."""
    if isinstance(value, dict):
        return {key: post.get(f"p{index}-v-{key}", review.as_text(item)) for key, item in value.items()}
    return post.get(f"p{index}-value", review.as_text(value))


def _readable_upload(request, pk) -> ContractUpload:
    """An accepted upload, for whoever may see its contract; any upload for its reviewers."""
    upload = ContractUpload.objects.select_related("contract", "client").filter(pk=pk).first()
    if upload is None:
        raise Http404
    if upload.contract_id and Contract.objects.restrict(request.user).filter(pk=upload.contract_id).exists():
        return upload
    if flow.uploads_for(request.user).filter(pk=pk).exists():
        return upload
    raise Http404


@login_required
def intake_text(request, pk):
    upload = _readable_upload(request, pk)
    try:
        start = max(0, int(request.GET.get("start", 0)))
        end = min(len(upload.text), int(request.GET.get("end", 0)))
    except ValueError:
        start = end = 0
    spans = [(start, end, "source")] if start < end else []
    return render(
        request,
        "contracts/intake_text.html",
        {"upload": upload, "segments": review.segments(upload.text, spans)},
    )


@login_required
def intake_original(request, pk):
    upload = _readable_upload(request, pk)
    try:
        handle = upload.file.storage.open(upload.file.name, "rb")
    except FileNotFoundError:
        raise Http404 from None
    audit.record_export(request, "contract upload", obj=upload, contract=upload.contract)
    return FileResponse(handle, as_attachment=True, filename=upload.filename)
