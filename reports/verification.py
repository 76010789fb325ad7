"""Is this file, or this hash, an authentic and unchanged document issued by the portal?

Two independent answers meet here. The SHA-256 says whether the file is byte for byte one the
portal issued (a signed-off report version or an acceptance package); the PAdES signature says
whether it was signed with the portal's certificate and not changed since. A file can be signed by
the portal and still not be one it issued (a rendering that was never kept, or one signed outside
the sign-off): the verdict says so rather than calling it authentic.

Who may read what: whoever asks may learn that a document is authentic, but its contract,
period and signatories only when the user may see that contract.
"""

import hashlib
import re
from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from reports.models import AcceptancePackage, ReportVersion
from reports.signing import Verification, looks_like_pdf, verify_pdf

SHA256_RE = re.compile(r"[0-9a-f]{64}")


class Verdict(models.TextChoices):
    AUTHENTIC = "authentic", gettext_lazy("Authentic")
    NOT_ISSUED = "not_issued", gettext_lazy("Signed by the portal, but not a document it issued")
    ALTERED = "altered", gettext_lazy("Altered")
    FOREIGN = "foreign", gettext_lazy("Not signed by this portal")
    UNSIGNED = "unsigned", gettext_lazy("Not signed")
    UNKNOWN = "unknown", gettext_lazy("Unknown hash")
    INVALID = "invalid", gettext_lazy("Cannot be checked")


@dataclass(frozen=True)
class Issued:
    """The document a hash belongs to, as the verification page describes it."""

    kind: str  # "report" or "acceptance"
    contract_code: str
    contract_title: str
    title: str  # the report's kind, or "acceptance package"
    period_start: object
    period_end: object
    version: int | None
    signed_off_by: str
    signed_off_at: object


@dataclass(frozen=True)
class Result:
    verdict: str
    message: str
    sha256: str = ""
    found: bool = False  # the hash belongs to a document the portal issued
    issued: Issued | None = None  # None when not found, or found in a contract the user cannot see
    hidden: bool = False  # found, but its details are not the user's to see
    signature: Verification | None = None  # for a file: what its signature says
    note: str = ""
    refused: bool = False  # the file was not read to the end: it unpacks past the limit

    @property
    def authentic(self) -> bool:
        return self.verdict == Verdict.AUTHENTIC

    @property
    def verdict_label(self) -> str:
        return Verdict(self.verdict).label

    @property
    def signature_checks(self) -> list[tuple[str, str, bool]]:
        """What the signature says, as (what, the plain answer, good), ending with whether the
        portal issued the file. Each answer only where it means something: once the content was
        changed the signature vouches for nothing, so whether it is "valid" or the portal's is
        not asked (a tampered file read 签名有效 "是" beside 使用本平台证书签名 "否", issue 18)."""
        signature = self.signature
        if signature is None or not signature.signed:
            return []
        ctx = "signature check"
        if not signature.intact:
            checks = [(pgettext(ctx, "Content"), pgettext(ctx, "Altered after it was signed"), False)]
        else:
            checks = [(pgettext(ctx, "Content"), pgettext(ctx, "Unchanged since it was signed"), True)]
            if not signature.covers_whole_file:
                checks.append(
                    (pgettext(ctx, "Whole file"), pgettext(ctx, "No: bytes were added after signing"), False)
                )
            if not signature.valid:
                checks.append(
                    (pgettext(ctx, "Signature"), pgettext(ctx, "Not made over this content"), False)
                )
            elif signature.trusted:
                checks.append(
                    (pgettext(ctx, "Signed with"), pgettext(ctx, "This portal's certificate"), True)
                )
            else:
                checks.append(
                    (
                        pgettext(ctx, "Signed with"),
                        pgettext(ctx, "Another certificate, not this portal's"),
                        False,
                    )
                )
        if self.found:
            checks.append((pgettext(ctx, "Issued by this portal"), pgettext(ctx, "Yes"), True))
        else:
            checks.append(
                (
                    pgettext(ctx, "Issued by this portal"),
                    pgettext(ctx, "No: not a document this portal issued"),
                    False,
                )
            )
        return checks


def normalise_hash(text: str) -> str | None:
    """The hex digest in lower case, or None when the text is not a SHA-256 (64 hex digits).

    People paste hashes from tools that group or upper-case them: spaces, colons and case are
    ignored."""
    digest = re.sub(r"[\s:]", "", text or "").lower()
    return digest if SHA256_RE.fullmatch(digest) else None


def verify_hash(hexdigest: str, *, user=None) -> Result:
    """Whether the hash belongs to a document the portal issued.

    With ``user``, the details of a document in a contract the user may not see are left out;
    without one, they are given in full (for callers that are not a person).
    """
    digest = normalise_hash(hexdigest)
    if digest is None:
        return Result(
            verdict=Verdict.INVALID,
            message=_("A SHA-256 hash is 64 hexadecimal characters (0–9, a–f)."),
        )
    found, issued = _lookup(digest, user)
    if found:
        return Result(
            verdict=Verdict.AUTHENTIC,
            message=_("Authentic: a document with this hash was issued and signed by this portal."),
            sha256=digest,
            found=True,
            issued=issued,
            hidden=issued is None,
        )
    return Result(
        verdict=Verdict.UNKNOWN,
        message=_(
            "No document issued by this portal has this hash: the file was changed, or it was not "
            "issued here."
        ),
        sha256=digest,
    )


def verify_file(data: bytes, *, user=None) -> Result:
    """Whether the file is an authentic, unchanged document issued by the portal (see above)."""
    digest = hashlib.sha256(data).hexdigest()
    if not data:
        return Result(verdict=Verdict.INVALID, message=_("The file is empty."), sha256=digest)
    if not looks_like_pdf(data):
        return Result(verdict=Verdict.INVALID, message=_("The file is not a PDF."), sha256=digest)
    signature = verify_pdf(data)
    found, issued = _lookup(digest, user)
    common = {"sha256": digest, "signature": signature}
    if found:
        # Byte for byte the file the portal stored: authentic whatever the signature says now
        # (it stops verifying here when the portal's certificate has been replaced since).
        return Result(
            verdict=Verdict.AUTHENTIC,
            message=_("Authentic: this file is exactly a document issued and signed by this portal."),
            found=True,
            issued=issued,
            hidden=issued is None,
            note=signature.problem,
            **common,
        )
    if signature.refused:
        return Result(verdict=Verdict.INVALID, message=signature.problem, refused=True, **common)
    if signature.ok:
        return Result(
            verdict=Verdict.NOT_ISSUED,
            message=_(
                "The file carries a valid signature of this portal, but it is not a document the portal "
                "issued in this form: it is not the current file of a signed-off report or acceptance "
                "package."
            ),
            **common,
        )
    if not signature.readable:
        return Result(
            verdict=Verdict.ALTERED,
            message=_("The file is damaged or was altered: it cannot be read as a signed PDF."),
            note=signature.problem,
            **common,
        )
    if not signature.signed:
        return Result(
            verdict=Verdict.UNSIGNED,
            message=_("The file carries no digital signature: it is not a document issued by this portal."),
            **common,
        )
    if signature.intact and signature.valid and signature.covers_whole_file and not signature.trusted:
        return Result(
            verdict=Verdict.FOREIGN,
            message=_(
                "The file is signed, but not with this portal's certificate: it is not a document "
                "issued by this portal."
            ),
            note=signature.problem,
            **common,
        )
    return Result(
        verdict=Verdict.ALTERED,
        message=_(
            "Altered: the file was changed after it was signed. It is not a document issued by this portal."
        ),
        note=signature.problem,
        **common,
    )


def _lookup(digest: str, user) -> tuple[bool, Issued | None]:
    """(found, its details or None when the user may not see them)."""
    version = (
        ReportVersion.objects.select_related("report__contract", "signed_off_by")
        .filter(sha256=digest)
        .first()
    )
    if version is not None:
        if user is not None and not ReportVersion.objects.restrict(user).filter(pk=version.pk).exists():
            return True, None
        report = version.report
        return True, Issued(
            kind="report",
            contract_code=report.contract.code,
            contract_title=report.contract.title,
            title=report.get_kind_display(),
            period_start=report.period_start,
            period_end=report.period_end,
            version=version.number,
            signed_off_by=_person(version.signed_off_by),
            signed_off_at=version.signed_off_at,
        )
    package = (
        AcceptancePackage.objects.select_related("contract", "signed_off_by").filter(sha256=digest).first()
    )
    if package is not None:
        if user is not None and not AcceptancePackage.objects.restrict(user).filter(pk=package.pk).exists():
            return True, None
        return True, Issued(
            kind="acceptance",
            contract_code=package.contract.code,
            contract_title=package.contract.title,
            title=_("Acceptance package"),
            period_start=package.period_start,
            period_end=package.period_end,
            version=None,
            signed_off_by=_person(package.signed_off_by),
            signed_off_at=package.signed_off_at,
        )
    return False, None


def _person(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()
