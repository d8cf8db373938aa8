"""Scrubbing: re-read every stored file and compare it with its SHA-256, so that damage on disk
(or tampering) is found before someone needs the file."""

from __future__ import annotations

import logging

from . import storage
from .models import DocumentFile, StoredBlob

log = logging.getLogger(__name__)


def verify_stored_files() -> dict:
    """Check every stored file. Returns counts and, for each bad file, the documents using it."""
    report = {"checked": 0, "corrupt": [], "missing": []}
    for sha256 in StoredBlob.objects.order_by("sha256").values_list("sha256", flat=True).iterator(chunk_size=1000):
        report["checked"] += 1
        state = storage.check(sha256)
        if state != "ok":
            documents = sorted(set(DocumentFile.objects.filter(blob_id=sha256).values_list("document_id", flat=True)))
            log.error("Stored file %s is %s (documents %s)", sha256, state, documents)
            report[state].append({"sha256": sha256, "documents": documents})
    return report
