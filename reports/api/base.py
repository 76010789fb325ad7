"""What the reports resources share: the workflow's refusals as 409s, and PDF downloads."""

import json
import os

from django.http import FileResponse, Http404
from rest_framework.renderers import BaseRenderer, JSONRenderer

from om_portal import audit
from om_portal.api import Conflict
from reports.services import ReportConflict


class WorkflowErrorsMixin:
    """A view whose services raise ReportConflict: it reaches the client as a 409 with the
    service's message (the project's handler already makes ValidationError a 400 and
    PermissionDenied a 403)."""

    def handle_exception(self, exc):
        if isinstance(exc, ReportConflict):
            exc = Conflict(str(exc))
        return super().handle_exception(exc)


def pdf_download(field, *, request, obj) -> FileResponse:
    """A stored PDF, read through the storage and streamed as an attachment under its stored name;
    the download is on the audit trail."""
    try:
        handle = field.storage.open(field.name, "rb")
    except FileNotFoundError:
        # The row names a file the storage no longer has: absent, not a server error.
        raise Http404 from None
    audit.record_export(request, field.field.name, obj=obj)
    return FileResponse(
        handle,
        as_attachment=True,
        filename=os.path.basename(field.name),
        content_type="application/pdf",
    )


class PDFRenderer(BaseRenderer):
    """Lets a client that asks for ``Accept: application/pdf`` reach a download (else DRF answers
    406 before the view runs). A file is streamed past the renderer; what it renders is an
    error's body, as JSON."""

    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None or isinstance(data, bytes):
            return data or b""
        return json.dumps(data, ensure_ascii=False).encode()


# The renderers of a download action: JSON first, so that a client asking for anything gets
# its errors as JSON; the PDF renderer for clients that ask for a PDF and nothing else.
DOWNLOAD_RENDERERS = [JSONRenderer, PDFRenderer]
