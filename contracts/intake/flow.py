"""The flow around the extractor: an uploaded contract is kept, read in a worker (with OCR's
progress), and its proposals wait for a person's review (``contracts.intake.accept``).

Who may: the roles that may create contracts, for the bureaus they may create them for
(``contracts.scoping.contract_clients``): a bureau's client managers and the administrators. A
vendor's account never sees an upload.
"""

import datetime as dt
import hashlib
import logging
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from contracts.intake import codec, extract, reading
from contracts.models.intake import ContractUpload
from contracts.scoping import contract_clients
from om_portal import audit

log = logging.getLogger(__name__)

Status = ContractUpload.Status
SUFFIXES = (".txt", ".docx", ".pdf")
MAX_NAME = 200
# A reading claimed this long ago by a worker that died is claimed again on redelivery.
STALE_AFTER = dt.timedelta(minutes=40)
# reading.py's messages are English for the logs; the person is told in their language.
REASONS = {
    "larger than": gettext_lazy("The file is larger than %(mb)s MB."),
    "not a PDF": gettext_lazy("The file is not a PDF document."),
    "not a .txt": gettext_lazy("Only .txt, .docx and .pdf files can be read."),
    "neither UTF-8": gettext_lazy("The text file is neither UTF-8 nor GB 18030."),
    "not a Word": gettext_lazy("The file is not a Word (.docx) document."),
    "too large once unpacked": gettext_lazy("The Word document is too large once unpacked."),
    "pages is read": gettext_lazy(
        "A contract of 1 to %(pages)s pages can be read; this file has another number."
    ),
    "not installed": gettext_lazy("The server lacks the program needed to read this file."),
    "took longer": gettext_lazy("Reading the file took too long."),
    "characters of text": gettext_lazy(
        "The text is longer than %(chars)s characters: too long for a contract."
    ),
    "could not read": gettext_lazy("The file is damaged or cannot be read."),
}


def uploads_for(user):
    """The uploads ``user`` may see: those for the bureaus they may enter contracts for."""
    return ContractUpload.objects.filter(client__in=contract_clients(user))


def reason_for(error: Exception) -> str:
    message = str(error)
    for key, text in REASONS.items():
        if key in message:
            return str(text) % {
                "mb": reading.MAX_BYTES // (1024 * 1024),
                "pages": reading.MAX_PAGES,
                "chars": f"{reading.MAX_CHARS:,}",
            }
    return _("The file cannot be read as a contract.")


def check_file(name: str, size: int) -> None:
    """The bounds checked before a byte is stored: the type by its name, and the size."""
    if Path(name).suffix.lower() not in SUFFIXES:
        raise ValidationError({"file": _("Only .txt, .docx and .pdf files can be read.")})
    if size > reading.MAX_BYTES:
        raise ValidationError(
            {"file": _("The file is larger than %(mb)s MB.") % {"mb": reading.MAX_BYTES // (1024 * 1024)}}
        )
    if size == 0:
        raise ValidationError({"file": _("The file is empty.")})


def create_upload(*, client, uploaded_file, by) -> ContractUpload:
    """Keep the original and queue its reading; the caller has checked ``by`` may use ``client``."""
    name = Path(uploaded_file.name or "contract").name[-MAX_NAME:]
    check_file(name, uploaded_file.size)
    digest = hashlib.sha256()
    for chunk in uploaded_file.chunks():
        digest.update(chunk)
    uploaded_file.seek(0)
    with transaction.atomic():
        upload = ContractUpload(
            client=client,
            filename=name,
            sha256=digest.hexdigest(),
            size=uploaded_file.size,
            uploaded_by=by,
        )
        upload.file.save(name, uploaded_file, save=False)
        upload.save()
        audit.record(
            "upload",
            user=by,
            obj=upload,
            detail={"filename": name, "sha256": upload.sha256, "size": upload.size},
        )
        transaction.on_commit(lambda: enqueue(upload))
    return upload


def queue_for(upload: ContractUpload) -> str:
    """A PDF may need OCR, minutes of CPU a page at a time: the render queue, whose worker runs
    one heavy job at a time and whose time limits suit it, so a scan never holds up the default
    queue's housekeeping. A .txt or .docx reads in milliseconds: the default queue."""
    kind = "render" if upload.filename.lower().endswith(".pdf") else "default"
    return settings.CELERY_QUEUES[kind]


def enqueue(upload: ContractUpload) -> None:
    from contracts import tasks

    try:
        tasks.read_upload.apply_async((upload.pk,), queue=queue_for(upload))
    except Exception:
        # The upload stays queued; "read again" on its page (requeue) sends it once more.
        log.exception("intake: could not enqueue the reading of upload %s", upload.pk)


def requeue(upload: ContractUpload, *, by) -> bool:
    """Send a reading again that is still queued (the broker was down) or failed; on the audit
    trail as ``by``'s."""
    claimed = ContractUpload.objects.filter(pk=upload.pk, status__in=[Status.QUEUED, Status.FAILED]).update(
        status=Status.QUEUED, reason="", page=0
    )
    if claimed:
        audit.record("read_again", user=by, obj=upload)
        transaction.on_commit(lambda: enqueue(upload))
    return bool(claimed)


def run_reading(upload_id: int) -> bool:
    """Read the upload's file and extract its proposals (in a worker). Claims the upload once:
    a second delivery finds it reading, ready or accepted and does nothing. A failure's reason
    is kept in the portal's language (Chinese first): the worker serves no request."""
    with translation.override(settings.LANGUAGE_CODE):
        return _read(upload_id)


def _read(upload_id: int) -> bool:
    now = timezone.now()
    claimable = Q(status=Status.QUEUED) | Q(status=Status.READING, read_started_at__lt=now - STALE_AFTER)
    if not ContractUpload.objects.filter(claimable, pk=upload_id).update(
        status=Status.READING, read_started_at=now, page=0, pages=0
    ):
        return False
    upload = ContractUpload.objects.get(pk=upload_id)

    def progress(page: int, pages: int) -> None:
        ContractUpload.objects.filter(pk=upload_id, status=Status.READING).update(page=page, pages=pages)

    try:
        with upload.file.open("rb") as handle:
            data = handle.read(reading.MAX_BYTES + 1)
        read = reading.read_contract(upload.filename, data, progress)
        if read.sha256 != upload.sha256:
            raise reading.UnreadableContract("could not read: the stored file changed")
        extraction = extract(read.text)
    except reading.UnreadableContract as error:
        ContractUpload.objects.filter(pk=upload_id).update(status=Status.FAILED, reason=reason_for(error))
        return False
    except Exception:
        log.exception("intake: reading upload %s failed", upload_id)
        ContractUpload.objects.filter(pk=upload_id).update(
            status=Status.FAILED, reason=_("The file cannot be read as a contract.")
        )
        return False
    ContractUpload.objects.filter(pk=upload_id, status=Status.READING).update(
        status=Status.READY,
        kind=read.kind,
        text=read.text,
        pages=read.pages,
        page=read.pages,
        proposals=[
            codec.dump_proposal(p) for p in extraction.proposals if 0 <= p.start <= p.end <= len(read.text)
        ],
        conflicts=[codec.dump_conflict(c) for c in extraction.conflicts],
    )
    return True


def status_of(upload: ContractUpload) -> dict:
    """What the progress bar and the API's status show."""
    return {
        "id": upload.pk,
        "status": upload.status,
        "label": upload.get_status_display(),
        "reason": upload.reason,
        "percent": upload.percent,
        "page": upload.page,
        "pages": upload.pages,
        "kind": upload.kind,
        "contract": upload.contract.code if upload.contract_id else None,
    }
