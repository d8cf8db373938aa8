"""Serving a stored document file: integrity-checked before the first byte goes out."""

from __future__ import annotations

import logging

from django.http import FileResponse, HttpResponse
from django.utils.translation import gettext as _

from . import storage
from .models import DocumentFile

log = logging.getLogger(__name__)
_INLINE = {"application/pdf", "image/png", "image/jpeg"}


def file_response(f: DocumentFile, inline: bool | None = None):
    """The file as a response (the caller has checked the reader may see its document).
    A file whose bytes no longer match their SHA-256 is never served."""
    try:
        content = storage.verified_copy(f.blob_id)
    except storage.CorruptFile:
        log.error("Stored file %s of document %s failed its integrity check", f.blob_id, f.document_id)
        return HttpResponse(
            _("This file failed its integrity check and is not served. Report it to the administrator."),
            status=500,
            content_type="text/plain; charset=utf-8",
        )
    except FileNotFoundError:
        log.error("Stored file %s of document %s is missing", f.blob_id, f.document_id)
        return HttpResponse(
            _("This file is missing from storage. Report it to the administrator."),
            status=500,
            content_type="text/plain; charset=utf-8",
        )
    if inline is None:
        inline = f.blob.mime in _INLINE
    response = FileResponse(content, content_type=f.blob.mime, as_attachment=not inline, filename=f.name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response
