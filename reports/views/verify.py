"""The verification page: is this PDF, or this hash, an authentic signed-off document?"""

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from reports import trust
from reports.models import SigningCertificate
from reports.signing import looks_like_pdf, signing_certificate
from reports.verification import normalise_hash, verify_file, verify_hash


class VerifyForm(forms.Form):
    file = forms.FileField(
        label=_("The PDF"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}),
    )
    sha256 = forms.CharField(
        label=_("Or its SHA-256 hash"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "size": 70}),
    )

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if not upload:
            return None
        limit = settings.REPORT_VERIFY_MAX_BYTES
        too_big = ValidationError(
            _("The file is %(size)s; the largest file accepted is %(limit)s."),
            code="too_big",
            params={"size": filesizeformat(upload.size), "limit": filesizeformat(limit)},
        )
        if upload.size > limit:
            raise too_big
        data = upload.read(limit + 1)  # the size an upload declares is not proof of it
        if len(data) > limit:
            raise too_big
        if not data:
            raise ValidationError(_("The file is empty."), code="empty")
        if not looks_like_pdf(data):
            raise ValidationError(_("The file is not a PDF."), code="not_pdf")
        return data

    def clean_sha256(self):
        text = self.cleaned_data.get("sha256", "")
        if not text:
            return ""
        digest = normalise_hash(text)
        if digest is None:
            raise ValidationError(
                _("A SHA-256 hash is 64 hexadecimal characters (0–9, a–f)."), code="bad_hash"
            )
        return digest

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        if cleaned.get("file") and cleaned.get("sha256"):
            raise ValidationError(_("Give either a file or a hash, not both."), code="both")
        if not cleaned.get("file") and not cleaned.get("sha256"):
            raise ValidationError(_("Choose a PDF file, or paste its SHA-256 hash."), code="neither")
        return cleaned


@login_required
def verify(request):
    result = None
    if request.method == "POST":
        form = VerifyForm(request.POST, request.FILES)
    elif request.GET.get("sha256"):
        # A hash in the address: links printed or mailed with a document land on its verdict.
        form = VerifyForm(request.GET)
    else:
        form = VerifyForm()
    if form.is_bound and form.is_valid():
        if form.cleaned_data["file"]:
            result = verify_file(form.cleaned_data["file"], user=request.user)
        else:
            result = verify_hash(form.cleaned_data["sha256"], user=request.user)
    certificate = signing_certificate()
    earlier = SigningCertificate.objects.exclude(fingerprint=trust.facts(certificate).fingerprint)
    return render(
        request,
        "reports/verify.html",
        {
            "form": form,
            "result": result,
            "max_size": settings.REPORT_VERIFY_MAX_BYTES,
            "certificate_subject": certificate.subject.human_friendly,
            "certificate_fingerprint": certificate.sha256_fingerprint,
            "earlier_certificates": list(earlier),
        },
        status=400 if (form.is_bound and form.errors) or (result is not None and result.refused) else 200,
    )
