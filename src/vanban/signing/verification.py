"""Verification of documents' PDF signatures, the Django side: read a file from the store, check it
with `verify.verify_pdf` against the installation's trust roots, store the result (`FileCheck`,
latest wins). Queued whenever PDF content is stored — registration, added files, a signature's new
revision — by `documents.services.files_stored` (sent inside that transaction, so the check cannot
be lost); run by a clerk's "check again", and by `vanban signature verify`.

Only PDF files are checked: other formats carry no PAdES signature and get no row (the badge says
nothing for them). A PDF that cannot be read (the file store refused it, or `verify.Unreadable`)
gets no row either: nothing is stored for input we could not check.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from pyhanko_certvalidator import ValidationContext

from vanban.audit import services as audit
from vanban.documents import storage
from vanban.documents.models import Document, DocumentFile
from vanban.orgs.models import Role

from . import services, verify
from .models import FileCheck

logger = logging.getLogger(__name__)
PDF_MIME = "application/pdf"


def context_factory() -> ValidationContext:
    """A fresh ValidationContext with the installation's PDF trust roots and revocation policy
    (soft-fail; our own CRLs in process, others fetched from where certificates point)."""
    return services.validation_context()


def check_bytes(data: bytes) -> verify.Report:
    """Check a PDF given as bytes (the CLI); raises `verify.Unreadable`. Stores nothing."""
    return verify.verify_pdf(data, context_factory)


def _pdf_files(document: Document) -> list[DocumentFile]:
    return [f for f in document.files.select_related("blob") if f.blob.mime == PDF_MIME]


def _may_recheck(actor, document: Document) -> bool:
    return bool(actor and actor.has_role(Role.CLERK) and actor.agency_id == document.agency_id)


def _verify_file(f: DocumentFile) -> verify.Report | None:
    try:
        data = storage.read_verified(f.blob_id)
    except (storage.CorruptFile, OSError):
        logger.exception("signature check: file %s of document %s cannot be read", f.pk, f.document_id)
        return None
    try:
        return verify.verify_pdf(data, context_factory)
    except verify.Unreadable as exc:
        logger.warning("signature check: file %s of document %s: %s", f.pk, f.document_id, exc)
        return None


def _store(document: Document, results: list[tuple[DocumentFile, verify.Report]], actor) -> list[FileCheck]:
    if not results:
        return []
    now = timezone.now()
    with transaction.atomic():
        checks = FileCheck.objects.bulk_create(
            [FileCheck(file=f, verdict=r.verdict, report=r.to_dict(), checked_at=now, by=actor) for f, r in results]
        )
        audit.record(
            actor=actor,
            action="signing.check_signatures",
            target=document,
            data={"files": {str(f.pk): r.verdict for f, r in results}},
        )
    return checks


def check_document(document: Document, actor=None) -> list[FileCheck]:
    """Check every PDF file of `document` and store the results. `actor` None is the system (on
    arrival, on upload); a person asking again must be a clerk of the document's agency. The slow
    part (reading and verifying) runs outside the transaction."""
    if actor is not None and not _may_recheck(actor, document):
        raise PermissionDenied(_("Only the agency's clerks may check signatures again."))
    results = [(f, r) for f in _pdf_files(document) if (r := _verify_file(f)) is not None]
    return _store(document, results, actor)


def check_file(file: DocumentFile, actor=None) -> FileCheck:
    """Check one PDF file of a document (a clerk's "check again"); a file that is not a PDF or
    cannot be read is refused with a ValidationError and nothing is stored."""
    document = file.document
    if actor is not None and not _may_recheck(actor, document):
        raise PermissionDenied(_("Only the agency's clerks may check signatures again."))
    if file.blob.mime != PDF_MIME:
        raise ValidationError({"file": [_("Only PDF files carry digital signatures.")]})
    report = _verify_file(file)
    if report is None:
        raise ValidationError({"file": [_("This file cannot be read as a PDF.")]})
    return _store(document, [(file, report)], actor)[0]


# --- reads for the badge and the detail page -------------------------------------------------


def latest_check(file: DocumentFile) -> FileCheck | None:
    """The file's latest check, or None when it was never checked."""
    return FileCheck.objects.filter(file=file).order_by("-checked_at", "-id").first()


def latest_checks(files: Iterable[DocumentFile]) -> dict[int, FileCheck]:
    """{file id: latest check} for these files (files never checked are absent)."""
    ids = [f.pk for f in files]
    latest: dict[int, FileCheck] = {}
    for check in FileCheck.objects.filter(file_id__in=ids).order_by("file_id", "-checked_at", "-id"):
        latest.setdefault(check.file_id, check)
    return latest


def latest_pdf_checks(document: Document) -> list[tuple[DocumentFile, FileCheck | None]]:
    """Each PDF file of the document with its latest check (None: not checked yet)."""
    files = _pdf_files(document)
    latest = latest_checks(files)
    return [(f, latest.get(f.pk)) for f in files]


def verdict_of(data: bytes) -> str | None:
    """The verdict of a PDF not stored as a document file (a package waiting to be registered),
    or None when it is not a readable PDF. Nothing is stored: it is checked again, and kept, when
    the clerk registers it."""
    if not data.startswith(b"%PDF-"):
        return None
    try:
        # Shown while a page renders: no fetching from URLs a sender's certificate names (our own
        # revocation data is in the context); the full check runs when it is registered.
        return verify.verify_pdf(data, lambda: services.validation_context(fetch=False)).verdict
    except verify.Unreadable:
        return None
    except Exception:  # a PDF pyHanko trips on must not break the arrivals page
        logger.exception("checking the signatures of a received PDF failed")
        return None
